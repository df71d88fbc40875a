package dev.docrag.index;

import java.time.Duration;

/**
 * How far a running {@link DocRag#ingest(java.nio.file.Path, String, java.util.function.Consumer)}
 * call has come. The consumer gets one about every quarter second and a last one once the run is
 * committed, always on the thread that called {@code ingest}. A consumer that throws stops the
 * run as an interrupt does (what was written is committed), and its exception is then thrown by
 * {@code ingest}. Counts only grow from one progress to the next of the same call.
 *
 * @param files     files the folder listing found: the documents this call looks at
 * @param done      documents settled so far: written, unchanged or failed
 * @param written   documents added or updated so far (staged; committed when the call returns)
 * @param unchanged documents skipped because their content is unchanged
 * @param failed    documents that failed
 * @param chunks    chunks of the written documents
 * @param embedded  chunks embedded so far, written or not yet: the embed stage works on groups of
 *                  about a thousand chunks from many documents, which are written only once the
 *                  whole group is embedded, so this count moves while {@code done} waits for a group
 * @param elapsed   time since the call started
 */
public record IngestProgress(int files, int done, int written, int unchanged, int failed, long chunks, long embedded, Duration elapsed) {
}
