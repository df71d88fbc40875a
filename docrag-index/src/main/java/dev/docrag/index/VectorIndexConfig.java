package dev.docrag.index;

/**
 * How chunk vectors are stored and searched: an HNSW graph (hierarchical navigable small world)
 * over the vectors, in the encoding given. Set once with {@link DocRag.Builder#vectorIndex}; it
 * applies to segments written from then on, and an index written with other settings still opens
 * (each segment records how it was built). Immutable; {@link Builder#build()} validates.
 *
 * @param encoding       how vector components are stored; only {@link Encoding#FLOAT32} today
 * @param maxConnections HNSW "M": neighbours kept per node, 2..512 (default 16). Higher raises
 *                       recall and memory, and slows indexing.
 * @param beamWidth      HNSW "efConstruction": candidates considered while inserting, 1..3200
 *                       (default 100). Higher raises recall and slows indexing.
 * @param mergeWorkers   threads that build a merged segment's graph, 1..64 (default 1). More than
 *                       1 makes DocRag own a small thread pool, closed with it.
 */
public record VectorIndexConfig(Encoding encoding, int maxConnections, int beamWidth, int mergeWorkers) {
    public static final int DEFAULT_MAX_CONNECTIONS = 16;
    public static final int DEFAULT_BEAM_WIDTH = 100;

    /** How vector components are stored. Quantized encodings are planned. */
    public enum Encoding {
        /** Full 32-bit floats: exact scores, 4 bytes per dimension. */
        FLOAT32
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
    }

    /** FLOAT32, M = 16, beam width 100, one merge worker: Lucene's defaults. */
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

        /** @throws IllegalArgumentException naming the first bad setting */
        public VectorIndexConfig build() {
            return new VectorIndexConfig(encoding, maxConnections, beamWidth, mergeWorkers);
        }
    }
}
