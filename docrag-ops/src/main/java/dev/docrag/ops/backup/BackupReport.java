package dev.docrag.ops.backup;

import java.time.Duration;
import java.util.Optional;

/**
 * What one backup did: its manifest (the backup itself), how many files and bytes it had to
 * store because the repository lacked them, and how long it took. {@code bytesStored} over
 * {@code manifest().totalBytes()} is how incremental it was. With a
 * {@link BackupManager.Builder#mirror mirror}, {@link #mirrorFailure()} says why the remote copy
 * failed although the backup itself (on the primary target) succeeded.
 *
 * <p>{@code took} is split into its phases, which have different causes and remedies:
 * {@code snapshotTook} pins the Lucene commit and exports the catalog under the write lock (the
 * only phase that holds up ingestion); {@code filesTook} reads, hashes and stores the files;
 * {@code syncTook} makes the stored files durable before the manifest names them (bounded by the
 * target's disk, not by DocRag). The rest of {@code took} writes and syncs the manifest.
 */
public record BackupReport(Manifest manifest, int filesStored, long bytesStored, int filesReused, Duration took,
                           Duration snapshotTook, Duration filesTook, Duration syncTook,
                           String mirrorFailureOrNull) {

    public String id() {
        return manifest.id();
    }

    /** Empty when there is no mirror or the mirror holds the backup too. */
    public Optional<String> mirrorFailure() {
        return Optional.ofNullable(mirrorFailureOrNull);
    }
}
