package dev.docrag.index;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer to one search: the hits, and whether they are <b>degraded</b> — answered by fewer
 * retrievers than the request asked for.
 *
 * <p>Today one degradation exists: a {@link SearchRequest.Mode#HYBRID HYBRID} search whose query
 * could not be embedded (the embedder threw: a remote provider down, a circuit breaker open, a
 * time limit hit) is answered by the keyword retriever alone. Its hits are exactly what the same
 * request in {@link SearchRequest.Mode#KEYWORD KEYWORD} mode returns — scores are BM25 scores,
 * {@link Hit#foundByVector()} is false for every hit, and only chunks containing a query word
 * count as matching — so a host can show them, say that they are keyword-only, and not cache
 * them as a full answer. A VECTOR search cannot degrade: it fails with
 * {@link dev.docrag.core.embed.EmbedderException} instead.
 *
 * @param hits     best first, as {@link DocRag#search(SearchRequest)} returns them
 * @param degraded true when fewer retrievers answered than the request's mode names
 * @param reason   why, for an operator or a user-facing notice (the embedder's failure); empty
 *                 unless degraded
 */
public record SearchResult(List<Hit> hits, boolean degraded, Optional<String> reason) {
    public SearchResult {
        hits = List.copyOf(hits);
        Objects.requireNonNull(reason, "reason");
        if (degraded != reason.isPresent()) {
            throw new IllegalArgumentException("a degraded result needs a reason, and only a degraded one has one");
        }
    }

    /** A full answer: every retriever the request named took part. */
    public static SearchResult complete(List<Hit> hits) {
        return new SearchResult(hits, false, Optional.empty());
    }

    /** An answer from fewer retrievers than requested, because of {@code reason}. */
    public static SearchResult degraded(List<Hit> hits, String reason) {
        return new SearchResult(hits, true, Optional.of(reason));
    }
}
