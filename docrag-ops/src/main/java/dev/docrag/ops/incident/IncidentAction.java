package dev.docrag.ops.incident;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * One reaction to an incident: {@link #start} when it begins, {@link #resolve} when it ends (to
 * undo what is safe to undo without a human). The responder runs actions one at a time, logs each
 * and counts it; an action that throws is logged and counted as a failure and does not stop the
 * others. Actions should be quick and must not block on the network for long.
 */
public interface IncidentAction {

    /** A short fixed name such as {@code pause_writes}; it becomes the {@code action} tag. */
    String name();

    /** Reacts to {@code event}'s incident beginning. */
    void start(IncidentEvent event) throws Exception;

    /** Undoes {@link #start} when the incident is over; nothing by default. */
    default void resolve(IncidentEvent event) throws Exception {
    }

    /** An action from two lambdas; {@code onResolve} may be null. */
    static IncidentAction of(String name, Consumer<IncidentEvent> onStart, Consumer<IncidentEvent> onResolve) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(onStart, "onStart");
        return new IncidentAction() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void start(IncidentEvent event) {
                onStart.accept(event);
            }

            @Override
            public void resolve(IncidentEvent event) {
                if (onResolve != null) {
                    onResolve.accept(event);
                }
            }
        };
    }
}
