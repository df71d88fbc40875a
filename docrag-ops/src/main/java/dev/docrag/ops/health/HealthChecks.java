package dev.docrag.ops.health;

import dev.docrag.index.DocRag;
import dev.docrag.index.DocRagStats;
import dev.docrag.ops.backup.BackupStatus;
import dev.docrag.ops.resilience.CircuitBreakerState;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * DocRag's built-in health checks and the standard registry of them.
 *
 * <pre>{@code
 * HealthRegistry health = HealthChecks.standard(rag);
 * HealthReport ready = health.readiness();   // ready.httpStatus(): 200 or 503
 * }</pre>
 *
 * <p>The standard registry: liveness = {@code deadlocks} (the JVM only); readiness = {@code index},
 * {@code catalog}, {@code embedder}, {@code disk}, {@code heap}. A backup check joins when a host
 * has a backup manager: {@code HealthChecks.builder(rag).readiness("backup",
 * HealthChecks.backup(status, Duration.ofHours(26))).build()}. Only {@code index} and
 * {@code catalog} can be DOWN (and {@code embedder}, for vectors of the wrong dimension); an
 * embedder that fails or whose breaker is open, disk (until nearly full), heap and backup report
 * DEGRADED, since those instances can still answer searches (hybrid ones keyword-only).
 *
 * <p>When DocRag's embedder is a {@link CircuitBreakerState} (docrag-ops'
 * {@code ResilientEmbedder} is), the standard embedder check reads its breaker.
 */
public final class HealthChecks {
    /** The text the embedder check embeds: short, so the check stays cheap. */
    static final String PROBE_TEXT = "health check";

    private HealthChecks() {
    }

    /** The standard checks of {@code rag}; see the class description. */
    public static HealthRegistry standard(DocRag rag) {
        return builder(rag).build();
    }

    /** A builder holding the standard checks, for a host that adds or replaces some. */
    public static HealthRegistry.Builder builder(DocRag rag) {
        Objects.requireNonNull(rag, "rag");
        return HealthRegistry.builder()
                .liveness("deadlocks", deadlocks())
                .readiness("index", index(rag))
                .readiness("catalog", catalog(rag, Duration.ofSeconds(2)), Duration.ofSeconds(3))
                .readiness("embedder", embedder(rag, rag.embedder() instanceof CircuitBreakerState c ? c : null),
                        Duration.ofSeconds(5))
                .readiness("disk", diskSpace(rag.directory(), 0.10, 0.02))
                .readiness("heap", heap(0.10));
    }

    /** DOWN when DocRag is closed or has no searcher; UP with the index's size otherwise. */
    public static HealthCheck index(DocRag rag) {
        return () -> {
            if (!rag.isOpen()) {
                return HealthResult.down("DocRag is closed");
            }
            DocRagStats s = rag.stats();
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("documents", s.documents());
            d.put("chunks", s.chunks());
            d.put("segments", s.segments());
            d.put("indexBytes", s.indexBytes());
            d.put("searcherAgeSeconds", s.searcherAge().toSeconds());
            d.put("warmed", s.warmed());
            return HealthResult.of(s.warmed() ? HealthStatus.UP : HealthStatus.DOWN, d);
        };
    }

    /**
     * Runs {@code SELECT 1} through DocRag's catalog pool with {@code queryTimeout}; DOWN if it
     * fails, DEGRADED if every connection is busy and threads are waiting for one.
     */
    public static HealthCheck catalog(DocRag rag, Duration queryTimeout) {
        Objects.requireNonNull(queryTimeout, "queryTimeout");
        return () -> {
            rag.checkCatalog(queryTimeout);
            Optional<DocRagStats.Pool> pool = rag.stats().catalogPool();
            Map<String, Object> d = new LinkedHashMap<>();
            HealthStatus status = HealthStatus.UP;
            if (pool.isPresent()) {
                DocRagStats.Pool p = pool.get();
                d.put("active", p.active());
                d.put("idle", p.idle());
                d.put("waiting", p.waiting());
                d.put("max", p.max());
                if (p.waiting() > 0 && p.active() >= p.max()) {
                    status = HealthStatus.DEGRADED;
                }
            }
            return HealthResult.of(status, d);
        };
    }

    /**
     * Embeds a short text and checks the vector's dimension. With a circuit breaker that is open or
     * half-open the check does not call the embedder (that would bypass the breaker) and reports
     * DEGRADED: keyword search still works while vector search waits for the breaker ({@code circuit}
     * is {@code FORCED_OPEN} when it was opened deliberately, e.g. by an incident handler). An embedder
     * that throws is DEGRADED too, with its {@code error}: hybrid searches then answer keyword-only
     * (see {@code DocRag.searchResult}), so the instance still serves. Only vectors of the wrong
     * dimension are DOWN: every vector search would be wrong.
     *
     * @param circuit the embedder's breaker, or null when there is none
     */
    public static HealthCheck embedder(DocRag rag, CircuitBreakerState circuit) {
        return () -> {
            if (circuit != null && circuit.state() != CircuitBreakerState.State.CLOSED) {
                return HealthResult.of(HealthStatus.DEGRADED,
                        Map.of("circuit", circuit.isForcedOpen() ? "FORCED_OPEN" : circuit.state().name()));
            }
            float[] v;
            try {
                v = rag.embedder().embedQuery(PROBE_TEXT);
            } catch (RuntimeException e) {
                HealthResult r = HealthResult.of(HealthStatus.DEGRADED,
                        Map.of("error", e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName(),
                                "search", "keyword-only"));
                return circuit != null ? r.with("circuit", circuit.state().name()) : r;
            }
            int dimension = rag.model().dimension();
            if (v.length != dimension) {
                return HealthResult.down("the embedder returned " + v.length + " dimensions, expected " + dimension);
            }
            HealthResult r = HealthResult.of(HealthStatus.UP, Map.of("model", rag.model().id(), "dimension", dimension));
            return circuit != null ? r.with("circuit", circuit.state().name()) : r;
        };
    }

    /**
     * Free space on the file system of {@code directory}, as the fraction of its total usable by
     * this process: DEGRADED below {@code degradedBelow}, DOWN below {@code downBelow} (writes and
     * merges will fail soon; merges need free space up to the index's size).
     */
    public static HealthCheck diskSpace(Path directory, double degradedBelow, double downBelow) {
        Objects.requireNonNull(directory, "directory");
        if (!(downBelow >= 0 && downBelow <= degradedBelow && degradedBelow <= 1)) {
            throw new IllegalArgumentException("need 0 <= downBelow <= degradedBelow <= 1, got " + downBelow + ", " + degradedBelow);
        }
        return () -> {
            FileStore store = Files.getFileStore(directory);
            long free = store.getUsableSpace();
            long total = store.getTotalSpace();
            double fraction = total == 0 ? 0 : (double) free / total;
            HealthStatus status = fraction < downBelow ? HealthStatus.DOWN
                    : fraction < degradedBelow ? HealthStatus.DEGRADED : HealthStatus.UP;
            return HealthResult.of(status, Map.of("freeBytes", free, "totalBytes", total,
                    "freeFraction", Math.round(fraction * 1000) / 1000.0));
        };
    }

    /**
     * Heap headroom: DEGRADED when less than {@code degradedBelow} of the maximum heap is free.
     * Never DOWN: used heap includes garbage not yet collected, so a low reading alone does not
     * mean the instance cannot serve.
     */
    public static HealthCheck heap(double degradedBelow) {
        return heap(degradedBelow, () -> ManagementFactory.getMemoryMXBean().getHeapMemoryUsage());
    }

    /**
     * {@link #heap(double)} over another reading of heap usage: a host's own (a container's
     * memory), or a test's simulated pressure.
     */
    public static HealthCheck heap(double degradedBelow, java.util.function.Supplier<MemoryUsage> reading) {
        Objects.requireNonNull(reading, "reading");
        return () -> {
            MemoryUsage heap = reading.get();
            long max = heap.getMax() > 0 ? heap.getMax() : heap.getCommitted();
            double free = 1 - (double) heap.getUsed() / max;
            return HealthResult.of(free < degradedBelow ? HealthStatus.DEGRADED : HealthStatus.UP,
                    Map.of("usedBytes", heap.getUsed(), "maxBytes", max, "freeFraction", Math.round(free * 1000) / 1000.0));
        };
    }

    /** DOWN when the JVM finds threads deadlocked on monitors or locks: only a restart helps. */
    public static HealthCheck deadlocks() {
        return () -> {
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long[] ids = threads.findDeadlockedThreads();
            if (ids == null) {
                return HealthResult.up();
            }
            String names = Arrays.stream(threads.getThreadInfo(ids)).filter(Objects::nonNull)
                    .map(ThreadInfo::getThreadName).collect(Collectors.joining(", "));
            return HealthResult.down("deadlocked threads: " + names);
        };
    }

    /**
     * {@link #backup(BackupStatus, Duration, Duration, Clock)} on the system clock, with
     * verifications expected at least weekly.
     */
    public static HealthCheck backup(BackupStatus status, Duration maxAge) {
        return backup(status, maxAge, Duration.ofDays(8), Clock.systemUTC());
    }

    /**
     * DEGRADED when no backup has succeeded, the last success is older than {@code maxAge}, the
     * last successful verification is older than {@code maxVerificationAge} (or there was none
     * while backups exist), or the last verification failed; UP otherwise. Never DOWN: an old
     * backup is a risk, not an outage.
     */
    public static HealthCheck backup(BackupStatus status, Duration maxAge, Duration maxVerificationAge, Clock clock) {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(maxAge, "maxAge");
        Objects.requireNonNull(maxVerificationAge, "maxVerificationAge");
        return () -> {
            Map<String, Object> d = new LinkedHashMap<>();
            HealthStatus s = HealthStatus.UP;
            Optional<Instant> last = status.lastSuccess();
            if (last.isEmpty()) {
                s = HealthStatus.DEGRADED;
                d.put("lastSuccess", "never");
            } else {
                Duration age = Duration.between(last.get(), clock.instant());
                d.put("lastSuccess", last.get().toString());
                d.put("ageSeconds", age.toSeconds());
                if (age.compareTo(maxAge) > 0) {
                    s = HealthStatus.DEGRADED;
                    d.put("stale", "older than " + maxAge);
                }
            }
            Optional<Instant> verified = status.lastVerification();
            if (verified.isPresent()) {
                Duration age = Duration.between(verified.get(), clock.instant());
                d.put("lastVerification", verified.get().toString());
                d.put("verificationAgeSeconds", age.toSeconds());
                if (age.compareTo(maxVerificationAge) > 0) {
                    s = HealthStatus.DEGRADED;
                    d.put("verificationStale", "older than " + maxVerificationAge);
                }
            } else if (last.isPresent()) {
                s = HealthStatus.DEGRADED;
                d.put("lastVerification", "never");
            }
            if (status.lastVerificationFailed()) {
                s = HealthStatus.DEGRADED;
                d.put("verification", "failed");
            }
            return HealthResult.of(s, d);
        };
    }
}
