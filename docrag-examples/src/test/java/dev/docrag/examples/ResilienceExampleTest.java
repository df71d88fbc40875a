package dev.docrag.examples;

import com.sun.net.httpserver.HttpServer;
import dev.docrag.core.embed.OnnxEmbedder;
import dev.docrag.index.Hit;
import dev.docrag.index.SearchResult;
import dev.docrag.ops.health.HealthStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Keeps README's "Degraded modes and incident response" example true, and runs it. */
class ResilienceExampleTest {
    private static final Path SOURCE = Path.of("src/main/java/dev/docrag/examples/ResilienceExample.java");

    @Test
    void readmeShowsTheExampleVerbatim() throws IOException {
        ReadmeSnippets.assertReadmeShows(SOURCE, "resilience:");
        ReadmeSnippets.assertReadmeShows(SOURCE, "degraded:");
    }

    private static String alert(String status) {
        return "{\"version\":\"4\",\"status\":\"" + status + "\",\"alerts\":[{\"status\":\"" + status
                + "\",\"labels\":{\"alertname\":\"HighErrorRate\"},\"annotations\":{\"summary\":\"5xx above 0.05/s\"}}]}";
    }

    @Test
    void anErrorRateAlertDegradesSearchShedsLoadAndPostsToTheWebhookUntilResolved(@TempDir Path dir) throws IOException {
        List<String> posted = new CopyOnWriteArrayList<>();
        HttpServer chat = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        chat.createContext("/hook", ex -> {
            posted.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        chat.start();
        AtomicInteger cacheDrops = new AtomicInteger();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (ResilienceExample.Resilient r = ResilienceExample.wire(dir.resolve("data"), OnnxEmbedder.allMiniLmL6V2(),
                URI.create("http://127.0.0.1:" + chat.getAddress().getPort() + "/hook"), meters, cacheDrops::incrementAndGet)) {
            r.rag().ingest(DemoTest.SAMPLES);
            assertThat(r.health().readiness().status()).isNotEqualTo(HealthStatus.DOWN);

            SearchResult degraded = ResilienceExample.search(r, "how do I rotate logs?", alert("firing"));
            assertThat(degraded.degraded()).isTrue();
            assertThat(degraded.hits()).isNotEmpty().noneMatch(Hit::foundByVector);
            assertThat(r.shedder().admit()).isFalse();
            assertThat(r.health().readiness().checks().get("embedder").status()).isEqualTo(HealthStatus.DEGRADED);
            assertThat(posted).singleElement().asString().contains("HIGH_ERROR_RATE started", "5xx above 0.05/s");

            SearchResult recovered = ResilienceExample.search(r, "how do I rotate logs?", alert("resolved"));
            assertThat(recovered.degraded()).isFalse();
            assertThat(recovered.hits()).anyMatch(Hit::foundByVector);
            assertThat(r.shedder().admit()).isTrue();
            assertThat(posted).hasSize(2);
            assertThat(meters.get("docrag.search.degraded").counter().count()).isEqualTo(1);
            assertThat(cacheDrops).hasValue(0);
        } finally {
            chat.stop(0);
        }
    }
}
