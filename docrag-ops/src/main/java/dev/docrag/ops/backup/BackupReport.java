package dev.docrag.ops.backup;

import java.time.Duration;
import java.util.Optional;

/**
 * What one backup did: its manifest (the backup itself), how many files and bytes it had to
 * store because the repository lacked them, and how long it took. {@code bytesStored} over
 * {@code manifest().totalBytes()} is how incremental it was. With a
 * {@link BackupManager.Builder#mirror mirror}, {@link #mirrorFailure()} says why the remote copy
 * failed although the backup itself (on the primary target) succeeded.
 */
public record BackupReport(Manifest manifest, int filesStored, long bytesStored, int filesReused, Duration took,
                           String mirrorFailureOrNull) {

    public String id() {
        return manifest.id();
    }

    /** Empty when there is no mirror or the mirror holds the backup too. */
    public Optional<String> mirrorFailure() {
        return Optional.ofNullable(mirrorFailureOrNull);
    }
}
