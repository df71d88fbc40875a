/** Liveness and readiness checks with per-check timeouts: {@link dev.docrag.ops.health.HealthChecks#standard}. */
package dev.docrag.ops.health;
