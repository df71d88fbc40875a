package dev.docrag.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.docrag.core.embed.OnnxEmbedder;
import dev.docrag.examples.service.DocRagServer;
import dev.docrag.index.DocRag;
import dev.docrag.ops.backup.BackupKey;
import dev.docrag.ops.backup.BackupManager;
import dev.docrag.ops.backup.BackupReport;
import dev.docrag.ops.backup.BackupTarget;
import dev.docrag.ops.backup.Manifest;
import dev.docrag.ops.backup.PruneReport;
import dev.docrag.ops.backup.RestoreReport;
import dev.docrag.ops.backup.Retention;
import dev.docrag.ops.backup.VerifyDepth;
import dev.docrag.ops.backup.VerifyReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * {@code docrag backup create|list|verify|restore|prune}: backups of the local index with
 * docrag-ops' {@link BackupManager}. The repository is {@code --repo} (env {@code DOCRAG_BACKUP_REPO}):
 * a directory, or {@code s3://bucket/prefix} (AWS credentials and region from the usual
 * environment; {@code DOCRAG_S3_ENDPOINT} for an S3-compatible server, path-style). An
 * encryption key comes only from the environment: {@code DOCRAG_BACKUP_KEY}, 32 bytes in base64.
 * {@code create} and {@code restore} open the index, so stop a running server first, or back a
 * running server up with {@code create --server URL}.
 */
@Command(name = "backup", description = "Back up, list, verify, restore and prune backups of the index.",
        subcommands = {BackupCommand.Create.class, BackupCommand.ListBackups.class, BackupCommand.Verify.class,
                BackupCommand.Restore.class, BackupCommand.Prune.class})
final class BackupCommand implements Callable<Integer> {
    @ParentCommand
    DocRagCli cli;

    @Option(names = "--repo", paramLabel = "DIR|s3://BUCKET/PREFIX", scope = CommandLine.ScopeType.INHERIT,
            description = "The backup repository (env DOCRAG_BACKUP_REPO).")
    String repo;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        cli.err.println("docrag backup: name a command: create, list, verify, restore, prune (docrag backup --help)");
        spec.commandLine().usage(cli.err);
        return DocRagCli.USAGE;
    }

    private BackupTarget target() {
        String where = repo != null ? repo : cli.env.get(Env.BACKUP_REPO);
        if (where == null || where.isBlank()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give --repo DIR|s3://bucket/prefix or DOCRAG_BACKUP_REPO");
        }
        return target(where, cli.env);
    }

    /** The repository {@code where} names: a directory, or {@code s3://bucket/prefix}. */
    static BackupTarget target(String where, Map<String, String> env) {
        if (!where.startsWith("s3://")) {
            return BackupTarget.filesystem(Path.of(where));
        }
        String rest = where.substring("s3://".length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        var b = S3Client.builder().httpClient(UrlConnectionHttpClient.create())
                .region(Region.of(env.getOrDefault(Env.AWS_REGION, "us-east-1")));
        String endpoint = env.get(Env.S3_ENDPOINT);
        if (endpoint != null && !endpoint.isBlank()) {
            b.endpointOverride(URI.create(endpoint)).forcePathStyle(true);
        }
        return BackupTarget.s3(b.build(), bucket, prefix);
    }

    /** The encryption key from {@code DOCRAG_BACKUP_KEY}, if set. */
    static void encryption(BackupManager.Builder b, Map<String, String> env) {
        String key = env.get(Env.BACKUP_KEY);
        if (key != null && !key.isBlank()) {
            b.encryptionKey(BackupKey.of(Base64.getDecoder().decode(key.strip())));
        }
    }

    /**
     * The manager {@code serve} backs up through ({@code POST /v1/admin/backup}), or null when
     * {@code DOCRAG_BACKUP_REPO} is not set.
     */
    static BackupManager forServer(DocRag rag, Map<String, String> env) {
        String where = env.get(Env.BACKUP_REPO);
        if (where == null || where.isBlank()) {
            return null;
        }
        BackupManager.Builder b = BackupManager.builder(rag).target(target(where, env));
        encryption(b, env);
        return b.build();
    }

    /** Runs {@code work} with a manager over the repository; {@code rag} is null unless backing up. */
    private int withManager(DocRag rag, Retention retention, Function<BackupManager, Integer> work) {
        BackupManager.Builder b = rag != null ? BackupManager.builder(rag) : BackupManager.builder();
        b.target(target());
        encryption(b, cli.env);
        if (retention != null) {
            b.retention(retention);
        }
        if (rag != null) {
            try (BackupManager m = b.build()) {
                return work.apply(m);
            }
        }
        try (OnnxEmbedder embedder = OnnxEmbedder.allMiniLmL6V2(); BackupManager m = b.embedder(embedder).build()) {
            return work.apply(m);
        }
    }

    @Command(name = "create", description = "Take a backup now: of the index directory, or with --server, of a running"
            + " service's index (hot: its searches and writes go on).")
    static final class Create implements Callable<Integer> {
        @ParentCommand
        BackupCommand parent;

        @Option(names = "--server", paramLabel = "URL", description = "Ask the `docrag serve` at URL to back up its own"
                + " index (POST " + DocRagServer.BACKUP_PATH + ", with the first key of DOCRAG_WRITE_KEYS); the server"
                + " needs DOCRAG_BACKUP_REPO. The index directory is held by the server, so this is how a running service"
                + " is backed up.")
        URI server;

        @Option(names = "--timeout-minutes", defaultValue = "60", description = "How long to wait for the server's backup"
                + " (default: ${DEFAULT-VALUE}).")
        long timeoutMinutes;

        @Override
        public Integer call() throws Exception {
            if (server != null) {
                return parent.remote(server, timeoutMinutes);
            }
            try (DocRag rag = parent.cli.open()) {
                return parent.withManager(rag, null, m -> {
                    BackupReport r = m.backup();
                    parent.cli.out.printf("backup %s: %d documents, %d chunks, %d files (%d stored, %d bytes; %d reused) in %d ms%n",
                            r.id(), r.manifest().documents(), r.manifest().chunks(), r.manifest().allFiles().size(),
                            r.filesStored(), r.bytesStored(), r.filesReused(), r.took().toMillis());
                    return DocRagCli.OK;
                });
            }
        }
    }

    /** Asks a running server for a backup and prints its answer as a local create would. */
    private int remote(URI server, long timeoutMinutes) throws Exception {
        String keys = cli.env.get(Env.WRITE_KEYS);
        String key = keys == null ? "" : keys.split(",", -1)[0].strip();
        if (key.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--server needs a write key in DOCRAG_WRITE_KEYS");
        }
        URI uri = server.resolve(DocRagServer.BACKUP_PATH);
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(timeoutMinutes))
                .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> response;
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build()) {
            response = client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            cli.err.println("docrag backup create: cannot reach " + uri + ": " + e);
            return DocRagCli.FAILURE;
        }
        JsonNode body;
        try {
            body = new ObjectMapper().readTree(response.body());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            body = null;
        }
        if (response.statusCode() != 200 || body == null) {
            String detail = body != null && body.hasNonNull("detail") ? body.get("detail").asText() : response.body();
            cli.err.println("docrag backup create: " + uri + " answered " + response.statusCode() + ": " + detail);
            return DocRagCli.FAILURE;
        }
        cli.out.printf("backup %s: %d documents, %d chunks, %d files (%d stored, %d bytes; %d reused) in %d ms (by %s)%n",
                body.get("id").asText(), body.get("documents").asLong(), body.get("chunks").asLong(), body.get("files").asInt(),
                body.get("files_stored").asInt(), body.get("bytes_stored").asLong(), body.get("files_reused").asInt(),
                body.get("took_ms").asLong(), server);
        if (body.hasNonNull("mirror_failure")) {
            cli.err.println("docrag backup create: warning: the mirror copy failed: " + body.get("mirror_failure").asText());
        }
        return DocRagCli.OK;
    }

    @Command(name = "list", description = "List the backups in the repository, oldest first.")
    static final class ListBackups implements Callable<Integer> {
        @ParentCommand
        BackupCommand parent;

        @Override
        public Integer call() {
            BackupManager m = BackupManager.builder().target(parent.target()).build();
            for (Manifest b : m.list()) {
                parent.cli.out.printf("%s  %s  %d documents  %d chunks  %d bytes  model %s%s%n", b.id(), b.created(),
                        b.documents(), b.chunks(), b.totalBytes(), b.modelId(), b.keyId() == null ? "" : "  encrypted");
            }
            return DocRagCli.OK;
        }
    }

    @Command(name = "verify", description = "Verify a backup: checksums, or --deep: restore to scratch and check it.")
    static final class Verify implements Callable<Integer> {
        @ParentCommand
        BackupCommand parent;

        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--deep", description = "Restore into a scratch directory, run CheckIndex and open it.")
        boolean deep;

        @Override
        public Integer call() {
            return parent.withManager(null, null, m -> {
                VerifyReport r = m.verify(id, deep ? VerifyDepth.DEEP : VerifyDepth.QUICK);
                parent.cli.out.printf("backup %s verified (%s): %d files, %d bytes; %s%n", r.id(), r.depth(), r.files(),
                        r.bytes(), String.join(", ", r.checks()));
                return DocRagCli.OK;
            });
        }
    }

    @Command(name = "restore", description = "Restore a backup as the index directory (verified first; the old data is kept beside it).")
    static final class Restore implements Callable<Integer> {
        @ParentCommand
        BackupCommand parent;

        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--force", description = "Restore even a backup of another model or a newer format.")
        boolean force;

        @Override
        public Integer call() {
            return parent.withManager(null, null, m -> {
                RestoreReport r = m.restore(id, parent.cli.indexDir(), force);
                parent.cli.out.printf("restored backup %s into %s%s%n", r.id(), r.directory(),
                        r.previous().map(p -> "; previous data kept at " + p).orElse(""));
                return DocRagCli.OK;
            });
        }
    }

    @Command(name = "prune", description = "Delete backups the retention policy does not keep, and unreferenced files.")
    static final class Prune implements Callable<Integer> {
        @ParentCommand
        BackupCommand parent;

        @Option(names = "--keep-days", defaultValue = "7", description = "Keep backups younger than this (default 7).")
        int days;

        @Option(names = "--keep-at-least", defaultValue = "3", description = "Always keep this many newest (default 3).")
        int atLeast;

        @Option(names = "--keep-at-most", defaultValue = "2147483647", description = "Never keep more than this many.")
        int atMost;

        @Override
        public Integer call() {
            Retention retention;
            try {
                retention = new Retention(Duration.ofDays(days), atLeast, atMost);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(parent.spec.commandLine(), e.getMessage());
            }
            BackupManager m = BackupManager.builder().target(parent.target()).retention(retention).build();
            PruneReport r = m.prune();
            parent.cli.out.printf("deleted %d backups %s, kept %d; deleted %d files (%d bytes)%n", r.deletedBackups().size(),
                    r.deletedBackups(), r.keptBackups().size(), r.deletedFiles(), r.freedBytes());
            return DocRagCli.OK;
        }
    }
}
