package dev.docrag.examples.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import dev.docrag.index.DocRag;
import dev.docrag.index.DocRagStats;
import dev.docrag.index.DocumentInput;
import dev.docrag.index.Filter;
import dev.docrag.index.Hit;
import dev.docrag.index.SearchResult;
import dev.docrag.index.IngestReport;
import dev.docrag.index.SearchRequest;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Translates the service's JSON to DocRag's types and back. Requests are read from Jackson trees
 * rather than bound to classes so that every malformed field gets a message naming it.
 */
final class JsonApi {
    /** The largest {@code k} a client may ask for: larger pages only serve scrapers. */
    static final int MAX_K = 100;
    static final int MAX_DOCUMENTS_PER_CALL = 1000;

    private JsonApi() {
    }

    /** A parsed search: DocRag's request and the tenant it is scoped to. */
    record Search(SearchRequest request, String tenant) {
    }

    /**
     * {@code {"query": "...", "mode": "hybrid", "k": 10, "tenant": "acme", "filters": {...}}}.
     * Filters: an object whose fields are ANDed; a value is equality, an array is "one of", and
     * an object {@code {"gte": x, "lte": y}} an inclusive range.
     *
     * @param callerTenant the read key's tenant, which the request may repeat but not change;
     *                     null for a write key
     */
    static Search search(JsonNode body, String callerTenant) {
        object(body, "request body");
        String query = text(body, "query", true);
        if (query.isBlank()) {
            throw ApiError.badRequest("'query' must not be blank");
        }
        SearchRequest.Mode mode = SearchRequest.Mode.HYBRID;
        String m = text(body, "mode", false);
        if (m != null) {
            try {
                mode = SearchRequest.Mode.valueOf(m.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("'mode' must be vector, keyword or hybrid, got '" + m + "'");
            }
        }
        int k = 10;
        JsonNode kNode = body.get("k");
        if (kNode != null && !kNode.isNull()) {
            if (!kNode.canConvertToInt() || !kNode.isIntegralNumber() || kNode.intValue() < 1 || kNode.intValue() > MAX_K) {
                throw ApiError.badRequest("'k' must be an integer 1.." + MAX_K);
            }
            k = kNode.intValue();
        }
        String tenant = text(body, "tenant", false);
        if (callerTenant != null) {
            if (tenant != null && !tenant.equals(callerTenant)) {
                throw new ApiError(403, "forbidden", "this key may only search tenant '" + callerTenant + "'");
            }
            tenant = callerTenant;
        } else if (tenant == null) {
            tenant = DocRag.DEFAULT_TENANT;
        }
        SearchRequest request = switch (mode) {
            case VECTOR -> SearchRequest.vector(query).tenant(tenant);
            case KEYWORD -> SearchRequest.keyword(query).tenant(tenant);
            case HYBRID -> SearchRequest.hybrid(query).tenant(tenant);
        };
        // SearchRequest is immutable: each setter returns a new request.
        request = request.k(k);
        JsonNode filters = body.get("filters");
        if (filters != null && !filters.isNull()) {
            try {
                request = request.filter(filters(filters));
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest(e.getMessage());
            }
        }
        return new Search(request, tenant);
    }

    private static Filter filters(JsonNode node) {
        object(node, "'filters'");
        List<Filter> all = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String field = e.getKey();
            JsonNode v = e.getValue();
            if (v.isArray()) {
                List<Object> values = new ArrayList<>();
                v.forEach(x -> values.add(scalar(x, "filters." + field)));
                all.add(Filter.in(field, values));
            } else if (v.isObject()) {
                Object from = v.has("gte") ? scalar(v.get("gte"), "filters." + field + ".gte") : null;
                Object to = v.has("lte") ? scalar(v.get("lte"), "filters." + field + ".lte") : null;
                for (Iterator<String> names = v.fieldNames(); names.hasNext(); ) {
                    String n = names.next();
                    if (!n.equals("gte") && !n.equals("lte")) {
                        throw ApiError.badRequest("filters." + field + ": a range takes only 'gte' and 'lte', not '" + n + "'");
                    }
                }
                all.add(Filter.range(field, from, to));
            } else {
                all.add(Filter.eq(field, scalar(v, "filters." + field)));
            }
        }
        if (all.isEmpty()) {
            throw ApiError.badRequest("'filters' must name at least one field");
        }
        return all.size() == 1 ? all.get(0) : new Filter.And(all);
    }

    private static Object scalar(JsonNode v, String where) {
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return v.longValue();
        }
        if (v.isNumber()) {
            return v.doubleValue();
        }
        throw ApiError.badRequest(where + " must be a string or a number");
    }

    /**
     * {@code {"documents": [{"tenant", "id", "source", "title", "text" | "markdown", "metadata",
     * "accessGroups"}]}}; {@code tenant} defaults to {@code default}.
     */
    static List<DocumentInput> documents(JsonNode body) {
        object(body, "request body");
        JsonNode docs = body.get("documents");
        if (docs == null || !docs.isArray() || docs.isEmpty()) {
            throw ApiError.badRequest("'documents' must be a non-empty array");
        }
        if (docs.size() > MAX_DOCUMENTS_PER_CALL) {
            throw ApiError.badRequest("at most " + MAX_DOCUMENTS_PER_CALL + " documents per call, got " + docs.size());
        }
        List<DocumentInput> out = new ArrayList<>(docs.size());
        for (int i = 0; i < docs.size(); i++) {
            JsonNode d = docs.get(i);
            String where = "documents[" + i + "]";
            object(d, where);
            String tenant = text(d, "tenant", false);
            String id = text(d, "id", true);
            DocumentInput.Builder b = builder(where, tenant == null ? DocRag.DEFAULT_TENANT : tenant, id);
            String source = text(d, "source", false);
            if (source != null) {
                b.source(source);
            }
            String title = text(d, "title", false);
            if (title != null) {
                b.title(title);
            }
            String text = text(d, "text", false);
            String markdown = text(d, "markdown", false);
            if ((text == null) == (markdown == null)) {
                throw ApiError.badRequest(where + ": give exactly one of 'text' and 'markdown'");
            }
            if (text != null) {
                b.text(text);
            } else {
                b.markdown(markdown);
            }
            JsonNode meta = d.get("metadata");
            if (meta != null && !meta.isNull()) {
                object(meta, where + ".metadata");
                for (Map.Entry<String, JsonNode> e : meta.properties()) {
                    JsonNode v = e.getValue();
                    if (v.isArray()) {
                        List<String> values = new ArrayList<>();
                        v.forEach(x -> {
                            if (!x.isTextual()) {
                                throw ApiError.badRequest(where + ".metadata." + e.getKey() + ": list values must be strings");
                            }
                            values.add(x.textValue());
                        });
                        b.metadata(e.getKey(), values);
                    } else {
                        b.metadata(e.getKey(), scalar(v, where + ".metadata." + e.getKey()));
                    }
                }
            }
            JsonNode groups = d.get("accessGroups");
            if (groups != null && !groups.isNull()) {
                if (!groups.isArray()) {
                    throw ApiError.badRequest(where + ".accessGroups must be an array of strings");
                }
                List<String> g = new ArrayList<>();
                groups.forEach(x -> g.add(x.asText()));
                b.accessGroups(g);
            }
            try {
                out.add(b.build());
            } catch (IllegalArgumentException | NullPointerException e) {
                throw ApiError.badRequest(where + ": " + e.getMessage());
            }
        }
        return out;
    }

    private static DocumentInput.Builder builder(String where, String tenant, String id) {
        try {
            return DocumentInput.builder(tenant, id);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(where + ": " + e.getMessage());
        }
    }

    /**
     * A search's JSON; a degraded answer (hybrid answered keyword-only) also carries
     * {@code "degraded": true} and a fixed notice — the embedder's own message may name internal
     * hosts, so it goes to the log, not to clients.
     */
    static Map<String, Object> hits(SearchResult result, String tenant, String mode, long tookMs) {
        Map<String, Object> out = hits(result.hits(), tenant, mode, tookMs);
        if (result.degraded()) {
            out.put("degraded", true);
            out.put("notice", "keyword-only results: the embedding model is unavailable");
        }
        return out;
    }

    static Map<String, Object> hits(List<Hit> hits, String tenant, String mode, long tookMs) {
        List<Map<String, Object>> list = new ArrayList<>(hits.size());
        int rank = 1;
        for (Hit h : hits) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("rank", rank++);
            m.put("tenant", h.tenant());
            m.put("id", h.documentId());
            m.put("source", h.source());
            m.put("title", h.title());
            m.put("breadcrumb", h.headings());
            m.put("page", h.page() == 0 ? null : h.page());
            Map<String, Object> snippet = new LinkedHashMap<>();
            snippet.put("text", h.snippet().text());
            snippet.put("highlights", h.snippet().highlights().stream().map(s -> List.of(s.start(), s.end())).toList());
            m.put("snippet", snippet);
            m.put("score", finite(h.score()));
            m.put("vectorScore", finite(h.vectorScore()));
            m.put("keywordScore", finite(h.keywordScore()));
            m.put("metadata", h.metadata());
            list.add(m);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tenant", tenant);
        out.put("mode", mode);
        out.put("tookMs", tookMs);
        out.put("hits", list);
        return out;
    }

    static Map<String, Object> report(IngestReport r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("added", r.added());
        out.put("updated", r.updated());
        out.put("unchanged", r.unchanged());
        out.put("deleted", r.deleted());
        out.put("failed", r.failed());
        out.put("chunks", r.chunks());
        out.put("failures", r.failures().stream().map(f -> Map.of("source", String.valueOf(f.source()),
                "problem", String.valueOf(f.problem()), "message", String.valueOf(f.message()))).toList());
        return out;
    }

    static Map<String, Object> stats(DocRagStats s) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("documents", s.documents());
        out.put("chunks", s.chunks());
        out.put("indexBytes", s.indexBytes());
        out.put("segments", s.segments());
        out.put("searcherAgeMs", s.searcherAge().toMillis());
        out.put("warmed", s.warmed());
        return out;
    }

    private static Double finite(double d) {
        return Double.isFinite(d) ? d : null;
    }

    private static void object(JsonNode node, String what) {
        if (node == null || !node.isObject()) {
            throw ApiError.badRequest(what + " must be a JSON object");
        }
    }

    private static String text(JsonNode parent, String field, boolean required) {
        JsonNode v = parent.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw ApiError.badRequest("'" + field + "' is required");
            }
            return null;
        }
        if (v.getNodeType() != JsonNodeType.STRING) {
            throw ApiError.badRequest("'" + field + "' must be a string");
        }
        return v.textValue();
    }
}
