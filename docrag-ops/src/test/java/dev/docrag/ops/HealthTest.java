package dev.docrag.ops;

import dev.docrag.index.DocRag;
import dev.docrag.ops.health.HealthCheck;
import dev.docrag.ops.health.HealthChecks;
import dev.docrag.ops.health.HealthRegistry;
import dev.docrag.ops.health.HealthReport;
import dev.docrag.ops.health.HealthResult;
import dev.docrag.ops.health.HealthStatus;
import dev.docrag.ops.resilience.CircuitBreakerState;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The health registry's timeouts and aggregation, and the built-in checks on a real DocRag. */
class HealthTest {

    @Test
    void hungCheckIsDownAfterItsTimeoutAndNeverPilesUp() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        HealthCheck hangs = () -> {
            runs.incrementAndGet();
            never.await();
            return HealthResult.up();
        };
        HealthRegistry health = HealthRegistry.builder()
                .readiness("fast", HealthResult::up)
                .readiness("hangs", hangs, Duration.ofMillis(200))
                .build();
        long t0 = System.nanoTime();
        HealthReport r = health.readiness();
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(tookMs).isBetween(150L, 1_500L);
        assertThat(r.status()).isEqualTo(HealthStatus.DOWN);
        assertThat(r.checks().get("fast").status()).isEqualTo(HealthStatus.UP);
        assertThat(r.checks().get("hangs").details().get("error")).asString().startsWith("timed out after 200 ms");
        assertThat(r.httpStatus()).isEqualTo(503);

        HealthReport again = health.readiness();
        assertThat(again.checks().get("hangs").details().get("error")).asString().contains("still running");
        assertThat(runs).hasValue(1);
        never.countDown();
    }

    @Test
    void worstStatusWinsAndExceptionsAreDown() {
        HealthRegistry health = HealthRegistry.builder()
                .liveness("ok", HealthResult::up)
                .readiness("ok", HealthResult::up)
                .readiness("tight", () -> HealthResult.of(HealthStatus.DEGRADED, Map.of("free", 0.05)))
                .build();
        HealthReport ready = health.readiness();
        assertThat(ready.status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(ready.httpStatus()).isEqualTo(200);
        assertThat(ready.toJson()).isEqualTo("{\"status\":\"DEGRADED\",\"checks\":{\"ok\":{\"status\":\"UP\",\"tookMs\":"
                + ready.checks().get("ok").took().toMillis() + "},\"tight\":{\"status\":\"DEGRADED\",\"tookMs\":"
                + ready.checks().get("tight").took().toMillis() + ",\"free\":0.05}}}");
        HealthReport broken = HealthRegistry.builder()
                .readiness("throws", () -> { throw new IllegalStateException("catalog gone"); }).build().readiness();
        assertThat(broken.status()).isEqualTo(HealthStatus.DOWN);
        assertThat(broken.checks().get("throws").details()).containsEntry("error", "catalog gone");
    }

    @Test
    void standardChecksOnARealDocRag(@TempDir Path dir) throws Exception {
        DocRag rag = RealDocRag.open(dir, ObservationRegistry.NOOP);
        HealthRegistry health = HealthChecks.standard(rag);
        assertThat(health.names(HealthRegistry.Group.LIVENESS)).containsExactly("deadlocks");
        assertThat(health.names(HealthRegistry.Group.READINESS)).containsExactly("index", "catalog", "embedder", "disk", "heap");
        try {
            RealDocRag.exercise(rag, dir);
            HealthReport ready = health.readiness();
            assertThat(ready.checks().get("index").status()).isEqualTo(HealthStatus.UP);
            assertThat(ready.checks().get("index").details()).containsEntry("documents", 2L).containsEntry("warmed", true);
            assertThat(ready.checks().get("catalog").status()).isEqualTo(HealthStatus.UP);
            assertThat(ready.checks().get("catalog").details()).containsEntry("max", 4);
            assertThat(ready.checks().get("embedder").status()).isEqualTo(HealthStatus.UP);
            assertThat(ready.checks().get("embedder").details()).containsEntry("dimension", TestEmbedder.DIMENSION);
            assertThat(ready.checks().get("disk").details()).containsKeys("freeBytes", "totalBytes");
            assertThat(health.liveness().status()).isEqualTo(HealthStatus.UP);
        } finally {
            rag.close();
        }
        HealthReport closed = health.readiness();
        assertThat(closed.status()).isEqualTo(HealthStatus.DOWN);
        assertThat(closed.checks().get("index").status()).isEqualTo(HealthStatus.DOWN);
        assertThat(closed.checks().get("catalog").status()).isEqualTo(HealthStatus.DOWN);
        // liveness never touches DocRag or its dependencies: a closed index does not restart the process
        assertThat(health.liveness().status()).isEqualTo(HealthStatus.UP);
    }

    @Test
    void diskThresholds(@TempDir Path dir) throws Exception {
        assertThat(HealthChecks.diskSpace(dir, 0, 0).check().status()).isEqualTo(HealthStatus.UP);
        assertThat(HealthChecks.diskSpace(dir, 1.0, 0).check().status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(HealthChecks.diskSpace(dir, 1.0, 1.0).check().status()).isEqualTo(HealthStatus.DOWN);
    }

    @Test
    void embedderCheckHonoursAnOpenCircuit(@TempDir Path dir) throws Exception {
        try (DocRag rag = RealDocRag.open(dir, ObservationRegistry.NOOP)) {
            HealthResult open = HealthChecks.embedder(rag, RealDocRag.circuit(CircuitBreakerState.State.OPEN)).check();
            assertThat(open.status()).isEqualTo(HealthStatus.DEGRADED);
            assertThat(open.details()).containsEntry("circuit", "OPEN");
            assertThat(HealthChecks.embedder(rag, RealDocRag.circuit(CircuitBreakerState.State.CLOSED)).check().status())
                    .isEqualTo(HealthStatus.UP);
        }
    }

    @Test
    void backupFreshness() throws Exception {
        Instant now = Instant.parse("2026-11-27T12:00:00Z");
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        Duration maxAge = Duration.ofHours(26);
        assertThat(HealthChecks.backup(RealDocRag.backupStatus(now.minusSeconds(3600), false), maxAge, Duration.ofDays(8), clock).check().status())
                .isEqualTo(HealthStatus.UP);
        HealthResult stale = HealthChecks.backup(RealDocRag.backupStatus(now.minus(Duration.ofHours(30)), false), maxAge, Duration.ofDays(8), clock).check();
        assertThat(stale.status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(stale.details()).containsEntry("ageSeconds", 30 * 3600L);
        assertThat(HealthChecks.backup(RealDocRag.backupStatus(null, false), maxAge, Duration.ofDays(8), clock).check().details())
                .containsEntry("lastSuccess", "never");
        assertThat(HealthChecks.backup(RealDocRag.backupStatus(now, true), maxAge, Duration.ofDays(8), clock).check().status())
                .isEqualTo(HealthStatus.DEGRADED);
        // the last verification is a minute old, but this host wants one every 30 seconds
        HealthResult unverified = HealthChecks.backup(RealDocRag.backupStatus(now.minusSeconds(60), false), maxAge,
                Duration.ofSeconds(30), clock).check();
        assertThat(unverified.status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(unverified.details()).containsEntry("verificationAgeSeconds", 60L).containsKey("verificationStale");
    }
}
