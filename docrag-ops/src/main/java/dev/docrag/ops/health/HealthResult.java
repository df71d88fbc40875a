package dev.docrag.ops.health;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What one check found: a status, details for an operator (numbers, short strings; never
 * secrets), and how long the check took. Immutable; details keep their insertion order.
 *
 * @param status  the check's verdict
 * @param details facts behind it, e.g. {@code freeBytes}, {@code error}
 * @param took    time the check ran (or waited, for one that timed out); zero until the
 *                {@link HealthRegistry} measures it
 */
public record HealthResult(HealthStatus status, Map<String, Object> details, Duration took) {
    public HealthResult {
        Objects.requireNonNull(status, "status");
        details = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
        Objects.requireNonNull(took, "took");
    }

    /** UP without details. */
    public static HealthResult up() {
        return of(HealthStatus.UP, Map.of());
    }

    /** A result with these details (copied, in their iteration order). */
    public static HealthResult of(HealthStatus status, Map<String, ?> details) {
        return new HealthResult(status, new LinkedHashMap<>(details), Duration.ZERO);
    }

    /** A DOWN result whose {@code error} detail is {@code message}. */
    public static HealthResult down(String message) {
        return of(HealthStatus.DOWN, Map.of("error", message));
    }

    /** This result with one more detail. */
    public HealthResult with(String key, Object value) {
        Map<String, Object> d = new LinkedHashMap<>(details);
        d.put(key, value);
        return new HealthResult(status, d, took);
    }

    HealthResult took(Duration elapsed) {
        return new HealthResult(status, details, elapsed);
    }
}
