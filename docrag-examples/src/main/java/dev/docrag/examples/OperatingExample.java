package dev.docrag.examples;

import dev.docrag.index.DocRag;
import dev.docrag.ops.OpsAsset;
import dev.docrag.ops.health.HealthChecks;
import dev.docrag.ops.health.HealthRegistry;
import dev.docrag.ops.health.HealthReport;
import dev.docrag.ops.metrics.DocRagMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The "Operating DocRag" example of README.md: how a host wires tracing, metrics, health and the
 * alerting assets. Compiled and run by {@code OperatingExampleTest}, which also checks that README
 * shows these exact lines.
 */
final class OperatingExample {
    private OperatingExample() {
    }

    /** What the host keeps: DocRag, its health registry, and the first readiness report. */
    record Operated(DocRag rag, DocRagMetrics metrics, HealthRegistry health, HealthReport ready) implements AutoCloseable {
        @Override
        public void close() {
            metrics.close();
            rag.close();
        }
    }

    static Operated wire(Path data, MeterRegistry meterRegistry, ObservationRegistry observationRegistry, Path monitoring)
            throws IOException {
        // README:ops:begin
        DocRag rag = DocRag.builder()
                .directory(data)
                .observationRegistry(observationRegistry)  // spans: docrag.search, docrag.ingest, docrag.embed, ...
                .build();
        DocRagMetrics metrics = DocRagMetrics.of(rag);     // docrag_requests_total, docrag_request_duration_seconds, ...
        metrics.bindTo(meterRegistry);
        HealthRegistry health = HealthChecks.standard(rag); // liveness: deadlocks; readiness: index, catalog, embedder, disk, heap
        HealthReport ready = health.readiness();           // ready.httpStatus(): 200 when UP or DEGRADED, 503 when DOWN
        for (OpsAsset asset : OpsAsset.values()) {         // Prometheus rules, Alertmanager routes, Grafana dashboard
            asset.copyTo(monitoring);
        }
        // README:ops:end
        return new Operated(rag, metrics, health, ready);
    }
}
