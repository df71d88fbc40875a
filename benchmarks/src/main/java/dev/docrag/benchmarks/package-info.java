/**
 * Benchmarks of DocRag against named peers, run with {@code benchmarks/run <suite>}. No suite
 * exists yet; each arrives with the issue that sets its goal (embedding, chunking, search,
 * ingestion, backup, service).
 */
package dev.docrag.benchmarks;
