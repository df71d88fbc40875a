package dev.docrag.ops;

import dev.docrag.core.embed.EmbedderException;
import dev.docrag.index.DocRag;
import dev.docrag.index.DocumentInput;
import dev.docrag.index.IngestReport;
import dev.docrag.index.SearchRequest;
import dev.docrag.ops.metrics.DocRagMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Scrapes a real PrometheusMeterRegistry after real DocRag operations and checks names, labels and counts. */
class DocRagMetricsTest {

    /** Every metric family DocRag exports, as Prometheus names them; dashboards and rules rely on these. */
    static final Set<String> FAMILIES = Set.of(
            "docrag_requests_total",
            "docrag_request_duration_seconds_bucket", "docrag_request_duration_seconds_count",
            "docrag_request_duration_seconds_sum", "docrag_request_duration_seconds_max",
            "docrag_memory_usage_bytes",
            "docrag_index_documents", "docrag_index_chunks", "docrag_index_segments", "docrag_index_size_bytes",
            "docrag_index_searcher_age_seconds",
            "docrag_disk_free_bytes", "docrag_disk_total_bytes",
            "docrag_catalog_connections", "docrag_catalog_connections_max",
            "docrag_embedding_duration_seconds_bucket", "docrag_embedding_duration_seconds_count",
            "docrag_embedding_duration_seconds_sum", "docrag_embedding_duration_seconds_max",
            "docrag_embedding_tokens_total",
            "docrag_ingest_documents_total",
            "docrag_search_degraded_total",
            "docrag_backup_last_success_seconds", "docrag_backup_last_verification_seconds",
            "docrag_backup_last_duration_seconds", "docrag_backup_last_size_bytes",
            "docrag_backup_verification_failed",
            "docrag_circuit_state");

    @Test
    void scrapeHasExactNamesLabelsAndCounts(@TempDir Path dir) throws Exception {
        RealDocRag.Scrapes scrapes = RealDocRag.scrapeAfterRealOperations(dir);
        Exposition e = Exposition.parse(scrapes.open());

        Set<String> docrag = new TreeSet<>(e.names());
        docrag.removeIf(n -> !n.startsWith("docrag_"));
        assertThat(docrag).isEqualTo(new TreeSet<>(FAMILIES));

        assertThat(e.labelNames("docrag_requests_total")).containsExactly("operation", "status");
        assertThat(e.value("docrag_requests_total", Map.of("operation", "search", "status", "200"))).isEqualTo(3);
        assertThat(e.value("docrag_requests_total", Map.of("operation", "search", "status", "400"))).isEqualTo(1);
        assertThat(e.value("docrag_requests_total", Map.of("operation", "search", "status", "500"))).isZero();
        assertThat(e.value("docrag_search_degraded_total", Map.of())).as("exists at 0 from binding on").isZero();
        assertThat(e.value("docrag_requests_total", Map.of("operation", "ingest", "status", "200"))).isEqualTo(2);
        assertThat(e.value("docrag_requests_total", Map.of("operation", "upsert", "status", "200"))).isEqualTo(1);
        assertThat(e.value("docrag_requests_total", Map.of("operation", "delete", "status", "200"))).isEqualTo(1);
        assertThat(e.named("docrag_requests_total")).hasSize(4 * 4); // every operation x status from the start

        assertThat(e.labelNames("docrag_request_duration_seconds_bucket")).containsExactly("le", "operation");
        for (String le : new String[] {"0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf"}) {
            // each SLO bound is an exact bucket (a first search on a loaded machine may be slow)
            assertThat(e.value("docrag_request_duration_seconds_bucket", Map.of("operation", "search", "le", le)))
                    .as("search bucket le=%s", le).isBetween(0.0, 4.0);
        }
        assertThat(e.value("docrag_request_duration_seconds_bucket", Map.of("operation", "search", "le", "+Inf"))).isEqualTo(4);
        assertThat(e.value("docrag_request_duration_seconds_count", Map.of("operation", "search"))).isEqualTo(4);

        assertThat(e.value("docrag_memory_usage_bytes", Map.of())).isPositive();
        assertThat(e.value("docrag_index_documents", Map.of())).isEqualTo(2);
        assertThat(e.value("docrag_index_chunks", Map.of())).isGreaterThanOrEqualTo(2);
        assertThat(e.value("docrag_index_size_bytes", Map.of())).isPositive();
        assertThat(e.value("docrag_index_segments", Map.of())).isPositive();
        assertThat(e.value("docrag_disk_free_bytes", Map.of())).isPositive();
        assertThat(e.labelNames("docrag_catalog_connections")).containsExactly("state");
        assertThat(e.value("docrag_catalog_connections_max", Map.of())).isEqualTo(4);

        assertThat(e.labelNames("docrag_ingest_documents_total")).containsExactly("operation", "outcome");
        assertThat(e.value("docrag_ingest_documents_total", Map.of("operation", "ingest", "outcome", "added"))).isEqualTo(2);
        assertThat(e.value("docrag_ingest_documents_total", Map.of("operation", "ingest", "outcome", "unchanged"))).isEqualTo(2);
        assertThat(e.value("docrag_ingest_documents_total", Map.of("operation", "ingest", "outcome", "failed"))).isEqualTo(2);
        assertThat(e.value("docrag_ingest_documents_total", Map.of("operation", "upsert", "outcome", "added"))).isEqualTo(1);

        assertThat(e.labelNames("docrag_embedding_duration_seconds_count")).containsExactly("kind", "outcome");
        assertThat(e.value("docrag_embedding_duration_seconds_count", Map.of("kind", "query", "outcome", "success"))).isEqualTo(2);
        // The ingest pipeline embeds the chunks of several documents per call: the folder's two files take
        // one or two calls, the upsert its own.
        assertThat(e.value("docrag_embedding_duration_seconds_count", Map.of("kind", "documents", "outcome", "success"))).isBetween(2.0, 3.0);
        assertThat(e.value("docrag_embedding_tokens_total", Map.of())).isPositive();

        assertThat(e.value("docrag_backup_last_success_seconds", Map.of()))
                .isCloseTo(System.currentTimeMillis() / 1000.0 - 3600, within(120.0));
        assertThat(e.value("docrag_backup_last_duration_seconds", Map.of())).isEqualTo(42);
        assertThat(e.value("docrag_backup_verification_failed", Map.of())).isZero();
        assertThat(e.value("docrag_circuit_state", Map.of("name", "embedder"))).isZero();

        // low cardinality: no tenant, id, query or path ever becomes a label value
        Set<String> values = new TreeSet<>();
        e.samples().stream().filter(s -> s.name().startsWith("docrag_"))
                .forEach(s -> s.labels().forEach((k, v) -> { if (!k.equals("le")) values.add(k + "=" + v); }));
        assertThat(values).allMatch(v -> v.matches("(operation=(search|ingest|upsert|delete)|status=(200|400|500|503)"
                + "|outcome=(added|updated|unchanged|deleted|failed|success|failure)|kind=(query|documents)"
                + "|state=(active|idle|pending)|name=embedder)"), "low-cardinality label values");

        Exposition closed = Exposition.parse(scrapes.closed());
        assertThat(closed.value("docrag_requests_total", Map.of("operation", "search", "status", "503"))).isEqualTo(1);
        assertThat(closed.value("docrag_index_documents", Map.of())).isNaN();
    }

    @Test
    void failuresAreCountedAsTheirStatus(@TempDir Path dir) throws Exception {
        TestEmbedder embedder = new TestEmbedder();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (DocRag rag = DocRag.builder().directory(dir).embedder(embedder).build();
             DocRagMetrics metrics = DocRagMetrics.of(rag)) {
            metrics.bindTo(registry);
            metrics.bindTo(registry); // ignored: would count twice
            embedder.broken = true;
            // a broken embedder fails a vector search (500), unlike a closed DocRag (503); the typed
            // EmbedderException carries the embedder's IllegalStateException
            assertThatThrownBy(() -> rag.search(SearchRequest.vector("logs").tenant("acme").k(1)))
                    .isInstanceOf(EmbedderException.class).hasCauseInstanceOf(IllegalStateException.class);
            IngestReport report = rag.upsert(List.of(DocumentInput.builder("acme", "a").title("A").text("some text").build()));
            assertThat(report.failed()).isEqualTo(1);
            embedder.broken = false;
            Exposition e = Exposition.parse(registry.scrape());
            assertThat(e.value("docrag_requests_total", Map.of("operation", "search", "status", "500"))).isEqualTo(1);
            assertThat(e.value("docrag_requests_total", Map.of("operation", "search", "status", "503"))).isZero();
            assertThat(e.value("docrag_embedding_duration_seconds_count", Map.of("kind", "query", "outcome", "failure"))).isEqualTo(1);
            assertThat(e.value("docrag_embedding_duration_seconds_count", Map.of("kind", "documents", "outcome", "failure"))).isEqualTo(1);
            assertThat(e.value("docrag_ingest_documents_total", Map.of("operation", "upsert", "outcome", "failed"))).isEqualTo(1);
            assertThat(e.value("docrag_requests_total", Map.of("operation", "upsert", "status", "200"))).isEqualTo(1);
        } finally {
            registry.close();
        }
    }
}
