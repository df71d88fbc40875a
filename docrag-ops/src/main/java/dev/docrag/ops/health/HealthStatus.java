package dev.docrag.ops.health;

/**
 * The state of one check or of a group of checks, ordered from best to worst so that a group's
 * status is the worst of its checks'.
 */
public enum HealthStatus {
    /** Working as intended. */
    UP,
    /** Serving, but something needs attention soon (disk filling, backup stale, heap tight). */
    DEGRADED,
    /** Not able to serve; a readiness probe should take the instance out of rotation. */
    DOWN;

    /** The worse of the two. */
    public HealthStatus worst(HealthStatus other) {
        return compareTo(other) >= 0 ? this : other;
    }
}
