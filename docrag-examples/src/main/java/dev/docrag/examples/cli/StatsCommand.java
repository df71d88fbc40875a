package dev.docrag.examples.cli;

import dev.docrag.index.DocRag;
import dev.docrag.index.DocRagStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.util.concurrent.Callable;

/** {@code docrag stats}: the local index's size. Needs the index to be free (no running server). */
@Command(name = "stats", description = "Print the index's size (opens the index; stop a running server first, or GET /v1/stats).")
final class StatsCommand implements Callable<Integer> {
    @ParentCommand
    DocRagCli cli;

    @Override
    public Integer call() {
        try (DocRag rag = cli.open()) {
            DocRagStats s = rag.stats();
            cli.out.printf("documents %d%nchunks %d%nindex_bytes %d%nsegments %d%n", s.documents(), s.chunks(), s.indexBytes(), s.segments());
            return DocRagCli.OK;
        }
    }
}
