package dev.docrag.index;

import dev.docrag.core.DocRagException;
import dev.docrag.core.embed.OnnxEmbedder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The search surface end to end with the real MiniLM model: tenants, access groups, metadata
 * filters in every mode, per-retriever scores and ranks, fusion, snippets, headings, collapsing,
 * pagination, the write API, and the errors bad requests get.
 */
class SearchSurfaceTest {
    static final String ACME = "acme";
    static final String GLOBEX = "globex";

    private static OnnxEmbedder embedder;
    private static DocRag rag;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void buildIndex() {
        embedder = OnnxEmbedder.allMiniLmL6V2();
        rag = DocRag.builder().directory(tmp.resolve("shared")).embedder(embedder).build();
        StringBuilder longText = new StringBuilder("# Logging guide\n\n");
        String[] topics = {"rotation", "retention", "compression", "shipping", "alerting", "sampling", "formats", "levels"};
        for (String topic : topics) {
            longText.append("## Log ").append(topic).append("\n\n");
            for (int s = 0; s < 9; s++) {
                longText.append("The ").append(topic).append(" of application logs is configured per service, and log ")
                        .append(topic).append(" settings are reviewed by the platform team every quarter. ");
            }
            longText.append("\n\n");
        }
        IngestReport report = rag.upsert(List.of(
                DocumentInput.builder(ACME, "handbook/logging").title("Log rotation")
                        .markdown("# Operations\n\n## Log rotation\n\nApplication logs are rotated nightly and compressed. Archives "
                                + "older than fourteen days are deleted to free disk space.")
                        .metadata("lang", "en").metadata("tags", List.of("ops", "logging")).metadata("year", 2024)
                        .metadata("rating", 4.5).metadata("published", Instant.parse("2024-03-01T00:00:00Z")).build(),
                DocumentInput.builder(ACME, "handbook/backups").title("Database backups")
                        .text("A snapshot of the PostgreSQL database is taken every six hours and copied offsite. To restore, "
                                + "stop the service and load the newest snapshot with pg_restore.")
                        .metadata("lang", "en").metadata("tags", List.of("ops")).metadata("year", 2022)
                        .metadata("rating", 3.0).metadata("published", Instant.parse("2022-06-15T00:00:00Z"))
                        .accessGroups("sre").build(),
                DocumentInput.builder(ACME, "handbook/salaries").title("Salary bands")
                        .text("Salary bands and bonus payments are reviewed every April by the compensation committee.")
                        .metadata("lang", "en").metadata("tags", List.of("hr")).metadata("year", 2023)
                        .accessGroups("hr", "finance").build(),
                DocumentInput.builder(ACME, "handbook/urlaub").title("Urlaub")
                        .text("Mitarbeiter haben dreißig Tage Urlaub im Jahr. Urlaub wird im Personalportal beantragt.")
                        .metadata("lang", "de").metadata("tags", List.of("hr")).metadata("year", 2021).build(),
                DocumentInput.builder(ACME, "guides/logging-long").title("Logging guide").markdown(longText.toString())
                        .metadata("lang", "en").metadata("tags", List.of("ops", "logging")).metadata("year", 2020).build(),
                DocumentInput.builder(GLOBEX, "handbook/logging").title("Log policy")
                        .text("Globex keeps every application log forever on tape in the basement vault.")
                        .metadata("lang", "en").metadata("year", 2019).build()));
        assertThat(report.failures()).isEmpty();
        assertThat(report.added()).isEqualTo(6);
        assertThat(rag.chunkCount(ACME, "guides/logging-long")).as("the long guide spans several chunks").isGreaterThan(3);
    }

    @AfterAll
    static void close() {
        rag.close();
        embedder.close();
    }

    static SearchRequest.Unscoped draft(SearchRequest.Mode mode, String query) {
        return switch (mode) {
            case VECTOR -> SearchRequest.vector(query);
            case KEYWORD -> SearchRequest.keyword(query);
            case HYBRID -> SearchRequest.hybrid(query);
        };
    }

    private static List<String> ids(List<Hit> hits) {
        return hits.stream().map(Hit::documentId).distinct().toList();
    }

    @ParameterizedTest
    @EnumSource(SearchRequest.Mode.class)
    void everyModeStaysInsideItsTenant(SearchRequest.Mode mode) {
        String q = "how long are application logs kept";
        List<Hit> acme = rag.search(draft(mode, q).tenant(ACME).k(50));
        List<Hit> globex = rag.search(draft(mode, q).tenant(GLOBEX).k(50));
        List<Hit> all = rag.search(draft(mode, q).allTenants().k(50));
        List<Hit> nobody = rag.search(draft(mode, q).tenant("initech").k(50));
        assertThat(acme).isNotEmpty().allSatisfy(h -> assertThat(h.tenant()).isEqualTo(ACME));
        assertThat(globex).isNotEmpty().allSatisfy(h -> assertThat(h.tenant()).isEqualTo(GLOBEX));
        assertThat(globex).extracting(Hit::text).allMatch(t -> t.contains("tape"));
        assertThat(all).extracting(Hit::tenant).contains(ACME, GLOBEX);
        assertThat(nobody).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(SearchRequest.Mode.class)
    void accessGroupsHideRestrictedDocumentsInEveryMode(SearchRequest.Mode mode) {
        String q = "salary bands bonus payments database snapshot";
        assertThat(ids(rag.search(draft(mode, q).tenant(ACME).k(50))))
                .as("a caller without groups sees only unrestricted documents")
                .doesNotContain("handbook/salaries", "handbook/backups");
        assertThat(ids(rag.search(draft(mode, q).tenant(ACME).accessGroups("sre").k(50))))
                .contains("handbook/backups").doesNotContain("handbook/salaries");
        List<Hit> hr = rag.search(draft(mode, q).tenant(ACME).accessGroups("finance", "nobody").k(3));
        assertThat(hr).isNotEmpty();
        assertThat(hr.get(0).documentId()).as("one matching group is enough").isEqualTo("handbook/salaries");
        assertThat(ids(rag.search(draft(mode, q).allTenants().k(50))))
                .as("all tenants still applies access").doesNotContain("handbook/salaries");
    }

    @ParameterizedTest
    @EnumSource(SearchRequest.Mode.class)
    void metadataFiltersApplyInEveryMode(SearchRequest.Mode mode) {
        String q = "logs vacation backups salary Urlaub";
        SearchRequest base = draft(mode, q).tenant(ACME).accessGroups("sre", "hr").k(50);
        assertThat(ids(rag.search(base.filter(Filter.eq("lang", "de"))))).containsExactly("handbook/urlaub");
        assertThat(ids(rag.search(base.filter(Filter.eq("tags", "logging")))))
                .containsExactlyInAnyOrder("handbook/logging", "guides/logging-long");
        assertThat(ids(rag.search(base.filter(Filter.in("tags", "hr", "nothing")))))
                .containsExactlyInAnyOrder("handbook/salaries", "handbook/urlaub");
        assertThat(ids(rag.search(base.filter(Filter.range("year", 2022, 2023)))))
                .containsExactlyInAnyOrder("handbook/backups", "handbook/salaries");
        assertThat(ids(rag.search(base.filter(Filter.atLeast("rating", 4)))))
                .containsExactly("handbook/logging");
        assertThat(ids(rag.search(base.filter(Filter.range("published", Instant.parse("2022-01-01T00:00:00Z"), null)))))
                .containsExactlyInAnyOrder("handbook/logging", "handbook/backups");
        assertThat(ids(rag.search(base.filter(Filter.not(Filter.eq("lang", "en")))))).containsExactly("handbook/urlaub");
        assertThat(ids(rag.search(base.filter(Filter.not(Filter.atLeast("rating", 0))))))
                .as("not() includes documents without the field")
                .containsExactlyInAnyOrder("handbook/salaries", "handbook/urlaub", "guides/logging-long");
        assertThat(ids(rag.search(base.filter(Filter.or(Filter.eq("lang", "de"),
                Filter.and(Filter.eq("tags", "ops"), Filter.atMost("year", 2020)))))))
                .containsExactlyInAnyOrder("handbook/urlaub", "guides/logging-long");
    }

    @Test
    void hitsReportEachRetrieversScoreAndRank() {
        String q = "logs rotated nightly";
        List<Hit> vector = rag.search(SearchRequest.vector(q).tenant(ACME).k(5));
        List<Hit> keyword = rag.search(SearchRequest.keyword(q).tenant(ACME).k(5));
        List<Hit> hybrid = rag.search(SearchRequest.hybrid(q).tenant(ACME).k(10));
        for (int i = 0; i < vector.size(); i++) {
            Hit h = vector.get(i);
            assertThat(h.vectorRank()).isEqualTo(i + 1);
            assertThat(h.score()).isEqualTo(h.vectorScore()).isBetween(0.0, 1.0);
            assertThat(h.keywordRank()).isEqualTo(-1);
            assertThat(h.keywordScore()).isNaN();
            assertThat(h.foundByKeyword()).isFalse();
        }
        for (int i = 0; i < keyword.size(); i++) {
            Hit h = keyword.get(i);
            assertThat(h.keywordRank()).isEqualTo(i + 1);
            assertThat(h.score()).isEqualTo(h.keywordScore()).isPositive();
            assertThat(h.vectorRank()).isEqualTo(-1);
            assertThat(h.vectorScore()).isNaN();
        }
        assertThat(hybrid).anyMatch(h -> h.foundByVector() && h.foundByKeyword());
        for (Hit h : hybrid) {
            double expected = (h.foundByVector() ? 1.0 / (60 + h.vectorRank()) : 0)
                    + (h.foundByKeyword() ? 1.0 / (60 + h.keywordRank()) : 0);
            assertThat(h.score()).as("RRF score of %s#%d", h.documentId(), h.ordinal()).isCloseTo(expected, within(1e-12));
            if (!h.foundByKeyword()) {
                assertThat(h.keywordScore()).isNaN();
            }
        }
        // The top of each retriever's list is the same chunk it ranks first on its own.
        Hit bestByVector = hybrid.stream().filter(h -> h.vectorRank() == 1).findFirst().orElseThrow();
        assertThat(bestByVector.text()).isEqualTo(vector.get(0).text());

        // Convex with weight 1 orders by meaning alone, with weight 0 by words alone (ties aside).
        List<Hit> meaningOnly = rag.search(SearchRequest.hybrid(q).tenant(ACME).fusion(Fusion.convex(1)).k(5));
        assertThat(meaningOnly.get(0).text()).isEqualTo(vector.get(0).text());
        assertThat(meaningOnly.get(0).score()).isCloseTo(1.0, within(1e-9));
        for (int i = 1; i < meaningOnly.size(); i++) {
            assertThat(meaningOnly.get(i).vectorScore()).isLessThanOrEqualTo(meaningOnly.get(i - 1).vectorScore());
        }
        List<Hit> wordsOnly = rag.search(SearchRequest.hybrid(q).tenant(ACME).fusion(Fusion.convex(0)).k(keyword.size()));
        assertThat(wordsOnly.get(0).text()).isEqualTo(keyword.get(0).text());
        for (int i = 1; i < wordsOnly.size(); i++) {
            assertThat(wordsOnly.get(i).keywordScore()).isLessThanOrEqualTo(wordsOnly.get(i - 1).keywordScore());
        }
        Hit mixed = rag.search(SearchRequest.hybrid(q).tenant(ACME).fusion(Fusion.convex(0.3)).k(1)).get(0);
        assertThat(mixed.score()).isBetween(0.0, 1.0);
        List<Hit> flat = rag.search(SearchRequest.hybrid(q).tenant(ACME).fusion(Fusion.rrf(1000)).k(10));
        assertThat(flat.get(0).score()).isLessThan(hybrid.get(0).score());
    }

    @Test
    void aQueryVectorFromTheCallerSearchesLikeTheText() {
        String q = "where do old archives go";
        List<Hit> byText = rag.search(SearchRequest.vector(q).tenant(ACME).k(4));
        float[] v = embedder.embedQuery(q);
        for (int i = 0; i < v.length; i++) {
            v[i] *= 3; // length does not matter: DocRag normalises
        }
        List<Hit> byVector = rag.search(SearchRequest.vector(v).tenant(ACME).k(4));
        assertThat(byVector).extracting(Hit::text).containsExactlyElementsOf(byText.stream().map(Hit::text).toList());
        assertThat(byVector.get(0).snippet().highlights()).as("no text, nothing to highlight").isEmpty();
    }

    @Test
    void snippetsHighlightTheMatchedWordsAndHeadingsAreKept() {
        Hit top = rag.search(SearchRequest.keyword("rotating log archives").tenant(ACME).k(1)).get(0);
        assertThat(top.documentId()).isEqualTo("handbook/logging");
        assertThat(top.headings()).containsExactly("Operations", "Log rotation");
        Snippet s = top.snippet();
        assertThat(top.text().substring(s.start(), s.start() + s.text().length())).isEqualTo(s.text());
        List<String> marked = s.highlights().stream().map(sp -> s.text().substring(sp.start(), sp.end())).toList();
        assertThat(marked).as("stemmed matches: rotating ~ rotated, log ~ logs").contains("rotated", "logs", "Archives");
        assertThat(s.marked("<b>", "</b>")).contains("<b>rotated</b>");

        Hit deep = rag.search(SearchRequest.keyword("sampling").tenant(ACME).k(1)).get(0);
        assertThat(deep.documentId()).isEqualTo("guides/logging-long");
        assertThat(deep.headings()).containsExactly("Logging guide", "Log sampling");
        assertThat(deep.end() - deep.start()).as("the hit names its span in the document").isEqualTo(deep.text().length());
        assertThat(deep.start()).isPositive();
        assertThat(deep.page()).as("not a paginated source").isZero();
        assertThat(deep.snippet().text().length()).isLessThanOrEqualTo(240);
        assertThat(deep.snippet().highlights()).isNotEmpty().allSatisfy(sp ->
                assertThat(deep.snippet().text().substring(sp.start(), sp.end())).isEqualToIgnoringCase("sampling"));
    }

    @Test
    void collapsingKeepsAtMostNChunksPerDocumentAndKStaysExact() {
        SearchRequest q = SearchRequest.keyword("application logs configured per service").tenant(ACME);
        List<Hit> all = rag.search(q.k(8));
        assertThat(all).hasSize(8);
        assertThat(all.stream().filter(h -> h.documentId().equals("guides/logging-long")).count()).isGreaterThan(1);
        List<Hit> one = rag.search(q.maxChunksPerDocument(1).k(8));
        assertThat(one).extracting(Hit::documentId).doesNotHaveDuplicates().hasSize(2); // only two documents match
        List<Hit> two = rag.search(SearchRequest.vector("logs").tenant(ACME).maxChunksPerDocument(2).k(5));
        assertThat(two).as("1 + 1 + 2: the documents a caller without groups may see").hasSize(4);
        assertThat(rag.search(SearchRequest.vector("logs").tenant(ACME).accessGroups("hr", "sre").maxChunksPerDocument(2).k(5)))
                .hasSize(5);
        Map<String, Long> perDoc = two.stream().collect(Collectors.groupingBy(Hit::documentId, Collectors.counting()));
        assertThat(perDoc.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(2));
    }

    @ParameterizedTest
    @EnumSource(SearchRequest.Mode.class)
    void pagesJoinUpToTheWholeList(SearchRequest.Mode mode) {
        SearchRequest q = draft(mode, "log settings reviewed").tenant(ACME).accessGroups("sre", "hr");
        List<Hit> whole = rag.search(q.k(9));
        List<Hit> pages = new ArrayList<>();
        for (int offset = 0; offset < 9; offset += 3) {
            pages.addAll(rag.search(q.offset(offset).k(3)));
        }
        assertThat(pages).extracting(h -> h.documentId() + "#" + h.ordinal())
                .containsExactlyElementsOf(whole.stream().map(h -> h.documentId() + "#" + h.ordinal()).toList());
        int total = rag.search(q.k(1000)).size();
        assertThat(rag.search(q.offset(total - 1).k(10))).hasSize(1);
        assertThat(rag.search(q.offset(total).k(10))).isEmpty();
    }

    @Test
    void hitsCarryTypedMetadata() {
        Hit h = rag.search(SearchRequest.keyword("fourteen days").tenant(ACME).k(1)).get(0);
        assertThat(h.metadata()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "lang", "en", "tags", List.of("ops", "logging"), "year", 2024L, "rating", 4.5,
                "published", Instant.parse("2024-03-01T00:00:00Z"), "type", "markdown"));
        assertThat(rag.metadataFields()).containsEntry("lang", MetadataType.STRING).containsEntry("tags", MetadataType.STRING_LIST)
                .containsEntry("year", MetadataType.LONG).containsEntry("rating", MetadataType.DOUBLE)
                .containsEntry("published", MetadataType.INSTANT);
    }

    @Test
    void badRequestsFailWithTheParameterNamed() {
        SearchRequest ok = SearchRequest.hybrid("logs").tenant(ACME);
        assertThatThrownBy(() -> SearchRequest.keyword("")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("query text");
        assertThatThrownBy(() -> SearchRequest.vector(" \n")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("query text");
        for (int k : new int[] {0, -1, 1_000_000_000, Integer.MIN_VALUE}) {
            assertThatThrownBy(() -> ok.k(k)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("k must").hasMessageContaining(Integer.toString(k));
        }
        assertThatThrownBy(() -> ok.offset(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset");
        assertThatThrownBy(() -> ok.k(5000).offset(6000)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset + k");
        assertThatThrownBy(() -> ok.maxChunksPerDocument(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxChunksPerDocument");
        assertThatThrownBy(() -> SearchRequest.vector(new float[] {1, Float.NaN, 0})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("query vector[1] is NaN");
        assertThatThrownBy(() -> SearchRequest.vector(new float[] {0, 0})).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("all zeros");
        assertThatThrownBy(() -> rag.search(SearchRequest.vector(new float[] {1, 2, 3}).tenant(ACME)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("query vector has 3 dimensions").hasMessageContaining("384");
        assertThatThrownBy(() -> SearchRequest.vector(new float[] {1}).tenant(ACME).mode(SearchRequest.Mode.HYBRID))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("query text is required");
        assertThatThrownBy(() -> SearchRequest.hybrid("x").tenant(" ")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tenant");
        assertThatThrownBy(() -> ok.accessGroups("ops", "")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("accessGroups");
        assertThatThrownBy(() -> ok.fusion(Fusion.convex(Double.NaN))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vectorWeight");
        assertThatThrownBy(() -> Fusion.rrf(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rrf k");

        assertThatThrownBy(() -> rag.search(ok.filter(Filter.eq("colour", "red")))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("filter field 'colour' is unknown");
        assertThatThrownBy(() -> rag.search(ok.filter(Filter.eq("year", "2024")))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"2024\" (String) for 'year'").hasMessageContaining("LONG");
        assertThatThrownBy(() -> rag.search(ok.filter(Filter.eq("year", 2024.5)))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'year'");
        assertThatThrownBy(() -> rag.search(ok.filter(Filter.range("lang", 1, 2)))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("range on 'lang'");
        assertThatThrownBy(() -> rag.search(ok.filter(Filter.eq("published", 5)))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'published'").hasMessageContaining("INSTANT");
        assertThatThrownBy(() -> Filter.eq("year", new Object())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'year'");
        assertThatThrownBy(() -> Filter.eq("year", Double.NaN)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'year'");
        assertThatThrownBy(() -> Filter.range("year", 2024, 2020)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("after");
        assertThatThrownBy(() -> Filter.in("tags")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one value");
        assertThatThrownBy(() -> Filter.eq("bad name", "x")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'bad name'");
        assertThatThrownBy(() -> Filter.and()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("and");
        assertThatThrownBy(() -> rag.delete(ACME, Filter.eq("colour", "red"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("colour");

        assertThatThrownBy(() -> DocumentInput.builder(ACME, "x").build()).isInstanceOf(NullPointerException.class).hasMessageContaining("text");
        assertThatThrownBy(() -> DocumentInput.builder(ACME, "x").text(" ").build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("text");
        assertThatThrownBy(() -> DocumentInput.builder("", "x").text("t").build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tenant");
        assertThatThrownBy(() -> DocumentInput.builder(ACME, "x").text("t").metadata("size", new int[0]).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("metadata 'size'");
        assertThatThrownBy(() -> rag.upsert(DocumentInput.builder(ACME, "typo").text("text").metadata("year", "2024").build()))
                .isInstanceOf(DocRagException.class).hasMessageContaining("'year'").hasMessageContaining("LONG");
    }

    @Test
    void upsertReplacesDeleteRemovesAndEverythingSurvivesReopening(@TempDir Path dir) {
        try (DocRag own = DocRag.builder().directory(dir).embedder(embedder).build()) {
            String paragraph = "Incident reviews are written within five days and shared with every team. ".repeat(12);
            own.upsert(DocumentInput.builder("a", "doc").text(paragraph + "\n\n" + paragraph + "\n\n" + paragraph)
                    .metadata("kind", "review").build());
            own.upsert(DocumentInput.builder("b", "doc").text("Tenant b has a document with the same id.").metadata("kind", "note").build());
            assertThat(own.chunkCount("a", "doc")).isGreaterThan(1);
            IngestReport replaced = own.upsert(DocumentInput.builder("a", "doc").text("Short replacement about on-call rotas.")
                    .metadata("kind", "rota").build());
            assertThat(replaced.updated()).isEqualTo(1);
            assertThat(own.chunkCount("a", "doc")).isEqualTo(1);
            assertThat(own.search(SearchRequest.keyword("incident reviews").tenant("a"))).isEmpty();
            assertThat(own.upsert(DocumentInput.builder("a", "doc").text("Short replacement about on-call rotas.")
                    .metadata("kind", "rota").build()).unchanged()).isEqualTo(1);
            assertThat(own.documentCount("a")).isEqualTo(1);
            assertThat(own.documentCount("b")).isEqualTo(1);

            own.upsert(List.of(
                    DocumentInput.builder("a", "d1").text("first").metadata("kind", "tmp").build(),
                    DocumentInput.builder("a", "d2").text("second").metadata("kind", "tmp").build(),
                    DocumentInput.builder("b", "d3").text("third").metadata("kind", "tmp").build()));
            assertThat(own.delete("a", Filter.eq("kind", "tmp"))).isEqualTo(2);
            assertThat(own.documentCount("a")).isEqualTo(1);
            assertThat(own.documentCount("b")).as("a filtered delete stays in its tenant").isEqualTo(2);
            assertThat(own.delete("b", "doc")).isTrue();
            assertThat(own.delete("b", "doc")).isFalse();
            assertThat(own.chunkCount("b", "doc")).isZero();
        }
        try (DocRag again = DocRag.builder().directory(dir).embedder(embedder).build()) {
            assertThat(again.documentCount()).isEqualTo(2);
            assertThat(again.metadataFields()).containsEntry("kind", MetadataType.STRING);
            List<Hit> hits = again.search(SearchRequest.keyword("rotas").tenant("a").filter(Filter.eq("kind", "rota")));
            assertThat(hits).singleElement().satisfies(h -> assertThat(h.metadata()).containsEntry("kind", "rota"));
        }
    }

    @Test
    void aDocumentTheIndexRefusesKeepsItsPreviousVersionAndTheBatchGoesOn(@TempDir Path dir) {
        try (DocRag own = DocRag.builder().directory(dir).embedder(embedder).build()) {
            String paragraph = "Incident reviews are written within five days and shared with every team. ".repeat(12);
            own.upsert(DocumentInput.builder("a", "doc").text(paragraph + "\n\n" + paragraph).metadata("kind", "review").build());
            int chunks = own.chunkCount("a", "doc");
            IngestReport report = own.upsert(List.of(
                    DocumentInput.builder("a", "doc").text("A new version the index cannot take.")
                            .metadata("kind", "x".repeat(40_000)).build(), // longer than a Lucene term may be
                    DocumentInput.builder("a", "other").text("An innocent bystander.").build()));
            assertThat(report.failures()).singleElement().satisfies(f -> {
                assertThat(f.source()).isEqualTo("a/doc");
                assertThat(f.problem()).isEqualTo(dev.docrag.core.DocumentProblem.INDEXING);
            });
            assertThat(report.added()).isEqualTo(1);
            assertThat(own.chunkCount("a", "doc")).as("the previous version, whole").isEqualTo(chunks);
            assertThat(own.search(SearchRequest.keyword("incident reviews").tenant("a").k(50)))
                    .extracting(Hit::documentId).containsOnly("doc").hasSize(chunks);
            assertThat(own.chunkCount("a", "other")).isEqualTo(1);
        }
    }

    @Test
    void foldersIngestIntoTheTenantGiven(@TempDir Path dir) throws Exception {
        Path docs = DocRagTest.writeCorpus(dir.resolve("docs"));
        try (DocRag own = DocRag.builder().directory(dir.resolve("index")).embedder(embedder).build()) {
            assertThat(own.ingest(docs, "team-a").added()).isEqualTo(6);
            assertThat(own.ingest(docs).added()).as("the default tenant is another tenant").isEqualTo(6);
            assertThat(own.documentCount("team-a")).isEqualTo(6);
            List<Hit> hits = own.search(SearchRequest.hybrid("sourdough").tenant("team-a").filter(Filter.eq("type", "html")).k(20));
            assertThat(hits).isNotEmpty().allSatisfy(h -> {
                assertThat(h.tenant()).isEqualTo("team-a");
                assertThat(h.metadata()).containsEntry("type", "html");
            });
        }
    }
}
