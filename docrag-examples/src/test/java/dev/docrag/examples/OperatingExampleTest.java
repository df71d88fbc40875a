package dev.docrag.examples;

import dev.docrag.ops.health.HealthStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Keeps README's "Operating DocRag" example true: README shows exactly the code that this test runs. */
class OperatingExampleTest {
    private static final Path SOURCE = Path.of("src/main/java/dev/docrag/examples/OperatingExample.java");

    @Test
    void readmeShowsTheExampleVerbatim() throws IOException {
        ReadmeSnippets.assertReadmeShows(SOURCE, "ops:");
    }

    @Test
    void theExampleWiresMetricsHealthAndAssets(@TempDir Path dir) throws IOException {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        Path monitoring = dir.resolve("monitoring");
        try (OperatingExample.Operated ops = OperatingExample.wire(dir.resolve("data"), meters, ObservationRegistry.create(),
                monitoring)) {
            assertThat(ops.ready().status()).isNotEqualTo(HealthStatus.DOWN);
            assertThat(ops.ready().checks()).containsOnlyKeys("index", "catalog", "embedder", "disk", "heap");
            ops.rag().ingest(DemoTest.SAMPLES);
            ops.rag().search("how do I rotate logs?", 3);
            assertThat(meters.get("docrag.requests").tags("operation", "search", "status", "200").counter().count()).isEqualTo(1);
            assertThat(meters.get("docrag.index.documents").gauge().value()).isEqualTo(8);
        }
        assertThat(monitoring.resolve("docrag-rules.yml")).isRegularFile();
        assertThat(monitoring.resolve("alertmanager.yml")).isRegularFile();
        assertThat(Files.readString(monitoring.resolve("docrag-dashboard.json"))).contains("docrag_requests_total");
    }
}
