package dev.docrag.core;

/**
 * Base of every error DocRag raises on purpose. Unchecked, because the callers that can act on
 * one (a host's request handler, an ingest loop) catch it at one place; its subclasses carry the
 * typed detail ({@link dev.docrag.core.load.LoadException#problem()} and the like) and every
 * message names what was wrong and where.
 */
public class DocRagException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DocRagException(String message) {
        super(message);
    }

    public DocRagException(String message, Throwable cause) {
        super(message, cause);
    }
}
