package dev.docrag.index;

/**
 * How a hybrid search combines its two retrievers' lists into one. Each retriever (vector and
 * keyword) first returns its own candidates, in the same index snapshot and under the same
 * tenant, access and metadata constraints; fusion only reorders their union.
 */
public sealed interface Fusion {
    /** The reciprocal-rank-fusion constant of Cormack, Clarke and Büttcher (2009). */
    int DEFAULT_RRF_K = 60;

    /**
     * Reciprocal rank fusion: a chunk scores {@code sum over retrievers of 1 / (k + rank)}, rank
     * counted from 1, a retriever that did not return the chunk adding nothing. Needs no score
     * calibration; a larger {@code k} flattens the advantage of the very first ranks.
     *
     * @param k at least 1
     */
    record Rrf(int k) implements Fusion {
        public Rrf {
            if (k < 1) {
                throw new IllegalArgumentException("fusion rrf k must be at least 1, got " + k);
            }
        }
    }

    /**
     * Convex combination: {@code vectorWeight * v + (1 - vectorWeight) * w}, where {@code v} and
     * {@code w} are the vector and keyword scores min-max normalised over each retriever's
     * candidate list (best = 1, worst = 0; a single candidate = 1), and a retriever that did not
     * return the chunk contributes 0.
     *
     * @param vectorWeight in [0, 1]: 1 ranks by meaning alone, 0 by keywords alone
     */
    record Convex(double vectorWeight) implements Fusion {
        public Convex {
            if (!(vectorWeight >= 0 && vectorWeight <= 1)) {
                throw new IllegalArgumentException("fusion convex vectorWeight must be in [0, 1], got " + vectorWeight);
            }
        }
    }

    /** Reciprocal rank fusion with {@code k = 60}, the default. */
    static Fusion rrf() {
        return new Rrf(DEFAULT_RRF_K);
    }

    static Fusion rrf(int k) {
        return new Rrf(k);
    }

    static Fusion convex(double vectorWeight) {
        return new Convex(vectorWeight);
    }
}
