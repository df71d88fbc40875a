/** Micrometer meters of a DocRag: {@link dev.docrag.ops.metrics.DocRagMetrics#of}. */
package dev.docrag.ops.metrics;
