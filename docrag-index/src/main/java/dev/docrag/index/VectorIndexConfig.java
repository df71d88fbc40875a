package dev.docrag.index;

/**
 * How chunk vectors are stored and searched: an HNSW graph (hierarchical navigable small world)
 * over the vectors, in the encoding given. Set once with {@link DocRag.Builder#vectorIndex}; it
 * applies to segments written from then on, and an index written with other settings still opens
 * (each segment records how it was built), except that the {@link Encoding} is fixed when an
 * index is created: opening it with another encoding fails with a
 * {@link VectorEncodingMismatchException} naming both. Immutable; {@link Builder#build()} validates.
 *
 * @param encoding       how vector components are stored and the graph is searched (default
 *                       {@link Encoding#FLOAT32}; see README "Search speed" for measurements)
 * @param maxConnections HNSW "M": neighbours kept per node, 2..512 (default 16). Higher raises
 *                       recall and memory, and slows indexing.
 * @param beamWidth      HNSW "efConstruction": candidates considered while inserting, 1..3200
 *                       (default 100). Higher raises recall and slows indexing.
 * @param mergeWorkers   threads that build a merged segment's graph, 1..64 (default 1). More than
 *                       1 makes DocRag own a small thread pool, closed with it.
 * @param searchCandidates HNSW "ef" of a vector search: candidates the graph search keeps before
 *                       the best k are taken, 1..10000 (default {@value #DEFAULT_SEARCH_CANDIDATES}).
 *                       A search never keeps fewer than {@code offset + k}. Hybrid searches keep at
 *                       least {@link SearchRequest#STABLE_WINDOW} per retriever whatever this says.
 *                       Below the default a vector search is faster, its recall lower, and pages of
 *                       one query are no longer guaranteed to agree with each other.
 */
public record VectorIndexConfig(Encoding encoding, int maxConnections, int beamWidth, int mergeWorkers,
                                int searchCandidates) {
    public static final int DEFAULT_MAX_CONNECTIONS = 16;
    public static final int DEFAULT_BEAM_WIDTH = 100;
    public static final int DEFAULT_SEARCH_CANDIDATES = SearchRequest.STABLE_WINDOW;

    /**
     * How vector components are stored, and so how much memory a searched index wants resident.
     * Sizes are for 384 dimensions (all-MiniLM-L6-v2). All quantized encodings (Lucene's optimized
     * scalar quantization, format {@code Lucene104HnswScalarQuantizedVectorsFormat}) also keep the
     * float vectors on disk: the graph is searched over the small quantized copy (file
     * {@code .veq}), and DocRag rescores an oversampled candidate list with the float vectors
     * (file {@code .vec}), so the scores a search returns are exact dot products. Only the
     * quantized copy and the graph need to stay in memory; the float file is read for the few
     * candidates rescored. Disk use therefore grows, memory needed for fast search shrinks.
     */
    public enum Encoding {
        /** Full 32-bit floats, searched directly: 4 bytes per dimension (1,536 B per 384-d vector) in memory and on disk. */
        FLOAT32(1),
        /**
         * 8 bits per dimension (Lucene's {@code UNSIGNED_BYTE}), plus a few bytes of corrections:
         * about 1/4 of FLOAT32's memory (400 B per 384-d vector: 384 + 16 of corrections); 2× oversampled, rescored with floats.
         */
        INT8(2),
        /**
         * 4 bits per dimension (Lucene's {@code PACKED_NIBBLE}): about 1/7 of FLOAT32's memory
         * (208 B per 384-d vector); 3× oversampled, rescored with floats.
         */
        INT4(3),
        /**
         * 1 bit per dimension (Lucene's {@code SINGLE_BIT_QUERY_NIBBLE}: the query keeps 4 bits):
         * about 1/24 of FLOAT32's memory (64 B per 384-d vector: 48 + 16 of corrections); 5× oversampled, rescored with
         * floats. The largest recall loss of the four, recovered in part by the rescoring.
         */
        BINARY(5);

        private final int oversample;

        Encoding(int oversample) {
            this.oversample = oversample;
        }

        /** How many times the search depth (at least k; see {@link VectorIndexConfig#searchCandidates}) the quantized graph search collects before float rescoring (1: none). */
        public int oversample() {
            return oversample;
        }

        /** Whether vectors are quantized for the graph search (and rescored with the kept floats). */
        public boolean quantized() {
            return this != FLOAT32;
        }
    }

    public VectorIndexConfig {
        if (encoding == null) {
            throw new IllegalArgumentException("vector index encoding must not be null");
        }
        if (maxConnections < 2 || maxConnections > 512) {
            throw new IllegalArgumentException("vector index maxConnections must be in 2..512, got " + maxConnections);
        }
        if (beamWidth < 1 || beamWidth > 3200) {
            throw new IllegalArgumentException("vector index beamWidth must be in 1..3200, got " + beamWidth);
        }
        if (mergeWorkers < 1 || mergeWorkers > 64) {
            throw new IllegalArgumentException("vector index mergeWorkers must be in 1..64, got " + mergeWorkers);
        }
        if (searchCandidates < 1 || searchCandidates > 10_000) {
            throw new IllegalArgumentException("vector index searchCandidates must be in 1..10000, got " + searchCandidates);
        }
    }

    /** As before search candidates were configurable: {@value #DEFAULT_SEARCH_CANDIDATES} of them. */
    public VectorIndexConfig(Encoding encoding, int maxConnections, int beamWidth, int mergeWorkers) {
        this(encoding, maxConnections, beamWidth, mergeWorkers, DEFAULT_SEARCH_CANDIDATES);
    }

    /** FLOAT32, M = 16, beam width 100, one merge worker, 100 search candidates: Lucene's defaults. */
    public static VectorIndexConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link VectorIndexConfig}; unset values keep their defaults. Not thread-safe. */
    public static final class Builder {
        private Encoding encoding = Encoding.FLOAT32;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int beamWidth = DEFAULT_BEAM_WIDTH;
        private int mergeWorkers = 1;
        private int searchCandidates = DEFAULT_SEARCH_CANDIDATES;

        private Builder() {
        }

        public Builder encoding(Encoding encoding) {
            this.encoding = encoding;
            return this;
        }

        public Builder maxConnections(int maxConnections) {
            this.maxConnections = maxConnections;
            return this;
        }

        public Builder beamWidth(int beamWidth) {
            this.beamWidth = beamWidth;
            return this;
        }

        public Builder mergeWorkers(int mergeWorkers) {
            this.mergeWorkers = mergeWorkers;
            return this;
        }

        public Builder searchCandidates(int searchCandidates) {
            this.searchCandidates = searchCandidates;
            return this;
        }

        /** @throws IllegalArgumentException naming the first bad setting */
        public VectorIndexConfig build() {
            return new VectorIndexConfig(encoding, maxConnections, beamWidth, mergeWorkers, searchCandidates);
        }
    }
}
