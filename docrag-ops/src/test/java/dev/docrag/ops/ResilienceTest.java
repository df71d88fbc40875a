package dev.docrag.ops;

import dev.docrag.core.DocumentProblem;
import dev.docrag.core.embed.EmbedderException;
import dev.docrag.index.DocRag;
import dev.docrag.index.DocumentInput;
import dev.docrag.index.Hit;
import dev.docrag.index.IngestReport;
import dev.docrag.index.SearchRequest;
import dev.docrag.index.SearchResult;
import dev.docrag.ops.health.HealthChecks;
import dev.docrag.ops.health.HealthRegistry;
import dev.docrag.ops.health.HealthReport;
import dev.docrag.ops.health.HealthStatus;
import dev.docrag.ops.metrics.DocRagMetrics;
import dev.docrag.ops.resilience.CircuitBreakerState;
import dev.docrag.ops.resilience.ResilientEmbedder;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The resilience wrapper and the degraded modes, with faults injected around the real test
 * embedder and a real DocRag (Lucene index, H2 file catalog).
 */
class ResilienceTest {

    private static final Duration FAST = Duration.ofMillis(1);

    private static ResilientEmbedder.Builder resilient(FaultyEmbedder faulty) {
        return ResilientEmbedder.builder(faulty).backoff(FAST, Duration.ofMillis(4));
    }

    @Test
    void transientFailuresAreRetriedWithBackoffAndABadCredentialNeverIs() {
        FaultyEmbedder faulty = new FaultyEmbedder();
        try (ResilientEmbedder embedder = resilient(faulty).maxAttempts(3).build()) {
            faulty.failWith(() -> new UncheckedIOException(new ConnectException("connection refused")), 2);
            assertThat(embedder.embedQuery("rotate logs")).hasSize(TestEmbedder.DIMENSION);
            assertThat(faulty.calls()).as("two transient failures, then success").isEqualTo(3);

            faulty.failWith(() -> EmbedderException.permanentFailure("401: the API key was rejected", null));
            assertThatThrownBy(() -> embedder.embedQuery("rotate logs"))
                    .isInstanceOfSatisfying(EmbedderException.class, e -> assertThat(e.isTransient()).isFalse())
                    .hasMessageContaining("API key was rejected");
            assertThat(faulty.calls()).as("a bad credential is tried once, never retried").isEqualTo(4);

            faulty.failWith(() -> EmbedderException.transientFailure("503 from the provider", null));
            assertThatThrownBy(() -> embedder.embedQuery("rotate logs"))
                    .isInstanceOfSatisfying(EmbedderException.class, e -> assertThat(e.isTransient()).isTrue());
            assertThat(faulty.calls()).as("a transient failure is tried maxAttempts times").isEqualTo(7);

            faulty.heal();
            assertThat(embedder.embedDocuments(List.of("healed"))).hasSize(1);
        }
    }

    @Test
    void aTooLongTextIsTheCallersErrorAndPassesThroughUntouched() {
        FaultyEmbedder faulty = new FaultyEmbedder().failWith(() -> new IllegalArgumentException("text has 900 tokens"));
        try (ResilientEmbedder embedder = resilient(faulty).circuitBreaker(50, 2, 2, Duration.ofSeconds(30), 1).build()) {
            for (int i = 0; i < 5; i++) {
                assertThatThrownBy(() -> embedder.embedDocuments(List.of("long")))
                        .isExactlyInstanceOf(IllegalArgumentException.class);
            }
            assertThat(faulty.calls()).as("not retried").isEqualTo(5);
            assertThat(embedder.state()).as("caller errors do not open the breaker").isEqualTo(CircuitBreakerState.State.CLOSED);
        }
    }

    @Test
    void failingEmbedderOpensTheBreakerHybridSearchDegradesReadinessIsDegradedAndAllRecover(@TempDir Path dir) throws Exception {
        MutableClock clock = new MutableClock();
        FaultyEmbedder faulty = new FaultyEmbedder();
        ResilientEmbedder embedder = resilient(faulty).maxAttempts(2)
                .circuitBreaker(50, 4, 4, Duration.ofSeconds(30), 1).clock(clock).build();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (DocRag rag = DocRag.builder().directory(dir.resolve("rag")).embedder(embedder).build();
             DocRagMetrics metrics = DocRagMetrics.of(rag).withCircuitBreaker(embedder)) {
            metrics.bindTo(meters);
            rag.upsert(List.of(
                    DocumentInput.builder("acme", "logs").title("Logs").text("Rotate logs with logrotate every night.").build(),
                    DocumentInput.builder("acme", "backup").title("Backups").text("Backups run at midnight.").build()));
            SearchRequest hybrid = SearchRequest.hybrid("rotate logs").tenant("acme").k(5);
            SearchResult healthy = rag.searchResult(hybrid);
            assertThat(healthy.degraded()).isFalse();
            assertThat(healthy.hits()).anyMatch(Hit::foundByVector);
            HealthRegistry health = HealthChecks.standard(rag);
            assertThat(health.readiness().checks().get("embedder").status()).isEqualTo(HealthStatus.UP);

            faulty.failWith(() -> EmbedderException.transientFailure("503 Service Unavailable", null));
            SearchResult degraded = rag.searchResult(hybrid);
            assertThat(degraded.degraded()).isTrue();
            assertThat(degraded.reason()).hasValueSatisfying(r -> assertThat(r).contains("503 Service Unavailable"));
            assertThat(degraded.hits()).as("keyword-only, with the same hits a keyword search gives")
                    .isNotEmpty().noneMatch(Hit::foundByVector).allMatch(Hit::foundByKeyword)
                    .isEqualTo(rag.search(SearchRequest.keyword("rotate logs").tenant("acme").k(5)));
            assertThat(degraded.hits().get(0).documentId()).isEqualTo("logs");
            assertThat(rag.search(hybrid)).as("the List<Hit> API degrades the same way").isEqualTo(degraded.hits());
            assertThat(embedder.state()).as("4 failed attempts in a window of 4").isEqualTo(CircuitBreakerState.State.OPEN);

            int callsWhenOpened = faulty.calls();
            SearchResult shed = rag.searchResult(hybrid);
            assertThat(shed.degraded()).isTrue();
            assertThat(shed.reason().orElseThrow()).contains("circuit breaker");
            assertThat(faulty.calls()).as("the open breaker does not call the provider").isEqualTo(callsWhenOpened);
            assertThatThrownBy(() -> rag.search(SearchRequest.vector("rotate logs").tenant("acme")))
                    .as("a vector search cannot degrade: it fails with a typed error")
                    .isInstanceOf(EmbedderException.class).hasMessageContaining("vector search needs the query's embedding")
                    .hasRootCauseInstanceOf(CallNotPermittedException.class);

            HealthReport ready = health.readiness();
            assertThat(ready.status()).isEqualTo(HealthStatus.DEGRADED);
            assertThat(ready.httpStatus()).as("DEGRADED stays in rotation").isEqualTo(200);
            assertThat(ready.checks().get("embedder").details()).containsEntry("circuit", "OPEN");
            assertThat(meters.get("docrag.search.degraded").counter().count())
                    .as("three hybrid searches degraded; the vector one failed").isEqualTo(3);
            assertThat(meters.get("docrag.circuit.state").tag("name", "embedder").gauge().value()).isEqualTo(2);

            // the provider comes back; after openFor the breaker lets a trial call through and closes
            faulty.heal();
            clock.advance(Duration.ofSeconds(31));
            SearchResult recovered = rag.searchResult(hybrid);
            assertThat(recovered.degraded()).isFalse();
            assertThat(recovered.hits()).anyMatch(Hit::foundByVector);
            assertThat(embedder.state()).isEqualTo(CircuitBreakerState.State.CLOSED);
            assertThat(health.readiness().status()).isIn(HealthStatus.UP, HealthStatus.DEGRADED);
            assertThat(health.readiness().checks().get("embedder").status()).isEqualTo(HealthStatus.UP);
        }
        assertThat(HealthChecks.standard(openClosed(dir)).readiness().status())
                .as("a closed index is still DOWN").isEqualTo(HealthStatus.DOWN);
    }

    private static DocRag openClosed(Path dir) {
        DocRag rag = DocRag.builder().directory(dir.resolve("rag")).embedder(new TestEmbedder()).build();
        rag.close();
        return rag;
    }

    @Test
    void withoutABreakerAFailingEmbedderIsDegradedNotDown(@TempDir Path dir) {
        FaultyEmbedder faulty = new FaultyEmbedder();
        try (DocRag rag = DocRag.builder().directory(dir.resolve("rag")).embedder(faulty).build()) {
            rag.upsert(DocumentInput.builder("acme", "logs").title("Logs").text("Rotate logs nightly.").build());
            faulty.failWith(() -> new IllegalStateException("the model session is gone"));
            HealthReport ready = HealthChecks.standard(rag).readiness();
            assertThat(ready.checks().get("embedder").status()).isEqualTo(HealthStatus.DEGRADED);
            assertThat(ready.checks().get("embedder").details()).containsEntry("error", "the model session is gone");
            assertThat(ready.httpStatus()).isEqualTo(200);
            SearchResult r = rag.searchResult(SearchRequest.hybrid("rotate logs").tenant("acme"));
            assertThat(r.degraded()).isTrue();
            assertThat(r.hits()).extracting(Hit::documentId).containsExactly("logs");
        }
    }

    @Test
    void aHungEmbedderIsCutOffByTheTimeLimitAndCannotPileUpCalls(@TempDir Path dir) throws Exception {
        FaultyEmbedder faulty = new FaultyEmbedder();
        ResilientEmbedder embedder = resilient(faulty).maxAttempts(1).queryTimeout(Duration.ofMillis(200))
                .maxConcurrentCalls(1, Duration.ZERO).build();
        try (DocRag rag = DocRag.builder().directory(dir.resolve("rag")).embedder(embedder).build()) {
            rag.upsert(DocumentInput.builder("acme", "logs").title("Logs").text("Rotate logs nightly.").build());
            faulty.hang(Duration.ofSeconds(30));
            int before = faulty.calls();

            long t0 = System.nanoTime();
            SearchResult r = rag.searchResult(SearchRequest.hybrid("rotate logs").tenant("acme"));
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(r.degraded()).isTrue();
            assertThat(r.reason().orElseThrow()).contains("did not answer within 200 ms");
            assertThat(took).as("the search waited for the time limit, not the hung call").isLessThan(Duration.ofSeconds(5));
            assertThat(r.hits()).extracting(Hit::documentId).containsExactly("logs");

            // the hung call still holds the only bulkhead slot: the next one is shed at once
            assertThatThrownBy(() -> embedder.embedQuery("logs"))
                    .isInstanceOf(EmbedderException.class).hasCauseInstanceOf(BulkheadFullException.class);
            assertThat(faulty.calls()).as("the shed call never reached the provider").isEqualTo(before + 1);

            faulty.heal();
            CompletableFuture<float[]> later = CompletableFuture.supplyAsync(() -> {
                for (int i = 0; ; i++) {
                    try {
                        return embedder.embedQuery("logs");
                    } catch (EmbedderException e) {
                        if (i > 100) {
                            throw e;
                        }
                        sleep(20);
                    }
                }
            });
            assertThat(later.get()).as("the slot comes back when the hung call returns").hasSize(TestEmbedder.DIMENSION);
            assertThat(rag.searchResult(SearchRequest.hybrid("rotate logs").tenant("acme")).degraded()).isFalse();
        }
    }

    @Test
    void timeoutsAreTransientAndRetried() {
        FaultyEmbedder faulty = new FaultyEmbedder();
        try (ResilientEmbedder embedder = resilient(faulty).maxAttempts(2).queryTimeout(Duration.ofMillis(100)).build()) {
            faulty.hang(Duration.ofSeconds(30));
            assertThatThrownBy(() -> embedder.embedQuery("logs"))
                    .isInstanceOfSatisfying(EmbedderException.class, e -> assertThat(e.isTransient()).isTrue())
                    .hasCauseInstanceOf(TimeoutException.class);
            assertThat(faulty.calls()).isEqualTo(2);
            faulty.heal();
        }
    }

    @Test
    void ingestionFailsPerDocumentWhileTheEmbedderIsDownAndRetriesOnTheNextRun(@TempDir Path dir) throws IOException {
        FaultyEmbedder faulty = new FaultyEmbedder();
        ResilientEmbedder embedder = resilient(faulty).maxAttempts(2).build();
        Path docs = Files.createDirectories(dir.resolve("docs"));
        Files.writeString(docs.resolve("logs.md"), "# Logs\n\nRotate logs with logrotate every night.\n");
        Files.writeString(docs.resolve("backup.txt"), "Backups run at midnight and are verified weekly.\n");
        try (DocRag rag = DocRag.builder().directory(dir.resolve("rag")).embedder(embedder).build()) {
            faulty.failWith(() -> EmbedderException.transientFailure("503 from the provider", null));
            IngestReport down = rag.ingest(docs);
            assertThat(down.failed()).isEqualTo(2);
            assertThat(down.added()).isZero();
            assertThat(down.failures()).allSatisfy(f -> {
                assertThat(f.problem()).isEqualTo(DocumentProblem.EMBEDDING);
                assertThat(f.message()).contains("503 from the provider");
            });

            faulty.heal();
            embedder.reset(); // as the breaker would after openFor
            IngestReport next = rag.ingest(docs);
            assertThat(next.added()).as("the next run retries what failed").isEqualTo(2);
            assertThat(next.failed()).isZero();
            assertThat(rag.documentCount()).isEqualTo(2);
        }
    }

    @Test
    void builderRejectsBadCombinations() {
        FaultyEmbedder faulty = new FaultyEmbedder();
        assertThatThrownBy(() -> ResilientEmbedder.builder(faulty).circuitBreaker(50, 4, 5, Duration.ofSeconds(1), 1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minimumCalls");
        assertThatThrownBy(() -> ResilientEmbedder.builder(faulty).maxAttempts(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ResilientEmbedder.builder(faulty).name("Embedder With Spaces"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ResilientEmbedder.builder(faulty).backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void forceOpenShedsEveryCallUntilReset() {
        FaultyEmbedder faulty = new FaultyEmbedder();
        try (ResilientEmbedder embedder = resilient(faulty).build()) {
            embedder.forceOpen();
            assertThat(embedder.state()).isEqualTo(CircuitBreakerState.State.OPEN);
            assertThat(embedder.isForcedOpen()).isTrue();
            assertThatThrownBy(() -> embedder.embedQuery("x")).isInstanceOf(EmbedderException.class)
                    .hasCauseInstanceOf(CallNotPermittedException.class);
            assertThat(faulty.calls()).isZero();
            embedder.reset();
            assertThat(embedder.embedQuery("x")).hasSize(TestEmbedder.DIMENSION);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
