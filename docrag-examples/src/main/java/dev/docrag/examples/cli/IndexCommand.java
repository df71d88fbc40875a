package dev.docrag.examples.cli;

import dev.docrag.index.DocRag;
import dev.docrag.index.IngestReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code docrag index <dir>}: ingests a folder incrementally; exit 1 when a document failed. */
@Command(name = "index", description = "Index a folder (only new or changed files are embedded).")
final class IndexCommand implements Callable<Integer> {
    @ParentCommand
    DocRagCli cli;

    @Parameters(index = "0", paramLabel = "DIR", description = "The folder to index.")
    Path folder;

    @Option(names = "--tenant", defaultValue = DocRag.DEFAULT_TENANT, description = "Tenant the documents belong to (default: ${DEFAULT-VALUE}).")
    String tenant;

    @Override
    public Integer call() {
        if (!Files.isDirectory(folder)) {
            cli.err.println("docrag index: " + folder + " is not a folder");
            return DocRagCli.USAGE;
        }
        try (DocRag rag = cli.open()) {
            IngestReport r = rag.ingest(folder, tenant);
            cli.out.printf("%d added, %d updated, %d unchanged, %d deleted, %d failed, %d chunks%n",
                    r.added(), r.updated(), r.unchanged(), r.deleted(), r.failed(), r.chunks());
            for (IngestReport.Failure f : r.failures()) {
                cli.err.println("failed: " + f.source() + ": " + f.problem() + ": " + f.message());
            }
            return r.failed() == 0 ? DocRagCli.OK : DocRagCli.FAILURE;
        }
    }
}
