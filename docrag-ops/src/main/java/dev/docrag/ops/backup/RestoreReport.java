package dev.docrag.ops.backup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A restore that completed: {@code directory} now holds the backup's state (it was verified in
 * {@code generation} before being swapped in), and {@code previous} is where the data that was
 * live before is kept for rollback (empty if there was none). Delete {@code previous} when the
 * restored state is confirmed.
 */
public record RestoreReport(String id, Path directory, Path generation, Path previousOrNull, VerifyReport verification,
                            Duration took) {

    public Optional<Path> previous() {
        return Optional.ofNullable(previousOrNull);
    }
}
