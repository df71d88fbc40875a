package dev.docrag.ops;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.docrag.core.embed.EmbedderException;
import dev.docrag.index.DocRag;
import dev.docrag.index.DocumentInput;
import dev.docrag.index.SearchRequest;
import dev.docrag.index.WritesPausedException;
import dev.docrag.ops.health.HealthChecks;
import dev.docrag.ops.health.HealthRegistry;
import dev.docrag.ops.health.HealthStatus;
import dev.docrag.ops.incident.Incident;
import dev.docrag.ops.incident.IncidentAction;
import dev.docrag.ops.incident.IncidentActions;
import dev.docrag.ops.incident.IncidentEvent;
import dev.docrag.ops.incident.IncidentResponder;
import dev.docrag.ops.incident.LoadShedder;
import dev.docrag.ops.incident.Notifier;
import dev.docrag.ops.incident.WebhookNotifier;
import dev.docrag.ops.resilience.CircuitBreakerState;
import dev.docrag.ops.resilience.ResilientEmbedder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.h2.tools.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.MemoryUsage;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The incident responder against real components with injected faults: a catalog whose database
 * server stops, simulated memory pressure, an Alertmanager payload, a failing provider, and an
 * escalation webhook that is down.
 */
class IncidentResponseTest {
    private final MutableClock clock = new MutableClock();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<String> escalated = Collections.synchronizedList(new ArrayList<>());
    private final Notifier recording = (event, text) -> {
        escalated.add(text);
        return Notifier.Delivery.SENT;
    };

    private double actions(Incident incident, String action, IncidentEvent.Phase phase, String outcome) {
        var c = meters.find("docrag.incident.actions").tags("incident", incident.tag(), "action", action,
                "phase", phase.tag(), "outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    private static DocumentInput doc(String id, String text) {
        return DocumentInput.builder("acme", id).title(id).text(text).build();
    }

    @Test
    void anUnreachableCatalogMakesDocRagReadOnlyWhileSearchesGoOnAndWritesResumeWhenItIsBack(@TempDir Path dir) throws Exception {
        Server db = Server.createTcpServer("-tcpPort", "0", "-ifNotExists", "-baseDir", dir.resolve("db").toString()).start();
        NetworkCut network = new NetworkCut(db.getPort());
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl("jdbc:h2:tcp://127.0.0.1:" + network.port() + "/catalog;DB_CLOSE_ON_EXIT=FALSE");
        pool.setUsername("sa");
        pool.setPassword("");
        pool.setConnectionTimeout(500);
        pool.setMaximumPoolSize(4);
        try (HikariDataSource host = new HikariDataSource(pool);
             DocRag rag = DocRag.builder().directory(dir.resolve("rag")).embedder(new TestEmbedder()).catalog(host).build()) {
            rag.upsert(doc("logs", "Rotate logs with logrotate every night."));
            HealthRegistry health = HealthChecks.standard(rag);
            IncidentResponder responder = IncidentResponder.builder()
                    .on(Incident.CATALOG_UNREACHABLE, IncidentActions.pauseWrites(rag))
                    .escalateTo(recording).meterRegistry(meters).clock(clock).build();
            assertThat(responder.onHealth(health.readiness())).isEmpty();

            network.cut(); // the catalog's database becomes unreachable
            assertThat(health.readiness().checks().get("catalog").status()).isEqualTo(HealthStatus.DOWN);
            List<IncidentEvent> started = responder.onHealth(health.readiness());
            assertThat(started).singleElement().satisfies(e -> {
                assertThat(e.incident()).isEqualTo(Incident.CATALOG_UNREACHABLE);
                assertThat(e.phase()).isEqualTo(IncidentEvent.Phase.STARTED);
                assertThat(e.source()).isEqualTo("health:catalog");
            });
            assertThat(rag.writesPaused()).isPresent();
            assertThatThrownBy(() -> rag.upsert(doc("new", "written during the outage")))
                    .isInstanceOf(WritesPausedException.class);
            assertThat(rag.search(SearchRequest.hybrid("rotate logs").tenant("acme")))
                    .as("read-only, not down: searches need only the index").isNotEmpty();
            assertThat(responder.onHealth(health.readiness())).as("a repeated probe repeats nothing").isEmpty();
            assertThat(actions(Incident.CATALOG_UNREACHABLE, "pause_writes", IncidentEvent.Phase.STARTED, "success")).isEqualTo(1);
            assertThat(escalated).singleElement().asString()
                    .contains("CATALOG_UNREACHABLE started", "health:catalog", "pause_writes success");

            network.restore(); // and reachable again
            // the pool drops its broken connections as it validates them (those idle over 500 ms):
            // wait until the catalog answers on three probes in a row
            int upInARow = 0;
            for (int i = 0; i < 40 && upInARow < 3; i++) {
                Thread.sleep(600);
                upInARow = health.readiness().checks().get("catalog").status() == HealthStatus.UP ? upInARow + 1 : 0;
            }
            assertThat(upInARow).as("the catalog answers again").isEqualTo(3);
            clock.advance(Duration.ofMinutes(3));
            var report = health.readiness();
            List<IncidentEvent> resolved = responder.onHealth(report);
            assertThat(resolved).as(report.toJson()).singleElement().extracting(IncidentEvent::phase).isEqualTo(IncidentEvent.Phase.RESOLVED);
            assertThat(rag.writesPaused()).isEmpty();
            rag.upsert(doc("new", "written after the outage"));
            assertThat(rag.documentCount()).isEqualTo(2);
            assertThat(responder.active()).isEmpty();
            assertThat(meters.get("docrag.incidents").tags("incident", "catalog_unreachable", "phase", "resolved").counter().count())
                    .isEqualTo(1);
        } finally {
            network.close();
            db.stop();
        }
    }

    @Test
    void memoryPressureDropsCachesAndPausesIngestionUntilItEasesAndSharedPausesHoldUntilTheLastIncident(@TempDir Path dir) {
        AtomicReference<MemoryUsage> heap = new AtomicReference<>(new MemoryUsage(0, 300, 1000, 1000));
        HealthRegistry health = HealthRegistry.builder().readiness("heap", HealthChecks.heap(0.10, heap::get)).build();
        Map<String, String> cache = new ConcurrentHashMap<>(Map.of("q1", "hits", "q2", "hits"));
        try (DocRag rag = RealDocRag.open(dir, io.micrometer.observation.ObservationRegistry.NOOP)) {
            IncidentAction readOnly = IncidentActions.pauseWrites(rag);
            IncidentResponder responder = IncidentResponder.builder()
                    .on(Incident.MEMORY_PRESSURE, IncidentActions.dropCaches(List.of(cache::clear)), readOnly)
                    .on(Incident.CATALOG_UNREACHABLE, readOnly)
                    .meterRegistry(meters).clock(clock).build();
            assertThat(responder.onHealth(health.readiness())).isEmpty();

            heap.set(new MemoryUsage(0, 950, 1000, 1000)); // 5% free
            assertThat(responder.onHealth(health.readiness())).extracting(IncidentEvent::incident)
                    .containsExactly(Incident.MEMORY_PRESSURE);
            assertThat(cache).as("caches dropped").isEmpty();
            assertThatThrownBy(() -> rag.upsert(doc("a", "text"))).isInstanceOf(WritesPausedException.class);
            assertThat(actions(Incident.MEMORY_PRESSURE, "drop_caches", IncidentEvent.Phase.STARTED, "success")).isEqualTo(1);
            assertThat(actions(Incident.MEMORY_PRESSURE, "pause_writes", IncidentEvent.Phase.STARTED, "success")).isEqualTo(1);

            responder.raise(Incident.CATALOG_UNREACHABLE, "manual:oncall", "failover in progress");
            heap.set(new MemoryUsage(0, 200, 1000, 1000));
            assertThat(responder.onHealth(health.readiness())).extracting(IncidentEvent::phase)
                    .containsExactly(IncidentEvent.Phase.RESOLVED);
            assertThat(rag.writesPaused()).as("still paused: the catalog incident holds it").isPresent();
            responder.clear(Incident.CATALOG_UNREACHABLE, "manual:oncall");
            assertThat(rag.writesPaused()).isEmpty();
            assertThat(rag.upsert(doc("a", "text")).added()).isEqualTo(1);
        }
    }

    private static String alertmanager(String status, String... alertnames) {
        StringBuilder alerts = new StringBuilder();
        for (String name : alertnames) {
            if (!alerts.isEmpty()) {
                alerts.append(',');
            }
            alerts.append("{\"status\":\"").append(status).append("\",\"labels\":{\"alertname\":\"").append(name)
                    .append("\",\"severity\":\"page\"},\"annotations\":{\"summary\":\"").append(name)
                    .append(" for 5m\"},\"startsAt\":\"2026-11-28T00:00:00Z\",\"fingerprint\":\"abc\"}");
        }
        return "{\"version\":\"4\",\"groupKey\":\"{}:{alertname}\",\"status\":\"" + status
                + "\",\"receiver\":\"docrag\",\"groupLabels\":{},\"commonLabels\":{},\"alerts\":[" + alerts + "]}";
    }

    @Test
    void aHighErrorRateAlertOpensTheBreakerAndShedsLoadUntilItResolves(@TempDir Path dir) {
        FaultyEmbedder faulty = new FaultyEmbedder();
        ResilientEmbedder embedder = ResilientEmbedder.builder(faulty).build();
        LoadShedder shedder = new LoadShedder();
        try (DocRag rag = DocRag.builder().directory(dir.resolve("rag")).embedder(embedder).build()) {
            rag.upsert(doc("logs", "Rotate logs with logrotate every night."));
            IncidentResponder responder = IncidentResponder.builder()
                    .on(Incident.HIGH_ERROR_RATE, IncidentActions.openBreaker(embedder), IncidentActions.shedLoad(shedder))
                    .escalateTo(recording).meterRegistry(meters).clock(clock).build();
            SearchRequest hybrid = SearchRequest.hybrid("rotate logs").tenant("acme");

            assertThatThrownBy(() -> responder.onAlertmanager("{\"not\": \"alertmanager\"}"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("alerts");
            assertThatThrownBy(() -> responder.onAlertmanager("not json")).isInstanceOf(IllegalArgumentException.class);

            List<IncidentEvent> started = responder.onAlertmanager(alertmanager("firing", "HighErrorRate", "SomethingElse"));
            assertThat(started).extracting(IncidentEvent::incident).containsExactly(Incident.HIGH_ERROR_RATE);
            assertThat(started.get(0).summary()).isEqualTo("HighErrorRate for 5m");
            assertThat(embedder.state()).isEqualTo(CircuitBreakerState.State.OPEN);
            assertThat(shedder.admit()).isFalse();
            int calls = faulty.calls();
            assertThat(rag.searchResult(hybrid).degraded()).as("keyword-only while the breaker is forced open").isTrue();
            assertThat(faulty.calls()).isEqualTo(calls);
            assertThat(responder.onAlertmanager(alertmanager("firing", "HighErrorRate"))).as("re-sent alert").isEmpty();
            var embedderCheck = HealthChecks.standard(rag).readiness().checks().get("embedder");
            assertThat(embedderCheck.status()).isEqualTo(HealthStatus.DEGRADED);
            assertThat(embedderCheck.details()).containsEntry("circuit", "FORCED_OPEN");
            assertThat(responder.onHealth(HealthChecks.standard(rag).readiness()))
                    .as("a breaker opened on purpose is not a provider failure").isEmpty();

            List<IncidentEvent> resolved = responder.onAlertmanager(alertmanager("resolved", "HighErrorRate"));
            assertThat(resolved).extracting(IncidentEvent::phase).containsExactly(IncidentEvent.Phase.RESOLVED);
            assertThat(embedder.state()).isEqualTo(CircuitBreakerState.State.CLOSED);
            assertThat(shedder.admit()).isTrue();
            assertThat(rag.searchResult(hybrid).degraded()).isFalse();
            assertThat(actions(Incident.HIGH_ERROR_RATE, "open_breaker", IncidentEvent.Phase.RESOLVED, "success")).isEqualTo(1);
            assertThat(actions(Incident.HIGH_ERROR_RATE, "escalate", IncidentEvent.Phase.STARTED, "success")).isEqualTo(1);
            assertThat(escalated).hasSize(2);
            assertThat(escalated.get(1)).contains("HIGH_ERROR_RATE resolved", "shed_load success", "open_breaker success");
        }
    }

    @Test
    void aProviderFailureIsHandledAndEscalatedEvenWhenTheWebhookReceiverIsDown(@TempDir Path dir) throws Exception {
        URI deadWebhook;
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            deadWebhook = receiver.url();
        }
        FaultyEmbedder faulty = new FaultyEmbedder();
        List<String> fallback = Collections.synchronizedList(new ArrayList<>());
        try (DocRag rag = DocRag.builder().directory(dir.resolve("rag")).embedder(faulty).build()) {
            rag.upsert(doc("logs", "Rotate logs with logrotate every night."));
            HealthRegistry health = HealthChecks.standard(rag);
            IncidentAction failing = IncidentAction.of("page_vendor", e -> {
                throw new IllegalStateException("vendor API down too");
            }, null);
            IncidentResponder responder = IncidentResponder.builder()
                    .on(Incident.PROVIDER_FAILURE, IncidentAction.of("fallback", e -> fallback.add("keyword-only"),
                            e -> fallback.add("hybrid")), failing)
                    .escalateTo(WebhookNotifier.builder(deadWebhook).clock(clock).retries(2, Duration.ofMillis(5))
                            .timeout(Duration.ofSeconds(1)).build())
                    .meterRegistry(meters).clock(clock).build();

            faulty.failWith(() -> EmbedderException.transientFailure("provider 503", null));
            assertThat(responder.onHealth(health.readiness())).extracting(IncidentEvent::incident)
                    .containsExactly(Incident.PROVIDER_FAILURE);
            assertThat(fallback).containsExactly("keyword-only");
            assertThat(rag.searchResult(SearchRequest.hybrid("rotate logs").tenant("acme")).degraded()).isTrue();
            assertThat(actions(Incident.PROVIDER_FAILURE, "page_vendor", IncidentEvent.Phase.STARTED, "failure"))
                    .as("a failing action is counted, and does not stop the others").isEqualTo(1);
            assertThat(actions(Incident.PROVIDER_FAILURE, "escalate", IncidentEvent.Phase.STARTED, "failure"))
                    .as("the receiver is down: counted as a failed escalation, no exception").isEqualTo(1);

            faulty.heal();
            assertThat(responder.onHealth(health.readiness())).extracting(IncidentEvent::phase)
                    .containsExactly(IncidentEvent.Phase.RESOLVED);
            assertThat(fallback).containsExactly("keyword-only", "hybrid");
        }
    }

    @Test
    void builderRejectsAResponderThatWouldDoNothingAndBadNames() {
        assertThatThrownBy(() -> IncidentResponder.builder().build()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> IncidentResponder.builder().on(Incident.MEMORY_PRESSURE,
                IncidentAction.of("Bad Name", e -> { }, null))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IncidentResponder.builder().healthCheck("heap", HealthStatus.UP, Incident.MEMORY_PRESSURE))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
