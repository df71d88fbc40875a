/** Backups: for now the status seam that health checks and metrics read. */
package dev.docrag.ops.backup;
