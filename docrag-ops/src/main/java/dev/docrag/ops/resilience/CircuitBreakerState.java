package dev.docrag.ops.resilience;

/**
 * The state of one circuit breaker (e.g. around the embedder), for the embedder health check and
 * the {@code docrag.circuit.state} gauge. The resilience wrappers implement it; hosts with their
 * own breaker (Resilience4j, …) can adapt it in a line. Must be thread-safe and cheap.
 */
public interface CircuitBreakerState {

    /** The states a breaker moves through; {@link #code()} is the gauge's value. */
    enum State {
        CLOSED(0), HALF_OPEN(1), OPEN(2);

        private final int code;

        State(int code) {
            this.code = code;
        }

        /** 0 closed, 1 half-open, 2 open: the alert fires on {@code == 2}. */
        public int code() {
            return code;
        }
    }

    /** A short, fixed name such as {@code embedder}; it becomes the {@code name} tag. */
    String name();

    State state();

    /**
     * Whether the breaker was opened deliberately (by an operator or an incident handler) rather
     * than by failures: then nothing can be learnt about the guarded dependency until it is
     * released, and health reports {@code circuit=FORCED_OPEN}. False unless an implementation
     * knows better.
     */
    default boolean isForcedOpen() {
        return false;
    }
}
