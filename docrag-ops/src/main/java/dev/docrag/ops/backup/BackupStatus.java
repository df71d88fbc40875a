package dev.docrag.ops.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What health checks and metrics need to know about backups. The backup manager implements it;
 * until one is configured, nothing backup-related is checked or exported. Implementations must be
 * thread-safe and answer from memory (never from the backup target), since scrapes and probes
 * call them often.
 */
public interface BackupStatus {

    /** When the last successful backup finished; empty if none has succeeded yet. */
    Optional<Instant> lastSuccess();

    /** How long the last successful backup took. */
    Optional<Duration> lastDuration();

    /** Bytes written by the last successful backup. */
    OptionalLong lastBytes();

    /** When a backup was last verified successfully (restored to scratch and checked). */
    Optional<Instant> lastVerification();

    /** Whether the most recent verification attempt failed (false when none was attempted). */
    boolean lastVerificationFailed();
}
