package dev.docrag.examples;

import dev.docrag.core.embed.Embedder;
import dev.docrag.index.DocRag;
import dev.docrag.index.SearchRequest;
import dev.docrag.index.SearchResult;
import dev.docrag.ops.health.HealthChecks;
import dev.docrag.ops.health.HealthRegistry;
import dev.docrag.ops.incident.Incident;
import dev.docrag.ops.incident.IncidentAction;
import dev.docrag.ops.incident.IncidentActions;
import dev.docrag.ops.incident.IncidentResponder;
import dev.docrag.ops.incident.LoadShedder;
import dev.docrag.ops.incident.WebhookNotifier;
import dev.docrag.ops.metrics.DocRagMetrics;
import dev.docrag.ops.resilience.ResilientEmbedder;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The "Degraded modes and incident response" example of README.md: how a host wires the
 * resilient embedder, degraded search and the incident responder. Compiled and run by
 * {@code ResilienceExampleTest}, which also checks that README shows these exact lines.
 */
final class ResilienceExample {
    private static final Logger log = LoggerFactory.getLogger(ResilienceExample.class);

    private ResilienceExample() {
    }

    /** What the host keeps. */
    record Resilient(ResilientEmbedder embedder, DocRag rag, DocRagMetrics metrics, HealthRegistry health,
                     LoadShedder shedder, IncidentResponder responder) implements AutoCloseable {
        @Override
        public void close() {
            metrics.close();
            rag.close();
            embedder.close(); // a host's embedder: DocRag does not close it
        }
    }

    static Resilient wire(Path data, Embedder provider, URI slackWebhookUrl, MeterRegistry meterRegistry, Runnable dropMyCache) {
        // README:resilience:begin
        ResilientEmbedder embedder = ResilientEmbedder.builder(provider)
                .queryTimeout(Duration.ofSeconds(2))      // per attempt; below the health check's 5 s
                .maxAttempts(3)                           // transient failures only, exponential backoff
                .maxConcurrentCalls(16, Duration.ofMillis(100))
                .build();
        DocRag rag = DocRag.builder().directory(data).embedder(embedder).build();
        HealthRegistry health = HealthChecks.standard(rag); // reads the embedder's breaker
        DocRagMetrics metrics = DocRagMetrics.of(rag).withCircuitBreaker(embedder);
        metrics.bindTo(meterRegistry);
        LoadShedder shedder = new LoadShedder();           // your HTTP layer answers 503 unless shedder.admit()
        IncidentAction readOnly = IncidentActions.pauseWrites(rag);
        IncidentResponder responder = IncidentResponder.builder()
                .on(Incident.HIGH_ERROR_RATE, IncidentActions.openBreaker(embedder), IncidentActions.shedLoad(shedder))
                .on(Incident.MEMORY_PRESSURE, IncidentActions.dropCaches(List.of(dropMyCache)), readOnly)
                .on(Incident.CATALOG_UNREACHABLE, readOnly)
                .escalateTo(WebhookNotifier.builder(slackWebhookUrl).build())
                .meterRegistry(meterRegistry)
                .build();
        // README:resilience:end
        return new Resilient(embedder, rag, metrics, health, shedder, responder);
    }

    /** A search after feeding the responder the latest probe and an Alertmanager webhook body. */
    static SearchResult search(Resilient r, String query, String alertmanagerBody) {
        DocRag rag = r.rag();
        HealthRegistry health = r.health();
        IncidentResponder responder = r.responder();
        // README:degraded:begin
        responder.onHealth(health.readiness());           // after each readiness probe
        responder.onAlertmanager(alertmanagerBody);       // your Alertmanager webhook route; 400 on IllegalArgumentException
        SearchResult result = rag.searchResult(SearchRequest.hybrid(query).tenant(DocRag.DEFAULT_TENANT));
        if (result.degraded()) {                          // keyword-only: tell the user, don't cache it
            log.info("keyword-only results: {}", result.reason().orElseThrow());
        }
        // README:degraded:end
        return result;
    }
}
