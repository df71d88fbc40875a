package dev.docrag.index;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One search result: a chunk of a document, with every score that placed it.
 *
 * <p>Scores are higher-is-better and comparable only within one result list:
 * <ul>
 *   <li>{@code vectorScore}: the similarity of the query's embedding to the chunk's, as
 *       {@code (1 + cosine) / 2}, in [0, 1].</li>
 *   <li>{@code keywordScore}: Lucene's BM25 score of the query words over the chunk text, the
 *       document title and the heading breadcrumb; unbounded, ≥ 0.</li>
 *   <li>{@code score}: what the list is sorted by. Vector search: {@code vectorScore}; keyword
 *       search: {@code keywordScore}; hybrid search: the {@link Fusion} score (reciprocal rank
 *       fusion {@code sum 1/(k + rank)} by default, or the convex combination of normalised
 *       scores).</li>
 * </ul>
 * A retriever that did not return the chunk (the other one, in a single-mode search, or one of
 * the two in a hybrid search) leaves its score {@link Double#NaN} and its rank {@code -1}; test
 * with {@link #foundByVector()} and {@link #foundByKeyword()}. Ranks count from 1 within that
 * retriever's own candidate list, after the tenant, access and metadata constraints and before
 * per-document collapsing and pagination.
 *
 * @param tenant        the tenant owning the document
 * @param documentId    the document's id within its tenant (for files: the path relative to the
 *                      ingested folder)
 * @param source        where the document came from
 * @param title         the document's title
 * @param headings      the heading breadcrumb of the section the chunk belongs to, outermost
 *                      first (Markdown and HTML headings, or the sections a host gave); empty when
 *                      the document has no headings there
 * @param ordinal       the chunk's position within its document, from 0
 * @param start         offset of the chunk's first character in the document's extracted text
 * @param end           offset after its last character, so a host holding the text can show the
 *                      exact span with its surroundings
 * @param page          the page the chunk starts on, from 1; 0 when the source has no pages
 * @param text          the chunk's text, exactly as cut from the document
 * @param score         the score the list is sorted by (see above)
 * @param vectorScore   the vector retriever's score, or NaN
 * @param vectorRank    the vector retriever's rank, from 1, or -1
 * @param keywordScore  the keyword retriever's score, or NaN
 * @param keywordRank   the keyword retriever's rank, from 1, or -1
 * @param snippet       the excerpt to show, with matched words highlighted
 * @param metadata      the document's metadata, typed as described in {@link DocumentInput}
 */
public record Hit(String tenant, String documentId, String source, String title, List<String> headings, int ordinal,
                  int start, int end, int page, String text, double score, double vectorScore, int vectorRank, double keywordScore, int keywordRank,
                  Snippet snippet, Map<String, Object> metadata) {
    public Hit {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(documentId, "documentId");
        headings = List.copyOf(headings);
        metadata = Map.copyOf(metadata);
    }

    /** Whether the vector retriever returned this chunk. */
    public boolean foundByVector() {
        return vectorRank > 0;
    }

    /** Whether the keyword retriever returned this chunk. */
    public boolean foundByKeyword() {
        return keywordRank > 0;
    }
}
