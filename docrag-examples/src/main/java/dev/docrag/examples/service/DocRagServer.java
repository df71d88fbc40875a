package dev.docrag.examples.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.docrag.index.DocRag;
import dev.docrag.index.DocumentInput;
import dev.docrag.core.embed.EmbedderException;
import dev.docrag.index.IngestReport;
import dev.docrag.index.SearchResult;
import dev.docrag.index.WritesPausedException;
import dev.docrag.ops.backup.BackupManager;
import dev.docrag.ops.backup.BackupReport;
import dev.docrag.ops.health.HealthRegistry;
import dev.docrag.ops.health.HealthReport;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * DocRag's HTTP service: JSON search, upsert, delete and stats under {@code /v1}, probes and
 * Prometheus metrics, and the search page at {@code /}. Built on the JDK's
 * {@code com.sun.net.httpserver}: a dozen routes need no framework, and it keeps the example's
 * dependencies to what a host already has.
 *
 * <p>Thread-safety: requests run concurrently on {@link ServiceConfig#workerThreads()} threads;
 * DocRag is thread-safe and a search never waits for a write. The host owns the {@link DocRag},
 * the health registry and the meter registry: {@link #close()} stops the server only, so the host
 * closes DocRag after it (the CLI's {@code serve} does so in its shutdown hook).
 *
 * <p>Routes and who may call them:
 * <pre>
 * POST   /v1/search                  read key (its own tenant only) or write key
 * PUT    /v1/documents               write key
 * DELETE /v1/documents/{tenant}/{id} write key
 * GET    /v1/stats                   write key (counts span all tenants)
 * POST   /v1/admin/backup            write key: a hot backup now, when the host gave a BackupManager
 * GET    /healthz /readyz /metrics / no key: probes, scrapers and the page's static files
 * </pre>
 */
public final class DocRagServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DocRagServer.class);

    /** Liveness probe: 200 unless the JVM itself is unwell (deadlocks); never touches the index. */
    public static final String HEALTH_PATH = "/healthz";
    /** Readiness probe: 200 when UP or DEGRADED, 503 when DOWN or stopping. */
    public static final String READY_PATH = "/readyz";
    /** Prometheus text exposition. */
    public static final String METRICS_PATH = "/metrics";
    /** A hot backup now (write key); see {@link #start(DocRag, HealthRegistry, PrometheusMeterRegistry, ServiceConfig, BackupManager)}. */
    public static final String BACKUP_PATH = "/v1/admin/backup";

    private final DocRag rag;
    private final HealthRegistry health;
    private final PrometheusMeterRegistry metrics;
    private final ServiceConfig config;
    /** Null when the host configured no backups. */
    private final BackupManager backups;
    /** One backup at a time: a second request while one runs gets 409, not a queue. */
    private final AtomicBoolean backingUp = new AtomicBoolean();
    private final ObjectMapper json = new ObjectMapper();
    private final HttpServer http;
    private final ExecutorService acceptors;
    private final ExecutorService workers;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean closed;

    private DocRagServer(DocRag rag, HealthRegistry health, PrometheusMeterRegistry metrics, ServiceConfig config,
                         BackupManager backups) throws IOException {
        this.rag = Objects.requireNonNull(rag, "rag");
        this.backups = backups;
        this.health = Objects.requireNonNull(health, "health");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.config = Objects.requireNonNull(config, "config");
        this.http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 128);
        AtomicInteger n = new AtomicInteger();
        // Two pools: the HTTP threads read requests and wait; the workers do DocRag's work. The
        // split is what lets a request time out while its search keeps running to completion.
        this.acceptors = Executors.newFixedThreadPool(config.workerThreads(), r -> thread(r, "docrag-http-" + n.incrementAndGet()));
        this.workers = Executors.newFixedThreadPool(config.workerThreads(), r -> thread(r, "docrag-work-" + n.incrementAndGet()));
        http.setExecutor(acceptors);
        http.createContext("/", this::handle);
    }

    /**
     * Starts serving. The server is listening when this returns.
     *
     * @throws IOException when the address cannot be bound
     */
    public static DocRagServer start(DocRag rag, HealthRegistry health, PrometheusMeterRegistry metrics, ServiceConfig config)
            throws IOException {
        return start(rag, health, metrics, config, null);
    }

    /**
     * Starts serving, with {@code POST /v1/admin/backup} taking hot backups through
     * {@code backups} (a manager over this {@code rag}; the host keeps owning and closing it).
     * That is how a scheduler outside the process (a Kubernetes CronJob running
     * {@code docrag backup create --server}) backs up a running service: only the process that
     * has the index open can snapshot it.
     *
     * @param backups null for no backup route (it then answers 404)
     * @throws IOException when the address cannot be bound
     */
    public static DocRagServer start(DocRag rag, HealthRegistry health, PrometheusMeterRegistry metrics, ServiceConfig config,
                                     BackupManager backups) throws IOException {
        DocRagServer server = new DocRagServer(rag, health, metrics, config, backups);
        server.http.start();
        log.info("DocRag service listening on http://{}:{}/", config.host(), server.port());
        return server;
    }

    /** The port listened on (the chosen one when configured with 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** Requests being handled right now. */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * Stops accepting connections, waits up to {@link ServiceConfig#drainTimeout()} for requests
     * in flight to be answered, then stops the threads. Idempotent. Does not close DocRag.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long start = System.nanoTime();
        log.info("DocRag service stopping: {} requests in flight", inFlight.get());
        // HttpServer.stop closes the listener at once, then waits for exchanges in progress.
        http.stop((int) Math.max(1, config.drainTimeout().toSeconds()));
        acceptors.shutdown();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(config.drainTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("DocRag service: work still running after the drain timeout");
            }
            acceptors.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("DocRag service stopped after {} ms", (System.nanoTime() - start) / 1_000_000);
    }

    private void handle(HttpExchange ex) throws IOException {
        inFlight.incrementAndGet();
        try (ex) {
            try {
                route(ex);
            } catch (ApiError e) {
                error(ex, e.status, e.error, e.getMessage());
            } catch (IllegalArgumentException e) {
                // Only request validation gets here: DocRag's own failures are translated in timed().
                error(ex, 400, "bad_request", e.getMessage());
            } catch (RuntimeException e) {
                log.error("{} {} failed", ex.getRequestMethod(), ex.getRequestURI().getPath(), e);
                error(ex, 500, "internal", "unexpected error; see the server log");
            }
        } catch (IOException e) {
            // The client went away; nothing to answer.
            log.debug("{} {}: {}", ex.getRequestMethod(), ex.getRequestURI(), e.toString());
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private void route(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
        String path = ex.getRequestURI().getRawPath();
        switch (path) {
            case HEALTH_PATH -> {
                only(method, "GET");
                HealthReport r = health.liveness();
                send(ex, r.httpStatus(), "application/json", r.toJson().getBytes(StandardCharsets.UTF_8));
            }
            case READY_PATH -> {
                only(method, "GET");
                HealthReport r = closed ? null : health.readiness();
                if (r == null) {
                    error(ex, 503, "stopping", "the service is shutting down");
                } else {
                    send(ex, r.httpStatus(), "application/json", r.toJson().getBytes(StandardCharsets.UTF_8));
                }
            }
            case METRICS_PATH -> {
                only(method, "GET");
                send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape().getBytes(StandardCharsets.UTF_8));
            }
            case "/", "/index.html" -> {
                only(method, "GET");
                page(ex, "index.html", "text/html; charset=utf-8");
            }
            case "/app.js" -> {
                only(method, "GET");
                page(ex, "app.js", "text/javascript; charset=utf-8");
            }
            case "/v1/search" -> {
                only(method, "POST");
                ApiKeys.Caller caller = authenticate(ex);
                JsonNode body = body(ex);
                JsonApi.Search s = JsonApi.search(body, caller.writer() ? null : caller.tenant());
                long t0 = System.nanoTime();
                SearchResult result = timed(() -> rag.searchResult(s.request()));
                sendJson(ex, 200, JsonApi.hits(result, s.tenant(), s.request().mode().name().toLowerCase(Locale.ROOT),
                        (System.nanoTime() - t0) / 1_000_000));
            }
            case "/v1/documents" -> {
                only(method, "PUT");
                writer(authenticate(ex));
                List<DocumentInput> docs = JsonApi.documents(body(ex));
                IngestReport r = timedWrite(() -> rag.upsert(docs));
                sendJson(ex, 200, JsonApi.report(r));
            }
            case BACKUP_PATH -> {
                only(method, "POST");
                writer(authenticate(ex));
                sendJson(ex, 200, backup());
            }
            case "/v1/stats" -> {
                only(method, "GET");
                writer(authenticate(ex));
                sendJson(ex, 200, JsonApi.stats(timed(rag::stats)));
            }
            default -> {
                if (path.startsWith("/v1/documents/")) {
                    only(method, "DELETE");
                    writer(authenticate(ex));
                    String[] parts = path.substring("/v1/documents/".length()).split("/", -1);
                    if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                        throw ApiError.notFound("use DELETE /v1/documents/{tenant}/{id} (percent-encode a '/' in the id)");
                    }
                    String tenant = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
                    String id = URLDecoder.decode(parts[1], StandardCharsets.UTF_8);
                    boolean deleted = timedWrite(() -> rag.delete(tenant, id));
                    if (!deleted) {
                        throw ApiError.notFound("no document '" + id + "' in tenant '" + tenant + "'");
                    }
                    sendJson(ex, 200, Map.of("deleted", true, "tenant", tenant, "id", id));
                } else {
                    throw ApiError.notFound("no route " + path);
                }
            }
        }
    }

    /**
     * Takes a backup on the calling HTTP thread, outside the request timeout: a backup of a large
     * index takes minutes, and searches and writes go on meanwhile. The repository's own
     * consistency does not depend on this answer: a client that gives up still leaves a whole
     * backup, or none.
     */
    private Map<String, Object> backup() {
        if (backups == null) {
            throw ApiError.notFound("backups are not configured on this server (docrag serve: set DOCRAG_BACKUP_REPO)");
        }
        if (closed) {
            throw new ApiError(503, "stopping", "the service is shutting down");
        }
        if (!backingUp.compareAndSet(false, true)) {
            throw new ApiError(409, "backup_running", "a backup is already running; try again when it has finished");
        }
        try {
            BackupReport r = backups.backup();
            log.info("backup {} taken on request: {} files stored, {} reused, {} ms", r.id(), r.filesStored(), r.filesReused(),
                    r.took().toMillis());
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("id", r.id());
            out.put("documents", r.manifest().documents());
            out.put("chunks", r.manifest().chunks());
            out.put("files", r.manifest().allFiles().size());
            out.put("files_stored", r.filesStored());
            out.put("bytes_stored", r.bytesStored());
            out.put("files_reused", r.filesReused());
            out.put("took_ms", r.took().toMillis());
            r.mirrorFailure().ifPresent(f -> out.put("mirror_failure", f));
            return out;
        } catch (RuntimeException e) {
            log.error("backup on request failed", e);
            throw new ApiError(500, "backup_failed", "the backup failed: " + e.getMessage());
        } finally {
            backingUp.set(false);
        }
    }

    private ApiKeys.Caller authenticate(HttpExchange ex) {
        String header = ex.getRequestHeaders().getFirst("Authorization");
        String key = null;
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            key = header.substring(7).strip();
        }
        Optional<ApiKeys.Caller> caller = config.apiKeys().identify(key);
        if (caller.isEmpty()) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            throw new ApiError(401, "unauthorized", key == null ? "send 'Authorization: Bearer <api key>'" : "unknown API key");
        }
        return caller.get();
    }

    private static void writer(ApiKeys.Caller caller) {
        if (!caller.writer()) {
            throw new ApiError(403, "forbidden", "this needs a write key; read keys may only search");
        }
    }

    private static void only(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw new ApiError(405, "method_not_allowed", "use " + allowed);
        }
    }

    private JsonNode body(HttpExchange ex) throws IOException {
        long max = config.maxBodyBytes();
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > max) {
                    throw tooLarge(max);
                }
            } catch (NumberFormatException e) {
                throw ApiError.badRequest("bad Content-Length");
            }
        }
        // Chunked bodies have no length: read at most one byte past the limit to detect them.
        InputStream in = ex.getRequestBody();
        byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        if (bytes.length > max) {
            throw tooLarge(max);
        }
        if (bytes.length == 0) {
            throw ApiError.badRequest("the request needs a JSON body");
        }
        try {
            return json.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("malformed JSON: " + e.getOriginalMessage());
        }
    }

    private static ApiError tooLarge(long max) {
        return new ApiError(413, "payload_too_large", "the request body exceeds " + max + " bytes");
    }

    /** Runs a read on a worker; on timeout a read that has not started yet is dropped. */
    private <T> T timed(Callable<T> work) {
        return timed(work, true);
    }

    /**
     * Runs a write on a worker; on timeout it still runs to completion, even if it had not
     * started: the client was told "timeout", not "rejected", so the write must not silently
     * vanish depending on how busy the workers were (a timed-out write is applied; retrying it
     * is idempotent, as upsert and delete are).
     */
    private <T> T timedWrite(Callable<T> work) {
        return timed(work, false);
    }

    /** Runs DocRag's work on a worker, translating its failures and the timeout to API errors. */
    private <T> T timed(Callable<T> work, boolean dropIfNotStarted) {
        Future<T> f;
        try {
            f = workers.submit(work);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new ApiError(503, "stopping", "the service is shutting down");
        }
        try {
            return f.get(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            if (dropIfNotStarted) {
                f.cancel(false);
            }
            throw new ApiError(503, "timeout", "the request took longer than " + config.requestTimeout().toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "stopping", "interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IllegalArgumentException || c instanceof NullPointerException) {
                throw ApiError.badRequest(c.getMessage());
            }
            if (c instanceof IllegalStateException && !rag.isOpen()) {
                throw new ApiError(503, "unavailable", "the index is closed");
            }
            if (c instanceof EmbedderException) {
                // a vector search without its embedder; the provider's message stays in the log
                log.warn("Search failed: {}", c.getMessage());
                throw new ApiError(503, "embedder_unavailable", "the embedding model is unavailable; keyword and hybrid"
                        + " search still work");
            }
            if (c instanceof WritesPausedException) {
                throw new ApiError(503, "read_only", "writes are paused; searches still work");
            }
            if (c instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(c);
        }
    }

    private void page(HttpExchange ex, String name, String type) throws IOException {
        try (InputStream in = DocRagServer.class.getResourceAsStream("/dev/docrag/examples/service/web/" + name)) {
            if (in == null) {
                throw ApiError.notFound("no " + name + " in this build");
            }
            send(ex, 200, type, in.readAllBytes());
        }
    }

    private void sendJson(HttpExchange ex, int status, Object body) throws IOException {
        send(ex, status, "application/json", json.writeValueAsBytes(body));
    }

    private void error(HttpExchange ex, int status, String error, String detail) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("detail", detail == null ? "" : detail);
        sendJson(ex, status, body);
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private static Thread thread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
