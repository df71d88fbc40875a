package dev.docrag.index;

/**
 * A write (ingest, upsert, delete) was refused because writes are paused
 * ({@link DocRag#pauseWrites(String)}): the instance is read-only for now, e.g. while its
 * catalog is unreachable or memory is short. Nothing was changed; the same call may succeed
 * after {@link DocRag#resumeWrites()}. Listeners see it as {@link DocRagListener.Outcome#REJECTED}.
 */
public class WritesPausedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public WritesPausedException(String message) {
        super(message);
    }
}
