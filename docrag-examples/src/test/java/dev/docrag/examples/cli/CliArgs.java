package dev.docrag.examples.cli;

import picocli.CommandLine;

import java.util.List;
import java.util.Map;

/** For deployment checks: whether the {@code docrag} command line accepts some arguments (parsed, not run). */
public final class CliArgs {
    private CliArgs() {
    }

    /**
     * The names of the (sub)commands {@code args} selects, e.g. {@code [docrag, backup, prune]};
     * throws {@link CommandLine.ParameterException} for an unknown command or option.
     */
    public static List<String> parse(List<String> args) {
        CommandLine.ParseResult r = new CommandLine(new DocRagCli(Map.of())).parseArgs(args.toArray(String[]::new));
        return r.asCommandLineList().stream().map(CommandLine::getCommandName).toList();
    }
}
