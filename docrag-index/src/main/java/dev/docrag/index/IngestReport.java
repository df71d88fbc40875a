package dev.docrag.index;

import dev.docrag.core.DocumentProblem;

import java.time.Duration;
import java.util.List;

/**
 * The outcome of one ingest run. Every file found is counted exactly once: added, updated,
 * unchanged, or failed (with its reason); documents whose files are gone are counted as deleted.
 * Documents that failed keep their previous version in the index, if they had one. A run that
 * {@link #stopped() stopped} early (its thread was interrupted) counts only the documents it
 * reached; the others keep their previous version and are looked at again by the next run.
 *
 * @param added     documents new to the index
 * @param updated   documents whose content changed and were re-embedded
 * @param unchanged documents whose content hash matched the catalog; not re-embedded
 * @param deleted   documents removed because their source file disappeared from the ingested
 *                  folder (always 0 for upserts)
 * @param chunks    chunks written (for added and updated documents)
 * @param failures  one entry per document that could not be ingested, and per entry the folder
 *                  walk could not handle (an unreadable folder, a link loop, a dangling link)
 * @param notices   things done to documents that were ingested which their owners should know
 *                  (bytes replaced while decoding, secrets redacted), one entry per document and kind
 * @param took      wall-clock time of the run
 * @param stopped   whether the run stopped early because its thread was interrupted; what it
 *                  wrote before is committed all the same
 */
public record IngestReport(int added, int updated, int unchanged, int deleted, int chunks, List<Failure> failures,
        List<Notice> notices, Duration took, boolean stopped) {
    public IngestReport {
        failures = List.copyOf(failures);
        notices = List.copyOf(notices);
    }

    /** A report of a run that went through all its documents. */
    public IngestReport(int added, int updated, int unchanged, int deleted, int chunks, List<Failure> failures,
            List<Notice> notices, Duration took) {
        this(added, updated, unchanged, deleted, chunks, failures, notices, took, false);
    }

    /** The number of documents that failed. */
    public int failed() {
        return failures.size();
    }

    /**
     * One document that could not be ingested.
     *
     * @param source  the file
     * @param problem the typed reason
     * @param message what went wrong, naming the file
     */
    public record Failure(String source, DocumentProblem problem, String message) {
    }

    /**
     * Something done to a document that was ingested, such as invalid bytes replaced while
     * decoding or secrets redacted.
     *
     * @param source  the document
     * @param kind    a stable, low-cardinality name of what was done (e.g. {@code invalid-bytes},
     *                {@code redacted:aws-access-key})
     * @param count   how many times, at least 1
     * @param message a sentence for a log or a user, naming the document
     */
    public record Notice(String source, String kind, int count, String message) {
    }
}
