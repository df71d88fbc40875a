package dev.docrag.examples.cli;

import dev.docrag.index.DocRag;
import dev.docrag.index.IngestReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code docrag index <dir>}: ingests a folder incrementally, showing progress. Ctrl-C (SIGINT) or
 * SIGTERM stops it cleanly: what was indexed so far is committed and the next run continues from
 * there (exit 130 or 143); a second Ctrl-C ends the process at once, which the index survives as
 * it survives kill -9. Exit 1 when a document failed.
 */
@Command(name = "index", description = "Index a folder (only new or changed files are embedded). Ctrl-C stops"
        + " cleanly, keeping what was indexed so far.")
final class IndexCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(IndexCommand.class);

    @ParentCommand
    DocRagCli cli;

    @Parameters(index = "0", paramLabel = "DIR", description = "The folder to index.")
    Path folder;

    @Option(names = "--tenant", defaultValue = DocRag.DEFAULT_TENANT, description = "Tenant the documents belong to (default: ${DEFAULT-VALUE}).")
    String tenant;

    @Option(names = "--progress", defaultValue = "AUTO", paramLabel = "MODE",
            description = "How progress is shown: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}: a bar on a terminal, a line"
                    + " every --progress-every otherwise).")
    ProgressReporter.Mode progress;

    @Option(names = "--progress-every", defaultValue = "10", paramLabel = "SECONDS",
            description = "Seconds between progress lines when not on a terminal (default ${DEFAULT-VALUE}).")
    double progressEvery;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(folder)) {
            cli.err.println("docrag index: " + folder + " is not a folder");
            return DocRagCli.USAGE;
        }
        if (progressEvery < 0) {
            cli.err.println("docrag index: --progress-every must not be negative, got " + progressEvery);
            return DocRagCli.USAGE;
        }
        ProgressReporter reporter = new ProgressReporter(cli.err, progress,
                Duration.ofMillis((long) (progressEvery * 1000)));
        AtomicInteger signalled = new AtomicInteger();
        Thread worker = Thread.currentThread();
        IngestReport r;
        try (AutoCloseable onInt = Signals.handle("INT", 130, signalled, worker, cli.err);
             AutoCloseable onTerm = Signals.handle("TERM", 143, signalled, worker, cli.err);
             DocRag rag = cli.open()) {
            r = rag.ingest(folder, tenant, reporter);
            // The interrupt that stopped the ingest has done its work; closing must not see it.
            Thread.interrupted();
        } finally {
            reporter.finish();
        }
        cli.out.printf("%s%d added, %d updated, %d unchanged, %d deleted, %d failed, %d chunks%n",
                r.stopped() ? "stopped early, what was indexed is kept (run again to finish): " : "",
                r.added(), r.updated(), r.unchanged(), r.deleted(), r.failed(), r.chunks());
        for (IngestReport.Failure f : r.failures()) {
            cli.err.println("failed: " + f.source() + ": " + f.problem() + ": " + f.message());
        }
        if (r.stopped() || signalled.get() != 0) {
            LOG.info("index stopped by a signal; exit {}", signalled.get());
            return signalled.get() != 0 ? signalled.get() : 130;
        }
        return r.failed() == 0 ? DocRagCli.OK : DocRagCli.FAILURE;
    }
}
