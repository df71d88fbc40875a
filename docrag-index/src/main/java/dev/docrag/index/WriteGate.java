package dev.docrag.index;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether public write calls may start: open, or paused with a reason. A write that already
 * started finishes (pausing never cuts a write in half); only later ones are refused, before they
 * touch the index or the catalog. Thread-safe.
 */
final class WriteGate {
    private final AtomicReference<String> pausedBecause = new AtomicReference<>();

    /** Pauses writes; a second pause replaces the reason. Returns whether writes were open before. */
    boolean pause(String reason) {
        return pausedBecause.getAndSet(reason) == null;
    }

    /** Opens writes again. Returns whether they were paused. */
    boolean resume() {
        return pausedBecause.getAndSet(null) != null;
    }

    Optional<String> pausedBecause() {
        return Optional.ofNullable(pausedBecause.get());
    }

    /** Throws when paused and {@code operation} writes. */
    void check(DocRagListener.Operation operation) {
        String reason = pausedBecause.get();
        if (reason != null && operation != DocRagListener.Operation.SEARCH) {
            throw new WritesPausedException("writes are paused (" + reason + "); " + operation.tag() + " refused, nothing changed");
        }
    }
}
