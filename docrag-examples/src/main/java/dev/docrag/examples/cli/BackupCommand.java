package dev.docrag.examples.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code docrag backup ...}: reserved until backups exist in docrag-ops; exits 2. */
@Command(name = "backup", description = "Backups: not available yet in this build.")
final class BackupCommand implements Callable<Integer> {
    @ParentCommand
    DocRagCli cli;

    @Parameters(arity = "0..*", hidden = true)
    List<String> ignored;

    @Override
    public Integer call() {
        cli.err.println("docrag backup: not available yet (backups are not built; see the backup issue)");
        return DocRagCli.USAGE;
    }
}
