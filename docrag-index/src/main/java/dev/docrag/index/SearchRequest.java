package dev.docrag.index;

import java.util.Objects;

/**
 * What to search for. Immutable; the {@code k(int)} and {@code mode(Mode)} methods return
 * copies, so a request can be built fluently: {@code SearchRequest.hybrid("rotate logs").k(5)}.
 * Validated on construction: a blank query or a {@code k} outside 1..{@value #MAX_K} is refused
 * with an {@link IllegalArgumentException} naming the parameter.
 *
 * @param query the user's question or keywords
 * @param k     how many hits to return at most
 * @param mode  which retrievers to use
 */
public record SearchRequest(String query, int k, Mode mode) {
    /** The largest {@code k} accepted. */
    public static final int MAX_K = 10_000;

    /** Which retrievers answer a request. */
    public enum Mode {
        /** Nearest neighbours of the query's embedding (meaning). */
        VECTOR,
        /** BM25 over the chunk text and document title (words). */
        KEYWORD,
        /** Both, fused by reciprocal rank. */
        HYBRID
    }

    public SearchRequest {
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(mode, "mode");
        if (query.isBlank()) {
            throw new IllegalArgumentException("query must not be blank");
        }
        if (k < 1 || k > MAX_K) {
            throw new IllegalArgumentException("k must be between 1 and " + MAX_K + ", got " + k);
        }
    }

    /** Hybrid search for {@code query}, 10 hits. */
    public static SearchRequest hybrid(String query) {
        return new SearchRequest(query, 10, Mode.HYBRID);
    }

    /** Vector (semantic) search for {@code query}, 10 hits. */
    public static SearchRequest vector(String query) {
        return new SearchRequest(query, 10, Mode.VECTOR);
    }

    /** Keyword (BM25) search for {@code query}, 10 hits. */
    public static SearchRequest keyword(String query) {
        return new SearchRequest(query, 10, Mode.KEYWORD);
    }

    /** This request with another {@code k}. */
    public SearchRequest k(int k) {
        return new SearchRequest(query, k, mode);
    }

    /** This request with another mode. */
    public SearchRequest mode(Mode mode) {
        return new SearchRequest(query, k, mode);
    }
}
