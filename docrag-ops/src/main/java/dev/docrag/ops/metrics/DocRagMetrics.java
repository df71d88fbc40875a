package dev.docrag.ops.metrics;

import dev.docrag.index.DocRag;
import dev.docrag.index.DocRagListener;
import dev.docrag.index.DocRagStats;
import dev.docrag.index.IngestReport;
import dev.docrag.ops.backup.BackupStatus;
import dev.docrag.ops.resilience.CircuitBreakerState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Binds a {@link DocRag}'s meters to a Micrometer registry. Names (Prometheus names in brackets):
 *
 * <ul>
 *   <li>{@code docrag.requests} counter, tags {@code operation} (search, ingest, upsert, delete) and
 *       {@code status} (see {@link RequestStatus}) [{@code docrag_requests_total}]</li>
 *   <li>{@code docrag.request.duration} timer with a published histogram, tag {@code operation}
 *       [{@code docrag_request_duration_seconds_bucket}]; bucket bounds include 0.1, 0.25, 0.5,
 *       1, 2.5, 5 and 10 s exactly, for SLO rules</li>
 *   <li>{@code docrag.memory.usage} gauge: JVM heap in use, bytes [{@code docrag_memory_usage_bytes}]</li>
 *   <li>{@code docrag.index.documents}, {@code docrag.index.chunks}, {@code docrag.index.segments}
 *       gauges, {@code docrag.index.size} bytes, {@code docrag.index.searcher.age} seconds</li>
 *   <li>{@code docrag.disk.free}, {@code docrag.disk.total} bytes of the file system holding the
 *       DocRag directory</li>
 *   <li>{@code docrag.catalog.connections} tag {@code state} (active, idle, pending) and
 *       {@code docrag.catalog.connections.max}, when the catalog is a HikariCP pool</li>
 *   <li>{@code docrag.embedding.duration} timer, tags {@code kind} (query, documents) and
 *       {@code outcome} (success, failure); {@code docrag.embedding.tokens} counter (documents'
 *       tokens as the chunker counted them)</li>
 *   <li>{@code docrag.search.degraded} counter: hybrid searches answered keyword-only because the
 *       query could not be embedded [{@code docrag_search_degraded_total}]</li>
 *   <li>{@code docrag.ingest.documents} counter, tags {@code operation} (ingest, upsert) and
 *       {@code outcome} (added, updated, unchanged, deleted, failed)</li>
 *   <li>with {@link #withBackups}: {@code docrag.backup.last.success} and
 *       {@code docrag.backup.last.verification} (epoch seconds, NaN before the first),
 *       {@code docrag.backup.last.duration} seconds, {@code docrag.backup.last.size} bytes,
 *       {@code docrag.backup.verification.failed} (1 or 0)</li>
 *   <li>with {@link #withCircuitBreaker}: {@code docrag.circuit.state}, tag {@code name}, value
 *       0 closed, 1 half-open, 2 open</li>
 * </ul>
 *
 * <p>Guarantees: no tag carries a tenant, document id, query or path. Counters and timers of every
 * operation and status exist from binding on (at 0), so {@code rate()} sees the first failure.
 * Gauges that need the index ({@code docrag.index.*}, catalog) share one {@link DocRagStats}
 * snapshot, refreshed after each write and otherwise at most every {@link #withStatsCacheTtl cache
 * TTL} (default 5 s), and read
 * NaN while DocRag is closed or the snapshot fails. Nothing is counted before {@code bindTo} or
 * after {@link #close()}, which stops reporting to every registry this was bound to (the meters
 * stay in the registry). Binding twice to one registry is ignored (it would count everything
 * twice). Thread-safe.
 */
public final class DocRagMetrics implements MeterBinder, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DocRagMetrics.class);
    private static final Duration[] SLO_BOUNDS = {Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
            Duration.ofSeconds(10)};

    private final DocRag rag;
    private final BackupStatus backups;
    private final List<CircuitBreakerState> circuits;
    private final Duration statsTtl;
    private final List<Recorder> bound = new ArrayList<>();
    private final StatsCache stats;

    private DocRagMetrics(DocRag rag, BackupStatus backups, List<CircuitBreakerState> circuits, Duration statsTtl) {
        this.rag = rag;
        this.backups = backups;
        this.circuits = List.copyOf(circuits);
        this.statsTtl = statsTtl;
        this.stats = new StatsCache(rag, statsTtl);
    }

    /** Metrics of {@code rag}, without backup or circuit meters. */
    public static DocRagMetrics of(DocRag rag) {
        return new DocRagMetrics(Objects.requireNonNull(rag, "rag"), null, List.of(), Duration.ofSeconds(5));
    }

    /** These metrics plus the backup meters fed by {@code status} (the backup manager). */
    public DocRagMetrics withBackups(BackupStatus status) {
        return new DocRagMetrics(rag, Objects.requireNonNull(status, "status"), circuits, statsTtl);
    }

    /** These metrics plus a {@code docrag.circuit.state} gauge for {@code circuit}. */
    public DocRagMetrics withCircuitBreaker(CircuitBreakerState circuit) {
        List<CircuitBreakerState> all = new ArrayList<>(circuits);
        all.add(Objects.requireNonNull(circuit, "circuit"));
        return new DocRagMetrics(rag, backups, all, statsTtl);
    }

    /** How long gauges reuse one {@link DocRagStats} snapshot; default 5 s, at least 0. */
    public DocRagMetrics withStatsCacheTtl(Duration ttl) {
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must not be negative, got " + ttl);
        }
        return new DocRagMetrics(rag, backups, circuits, ttl);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        Recorder recorder;
        synchronized (bound) {
            if (bound.stream().anyMatch(r -> r.registry == registry)) {
                // a second listener would increment the same counters twice
                LOG.warn("DocRagMetrics is already bound to this {}; ignoring the second bindTo", registry.getClass().getSimpleName());
                return;
            }
            recorder = new Recorder(registry, stats);
            bound.add(recorder);
        }
        rag.addListener(recorder);

        Gauge.builder("docrag.memory.usage", () -> ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed())
                .description("JVM heap in use (includes garbage not yet collected)").baseUnit("bytes")
                .strongReference(true).register(registry);
        statGauge(registry, "docrag.index.documents", null, "documents in the catalog", DocRagStats::documents);
        statGauge(registry, "docrag.index.chunks", null, "chunks searchable now", DocRagStats::chunks);
        statGauge(registry, "docrag.index.segments", null, "index segments", DocRagStats::segments);
        statGauge(registry, "docrag.index.size", "bytes", "bytes of index files on disk", DocRagStats::indexBytes);
        statGauge(registry, "docrag.index.searcher.age", "seconds", "time since the searcher was refreshed",
                s -> s.searcherAge().toNanos() / 1e9);
        Path dir = rag.directory();
        Gauge.builder("docrag.disk.free", () -> disk(dir, true)).baseUnit("bytes")
                .description("usable bytes on the file system of the DocRag directory").strongReference(true).register(registry);
        Gauge.builder("docrag.disk.total", () -> disk(dir, false)).baseUnit("bytes")
                .description("total bytes of the file system of the DocRag directory").strongReference(true).register(registry);
        DocRagStats now = stats.get();
        if (now != null && now.catalogPool().isPresent()) {
            poolGauge(registry, "active", p -> p.active());
            poolGauge(registry, "idle", p -> p.idle());
            poolGauge(registry, "pending", p -> p.waiting());
            Gauge.builder("docrag.catalog.connections.max", stats,
                            c -> c.get() == null ? Double.NaN : c.get().catalogPool().map(p -> (double) p.max()).orElse(Double.NaN))
                    .description("catalog pool maximum size").strongReference(true).register(registry);
        }
        if (backups != null) {
            bindBackups(registry, backups);
        }
        for (CircuitBreakerState c : circuits) {
            Gauge.builder("docrag.circuit.state", c, s -> s.state().code()).tag("name", c.name())
                    .description("0 closed, 1 half-open, 2 open").strongReference(true).register(registry);
        }
    }

    private void statGauge(MeterRegistry registry, String name, String unit, String description,
            ToDoubleFunction<DocRagStats> value) {
        Gauge.builder(name, stats, c -> {
                    DocRagStats s = c.get();
                    return s == null ? Double.NaN : value.applyAsDouble(s);
                }).baseUnit(unit).description(description).strongReference(true).register(registry);
    }

    private void poolGauge(MeterRegistry registry, String state, ToDoubleFunction<DocRagStats.Pool> value) {
        Gauge.builder("docrag.catalog.connections", stats, c -> {
                    DocRagStats s = c.get();
                    return s == null ? Double.NaN : s.catalogPool().map(value::applyAsDouble).orElse(Double.NaN);
                }).tag("state", state).description("catalog pool connections by state").strongReference(true)
                .register(registry);
    }

    private static void bindBackups(MeterRegistry registry, BackupStatus b) {
        Gauge.builder("docrag.backup.last.success", b,
                        s -> s.lastSuccess().map(t -> t.toEpochMilli() / 1000.0).orElse(Double.NaN))
                .baseUnit("seconds").description("when the last successful backup finished, epoch seconds")
                .strongReference(true).register(registry);
        Gauge.builder("docrag.backup.last.verification", b,
                        s -> s.lastVerification().map(t -> t.toEpochMilli() / 1000.0).orElse(Double.NaN))
                .baseUnit("seconds").description("when a backup was last verified, epoch seconds")
                .strongReference(true).register(registry);
        TimeGauge.builder("docrag.backup.last.duration", b, TimeUnit.SECONDS,
                        s -> s.lastDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN))
                .description("how long the last successful backup took").strongReference(true).register(registry);
        Gauge.builder("docrag.backup.last.size", b, s -> s.lastBytes().isPresent() ? s.lastBytes().getAsLong() : Double.NaN)
                .baseUnit("bytes").description("bytes written by the last successful backup")
                .strongReference(true).register(registry);
        Gauge.builder("docrag.backup.verification.failed", b, s -> s.lastVerificationFailed() ? 1 : 0)
                .description("1 when the last backup verification failed").strongReference(true).register(registry);
    }

    private static double disk(Path dir, boolean free) {
        try {
            var store = Files.getFileStore(dir);
            return free ? store.getUsableSpace() : store.getTotalSpace();
        } catch (Exception e) {
            return Double.NaN;
        }
    }

    /** Stops counting into every registry this was bound to. */
    @Override
    public void close() {
        synchronized (bound) {
            bound.forEach(rag::removeListener);
            bound.clear();
        }
    }

    /** Turns DocRag's events into meters of one registry; meters are created once, up front. */
    private static final class Recorder implements DocRagListener {
        private final MeterRegistry registry;
        private final Map<Operation, Map<Outcome, Counter>> requests = new EnumMap<>(Operation.class);
        private final Map<Operation, Timer> durations = new EnumMap<>(Operation.class);
        private final Map<String, Counter> documents = new ConcurrentHashMap<>();
        private final Map<String, Timer> embeddings = new ConcurrentHashMap<>();
        private final Counter tokens;
        private final Counter degraded;
        private final StatsCache stats;

        Recorder(MeterRegistry registry, StatsCache stats) {
            this.registry = registry;
            this.stats = stats;
            for (Operation op : Operation.values()) {
                Map<Outcome, Counter> byOutcome = new EnumMap<>(Outcome.class);
                for (Outcome o : Outcome.values()) {
                    byOutcome.put(o, Counter.builder("docrag.requests").tag("operation", op.tag())
                            .tag("status", RequestStatus.of(o)).description("DocRag calls by operation and HTTP-style status")
                            .register(registry));
                }
                requests.put(op, byOutcome);
                durations.put(op, Timer.builder("docrag.request.duration").tag("operation", op.tag())
                        .description("DocRag call latency, whatever the outcome").publishPercentileHistogram()
                        .serviceLevelObjectives(SLO_BOUNDS).minimumExpectedValue(Duration.ofMillis(1))
                        .maximumExpectedValue(Duration.ofSeconds(30)).register(registry));
            }
            for (Operation op : List.of(Operation.INGEST, Operation.UPSERT)) {
                for (String outcome : List.of("added", "updated", "unchanged", "deleted", "failed")) {
                    documents.put(op.tag() + outcome, Counter.builder("docrag.ingest.documents").tag("operation", op.tag())
                            .tag("outcome", outcome).description("documents written by ingest and upsert calls, by outcome")
                            .register(registry));
                }
            }
            for (EmbedKind kind : EmbedKind.values()) {
                for (boolean ok : new boolean[] {true, false}) {
                    embeddings.put(kind.tag() + ok, Timer.builder("docrag.embedding.duration").tag("kind", kind.tag())
                            .tag("outcome", ok ? "success" : "failure").description("embedder call latency")
                            .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                            .maximumExpectedValue(Duration.ofSeconds(60)).register(registry));
                }
            }
            tokens = Counter.builder("docrag.embedding.tokens").description("tokens of document chunks embedded")
                    .baseUnit("tokens").register(registry);
            degraded = Counter.builder("docrag.search.degraded")
                    .description("hybrid searches answered keyword-only because the query could not be embedded")
                    .register(registry);
        }

        @Override
        public void searchDegraded() {
            degraded.increment();
        }

        @Override
        public void requestFinished(Operation operation, Outcome outcome, Duration took) {
            requests.get(operation).get(outcome).increment();
            durations.get(operation).record(took);
            if (operation != Operation.SEARCH) {
                stats.invalidate(); // a write changed the index: the next scrape reads fresh numbers
            }
        }

        @Override
        public void documentsWritten(Operation operation, IngestReport r) {
            add(operation, "added", r.added());
            add(operation, "updated", r.updated());
            add(operation, "unchanged", r.unchanged());
            add(operation, "deleted", r.deleted());
            add(operation, "failed", r.failed());
        }

        private void add(Operation operation, String outcome, int n) {
            Counter c = documents.get(operation.tag() + outcome);
            if (c != null && n > 0) {
                c.increment(n);
            }
        }

        @Override
        public void embedded(EmbedKind kind, int texts, long tokenCount, Duration took, boolean ok) {
            embeddings.get(kind.tag() + ok).record(took);
            if (tokenCount > 0) {
                tokens.increment(tokenCount);
            }
        }

        @Override
        public String toString() {
            return "DocRagMetrics recorder for " + registry.getClass().getSimpleName();
        }
    }

    /** One {@link DocRagStats} shared by all gauges of a scrape; null when it cannot be read. */
    static final class StatsCache {
        private final DocRag rag;
        private final long ttlNanos;
        private DocRagStats last;
        private long readAt;
        private boolean read;

        StatsCache(DocRag rag, Duration ttl) {
            this.rag = rag;
            this.ttlNanos = ttl.toNanos();
        }

        synchronized void invalidate() {
            read = false;
        }

        synchronized DocRagStats get() {
            long now = System.nanoTime();
            if (!read || now - readAt >= ttlNanos) {
                read = true;
                readAt = now;
                try {
                    last = rag.isOpen() ? rag.stats() : null;
                } catch (RuntimeException e) {
                    LOG.debug("DocRag stats unavailable for metrics: {}", e.toString());
                    last = null;
                }
            }
            return last;
        }
    }
}
