package dev.docrag.examples.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.docrag.core.embed.Embedder;
import dev.docrag.core.embed.EmbedderException;
import dev.docrag.core.embed.ModelInfo;
import dev.docrag.index.DocRag;
import dev.docrag.index.DocumentInput;
import dev.docrag.examples.cli.DocRagCli;
import dev.docrag.ops.backup.BackupManager;
import dev.docrag.ops.backup.BackupTarget;
import dev.docrag.ops.backup.Manifest;
import dev.docrag.ops.backup.VerifyDepth;
import dev.docrag.ops.health.HealthChecks;
import dev.docrag.ops.health.HealthRegistry;
import dev.docrag.ops.health.HealthResult;
import dev.docrag.ops.metrics.DocRagMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP service over the sample handbook (tenant {@code default}) and one document of tenant
 * {@code other}, with the real MiniLM model: routes, status codes, keys and limits.
 */
class DocRagServerTest {
    static final Path SAMPLES = Path.of(System.getProperty("docrag.samples", "../samples/handbook"));
    static final String WRITE = "write-key-0123456789";
    static final String READ_DEFAULT = "read-default-0123456789";
    static final String READ_OTHER = "read-other-0123456789";

    @TempDir
    static Path dir;
    static DocRag rag;
    static DocRagMetrics docragMetrics;
    static PrometheusMeterRegistry prometheus;
    static DocRagServer server;
    static final HttpClient client = HttpClient.newHttpClient();
    static final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws IOException {
        rag = DocRag.builder().directory(dir.resolve("index")).build();
        assertThat(rag.ingest(SAMPLES).failed()).isZero();
        rag.upsert(DocumentInput.builder("other", "secret-plans").title("Other tenant plans")
                .text("The other tenant rotates its logs every Tuesday with logrotate.").build());
        prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        docragMetrics = DocRagMetrics.of(rag);
        docragMetrics.bindTo(prometheus);
        server = DocRagServer.start(rag, HealthChecks.standard(rag), prometheus, config().build());
    }

    static ServiceConfig.Builder config() {
        return ServiceConfig.builder().port(0).maxBodyBytes(4096)
                .apiKeys(ApiKeys.builder().writeKey(WRITE).readKey(READ_DEFAULT, "default").readKey(READ_OTHER, "other").build());
    }

    @AfterAll
    static void stop() {
        server.close();
        docragMetrics.close();
        rag.close();
    }

    @Test
    void searchReturnsRankedHitsWithSourcesSnippetsAndScores() throws Exception {
        for (String mode : new String[] {"hybrid", "vector", "keyword"}) {
            HttpResponse<String> r = post("/v1/search", READ_DEFAULT,
                    "{\"query\": \"how do I rotate the logs\", \"mode\": \"" + mode + "\", \"k\": 3}");
            assertThat(r.statusCode()).as(mode).isEqualTo(200);
            JsonNode body = json.readTree(r.body());
            assertThat(body.get("mode").asText()).isEqualTo(mode);
            assertThat(body.get("tenant").asText()).isEqualTo("default");
            JsonNode hits = body.get("hits");
            assertThat(hits.size()).isBetween(1, 3);
            JsonNode first = hits.get(0);
            assertThat(first.get("rank").asInt()).isEqualTo(1);
            assertThat(first.get("source").asText()).as(mode).endsWith("operations/logging.md");
            assertThat(first.get("title").asText()).isNotBlank();
            assertThat(first.get("breadcrumb").isArray()).isTrue();
            assertThat(first.get("score").isNumber()).isTrue();
            assertThat(first.get("snippet").get("text").asText()).isNotBlank();
            if (!mode.equals("vector")) {
                assertThat(first.get("keywordScore").isNumber()).isTrue();
                JsonNode span = first.get("snippet").get("highlights").get(0);
                String word = first.get("snippet").get("text").asText().substring(span.get(0).asInt(), span.get(1).asInt());
                assertThat(word.toLowerCase()).as("highlighted word").matches("rotat.*|logs?|log.*");
            }
            if (mode.equals("vector")) {
                assertThat(first.get("keywordScore").isNull()).isTrue();
            }
        }
    }

    @Test
    void aReadKeySearchesOnlyItsOwnTenant() throws Exception {
        String q = "{\"query\": \"rotate logs\", \"mode\": \"keyword\", \"k\": 10}";
        JsonNode other = json.readTree(post("/v1/search", READ_OTHER, q).body());
        assertThat(other.get("tenant").asText()).isEqualTo("other");
        assertThat(other.get("hits")).isNotEmpty();
        other.get("hits").forEach(h -> assertThat(h.get("tenant").asText()).isEqualTo("other"));

        HttpResponse<String> widened = post("/v1/search", READ_OTHER,
                "{\"query\": \"rotate logs\", \"tenant\": \"default\"}");
        assertThat(widened.statusCode()).isEqualTo(403);
        assertThat(json.readTree(widened.body()).get("error").asText()).isEqualTo("forbidden");

        JsonNode mine = json.readTree(post("/v1/search", READ_DEFAULT, q).body());
        mine.get("hits").forEach(h -> assertThat(h.get("tenant").asText()).isEqualTo("default"));

        // A write key may search any tenant it names.
        JsonNode writer = json.readTree(post("/v1/search", WRITE, q.replace("}", ", \"tenant\": \"other\"}")).body());
        assertThat(writer.get("hits").get(0).get("id").asText()).isEqualTo("secret-plans");

        // Read keys may not write or read the cross-tenant stats.
        assertThat(put("/v1/documents", READ_OTHER, "{\"documents\": [{\"id\": \"x\", \"text\": \"x\"}]}").statusCode()).isEqualTo(403);
        assertThat(send(HttpRequest.newBuilder(uri("/v1/documents/other/secret-plans")).DELETE(), READ_OTHER).statusCode()).isEqualTo(403);
        assertThat(send(HttpRequest.newBuilder(uri("/v1/stats")).GET(), READ_OTHER).statusCode()).isEqualTo(403);
    }

    @Test
    void protectedRoutesNeedAKnownBearerKeyAndProbesNeedNone() throws Exception {
        HttpResponse<String> none = post("/v1/search", null, "{\"query\": \"logs\"}");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(json.readTree(none.body()).get("error").asText()).isEqualTo("unauthorized");
        assertThat(post("/v1/search", "wrong-key-0123456789", "{\"query\": \"logs\"}").statusCode()).isEqualTo(401);

        HttpResponse<String> live = get("/healthz");
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(json.readTree(live.body()).get("status").asText()).isEqualTo("UP");
        HttpResponse<String> ready = get("/readyz");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(json.readTree(ready.body()).get("checks").has("index")).isTrue();

        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
        assertThat(page.body()).contains("<title>DocRag search</title>").contains("app.js");
        assertThat(get("/app.js").body()).contains("v1/search");

        post("/v1/search", READ_DEFAULT, "{\"query\": \"logs\"}");
        HttpResponse<String> metrics = get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
        assertThat(metrics.body()).contains("docrag_requests_total{").contains("operation=\"search\"")
                .contains("docrag_request_duration_seconds_bucket");
    }

    @Test
    void upsertSearchAndDeleteADocument() throws Exception {
        HttpResponse<String> up = put("/v1/documents", WRITE, """
                {"documents": [{"tenant": "other", "id": "kb/ferrets", "title": "Ferret care",
                  "markdown": "# Ferret care\\n\\nFerrets need a hammock and two meals a day.",
                  "metadata": {"team": "pets", "year": 2026}}]}""");
        assertThat(up.statusCode()).as(up.body()).isEqualTo(200);
        assertThat(json.readTree(up.body()).get("added").asInt()).isEqualTo(1);

        JsonNode found = json.readTree(post("/v1/search", READ_OTHER,
                "{\"query\": \"ferret hammock\", \"mode\": \"keyword\", \"filters\": {\"team\": \"pets\", \"year\": {\"gte\": 2020}}}").body());
        assertThat(found.get("hits").get(0).get("id").asText()).isEqualTo("kb/ferrets");
        assertThat(found.get("hits").get(0).get("breadcrumb").get(0).asText()).isEqualTo("Ferret care");

        HttpResponse<String> stats = send(HttpRequest.newBuilder(uri("/v1/stats")).GET(), WRITE);
        assertThat(stats.statusCode()).isEqualTo(200);
        assertThat(json.readTree(stats.body()).get("documents").asLong()).isGreaterThanOrEqualTo(10);

        HttpResponse<String> del = send(HttpRequest.newBuilder(uri("/v1/documents/other/kb%2Fferrets")).DELETE(), WRITE);
        assertThat(del.statusCode()).as(del.body()).isEqualTo(200);
        HttpResponse<String> again = send(HttpRequest.newBuilder(uri("/v1/documents/other/kb%2Fferrets")).DELETE(), WRITE);
        assertThat(again.statusCode()).isEqualTo(404);
        assertThat(json.readTree(again.body()).get("error").asText()).isEqualTo("not_found");
        assertThat(json.readTree(post("/v1/search", READ_OTHER, "{\"query\": \"ferret hammock\", \"mode\": \"keyword\"}").body())
                .get("hits")).isEmpty();
    }

    @Test
    void badRequestsGetJsonErrorsWithTheRightStatus() throws Exception {
        String big = "{\"query\": \"" + "a".repeat(5000) + "\"}";
        HttpResponse<String> tooBig = post("/v1/search", READ_DEFAULT, big);
        assertThat(tooBig.statusCode()).isEqualTo(413);
        assertThat(json.readTree(tooBig.body()).get("error").asText()).isEqualTo("payload_too_large");

        assertError(post("/v1/search", READ_DEFAULT, "{not json"), 400, "malformed JSON");
        assertError(post("/v1/search", READ_DEFAULT, "{\"query\": \"x\", \"mode\": \"fuzzy\"}"), 400, "'mode'");
        assertError(post("/v1/search", READ_DEFAULT, "{\"query\": \"x\", \"k\": 0}"), 400, "'k'");
        assertError(post("/v1/search", READ_DEFAULT, "{\"mode\": \"vector\"}"), 400, "'query' is required");
        assertError(post("/v1/search", READ_DEFAULT, "{\"query\": \"x\", \"filters\": {\"1bad\": 1}}"), 400, "");
        assertError(put("/v1/documents", WRITE, "{\"documents\": [{\"id\": \"a\"}]}"), 400, "exactly one of 'text' and 'markdown'");
        assertError(get("/v1/nothing"), 404, "no route");
        assertError(get("/v1/search"), 405, "POST");
    }

    /** Delegates to the shared MiniLM embedder, except that query embeddings fail while {@code failing}. */
    static final class FlakyEmbedder implements Embedder {
        volatile boolean failing;

        public ModelInfo model() {
            return rag.embedder().model();
        }

        public List<float[]> embedDocuments(List<String> texts) {
            return rag.embedder().embedDocuments(texts);
        }

        public float[] embedQuery(String text) {
            if (failing) {
                throw EmbedderException.transientFailure("provider at http://10.0.0.7/embed answered 503", null);
            }
            return rag.embedder().embedQuery(text);
        }

        public int countTokens(String text) {
            return rag.embedder().countTokens(text);
        }

        public boolean splitsAtWhiteSpace() {
            return rag.embedder().splitsAtWhiteSpace();
        }

        public int[] tokenSpans(String text) {
            return rag.embedder().tokenSpans(text);
        }

        public void close() {
        }
    }

    @Test
    void searchSaysDegradedWhenTheEmbedderIsDownAndVectorSearchIs503(@TempDir Path own) throws Exception {
        FlakyEmbedder embedder = new FlakyEmbedder();
        try (DocRag flaky = DocRag.builder().directory(own).embedder(embedder).build()) {
            flaky.upsert(DocumentInput.builder("default", "logs").title("Logs")
                    .text("Rotate the logs every night with logrotate.").build());
            try (DocRagServer s = DocRagServer.start(flaky, HealthChecks.standard(flaky), prometheus, config().build())) {
                String q = "{\"query\": \"rotate the logs\", \"mode\": \"hybrid\"}";
                JsonNode healthy = json.readTree(postTo(s, READ_DEFAULT, q).body());
                assertThat(healthy.has("degraded")).isFalse();

                embedder.failing = true;
                HttpResponse<String> r = postTo(s, READ_DEFAULT, q);
                assertThat(r.statusCode()).isEqualTo(200);
                JsonNode degraded = json.readTree(r.body());
                assertThat(degraded.get("degraded").asBoolean()).isTrue();
                assertThat(degraded.get("hits").get(0).get("id").asText()).isEqualTo("logs");
                assertThat(r.body()).as("the provider's address stays in the log").doesNotContain("10.0.0.7");

                HttpResponse<String> vector = postTo(s, READ_DEFAULT, q.replace("hybrid", "vector"));
                assertThat(vector.statusCode()).isEqualTo(503);
                assertThat(json.readTree(vector.body()).get("error").asText()).isEqualTo("embedder_unavailable");
                assertThat(vector.body()).doesNotContain("10.0.0.7");
            }
        }
    }

    private static HttpResponse<String> postTo(DocRagServer s, String key, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/v1/search"))
                .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void readinessIs503WhenACheckIsDown() throws Exception {
        HealthRegistry down = HealthRegistry.builder().readiness("catalog", () -> HealthResult.down("database gone")).build();
        try (DocRagServer s = DocRagServer.start(rag, down, prometheus, config().build())) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.body()).contains("\"status\":\"DOWN\"").contains("database gone");
        }
    }

    @Test
    void aRequestOverItsTimeoutGets503AndItsWorkStillCompletes() throws Exception {
        try (DocRagServer s = DocRagServer.start(rag, HealthChecks.standard(rag), prometheus,
                config().maxBodyBytes(1 << 20).requestTimeout(Duration.ofMillis(1)).build())) {
            String text = "Slow document about sourdough starters. ".repeat(400);
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/v1/documents"))
                    .header("Authorization", "Bearer " + WRITE)
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"documents\": [{\"tenant\": \"slow\", \"id\": \"bread\", \"text\": \"" + text + "\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(json.readTree(r.body()).get("error").asText()).isEqualTo("timeout");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (rag.documentCount("slow") == 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(rag.documentCount("slow")).as("the timed-out upsert still committed").isEqualTo(1);
        }
    }

    @Test
    void aWriteKeyTakesAHotBackupOfTheServedIndexAndTheCliAsksForOne(@TempDir Path repo) throws Exception {
        assertError(post(DocRagServer.BACKUP_PATH, WRITE, ""), 404, "DOCRAG_BACKUP_REPO");
        try (BackupManager backups = BackupManager.builder(rag).target(BackupTarget.filesystem(repo)).build();
             DocRagServer s = DocRagServer.start(rag, HealthChecks.standard(rag), prometheus, config().build(), backups)) {
            URI url = URI.create("http://127.0.0.1:" + s.port() + DocRagServer.BACKUP_PATH);
            HttpResponse<String> anonymous = send(HttpRequest.newBuilder(url).POST(HttpRequest.BodyPublishers.noBody()), null);
            assertError(anonymous, 401, "Bearer");
            assertError(send(HttpRequest.newBuilder(url).POST(HttpRequest.BodyPublishers.noBody()), READ_DEFAULT), 403,
                    "write key");
            assertThat(backups.list()).isEmpty();

            HttpResponse<String> r = send(HttpRequest.newBuilder(url).POST(HttpRequest.BodyPublishers.noBody()), WRITE);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode body = json.readTree(r.body());
            assertThat(backups.list()).extracting(Manifest::id).containsExactly(body.get("id").asText());
            assertThat(body.get("documents").asLong()).isEqualTo(rag.documentCount());
            assertThat(body.get("files_stored").asInt()).isPositive();
            assertThat(backups.verify(body.get("id").asText(), VerifyDepth.QUICK).files()).isPositive();

            // What the Kubernetes CronJob runs: the CLI asks the server, with the first write key.
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = DocRagCli.run(new String[] {"backup", "create", "--server", "http://127.0.0.1:" + s.port()},
                    Map.of("DOCRAG_WRITE_KEYS", WRITE + ",another-key"), new PrintWriter(out, true), new PrintWriter(err, true));
            assertThat(code).as(err.toString()).isZero();
            assertThat(backups.list()).hasSize(2);
            String second = backups.list().get(1).id();
            assertThat(out.toString()).startsWith("backup " + second + ": ").contains("reused");
            // the index did not change between the two: the second reuses the first one's files
            java.util.regex.Matcher reused = java.util.regex.Pattern.compile("; (\\d+) reused\\)").matcher(out.toString());
            assertThat(reused.find()).as(out.toString()).isTrue();
            assertThat(Integer.parseInt(reused.group(1))).isPositive();

            StringWriter err2 = new StringWriter();
            int refused = DocRagCli.run(new String[] {"backup", "create", "--server", "http://127.0.0.1:" + s.port()},
                    Map.of("DOCRAG_WRITE_KEYS", "not-a-key-0123456789"), new PrintWriter(new StringWriter(), true),
                    new PrintWriter(err2, true));
            assertThat(refused).isEqualTo(1);
            assertThat(err2.toString()).contains("answered 401").contains("unknown API key");
        }
    }

    private static void assertError(HttpResponse<String> r, int status, String detail) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode body = json.readTree(r.body());
        assertThat(body.get("error").asText()).isNotBlank();
        assertThat(body.get("detail").asText()).contains(detail);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    }

    static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    static HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).GET(), null);
    }

    static HttpResponse<String> post(String path, String key, String body) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body)), key);
    }

    static HttpResponse<String> put(String path, String key, String body) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).PUT(HttpRequest.BodyPublishers.ofString(body)), key);
    }

    static HttpResponse<String> send(HttpRequest.Builder b, String key) throws Exception {
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        b.header("Content-Type", "application/json").timeout(Duration.ofSeconds(60));
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
