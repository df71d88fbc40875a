/**
 * Operations hooks that a host wires in where it wants them: health checks
 * ({@link dev.docrag.ops.health}), Micrometer metrics ({@link dev.docrag.ops.metrics}), and the
 * Prometheus rules, Alertmanager configuration and Grafana dashboard ({@link dev.docrag.ops.OpsAsset}).
 * Backups and resilience wrappers arrive with their issues; {@link dev.docrag.ops.backup.BackupStatus}
 * and {@link dev.docrag.ops.resilience.CircuitBreakerState} are the seams they will feed. Depends on
 * docrag-index, never the reverse: a host that wants none of this never loads it.
 */
package dev.docrag.ops;
