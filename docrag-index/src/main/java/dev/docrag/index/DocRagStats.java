package dev.docrag.index;

import java.time.Duration;
import java.util.Optional;

/**
 * A read-only snapshot of a {@link DocRag}'s size and state, for health checks and metrics. Each
 * field is read once when {@link DocRag#stats()} is called; fields are not read atomically
 * together (a write may land between reading the catalog and the index), so {@code documents}
 * and {@code chunks} can disagree by one write while ingestion runs.
 *
 * @param documents    documents in the catalog, all tenants
 * @param chunks       chunks the current searcher sees (Lucene documents, deleted ones excluded)
 * @param indexBytes   bytes of the Lucene index files on disk (the catalog not included)
 * @param segments     index segments the current searcher sees
 * @param searcherAge  time since the searcher was last refreshed (by a write, or since opening)
 * @param warmed       whether a searcher is open and serves searches
 * @param catalogPool  the catalog's connection pool, when it is a HikariCP pool (DocRag's own, or
 *                     a host's {@code HikariDataSource}); empty for other data sources
 */
public record DocRagStats(long documents, long chunks, long indexBytes, int segments, Duration searcherAge,
        boolean warmed, Optional<Pool> catalogPool) {

    /**
     * A HikariCP pool's state, as its MXBean reports it.
     *
     * @param active  connections in use
     * @param idle    connections ready
     * @param total   active + idle
     * @param waiting threads waiting for a connection; above 0 for long means the pool is too small
     *                or the database slow
     * @param max     the pool's maximum size
     */
    public record Pool(int active, int idle, int total, int waiting, int max) {
    }
}
