package dev.docrag.index;

import java.util.Arrays;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What to search for, in which tenant, for whom. Immutable: every {@code with}-style method
 * returns a copy, so a request is built fluently and validated at each step; a bad value fails
 * at once with an {@link IllegalArgumentException} naming the parameter.
 *
 * <pre>{@code
 * SearchRequest request = SearchRequest.hybrid("how do I rotate logs?")
 *         .tenant("acme")                       // or .allTenants(); there is no third way
 *         .accessGroups("ops")                  // the caller's groups
 *         .filter(Filter.eq("lang", "en"))
 *         .maxChunksPerDocument(1)
 *         .k(5);
 * }</pre>
 *
 * <p><b>Tenant scope is not optional.</b> {@link #hybrid}, {@link #vector} and {@link #keyword}
 * return an {@link Unscoped} draft that {@link DocRag#search(SearchRequest)} does not accept;
 * only {@link Unscoped#tenant(String)} or the explicit {@link Unscoped#allTenants()} turn it into
 * a request. Forgetting the tenant is therefore a compile error, not a data leak.
 *
 * <p><b>Access.</b> A chunk whose document has no access groups is visible to every caller of its
 * tenant; a chunk with groups only to callers holding at least one of them. A request with no
 * {@link #accessGroups(String...) accessGroups} sees only unrestricted documents. Tenant, access
 * and {@link #filter(Filter) filter} are applied inside the index query on every retriever, never
 * to results after the fact, so they never shrink {@code k}.
 *
 * <p><b>Counting.</b> The search returns exactly {@code min(k, matching - offset)} hits (never
 * negative), where {@code matching} is the number of chunks the request may see — for vector and
 * hybrid search every chunk in scope, for keyword search those containing a query word — after
 * keeping at most {@link #maxChunksPerDocument(int)} per document. {@code offset} skips hits for
 * pagination; pages of the same request on an unchanged index neither overlap nor skip while
 * {@code offset + k} stays within {@value #STABLE_WINDOW} (beyond it, a hybrid search fetches
 * deeper candidate lists, which can reorder the fused list).
 */
public final class SearchRequest {
    /** The largest {@code k}, and the largest {@code offset + k}. */
    public static final int MAX_K = 10_000;
    /** Hybrid candidates fetched per retriever at least; pages within this window are stable. */
    public static final int STABLE_WINDOW = 100;

    /** Which retrievers answer a request. */
    public enum Mode {
        /** Nearest neighbours of the query's embedding on the HNSW graph (meaning). */
        VECTOR,
        /** BM25 over chunk text, document title and heading breadcrumb (words). */
        KEYWORD,
        /** Both, over the same snapshot, combined by a {@link Fusion}. */
        HYBRID
    }

    private final Mode mode;
    private final String text;
    private final float[] vector;
    private final String tenant; // null: all tenants
    private final Set<String> accessGroups;
    private final Filter filter;
    private final int k;
    private final int offset;
    private final int maxChunksPerDocument;
    private final Fusion fusion;

    private SearchRequest(Mode mode, String text, float[] vector, String tenant, Set<String> accessGroups,
                          Filter filter, int k, int offset, int maxChunksPerDocument, Fusion fusion) {
        this.mode = Objects.requireNonNull(mode, "mode");
        if (text == null && vector == null) {
            throw new IllegalArgumentException("a search needs query text or a query vector");
        }
        if (text == null && mode != Mode.VECTOR) {
            throw new IllegalArgumentException("query text is required for " + mode + " search; a query vector alone"
                    + " only serves VECTOR search");
        }
        if (k < 1 || k > MAX_K) {
            throw new IllegalArgumentException("k must be between 1 and " + MAX_K + ", got " + k);
        }
        if (offset < 0 || offset > MAX_K - k) {
            throw new IllegalArgumentException("offset must be at least 0 and offset + k at most " + MAX_K
                    + ", got offset " + offset + " with k " + k);
        }
        if (maxChunksPerDocument < 1) {
            throw new IllegalArgumentException("maxChunksPerDocument must be at least 1, got " + maxChunksPerDocument);
        }
        this.text = text;
        this.vector = vector;
        this.tenant = tenant;
        this.accessGroups = accessGroups;
        this.filter = filter;
        this.k = k;
        this.offset = offset;
        this.maxChunksPerDocument = maxChunksPerDocument;
        this.fusion = Objects.requireNonNull(fusion, "fusion");
    }

    /** Hybrid search for {@code text}: vector and keyword retrievers fused (RRF, k = 60, by default). */
    public static Unscoped hybrid(String text) {
        return new Unscoped(Mode.HYBRID, checkText(text), null);
    }

    /** Vector (semantic) search: {@code text} is embedded with the index's model. */
    public static Unscoped vector(String text) {
        return new Unscoped(Mode.VECTOR, checkText(text), null);
    }

    /**
     * Vector search with a query vector computed by the caller. It is normalised to unit length
     * (only its direction matters); its dimension must be the index model's.
     *
     * @throws IllegalArgumentException if a component is NaN or infinite, or all are zero
     */
    public static Unscoped vector(float[] queryVector) {
        return new Unscoped(Mode.VECTOR, null, checkVector(queryVector));
    }

    /** Keyword (BM25) search for {@code text}. */
    public static Unscoped keyword(String text) {
        return new Unscoped(Mode.KEYWORD, checkText(text), null);
    }

    /**
     * A search without its tenant scope yet. Not accepted by {@link DocRag#search(SearchRequest)};
     * choose a scope to get a {@link SearchRequest}.
     */
    public static final class Unscoped {
        private final Mode mode;
        private final String text;
        private final float[] vector;

        private Unscoped(Mode mode, String text, float[] vector) {
            this.mode = mode;
            this.text = text;
            this.vector = vector;
        }

        /** Searches only documents of {@code tenant}. */
        public SearchRequest tenant(String tenant) {
            return new SearchRequest(mode, text, vector, DocumentInput.checkTenant(tenant), Set.of(), null, 10, 0,
                    Integer.MAX_VALUE, Fusion.rrf());
        }

        /**
         * Searches every tenant's documents, for administration and tools that serve all tenants.
         * Access groups still apply.
         */
        public SearchRequest allTenants() {
            return new SearchRequest(mode, text, vector, null, Set.of(), null, 10, 0, Integer.MAX_VALUE, Fusion.rrf());
        }
    }

    private static String checkText(String text) {
        Objects.requireNonNull(text, "query text");
        if (text.isBlank()) {
            throw new IllegalArgumentException("query text must not be blank");
        }
        return text;
    }

    private static float[] checkVector(float[] v) {
        Objects.requireNonNull(v, "query vector");
        if (v.length == 0) {
            throw new IllegalArgumentException("query vector must not be empty");
        }
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new IllegalArgumentException("query vector[" + i + "] is " + v[i] + "; every component must be finite");
            }
            norm += (double) v[i] * v[i];
        }
        if (norm == 0) {
            throw new IllegalArgumentException("query vector must not be all zeros");
        }
        float[] unit = new float[v.length];
        double len = Math.sqrt(norm);
        for (int i = 0; i < v.length; i++) {
            unit[i] = (float) (v[i] / len);
        }
        return unit;
    }

    private SearchRequest with(Mode mode, Set<String> accessGroups, Filter filter, int k, int offset, int perDoc, Fusion fusion) {
        return new SearchRequest(mode, text, vector, tenant, accessGroups, filter, k, offset, perDoc, fusion);
    }

    /** This request returning at most {@code k} hits, 1..{@value #MAX_K} (default 10). */
    public SearchRequest k(int k) {
        return with(mode, accessGroups, filter, k, offset, maxChunksPerDocument, fusion);
    }

    /** This request skipping the first {@code offset} hits (default 0); {@code offset + k <= MAX_K}. */
    public SearchRequest offset(int offset) {
        return with(mode, accessGroups, filter, k, offset, maxChunksPerDocument, fusion);
    }

    /** This request on behalf of a caller holding {@code groups} (replacing any set before). */
    public SearchRequest accessGroups(String... groups) {
        return accessGroups(Arrays.asList(Objects.requireNonNull(groups, "accessGroups")));
    }

    /** This request on behalf of a caller holding {@code groups} (replacing any set before). */
    public SearchRequest accessGroups(Collection<String> groups) {
        return with(mode, DocumentInput.checkGroups("accessGroups", groups), filter, k, offset, maxChunksPerDocument, fusion);
    }

    /** This request restricted by a metadata filter (replacing any set before). */
    public SearchRequest filter(Filter filter) {
        return with(mode, accessGroups, Objects.requireNonNull(filter, "filter"), k, offset, maxChunksPerDocument, fusion);
    }

    /** This request keeping at most {@code n} chunks per document, the best ones (default: no limit). */
    public SearchRequest maxChunksPerDocument(int n) {
        return with(mode, accessGroups, filter, k, offset, n, fusion);
    }

    /** How a hybrid search fuses its retrievers (default {@link Fusion#rrf()}); ignored by the other modes. */
    public SearchRequest fusion(Fusion fusion) {
        return with(mode, accessGroups, filter, k, offset, maxChunksPerDocument, fusion);
    }

    /** This request with another mode; a vector-only request cannot become keyword or hybrid. */
    public SearchRequest mode(Mode mode) {
        return with(mode, accessGroups, filter, k, offset, maxChunksPerDocument, fusion);
    }

    public Mode mode() {
        return mode;
    }

    /** The query text; empty for a search by a caller's vector. */
    public Optional<String> text() {
        return Optional.ofNullable(text);
    }

    /** A copy of the caller's (normalised) query vector; empty when the text is embedded. */
    public Optional<float[]> vector() {
        return Optional.ofNullable(vector).map(float[]::clone);
    }

    float[] vectorUnsafe() {
        return vector;
    }

    /** The tenant searched; empty only for an {@link Unscoped#allTenants()} request. */
    public Optional<String> tenant() {
        return Optional.ofNullable(tenant);
    }

    public boolean isAllTenants() {
        return tenant == null;
    }

    public Set<String> accessGroups() {
        return accessGroups;
    }

    public Optional<Filter> filter() {
        return Optional.ofNullable(filter);
    }

    public int k() {
        return k;
    }

    public int offset() {
        return offset;
    }

    /** At most this many chunks per document; {@link Integer#MAX_VALUE} means no limit. */
    public int maxChunksPerDocument() {
        return maxChunksPerDocument;
    }

    public Fusion fusion() {
        return fusion;
    }

    @Override
    public String toString() {
        return "SearchRequest[" + mode + " " + (text != null ? '"' + text + '"' : "vector(" + vector.length + ")")
                + (tenant == null ? " all tenants" : " tenant=" + tenant) + " groups=" + accessGroups
                + (filter == null ? "" : " filter=" + filter) + " k=" + k + " offset=" + offset
                + (maxChunksPerDocument == Integer.MAX_VALUE ? "" : " perDoc=" + maxChunksPerDocument)
                + (mode == Mode.HYBRID ? " fusion=" + fusion : "") + "]";
    }
}
