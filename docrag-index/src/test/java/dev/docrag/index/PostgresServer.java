package dev.docrag.index;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests, as a JUnit extension: a test (or its lifecycle method) that
 * declares a {@code PostgresServer} parameter gets the one server of the test run.
 *
 * <p>By default the extension starts a throwaway cluster from the installed server binaries
 * (Debian's {@code postgresql} package: {@code /usr/lib/postgresql/<version>/bin}, the newest
 * version found, or {@code -Ddocrag.test.postgres.bin=<dir>}): {@code initdb} into a temporary
 * folder, {@code pg_ctl start} on 127.0.0.1 at a free port (Unix socket in the same folder), a
 * role and database {@code docrag}; it stops the cluster ({@code -m immediate}) and deletes the
 * folder when the test run ends. PostgreSQL refuses to run as root, so under root the binaries
 * run as the {@code postgres} system user through {@code runuser}, in a folder it owns. Durability
 * is switched off ({@code fsync=off}): the cluster is discarded.
 *
 * <p>{@code -Ddocrag.test.postgres.url=jdbc:postgresql://...} (or the environment variable
 * {@code DOCRAG_TEST_POSTGRES_URL}) uses an existing server instead, with
 * {@code docrag.test.postgres.user}/{@code .password} (default {@code docrag}/{@code docrag}).
 * Without binaries and without a URL the tests <em>fail</em>, saying how to install PostgreSQL;
 * only {@code -Ddocrag.test.postgres=skip} skips them.
 *
 * <p>Public (in docrag-index's test-jar) so that docrag-ops' backup tests use the same server.
 */
public final class PostgresServer implements ParameterResolver, ExecutionCondition {
    private static final String SKIP = "docrag.test.postgres";
    private static final String INSTALL = "Install PostgreSQL with `apt-get install -y postgresql` (Debian/Ubuntu), or"
            + " point -Ddocrag.test.postgres.bin=<dir> at its binaries, or -Ddocrag.test.postgres.url=jdbc:postgresql://..."
            + " at a running server; to skip these tests deliberately, pass -Ddocrag.test.postgres=skip.";
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PostgresServer.class);

    private final String url;
    private final String user;
    private final String password;

    /** JUnit's constructor for the extension instance; the server itself is {@link Cluster}. */
    public PostgresServer() {
        this(null, null, null);
    }

    private PostgresServer(String url, String user, String password) {
        this.url = url;
        this.user = user;
        this.password = password;
    }

    public String url() {
        return url;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url, user, password);
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return "skip".equals(System.getProperty(SKIP))
                ? ConditionEvaluationResult.disabled("PostgreSQL tests skipped by -D" + SKIP + "=skip")
                : ConditionEvaluationResult.enabled("PostgreSQL tests run (-D" + SKIP + "=skip skips them)");
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == PostgresServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        // One server per test run, shared by every class; the root store closes it at the end.
        Cluster cluster = context.getRoot().getStore(NAMESPACE).computeIfAbsent(Cluster.class, k -> {
            try {
                return Cluster.start();
            } catch (IOException | SQLException | InterruptedException e) {
                throw new ParameterResolutionException("could not start PostgreSQL for the tests: " + e.getMessage(), e);
            }
        }, Cluster.class);
        return cluster.server;
    }

    /** A started server and how to stop it. */
    private static final class Cluster implements AutoCloseable {
        final PostgresServer server;
        private final Path bin;
        private final Path home;
        private final AtomicBoolean closed = new AtomicBoolean();
        /** Stops the cluster if the test JVM is terminated before JUnit closes it (not on SIGKILL). */
        private final Thread shutdownHook;

        private Cluster(PostgresServer server, Path bin, Path home) {
            this.server = server;
            this.bin = bin;
            this.home = home;
            if (home != null) {
                shutdownHook = new Thread(() -> {
                    try {
                        stop();
                    } catch (IOException | InterruptedException e) {
                        // the JVM is exiting; nothing left to report to
                    }
                }, "docrag-postgres-stop");
                Runtime.getRuntime().addShutdownHook(shutdownHook);
            } else {
                shutdownHook = null;
            }
        }

        static Cluster start() throws IOException, SQLException, InterruptedException {
            String external = System.getProperty("docrag.test.postgres.url", System.getenv("DOCRAG_TEST_POSTGRES_URL"));
            if (external != null && !external.isBlank()) {
                return new Cluster(new PostgresServer(external, System.getProperty("docrag.test.postgres.user", "docrag"),
                        System.getProperty("docrag.test.postgres.password", "docrag")), null, null);
            }
            Path bin = findBinaries();
            boolean root = "root".equals(System.getProperty("user.name"));
            Path home = Files.createTempDirectory("docrag-pg-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            if (root) {
                UserPrincipal postgres = home.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
                Files.setOwner(home, postgres);
            }
            Path data = home.resolve("data");
            run(root, home, bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "postgres", "-A", "trust",
                    "-E", "UTF8", "--locale=C", "--no-sync");
            IOException lastFailure = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                int port = freePort();
                try {
                    run(root, home, bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", home.resolve("server.log").toString(),
                            "-w", "-t", "60", "-o", "-p " + port + " -k " + home + " -c listen_addresses=127.0.0.1"
                                    + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off", "start");
                } catch (IOException e) {
                    lastFailure = e; // the port was taken between probing and binding: try another
                    continue;
                }
                try {
                    String base = "jdbc:postgresql://127.0.0.1:" + port + "/";
                    try (Connection c = DriverManager.getConnection(base + "postgres", "postgres", "");
                         Statement s = c.createStatement()) {
                        s.execute("CREATE ROLE docrag LOGIN PASSWORD 'docrag'");
                        s.execute("CREATE DATABASE docrag OWNER docrag");
                    }
                    return new Cluster(new PostgresServer(base + "docrag", "docrag", "docrag"), bin, home);
                } catch (SQLException e) {
                    new Cluster(null, bin, home).close();
                    throw e;
                }
            }
            throw lastFailure;
        }

        private static Path findBinaries() {
            String configured = System.getProperty("docrag.test.postgres.bin");
            if (configured != null) {
                Path bin = Path.of(configured);
                if (!Files.isExecutable(bin.resolve("initdb")) || !Files.isExecutable(bin.resolve("pg_ctl"))) {
                    throw new IllegalStateException("-Ddocrag.test.postgres.bin=" + configured + " has no executable initdb"
                            + " and pg_ctl; " + INSTALL);
                }
                return bin;
            }
            Path base = Path.of("/usr/lib/postgresql");
            List<Path> found = new ArrayList<>();
            if (Files.isDirectory(base)) {
                try (Stream<Path> versions = Files.list(base)) {
                    versions.map(v -> v.resolve("bin"))
                            .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                            .forEach(found::add);
                } catch (IOException e) {
                    throw new IllegalStateException("cannot list " + base + ": " + e.getMessage(), e);
                }
            }
            return found.stream()
                    .max(Comparator.comparingInt(b -> parseVersion(b.getParent().getFileName().toString())))
                    .orElseThrow(() -> new IllegalStateException("The PostgreSQL tests need a PostgreSQL server, and none"
                            + " was found (no /usr/lib/postgresql/<version>/bin/initdb). " + INSTALL));
        }

        private static int parseVersion(String name) {
            try {
                return Integer.parseInt(name.replaceAll("\\..*", ""));
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        private static int freePort() throws IOException {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            }
        }

        /** Runs a PostgreSQL program, as the postgres user when we are root; fails with its output. */
        private static void run(boolean root, Path home, String... command) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>();
            if (root) {
                cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
            }
            cmd.addAll(List.of(command));
            Path output = Files.createTempFile("docrag-pg-cmd", ".log");
            try {
                Process p = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true)
                        .redirectOutput(output.toFile()).start();
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException(String.join(" ", cmd) + " did not finish in 120 s");
                }
                if (p.exitValue() != 0) {
                    String log = Files.readString(output);
                    Path serverLog = home.resolve("server.log");
                    if (Files.isReadable(serverLog)) {
                        log += "\nserver.log:\n" + Files.readString(serverLog);
                    }
                    throw new IOException(String.join(" ", cmd) + " exited with " + p.exitValue() + ":\n" + log);
                }
            } finally {
                Files.deleteIfExists(output);
            }
        }

        @Override
        public void close() throws IOException, InterruptedException {
            if (shutdownHook != null) {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
            stop();
        }

        private void stop() throws IOException, InterruptedException {
            if (home == null || !closed.compareAndSet(false, true)) {
                return;
            }
            boolean root = "root".equals(System.getProperty("user.name"));
            try {
                run(root, home, bin.resolve("pg_ctl").toString(), "-D", home.resolve("data").toString(), "-m", "immediate",
                        "-w", "stop");
            } finally {
                try (Stream<Path> all = Files.walk(home)) {
                    for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }

        @Override
        public String toString() {
            return "PostgreSQL " + (server == null ? "" : server.url()) + " from " + bin + " in " + home;
        }
    }
}
