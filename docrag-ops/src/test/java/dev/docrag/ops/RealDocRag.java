package dev.docrag.ops;

import dev.docrag.index.DocRag;
import dev.docrag.index.DocumentInput;
import dev.docrag.index.Filter;
import dev.docrag.index.IngestReport;
import dev.docrag.index.SearchRequest;
import dev.docrag.ops.backup.BackupStatus;
import dev.docrag.ops.metrics.DocRagMetrics;
import dev.docrag.ops.resilience.CircuitBreakerState;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Real DocRag operations for the ops tests: a folder ingest, upserts, searches of each mode, a bad request, a delete. */
final class RealDocRag {
    private RealDocRag() {
    }

    static DocRag open(Path dir, ObservationRegistry observations) {
        return DocRag.builder().directory(dir.resolve("rag")).embedder(new TestEmbedder())
                .observationRegistry(observations).build();
    }

    /**
     * Ingests three files (one of them empty, so it fails), ingests again (all unchanged),
     * upserts one document, searches in each mode, sends one bad search and deletes.
     */
    static void exercise(DocRag rag, Path dir) throws IOException {
        Path docs = Files.createDirectories(dir.resolve("docs"));
        Files.writeString(docs.resolve("logs.md"), "# Logs\n\nRotate logs with logrotate every night.\n");
        Files.writeString(docs.resolve("backup.txt"), "Backups run at midnight and are verified weekly.\n");
        Files.writeString(docs.resolve("empty.txt"), "");
        IngestReport first = rag.ingest(docs);
        assertThat(first.added()).isEqualTo(2);
        assertThat(first.failed()).isEqualTo(1);
        assertThat(rag.ingest(docs).unchanged()).isEqualTo(2);
        rag.upsert(DocumentInput.builder("acme", "policy-7").title("Travel policy")
                .text("Book flights through the travel desk.").build());
        assertThat(rag.search(SearchRequest.hybrid("rotate logs").tenant(DocRag.DEFAULT_TENANT).k(3))).isNotEmpty();
        rag.search(SearchRequest.vector("backups").tenant(DocRag.DEFAULT_TENANT).k(3));
        rag.search(SearchRequest.keyword("flights").tenant("acme").k(3));
        assertThatThrownBy(() -> rag.search(SearchRequest.keyword("x").tenant("acme").k(3)
                .filter(Filter.eq("no_such_field", "x")))).isInstanceOf(IllegalArgumentException.class);
        assertThat(rag.delete("acme", "policy-7")).isTrue();
    }

    /** A backup manager's status as it will look: one success an hour ago, verified. */
    static BackupStatus backupStatus(Instant lastSuccess, boolean verificationFailed) {
        return new BackupStatus() {
            public Optional<Instant> lastSuccess() {
                return Optional.ofNullable(lastSuccess);
            }

            public Optional<Duration> lastDuration() {
                return Optional.of(Duration.ofSeconds(42));
            }

            public OptionalLong lastBytes() {
                return OptionalLong.of(123_456);
            }

            public Optional<Instant> lastVerification() {
                return Optional.ofNullable(lastSuccess);
            }

            public boolean lastVerificationFailed() {
                return verificationFailed;
            }
        };
    }

    static CircuitBreakerState circuit(CircuitBreakerState.State state) {
        return new CircuitBreakerState() {
            public String name() {
                return "embedder";
            }

            public State state() {
                return state;
            }
        };
    }

    /** Two scrapes of one registry: after {@link #exercise}, and after one more search on the closed DocRag. */
    record Scrapes(String open, String closed) {
    }

    /**
     * Scrapes a Prometheus registry after {@link #exercise} on a fresh DocRag with backup and
     * circuit meters, then again after a search on the closed DocRag (a 503).
     */
    static Scrapes scrapeAfterRealOperations(Path dir) throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        DocRag rag = open(dir, ObservationRegistry.NOOP);
        try (DocRagMetrics metrics = DocRagMetrics.of(rag)
                .withBackups(backupStatus(Instant.now().minusSeconds(3600), false))
                .withCircuitBreaker(circuit(CircuitBreakerState.State.CLOSED))
                .withStatsCacheTtl(Duration.ZERO)) {
            metrics.bindTo(registry);
            exercise(rag, dir);
            String open = registry.scrape();
            rag.close();
            assertThatThrownBy(() -> rag.search("logs", 3)).isInstanceOf(IllegalStateException.class);
            return new Scrapes(open, registry.scrape());
        } finally {
            rag.close();
            registry.close();
        }
    }
}
