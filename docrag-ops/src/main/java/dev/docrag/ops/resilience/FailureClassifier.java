package dev.docrag.ops.resilience;

import dev.docrag.core.embed.EmbedderException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * Tells transient failures (worth another attempt) from permanent ones (never retried: a bad
 * credential stays bad). A host whose provider client throws its own types supplies one to
 * {@link ResilientEmbedder.Builder#classifier}; the {@link #defaults() default} understands
 * {@link EmbedderException}, timeouts and I/O errors. Implementations must be thread-safe and
 * must not throw.
 */
@FunctionalInterface
public interface FailureClassifier {

    /** Whether a later attempt may succeed after {@code failure}. */
    boolean isTransient(Throwable failure);

    /**
     * {@link EmbedderException#isTransient()} when the failure (or one of its causes) is one;
     * otherwise transient for timeouts and I/O errors (a dropped or refused connection, an HTTP
     * timeout) found in the cause chain; permanent for everything else — an unknown failure is not
     * retried, since retrying a permanent one only multiplies load on a provider that is already
     * refusing.
     */
    static FailureClassifier defaults() {
        return failure -> {
            Set<Throwable> seen = new HashSet<>();
            for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
                if (t instanceof EmbedderException e) {
                    return e.isTransient();
                }
                if (t instanceof TimeoutException || t instanceof IOException || t instanceof UncheckedIOException) {
                    return true;
                }
            }
            return false;
        };
    }
}
