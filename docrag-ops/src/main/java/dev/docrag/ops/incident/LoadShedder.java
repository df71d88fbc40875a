package dev.docrag.ops.incident;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A gate the host consults before expensive work while an incident sheds load: its HTTP layer
 * answers 503 with {@code Retry-After} when {@link #admit()} is false, a batch job waits.
 * {@link IncidentActions#shedLoad} closes it while an incident lasts. Thread-safe; cheap to ask.
 */
public final class LoadShedder {
    private final AtomicReference<String> shedding = new AtomicReference<>();

    /** Whether to take on new work now. */
    public boolean admit() {
        return shedding.get() == null;
    }

    /** Why load is shed, or empty when it is not. */
    public Optional<String> reason() {
        return Optional.ofNullable(shedding.get());
    }

    /** Starts shedding. */
    public void shed(String reason) {
        shedding.set(java.util.Objects.requireNonNull(reason, "reason"));
    }

    /** Stops shedding. */
    public void restore() {
        shedding.set(null);
    }
}
