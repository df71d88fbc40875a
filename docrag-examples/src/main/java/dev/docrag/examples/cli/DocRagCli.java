package dev.docrag.examples.cli;

import dev.docrag.index.DocRag;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code docrag} command line: {@code index}, {@code search}, {@code serve}, {@code health},
 * {@code stats}, {@code backup}. Exit codes: 0 success, 1 failure (one line on stderr says why),
 * 2 usage error.
 *
 * <p>Configuration comes from flags, then the environment: {@code DOCRAG_INDEX_DIR} (default
 * {@code data/docrag}), {@code DOCRAG_DB_URL} / {@code DOCRAG_DB_USER} / {@code DOCRAG_DB_PASSWORD}
 * (a PostgreSQL catalog instead of the embedded H2 one), {@code LOG_LEVEL} and {@code LOG_FORMAT}
 * ({@code text} or {@code json}; read by logback.xml), and for {@code serve} the keys and
 * {@code DOCRAG_USE_SAMPLE}.
 * The environment is passed in rather than read from {@link System#getenv()} so tests can set it.
 */
@Command(name = "docrag", mixinStandardHelpOptions = true, version = "docrag 0.1.0-SNAPSHOT",
        description = "Offline semantic and keyword search over your documents.",
        subcommands = {IndexCommand.class, SearchCommand.class, ServeCommand.class, HealthCommand.class,
                StatsCommand.class, BackupCommand.class})
public final class DocRagCli implements java.util.concurrent.Callable<Integer> {
    static final int OK = 0;
    static final int FAILURE = 1;
    static final int USAGE = 2;
    /** The appenders of logback.xml that {@code LOG_FORMAT} may name. */
    static final java.util.List<String> LOG_FORMATS = java.util.List.of("text", "json");
    /** The levels {@code LOG_LEVEL} may name. */
    static final java.util.List<String> LOG_LEVELS = java.util.List.of("error", "warn", "info", "debug", "trace");

    final Map<String, String> env;
    PrintWriter out;
    PrintWriter err;

    @Option(names = "--index-dir", paramLabel = "DIR", scope = CommandLine.ScopeType.INHERIT,
            description = "Where the index and catalog live (env DOCRAG_INDEX_DIR; default data/docrag).")
    Path indexDir;

    @Option(names = "--db-url", paramLabel = "JDBC_URL", scope = CommandLine.ScopeType.INHERIT,
            description = "A PostgreSQL catalog instead of the embedded one (env DOCRAG_DB_URL; user and password from DOCRAG_DB_USER, DOCRAG_DB_PASSWORD).")
    String dbUrl;

    DocRagCli(Map<String, String> env) {
        this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
    }

    public static void main(String[] args) {
        String format = System.getenv(Env.LOG_FORMAT);
        if (format != null && !format.isBlank() && !LOG_FORMATS.contains(format)) {
            // logback would quietly drop every log line for an appender it does not know.
            System.err.println("docrag: LOG_FORMAT must be one of " + LOG_FORMATS + ", got '" + format + "'");
            System.exit(USAGE);
        }
        String level = System.getenv(Env.LOG_LEVEL);
        if (level != null && !level.isBlank() && !LOG_LEVELS.contains(level.strip().toLowerCase(java.util.Locale.ROOT))) {
            // logback would fall back to DEBUG for a level it cannot read.
            System.err.println("docrag: LOG_LEVEL must be one of " + LOG_LEVELS + ", got '" + level + "'");
            System.exit(USAGE);
        }
        // java.util.logging (Lucene's) through SLF4J, in the chosen format.
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install();
        System.exit(run(args, System.getenv(), new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line and returns its exit code. */
    public static int run(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
        DocRagCli cli = new DocRagCli(env);
        cli.out = out;
        cli.err = err;
        CommandLine cl = new CommandLine(cli);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            err.println("docrag " + commandLine.getCommandName() + ": " + oneLine(e));
            err.flush();
            return FAILURE;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        err.println("docrag: name a command: index, search, serve, health, stats, backup (docrag --help)");
        spec.commandLine().usage(err);
        return USAGE;
    }

    Path indexDir() {
        return indexDir != null ? indexDir : Path.of(env.getOrDefault(Env.INDEX_DIR, Env.DEFAULT_INDEX_DIR));
    }

    /** Opens DocRag as configured. The caller closes it. */
    DocRag open() {
        DocRag.Builder b = DocRag.builder().directory(indexDir());
        String url = dbUrl != null ? dbUrl : env.get(Env.DB_URL);
        if (url != null && !url.isBlank()) {
            b.catalogUrl(url, env.get(Env.DB_USER), env.get(Env.DB_PASSWORD));
        }
        return b.build();
    }

    /** The message of {@code e} and its causes on one line, for a user to act on. */
    static String oneLine(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null && b.length() < 500; t = t.getCause()) {
            String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (b.indexOf(m) < 0) {
                b.append(b.isEmpty() ? "" : ": ").append(m);
            }
        }
        return b.toString().replaceAll("\\s+", " ").strip();
    }
}
