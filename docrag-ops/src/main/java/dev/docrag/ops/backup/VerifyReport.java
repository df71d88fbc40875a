package dev.docrag.ops.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A verification that passed (one that fails throws a {@link BackupException} naming the file or
 * check): which backup, how deeply, how many files and bytes were read back, and which checks ran.
 */
public record VerifyReport(String id, VerifyDepth depth, Instant verifiedAt, int files, long bytes, List<String> checks,
                           Duration took) {
    public VerifyReport {
        checks = List.copyOf(checks);
    }
}
