package dev.docrag.benchmarks;

import dev.docrag.examples.service.ApiKeys;
import dev.docrag.examples.service.DocRagServer;
import dev.docrag.examples.service.ServiceConfig;
import dev.docrag.index.DocRag;
import dev.docrag.ops.health.HealthChecks;
import dev.docrag.ops.metrics.DocRagMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loopback load test of the HTTP service: {@code POST /v1/search} (hybrid, k = 5) over the sample
 * handbook from a fixed number of connections for a bounded time. Reports requests, errors,
 * latency percentiles, and the service's own {@code docrag_requests_total} for searches counted
 * over the same window, which must equal the client's count.
 *
 * <p>Client and server share the machine (and its cores): the figures are for loopback, an upper
 * bound on what a remote client sees. Options: {@code --connections N} (16), {@code --seconds S}
 * (60), {@code --quick} (10 s), {@code --samples DIR}, {@code --out FILE}.
 */
public final class ServiceBenchmark {
    private static final String KEY = "benchmark-read-key-0123456789";
    private static final List<String> QUESTIONS = List.of(
            "How long do we hold on to old log archives?",
            "Someone paged me at 3am, what do I do first?",
            "How do I get the database back after a disk dies?",
            "How do I roll out a new version of our service?",
            "who can access production?",
            "when do certificates expire",
            "how many vacation days do I get");

    private ServiceBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int connections = 16;
        int seconds = 60;
        Path samples = Path.of("samples/handbook");
        Path out = Path.of("benchmarks/results/service.json");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--connections" -> connections = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--quick" -> seconds = 10;
                case "--samples" -> samples = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path dir = Files.createTempDirectory("docrag-service-bench");
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (DocRag rag = DocRag.builder().directory(dir.resolve("index")).build();
             DocRagMetrics metrics = DocRagMetrics.of(rag)) {
            rag.ingest(samples);
            metrics.bindTo(prometheus);
            ServiceConfig config = ServiceConfig.builder().port(0).workerThreads(connections)
                    .apiKeys(ApiKeys.builder().readKey(KEY, DocRag.DEFAULT_TENANT).build()).build();
            try (DocRagServer server = DocRagServer.start(rag, HealthChecks.standard(rag), prometheus, config)) {
                String base = "http://127.0.0.1:" + server.port();
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                run(client, base, connections, Duration.ofSeconds(3)); // warm-up, not counted
                double before = searchCount(client, base);
                Result r = run(client, base, connections, Duration.ofSeconds(seconds));
                double after = searchCount(client, base);
                long metricsCount = Math.round(after - before);

                double[] ms = r.latenciesMs();
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("suite", "service");
                json.put("date", Instant.now().toString());
                json.put("endpoint", "POST /v1/search (hybrid, k=5, sample handbook)");
                json.put("connections", connections);
                json.put("seconds", seconds);
                json.put("cpus", Runtime.getRuntime().availableProcessors());
                json.put("requests", r.requests());
                json.put("errors", r.errors());
                json.put("requests_per_second", r.requests() / (double) seconds);
                json.put("p50_ms", ms.length == 0 ? null : Stats.quantile(ms, 0.50));
                json.put("p99_ms", ms.length == 0 ? null : Stats.quantile(ms, 0.99));
                json.put("max_ms", ms.length == 0 ? null : Stats.quantile(ms, 1.0));
                json.put("metrics_request_count", metricsCount);
                json.put("metrics_agree", metricsCount == r.requests());
                Files.createDirectories(out.toAbsolutePath().getParent());
                Files.writeString(out, Json.write(json) + "\n");
                System.out.printf("service: %d connections, %d s: %d requests (%.1f/s), %d errors, p50 %.2f ms, p99 %.2f ms;"
                                + " /metrics counted %d searches (%s)%n", connections, seconds, r.requests(),
                        r.requests() / (double) seconds, r.errors(), Stats.quantile(ms, 0.5), Stats.quantile(ms, 0.99),
                        metricsCount, metricsCount == r.requests() ? "agrees" : "DISAGREES");
                System.out.println("wrote " + out);
                if (r.errors() > 0 || metricsCount != r.requests()) {
                    System.exit(1);
                }
            }
        }
    }

    record Result(long requests, long errors, double[] latenciesMs) {
    }

    /** One connection's latencies, written by its thread only and read after it has ended. */
    private static final class Recorder {
        double[] ms = new double[1024];
        int n;

        void add(double v) {
            if (n == ms.length) {
                ms = Arrays.copyOf(ms, n * 2);
            }
            ms[n++] = v;
        }
    }

    private static Result run(HttpClient client, String base, int connections, Duration length) throws InterruptedException {
        long end = System.nanoTime() + length.toNanos();
        AtomicLong errors = new AtomicLong();
        List<Recorder> recorders = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < connections; t++) {
            Recorder rec = new Recorder();
            recorders.add(rec);
            int first = t;
            threads.add(Thread.ofPlatform().name("load-" + t).start(() -> {
                int q = first;
                while (System.nanoTime() < end) {
                    String body = "{\"query\": \"" + QUESTIONS.get(q++ % QUESTIONS.size()) + "\", \"mode\": \"hybrid\", \"k\": 5}";
                    HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/search"))
                            .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                            .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200) {
                            errors.incrementAndGet();
                        }
                    } catch (IOException e) {
                        errors.incrementAndGet();
                    } catch (InterruptedException e) {
                        return;
                    }
                    rec.add((System.nanoTime() - t0) / 1e6);
                }
            }));
        }
        for (Thread th : threads) {
            th.join();
        }
        double[] all = recorders.stream().flatMapToDouble(r -> Arrays.stream(r.ms, 0, r.n)).toArray();
        return new Result(all.length, errors.get(), all);
    }

    /** Sum of {@code docrag_requests_total{operation="search"}} over every status. */
    private static double searchCount(HttpClient client, String base) throws IOException, InterruptedException {
        String text = client.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^docrag_requests_total\\{[^}]*operation=\"search\"[^}]*\\} ([0-9.eE+]+)$").matcher(text);
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }
}
