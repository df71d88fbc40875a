package dev.docrag.ops.backup;

import java.time.Duration;

/**
 * What one backup did: its manifest (the backup itself), how many files and bytes it had to
 * store because the repository lacked them, and how long it took. {@code bytesStored} over
 * {@code manifest().totalBytes()} is how incremental it was.
 */
public record BackupReport(Manifest manifest, int filesStored, long bytesStored, int filesReused, Duration took) {

    public String id() {
        return manifest.id();
    }
}
