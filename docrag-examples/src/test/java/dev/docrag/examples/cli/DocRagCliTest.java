package dev.docrag.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code docrag} command line in-process: outputs, one-line errors and exit codes. */
class DocRagCliTest {
    static final Path SAMPLES = Path.of(System.getProperty("docrag.samples", "../samples/handbook"));

    record Run(int code, String out, String err) {
    }

    static Run run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = DocRagCli.run(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void indexThenSearchAndStatsThroughTheEnvironmentsIndexDir(@TempDir Path dir) throws Exception {
        Map<String, String> env = Map.of("DOCRAG_INDEX_DIR", dir.resolve("idx").toString());
        Run index = run(env, "index", SAMPLES.toString(), "--progress", "log", "--progress-every", "0");
        assertThat(index.code()).as(index.err()).isZero();
        assertThat(index.out()).contains("8 added, 0 updated, 0 unchanged, 0 deleted, 0 failed");
        // Not on a terminal: plain progress lines, the last with every file settled.
        assertThat(index.err().lines().filter(l -> l.startsWith("indexing: ")).toList()).isNotEmpty()
                .last().asString().contains("8/8 files (100%)").contains("files/s").contains("chunks/s");
        assertThat(Files.isDirectory(dir.resolve("idx"))).isTrue();

        Run search = run(env, "search", "how do I rotate the logs?", "-k", "2");
        assertThat(search.code()).as(search.err()).isZero();
        assertThat(search.out().lines().findFirst().orElseThrow()).startsWith("1. [").contains("operations/logging.md");

        Run json = run(env, "search", "rotating logs", "--mode", "keyword", "--json");
        assertThat(json.code()).isZero();
        JsonNode hits = new ObjectMapper().readTree(json.out()).get("hits");
        assertThat(hits.get(0).get("source").asText()).endsWith("operations/logging.md");

        Run other = run(env, "search", "rotating logs", "--tenant", "nobody");
        assertThat(other.code()).isZero();
        assertThat(other.out()).contains("no hits");

        Run stats = run(env, "stats");
        assertThat(stats.code()).isZero();
        assertThat(stats.out()).contains("documents 8");

        // A flag beats the environment.
        Run elsewhere = run(env, "--index-dir", dir.resolve("empty").toString(), "stats");
        assertThat(elsewhere.out()).contains("documents 0");
    }

    @Test
    void searchFiltersOnMetadata(@TempDir Path dir) throws Exception {
        Path docs = Files.createDirectories(dir.resolve("docs"));
        Files.writeString(docs.resolve("ops.md"), "---\nteam: ops\nyear: 2026\n---\n# Pager duty\n\nThe pager rotates weekly.\n");
        Files.writeString(docs.resolve("hr.md"), "---\nteam: hr\nyear: 2025\n---\n# Pager allowance\n\nThe pager allowance is paid monthly.\n");
        Map<String, String> env = Map.of("DOCRAG_INDEX_DIR", dir.resolve("idx").toString());
        assertThat(run(env, "index", docs.toString()).code()).isZero();
        Run ops = run(env, "search", "pager", "--filter", "team=ops", "--json");
        assertThat(ops.code()).as(ops.err()).isZero();
        JsonNode hits = new ObjectMapper().readTree(ops.out()).get("hits");
        assertThat(hits).hasSize(1);
        assertThat(hits.get(0).get("id").asText()).isEqualTo("ops.md");
        Run both = run(env, "search", "pager", "--filter", "team=hr", "--filter", "year=2026");
        assertThat(both.out()).contains("no hits");
        assertThat(run(env, "search", "pager", "--filter", "team").code()).isEqualTo(2);
    }

    @Test
    void usageErrorsExitWith2(@TempDir Path dir) {
        Map<String, String> env = Map.of("DOCRAG_INDEX_DIR", dir.toString());
        assertThat(run(env).code()).isEqualTo(2);
        assertThat(run(env, "search").code()).isEqualTo(2);
        assertThat(run(env, "frobnicate").code()).isEqualTo(2);
        Run mode = run(env, "search", "x", "--mode", "fuzzy");
        assertThat(mode.code()).isEqualTo(2);
        assertThat(mode.err()).contains("--mode must be vector, keyword or hybrid");
        assertThat(run(env, "index", dir.resolve("missing").toString()).code()).isEqualTo(2);
        Run backup = run(env, "backup", "create");
        assertThat(backup.code()).isEqualTo(2);
        assertThat(backup.err()).contains("--repo");
        assertThat(run(env, "backup").code()).isEqualTo(2);
        assertThat(run(env, "--help").code()).isZero();
    }

    @Test
    void failuresExitWith1AndOneLine(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        Run broken = run(Map.of("DOCRAG_INDEX_DIR", file.toString()), "search", "anything");
        assertThat(broken.code()).isEqualTo(1);
        assertThat(broken.err().strip()).startsWith("docrag search: ").doesNotContain("\n").doesNotContain("\tat ");

        Run health = run(Map.of(), "health", "--url", "http://127.0.0.1:1");
        assertThat(health.code()).isEqualTo(1);
        assertThat(health.err().strip()).startsWith("docrag health: ").doesNotContain("\n");
    }

    @Test
    void backupListVerifyPruneAndRestore(@TempDir Path dir) throws Exception {
        Path repo = dir.resolve("repo");
        Map<String, String> env = Map.of("DOCRAG_INDEX_DIR", dir.resolve("idx").toString(), "DOCRAG_BACKUP_REPO", repo.toString());
        assertThat(run(env, "index", SAMPLES.toString()).code()).isZero();
        Run create = run(env, "backup", "create");
        assertThat(create.code()).as(create.err()).isZero();
        assertThat(create.out()).startsWith("backup ").contains("8 documents");
        String id = create.out().split(" ")[1].replace(":", "");
        Run list = run(env, "backup", "list");
        assertThat(list.code()).isZero();
        assertThat(list.out()).startsWith(id).contains("8 documents");
        Run verify = run(env, "backup", "verify", id, "--deep");
        assertThat(verify.code()).as(verify.err()).isZero();
        assertThat(verify.out()).contains("DEEP").contains("CheckIndex clean");
        // change the index, then restore the backup over it
        Path extra = Files.createDirectories(dir.resolve("extra"));
        Files.writeString(extra.resolve("parking.md"), "# Extra\n\nAn extra page about parking.\n");
        assertThat(run(env, "index", extra.toString()).code()).isZero();
        assertThat(run(env, "stats").out()).contains("documents 9");
        Run restore = run(env, "backup", "restore", id);
        assertThat(restore.code()).as(restore.err()).isZero();
        assertThat(restore.out()).contains("previous data kept at");
        assertThat(run(env, "stats").out()).contains("documents 8");
        Run prune = run(env, "backup", "prune", "--keep-days", "0", "--keep-at-least", "1");
        assertThat(prune.code()).as(prune.err()).isZero();
        assertThat(prune.out()).contains("deleted 0 backups");
        Run missing = run(env, "backup", "verify", "20990101T000000.000Z");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).startsWith("docrag verify: ").contains("no backup");
    }
}
