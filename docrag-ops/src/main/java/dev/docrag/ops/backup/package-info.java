/**
 * Backups of a {@link dev.docrag.index.DocRag}: {@link dev.docrag.ops.backup.BackupManager} takes
 * hot, incremental, content-addressed backups of {@link dev.docrag.index.DocRag#snapshot()} to a
 * {@link dev.docrag.ops.backup.BackupTarget} (a directory, or S3 through
 * {@link dev.docrag.ops.backup.S3Target}), verifies them, restores them only after verifying the
 * restored copy, and prunes them by {@link dev.docrag.ops.backup.Retention}. It implements
 * {@link dev.docrag.ops.backup.BackupStatus}, the seam health checks and metrics read.
 */
package dev.docrag.ops.backup;
