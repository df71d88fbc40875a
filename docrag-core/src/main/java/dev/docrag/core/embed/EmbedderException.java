package dev.docrag.core.embed;

/**
 * An embedder could not produce vectors, and says whether trying again may help.
 *
 * <p>{@link #isTransient() Transient} failures (a timeout, a remote provider's 429 or 503, a
 * refused connection, a breaker that is open for now) may succeed on a later attempt; permanent
 * ones (a rejected credential, an unknown model, a malformed request) never will, and resilience
 * wrappers must not retry them. An {@link Embedder} for a remote provider throws this type so
 * that the classification is made where the provider's answer is understood; docrag-ops'
 * {@code ResilientEmbedder} also throws it for every failure it reports, with the original
 * exception as the cause.
 *
 * <p>A text that is too long for the model is a caller error and stays an
 * {@link IllegalArgumentException}, never this type.
 */
public class EmbedderException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean transientFailure;

    /**
     * @param message          what failed, for an operator; never a secret
     * @param transientFailure whether a later attempt may succeed
     * @param cause            the provider's or runtime's exception, or null
     */
    public EmbedderException(String message, boolean transientFailure, Throwable cause) {
        super(message, cause);
        this.transientFailure = transientFailure;
    }

    /** A failure a later attempt may not repeat: a timeout, 429, 503, a dropped connection. */
    public static EmbedderException transientFailure(String message, Throwable cause) {
        return new EmbedderException(message, true, cause);
    }

    /** A failure every attempt will repeat: a bad credential, an unknown model, a bad request. */
    public static EmbedderException permanentFailure(String message, Throwable cause) {
        return new EmbedderException(message, false, cause);
    }

    /** Whether a later attempt may succeed (see the class description). */
    public boolean isTransient() {
        return transientFailure;
    }
}
