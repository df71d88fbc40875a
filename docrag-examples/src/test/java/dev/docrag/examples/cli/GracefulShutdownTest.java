package dev.docrag.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.docrag.index.DocRag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code docrag serve} as a real process, stopped with SIGTERM ({@link Process#destroy()} sends
 * SIGTERM on Linux; the exit code 143 = 128 + 15 proves it) while searches run in a loop and a
 * slow upsert is in flight: the upsert is answered and committed, no accepted search fails, the
 * process exits with 143, and the index reopens with every document.
 */
class GracefulShutdownTest {
    static final Path SAMPLES = Path.of(System.getProperty("docrag.samples", "../samples/handbook"));
    static final String KEY = "shutdown-test-write-key";

    @Test
    void sigtermDrainsRequestsInFlightAndClosesTheIndex(@TempDir Path dir) throws Exception {
        Path index = dir.resolve("index");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g",
                "-cp", classpath, DocRagCli.class.getName(), "serve", "--port", "0", "--timeout-ms", "60000", "--drain-seconds", "60", "--index-dir", index.toString());
        pb.environment().put("DOCRAG_WRITE_KEYS", KEY);
        pb.environment().put("DOCRAG_USE_SAMPLE", "true");
        pb.environment().put("DOCRAG_SAMPLES", SAMPLES.toString());
        pb.environment().put("LOG_LEVEL", "info");
        pb.redirectError(dir.resolve("stderr.log").toFile());
        Process process = pb.start();
        try {
            BufferedReader stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String line = stdout.readLine();
            assertThat(line).as("first stdout line; stderr: %s", stderr(dir)).isNotNull();
            Matcher m = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/").matcher(line);
            assertThat(m.find()).as(line).isTrue();
            String base = "http://127.0.0.1:" + m.group(1);
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

            // Searches in a loop on 3 threads until the server stops answering.
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger ok = new AtomicInteger();
            ConcurrentLinkedQueue<String> bad = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<String> refused = new ConcurrentLinkedQueue<>();
            List<Thread> loops = new ArrayList<>();
            CountDownLatch warm = new CountDownLatch(3);
            for (int t = 0; t < 3; t++) {
                Thread th = Thread.ofPlatform().start(() -> {
                    boolean counted = false;
                    while (!stop.get()) {
                        try {
                            HttpResponse<String> r = client.send(search(base), HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() == 200 && r.body().contains("operations/logging.md")) {
                                ok.incrementAndGet();
                                if (!counted) {
                                    warm.countDown();
                                    counted = true;
                                }
                            } else {
                                bad.add(r.statusCode() + " " + r.body());
                            }
                        } catch (IOException e) {
                            // Not accepted: the listener is closed. Expected once the stop began.
                            refused.add(String.valueOf(e));
                            return;
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                loops.add(th);
            }
            assertThat(warm.await(60, TimeUnit.SECONDS)).as("searches answered before the stop").isTrue();

            // A slow write: tens of chunks to embed, so it is still running when SIGTERM arrives.
            String text = "Sourdough starters need flour, water and patience; feed them daily and keep them warm. ".repeat(400);
            CompletableFuture<HttpResponse<String>> upsert = client.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/documents"))
                    .header("Authorization", "Bearer " + KEY).timeout(Duration.ofSeconds(120))
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"documents\": [{\"id\": \"bread\", \"title\": \"Bread\", \"text\": \""
                            + text + "\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
            Thread.sleep(300);
            assertThat(upsert).as("the upsert is still in flight when the signal is sent").isNotDone();
            process.destroy(); // SIGTERM

            HttpResponse<String> written;
            try {
                written = upsert.get(120, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                process.waitFor(30, TimeUnit.SECONDS);
                throw new AssertionError("the upsert in flight was dropped: " + e.getCause() + "; server stderr:\n" + stderr(dir), e);
            }
            assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
            assertThat(new ObjectMapper().readTree(written.body()).get("added").asInt()).isEqualTo(1);

            assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("the process exits").isTrue();
            stop.set(true);
            for (Thread th : loops) {
                th.join(30_000);
            }
            assertThat(process.exitValue()).as("exit code after SIGTERM; stderr: %s", stderr(dir)).isEqualTo(143);
            assertThat(bad).as("every accepted search was answered 200").isEmpty();
            assertThat(ok.get()).isPositive();
            String log = stderr(dir);
            assertThat(log).containsPattern("DocRag service stopping: [1-9]\\d* requests in flight").contains("stopped: index closed");
        } finally {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }

        try (DocRag reopened = DocRag.builder().directory(index).build()) {
            assertThat(reopened.documentCount()).as("8 sample documents and the drained upsert").isEqualTo(9);
            assertThat(reopened.search("sourdough starter feeding", 1).get(0).documentId()).isEqualTo("bread");
        }
    }

    private static HttpRequest search(String base) {
        return HttpRequest.newBuilder(URI.create(base + "/v1/search")).header("Authorization", "Bearer " + KEY)
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"how do I rotate the logs\", \"k\": 3}")).build();
    }

    private static String stderr(Path dir) throws IOException {
        Path p = dir.resolve("stderr.log");
        return Files.exists(p) ? Files.readString(p) : "";
    }
}
