package dev.docrag.index;

import dev.docrag.core.Chunk;
import dev.docrag.core.Document;
import dev.docrag.core.chunk.Chunker;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Thousands of random searches over a random multi-tenant index, checked against a model of what
 * each caller may see: every hit must belong to the requested tenant, be accessible to the
 * caller's groups and satisfy the filter; and every search must return exactly
 * {@code min(k, matching - offset)} hits, where the model computes {@code matching} from the
 * chunks in scope (containing a query word, for keyword search), capped per document. Runs all
 * three modes, random filter trees over all metadata types, collapsing, pagination and both
 * fusions. The index is built, then partly rewritten and deleted, so stale chunks would show.
 *
 * <p>Uses {@link HashEmbedder} for speed; the model only needs to know which chunks exist. The
 * seed is printed in every failure: {@code -Dtests.seed=N} reproduces it, {@code -Dtests.searches}
 * changes the number of searches (default 3000).
 */
class TenantIsolationPropertyTest {
    /** NATO words: no stop words, and English stemming maps each to its own distinct term. */
    static final List<String> VOCABULARY = List.of("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
            "hotel", "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo",
            "sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu");
    static final List<String> TENANTS = List.of("acme", "globex", "initech", "umbrella");
    static final List<String> GROUPS = List.of("g0", "g1", "g2", "g3", "g4", "g5");
    static final List<String> LANGS = List.of("en", "de", "fr");
    static final List<String> TAGS = List.of("a", "b", "c", "d");
    static final Instant EPOCH = Instant.parse("2020-01-01T00:00:00Z");

    record Doc(DocumentInput input, List<Set<String>> chunkWords) {
        String tenant() {
            return input.tenant();
        }

        Map<String, Object> meta() {
            return input.metadata();
        }
    }

    private final Map<String, Doc> model = new LinkedHashMap<>(); // by tenant + NUL + id
    private Chunker chunker;

    @Test
    void randomSearchesNeverLeakAndHonourK(@TempDir Path dir) throws IOException {
        long seed = TestSeeds.seed();
        String why = TestSeeds.describe(seed);
        Random rnd = new Random(seed);
        int searches = Integer.getInteger("tests.searches", 3000);
        checkVocabularyStemsApart();

        try (HashEmbedder embedder = new HashEmbedder();
             DocRag rag = DocRag.builder().directory(dir).embedder(embedder).build()) {
            chunker = DocRag.chunker(embedder); // the chunks DocRag cuts
            // Build: 240 documents over 4 tenants; ids repeat across tenants on purpose.
            List<DocumentInput> batch = new ArrayList<>();
            for (int i = 0; i < 240; i++) {
                DocumentInput d = randomDoc(rnd, TENANTS.get(rnd.nextInt(TENANTS.size())), "doc-" + rnd.nextInt(150), i == 0);
                batch.add(d);
                if (batch.size() == 60) {
                    upsert(rag, batch, why);
                    batch.clear();
                }
            }
            upsert(rag, batch, why);
            // Rewrite a quarter (new text, groups, metadata), delete some by id and by filter.
            List<Doc> docs = new ArrayList<>(model.values());
            for (Doc d : docs) {
                if (rnd.nextInt(4) == 0) {
                    batch.add(randomDoc(rnd, d.tenant(), d.input().id(), false));
                }
            }
            upsert(rag, batch, why);
            batch.clear();
            for (Doc d : docs) {
                if (rnd.nextInt(15) == 0 && model.remove(ChunkIndex.key(d.tenant(), d.input().id())) != null) {
                    assertThat(rag.delete(d.tenant(), d.input().id())).as(why).isTrue();
                }
            }
            String victim = TENANTS.get(rnd.nextInt(TENANTS.size()));
            Filter deleteFilter = Filter.and(Filter.eq("lang", "fr"), Filter.atLeast("year", 2020));
            int expectedDeleted = 0;
            for (var it = model.values().iterator(); it.hasNext(); ) {
                Doc d = it.next();
                if (d.tenant().equals(victim) && matches(deleteFilter, d.meta())) {
                    it.remove();
                    expectedDeleted++;
                }
            }
            assertThat(rag.delete(victim, deleteFilter)).as(why).isEqualTo(expectedDeleted);
            assertThat(rag.documentCount()).as(why).isEqualTo(model.size());

            // Search.
            long hitsChecked = 0;
            Map<SearchRequest.Mode, Integer> nonEmpty = new HashMap<>();
            for (int n = 0; n < searches; n++) {
                SearchRequest.Mode mode = SearchRequest.Mode.values()[rnd.nextInt(3)];
                List<String> words = new ArrayList<>();
                for (int w = 1 + rnd.nextInt(3); w > 0; w--) {
                    words.add(VOCABULARY.get(rnd.nextInt(VOCABULARY.size())));
                }
                String text = String.join(" ", words);
                SearchRequest.Unscoped draft = switch (mode) {
                    case VECTOR -> rnd.nextInt(5) == 0 ? SearchRequest.vector(randomVector(rnd)) : SearchRequest.vector(text);
                    case KEYWORD -> SearchRequest.keyword(text);
                    case HYBRID -> SearchRequest.hybrid(text);
                };
                int scopeDraw = rnd.nextInt(20);
                String tenant = scopeDraw < 2 ? null : scopeDraw == 2 ? "nobody" : TENANTS.get(rnd.nextInt(TENANTS.size()));
                SearchRequest r = tenant == null ? draft.allTenants() : draft.tenant(tenant);
                Set<String> callerGroups = new TreeSet<>();
                for (int g = rnd.nextInt(4); g > 0; g--) {
                    callerGroups.add(rnd.nextInt(8) == 0 ? "g-unused" : GROUPS.get(rnd.nextInt(GROUPS.size())));
                }
                r = r.accessGroups(callerGroups);
                Filter filter = rnd.nextInt(10) < 6 ? randomFilter(rnd, 2) : null;
                if (filter != null) {
                    r = r.filter(filter);
                }
                int k = rnd.nextInt(10) == 0 ? 1 + rnd.nextInt(400) : 1 + rnd.nextInt(40);
                int offset = rnd.nextInt(10) < 7 ? 0 : rnd.nextInt(30);
                int perDoc = rnd.nextInt(10) < 7 ? Integer.MAX_VALUE : 1 + rnd.nextInt(3);
                r = r.k(k).offset(offset).maxChunksPerDocument(perDoc);
                if (mode == SearchRequest.Mode.HYBRID) {
                    r = r.fusion(rnd.nextBoolean() ? Fusion.rrf(1 + rnd.nextInt(100)) : Fusion.convex(rnd.nextDouble()));
                }
                String what = why + ", search #" + n + " " + r;

                List<Hit> hits = rag.search(r);

                Set<String> queryWords = mode == SearchRequest.Mode.KEYWORD ? new HashSet<>(words) : null;
                int matching = 0;
                for (Doc d : model.values()) {
                    if (!visible(d, tenant, callerGroups, filter)) {
                        continue;
                    }
                    int chunks = 0;
                    for (Set<String> cw : d.chunkWords()) {
                        if (queryWords == null || cw.stream().anyMatch(queryWords::contains)) {
                            chunks++;
                        }
                    }
                    matching += Math.min(chunks, perDoc);
                }
                int expected = Math.max(0, Math.min(k, matching - offset));
                assertThat(hits).as("hit count of %s (matching %d)", what, matching).hasSize(expected);

                Map<String, Integer> perDocument = new HashMap<>();
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < hits.size(); i++) {
                    Hit h = hits.get(i);
                    Doc d = model.get(ChunkIndex.key(h.tenant(), h.documentId()));
                    if (d == null) {
                        fail("hit %s/%s#%d is not (or no longer) in the model: %s", h.tenant(), h.documentId(), h.ordinal(), what);
                    }
                    if (tenant != null && !h.tenant().equals(tenant)) {
                        fail("tenant leak: hit of %s for a request of %s: %s", h.tenant(), tenant, what);
                    }
                    if (!accessible(d, callerGroups)) {
                        fail("access leak: %s/%s has groups %s, caller %s: %s", h.tenant(), h.documentId(),
                                d.input().accessGroups(), callerGroups, what);
                    }
                    if (filter != null && !matches(filter, d.meta())) {
                        fail("filter leak: %s/%s metadata %s does not match %s: %s", h.tenant(), h.documentId(), d.meta(), filter, what);
                    }
                    assertThat(h.ordinal()).as(what).isLessThan(d.chunkWords().size());
                    if (queryWords != null) {
                        assertThat(d.chunkWords().get(h.ordinal())).as("keyword hit must contain a query word: %s", what)
                                .containsAnyElementsOf(queryWords);
                    }
                    assertThat(seen.add(h.tenant() + "\0" + h.documentId() + "#" + h.ordinal())).as("duplicate hit: %s", what).isTrue();
                    assertThat(perDocument.merge(h.tenant() + "\0" + h.documentId(), 1, Integer::sum))
                            .as("chunks per document: %s", what).isLessThanOrEqualTo(perDoc);
                    if (i > 0) {
                        assertThat(h.score()).as("scores descending: %s", what).isLessThanOrEqualTo(hits.get(i - 1).score());
                    }
                    assertThat(h.metadata()).as("metadata round trip: %s", what).isEqualTo(d.meta());
                }
                hitsChecked += hits.size();
                if (!hits.isEmpty()) {
                    nonEmpty.merge(mode, 1, Integer::sum);
                }
            }
            assertThat(hitsChecked).as("the random searches must actually return hits: %s", why).isGreaterThan(searches * 3L);
            assertThat(nonEmpty).as("every mode returned hits: %s", why).containsKeys(SearchRequest.Mode.values());
        }
    }

    private void upsert(DocRag rag, List<DocumentInput> batch, String why) {
        IngestReport report = rag.upsert(batch);
        assertThat(report.failures()).as(why).isEmpty();
        for (DocumentInput d : batch) {
            List<Chunk> chunks = chunker.chunk(new Document(d.id(), d.source(), d.title(), d.text(), Map.of()));
            List<Set<String>> words = chunks.stream()
                    .map(c -> Set.copyOf(List.of(c.text().split("\\s+"))))
                    .toList();
            model.put(ChunkIndex.key(d.tenant(), d.id()), new Doc(d, words));
        }
    }

    private static DocumentInput randomDoc(Random rnd, String tenant, String id, boolean allFields) {
        DocumentInput.Builder b = DocumentInput.builder(tenant, id).title("Doc " + id);
        StringBuilder text = new StringBuilder();
        for (int p = 1 + rnd.nextInt(4); p > 0; p--) {
            for (int w = 8 + rnd.nextInt(14); w > 0; w--) {
                text.append(VOCABULARY.get(rnd.nextInt(VOCABULARY.size()))).append(' ');
            }
            text.append("\n\n");
        }
        b.text(text.toString());
        if (rnd.nextInt(3) > 0) {
            for (int g = 1 + rnd.nextInt(2); g > 0; g--) {
                b.accessGroups(GROUPS.get(rnd.nextInt(GROUPS.size())));
            }
        }
        if (allFields || rnd.nextInt(5) > 0) {
            b.metadata("lang", LANGS.get(rnd.nextInt(LANGS.size())));
        }
        if (allFields || rnd.nextInt(5) > 0) {
            List<String> tags = TAGS.stream().filter(t -> rnd.nextInt(3) == 0).toList();
            b.metadata("tags", allFields && tags.isEmpty() ? List.of("a") : tags);
        }
        if (allFields || rnd.nextInt(10) > 0) {
            b.metadata("year", 2000 + rnd.nextInt(25));
        }
        if (allFields || rnd.nextInt(10) > 2) {
            b.metadata("rating", rnd.nextInt(11) / 2.0);
        }
        if (allFields || rnd.nextInt(10) > 2) {
            b.metadata("published", EPOCH.plusSeconds(86_400L * rnd.nextInt(1000)));
        }
        return b.build();
    }

    private static float[] randomVector(Random rnd) {
        float[] v = new float[HashEmbedder.DIMENSION];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    private static Filter randomFilter(Random rnd, int depth) {
        int kind = rnd.nextInt(depth > 0 ? 9 : 6);
        return switch (kind) {
            case 0 -> Filter.eq("lang", rnd.nextInt(6) == 0 ? "xx" : LANGS.get(rnd.nextInt(LANGS.size())));
            case 1 -> Filter.in("tags", TAGS.get(rnd.nextInt(TAGS.size())), rnd.nextBoolean() ? "e" : TAGS.get(rnd.nextInt(TAGS.size())));
            case 2 -> {
                int from = 2000 + rnd.nextInt(25);
                yield switch (rnd.nextInt(4)) {
                    case 0 -> Filter.range("year", from, from + rnd.nextInt(10));
                    case 1 -> Filter.atLeast("year", from);
                    case 2 -> Filter.range("year", from - 0.5, from + 3.5); // non-integral bounds on a LONG field
                    default -> rnd.nextBoolean() ? Filter.eq("year", from) : Filter.in("year", from, from + 1, from + 2);
                };
            }
            case 3 -> rnd.nextBoolean() ? Filter.eq("rating", rnd.nextInt(11) / 2.0)
                    : Filter.range("rating", rnd.nextInt(6) / 1.0, rnd.nextBoolean() ? null : 5.0);
            case 4 -> {
                Instant from = EPOCH.plusSeconds(86_400L * rnd.nextInt(1000));
                yield rnd.nextBoolean() ? Filter.range("published", from, from.plusSeconds(86_400L * rnd.nextInt(400)))
                        : Filter.atMost("published", from);
            }
            case 5 -> Filter.eq("tags", TAGS.get(rnd.nextInt(TAGS.size())));
            case 6 -> Filter.and(randomFilter(rnd, depth - 1), randomFilter(rnd, depth - 1));
            case 7 -> Filter.or(randomFilter(rnd, depth - 1), randomFilter(rnd, depth - 1), randomFilter(rnd, depth - 1));
            default -> Filter.not(randomFilter(rnd, depth - 1));
        };
    }

    private static boolean visible(Doc d, String tenant, Set<String> groups, Filter filter) {
        return (tenant == null || d.tenant().equals(tenant)) && accessible(d, groups) && (filter == null || matches(filter, d.meta()));
    }

    private static boolean accessible(Doc d, Set<String> groups) {
        Set<String> acl = d.input().accessGroups();
        return acl.isEmpty() || acl.stream().anyMatch(groups::contains);
    }

    /** The documented filter semantics, evaluated on the model. */
    static boolean matches(Filter f, Map<String, Object> meta) {
        return switch (f) {
            case Filter.Eq eq -> valuesOf(meta.get(eq.field())).stream().anyMatch(v -> same(v, eq.value()));
            case Filter.In in -> valuesOf(meta.get(in.field())).stream().anyMatch(v -> in.values().stream().anyMatch(x -> same(v, x)));
            case Filter.Range r -> valuesOf(meta.get(r.field())).stream().anyMatch(v ->
                    (r.from() == null || compare(v, r.from()) >= 0) && (r.to() == null || compare(v, r.to()) <= 0));
            case Filter.And and -> and.filters().stream().allMatch(c -> matches(c, meta));
            case Filter.Or or -> or.filters().stream().anyMatch(c -> matches(c, meta));
            case Filter.Not not -> !matches(not.filter(), meta);
        };
    }

    private static List<?> valuesOf(Object v) {
        return v == null ? List.of() : v instanceof List<?> l ? l : List.of(v);
    }

    private static boolean same(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return x.doubleValue() == y.doubleValue();
        }
        return a.equals(b);
    }

    private static int compare(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return Double.compare(x.doubleValue(), y.doubleValue());
        }
        return ((Instant) a).compareTo((Instant) b);
    }

    /** The model counts a chunk as matching a word when it contains the word: true only if stems are distinct. */
    private static void checkVocabularyStemsApart() throws IOException {
        Set<String> stems = new HashSet<>();
        try (EnglishAnalyzer analyzer = new EnglishAnalyzer()) {
            for (String w : VOCABULARY) {
                try (TokenStream ts = analyzer.tokenStream("text", w)) {
                    CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
                    ts.reset();
                    assertThat(ts.incrementToken()).as("'%s' is not a stop word", w).isTrue();
                    assertThat(stems.add(term.toString())).as("stem of '%s' is its own", w).isTrue();
                    ts.end();
                }
            }
        }
    }
}
