package dev.docrag.examples.cli;

import dev.docrag.examples.service.ApiKeys;
import dev.docrag.examples.service.DocRagServer;
import dev.docrag.examples.service.ServiceConfig;
import dev.docrag.index.DocRag;
import dev.docrag.index.IngestReport;
import dev.docrag.ops.backup.BackupManager;
import dev.docrag.ops.health.HealthChecks;
import dev.docrag.ops.metrics.DocRagMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code docrag serve}: the HTTP service until the process is stopped. On SIGTERM (or Ctrl-C)
 * it stops accepting connections, lets requests in flight finish (up to {@code --drain-seconds}),
 * then closes DocRag, whose writes are already committed when acknowledged, and exits with 143
 * after SIGTERM, 130 after SIGINT (128 + the signal's number, what a Java process ended by a
 * signal reports anyway, so supervisors see the usual code).
 *
 * <p>Keys come from the environment only, never from flags (which other users can read in the
 * process list): {@code DOCRAG_WRITE_KEYS} = {@code key,key}, {@code DOCRAG_READ_KEYS} =
 * {@code key:tenant,key:tenant}. With {@code DOCRAG_BACKUP_REPO} (and optionally
 * {@code DOCRAG_BACKUP_KEY}) set, {@code POST /v1/admin/backup} takes hot backups of the served
 * index: {@code docrag backup create --server URL}.
 */
@Command(name = "serve", description = "Run the HTTP service (keys from env DOCRAG_WRITE_KEYS, DOCRAG_READ_KEYS).")
final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @ParentCommand
    DocRagCli cli;

    @Option(names = "--port", defaultValue = "" + ServiceConfig.DEFAULT_PORT, description = "TCP port, 0 for any free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind; 0.0.0.0 in a container (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--max-body-bytes", defaultValue = "1048576", description = "Largest request body (default: ${DEFAULT-VALUE}).")
    long maxBodyBytes;

    @Option(names = "--timeout-ms", defaultValue = "10000", description = "Per-request timeout (default: ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Option(names = "--drain-seconds", defaultValue = "20", description = "How long a stop waits for requests in flight (default: ${DEFAULT-VALUE}).")
    int drainSeconds;

    @Override
    public Integer call() throws Exception {
        ApiKeys keys = ApiKeys.parse(cli.env.get(Env.WRITE_KEYS), cli.env.get(Env.READ_KEYS));
        ServiceConfig config = ServiceConfig.builder().host(host).port(port).apiKeys(keys).maxBodyBytes(maxBodyBytes)
                .requestTimeout(Duration.ofMillis(timeoutMs)).drainTimeout(Duration.ofSeconds(drainSeconds)).build();
        if (keys.isEmpty()) {
            cli.err.println("docrag serve: warning: no API keys (DOCRAG_WRITE_KEYS, DOCRAG_READ_KEYS); only probes, metrics and the page answer");
        }
        DocRag rag = cli.open();
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        DocRagMetrics metrics = DocRagMetrics.of(rag);
        DocRagServer server;
        BackupManager backups = null;
        try {
            if (Boolean.parseBoolean(cli.env.getOrDefault(Env.USE_SAMPLE, "false"))) {
                Path samples = Path.of(cli.env.getOrDefault(Env.SAMPLES, System.getProperty("docrag.samples", "samples/handbook")));
                if (!Files.isDirectory(samples)) {
                    throw new IllegalStateException("DOCRAG_USE_SAMPLE=true but the sample folder " + samples.toAbsolutePath()
                            + " is missing (run from the repository root or set DOCRAG_SAMPLES)");
                }
                IngestReport r = rag.ingest(samples);
                log.info("sample handbook: {} added, {} unchanged", r.added(), r.unchanged());
            }
            metrics.bindTo(prometheus);
            backups = BackupCommand.forServer(rag, cli.env);
            if (backups != null) {
                log.info("backups: POST {} writes to {}", DocRagServer.BACKUP_PATH, cli.env.get(Env.BACKUP_REPO));
            }
            server = DocRagServer.start(rag, HealthChecks.standard(rag), prometheus, config, backups);
        } catch (Exception | Error e) {
            if (backups != null) {
                backups.close();
            }
            metrics.close();
            rag.close();
            throw e;
        }
        // Why not only a shutdown hook: the JVM runs all hooks at once, and ONNX Runtime's own hook
        // (OrtEnvironment) frees the native environment while an embedding may still be running
        // in a request being drained, which crashes the JVM (SIGSEGV in OrtSession.run, seen in
        // GracefulShutdownTest). So SIGTERM and SIGINT are taken over: the main thread drains and
        // closes first, and only then does the JVM exit and run the hooks.
        BackupManager finalBackups = backups;
        CountDownLatch stopRequested = new CountDownLatch(1);
        AtomicInteger exitCode = new AtomicInteger(DocRagCli.OK);
        AtomicBoolean stopped = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                log.info("stopping: draining requests in flight");
                server.close();
                if (finalBackups != null) {
                    finalBackups.close();
                }
                metrics.close();
                rag.close();
                log.info("stopped: index closed");
            }
        };
        onSignal("TERM", 143, exitCode, stopRequested);
        onSignal("INT", 130, exitCode, stopRequested);
        // Other ways the JVM may end (System.exit elsewhere, SIGHUP) still close the index.
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "docrag-shutdown"));
        cli.out.println("docrag serve: listening on http://" + host + ":" + server.port() + "/ (index " + cli.indexDir() + ")");
        cli.out.flush();
        stopRequested.await();
        stop.run();
        return exitCode.get();
    }

    /**
     * Handles {@code signal} by asking the main thread to stop, with exit code {@code code} (the
     * conventional 128 + signal number, so supervisors read it as "stopped by that signal").
     */
    @SuppressWarnings("removal")
    private static void onSignal(String signal, int code, AtomicInteger exitCode, CountDownLatch stopRequested) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> {
                exitCode.compareAndSet(DocRagCli.OK, code);
                stopRequested.countDown();
            });
        } catch (IllegalArgumentException e) {
            // The platform has no such signal (or the JVM reserves it): the shutdown hook remains.
            log.debug("cannot handle SIG{}: {}", signal, e.getMessage());
        }
    }
}
