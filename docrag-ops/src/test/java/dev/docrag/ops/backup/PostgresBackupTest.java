package dev.docrag.ops.backup;

import dev.docrag.index.DocRag;
import dev.docrag.index.IndexSnapshot;
import dev.docrag.index.PostgresServer;
import dev.docrag.ops.TestEmbedder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Backups of a DocRag whose catalog is a real PostgreSQL server ({@link PostgresServer}, started
 * from the Debian binaries on loopback, as the catalog tests do): the catalog's rows are exported
 * at the snapshot's write, and a restore puts them back into PostgreSQL, swapping schemas.
 */
@ExtendWith(PostgresServer.class)
class PostgresBackupTest {
    private final TestEmbedder embedder = new TestEmbedder();

    private static String freshSchema() {
        return "bk_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    private static DocRag open(Path dir, TestEmbedder embedder, PostgresServer pg, String schema) {
        return DocRag.builder().directory(dir).embedder(embedder).catalogUrl(pg.url(), pg.user(), pg.password())
                .catalogSchema(schema).build();
    }

    private static long count(PostgresServer pg, String sql) throws SQLException {
        try (Connection c = pg.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void theExportHoldsTheSnapshotsWriteEvenWhenWritesFollowBeforeItIsRead(@TempDir Path tmp, PostgresServer pg) throws Exception {
        String schema = freshSchema();
        try (DocRag rag = open(tmp.resolve("live"), embedder, pg, schema)) {
            Corpus.fill(rag, 4);
            String rows;
            long seq;
            try (IndexSnapshot snap = rag.snapshot()) {
                seq = snap.sequence();
                // writes after the snapshot, before its catalog rows are read: they must not show
                rag.upsert(List.of(Corpus.doc(10, 1), Corpus.doc(11, 1)));
                rag.delete(Corpus.TENANT, "doc-0");
                assertThat(snap.catalogExportName()).isEqualTo("catalog.rows");
                try (InputStream in = snap.openCatalogExport().orElseThrow()) {
                    rows = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
            assertThat(count(pg, "SELECT COUNT(*) FROM " + schema + ".documents")).isEqualTo(5);
            assertThat(rows).contains("\tdoc-0\t").doesNotContain("\tdoc-10\t").doesNotContain("\tdoc-11\t");
            assertThat(rows).contains("row\tindex_seq\t" + seq + "\n");
            assertThat(rows.lines().filter(l -> l.startsWith("row\t" + Corpus.TENANT + "\tdoc-")).count()).isEqualTo(4);
        }
    }

    @Test
    void backupThenRestoreIntoPostgresRoundTripsTheCatalogAndSwapsSchemas(@TempDir Path tmp, PostgresServer pg) throws Exception {
        String schema = freshSchema();
        Path live = tmp.resolve("live");
        BackupTarget repo = BackupTarget.filesystem(tmp.resolve("repo"));
        Map<Integer, Integer> expected = new HashMap<>();
        String id;
        long runs;
        try (DocRag rag = open(live, embedder, pg, schema);
             BackupManager b = BackupManager.builder(rag).target(repo).build()) {
            Corpus.fill(rag, 6);
            rag.delete(Corpus.TENANT, "doc-2");
            rag.upsert(List.of(Corpus.doc(3, 2)));
            for (int i = 0; i < 6; i++) {
                expected.put(i, i == 3 ? 2 : 1);
            }
            expected.remove(2);
            BackupReport r = b.backup();
            assertThat(r.manifest().catalog().name()).isEqualTo("catalog.rows.gz");
            id = r.id();
            runs = count(pg, "SELECT COUNT(*) FROM " + schema + ".ingest_runs");
            assertThat(runs).isPositive();
            // deep verify imports the rows into a scratch H2 catalog and checks counts and write
            assertThat(b.verify(id, VerifyDepth.DEEP).checks()).anyMatch(c -> c.startsWith("catalog imports at write"));
            // later changes, which the restore must undo
            rag.upsert(List.of(Corpus.doc(7, 1), Corpus.doc(1, 5)));
            rag.delete(Corpus.TENANT, "doc-0");
        }
        BackupManager restorer = BackupManager.builder().target(repo).embedder(embedder)
                .restoreCatalogTo(pg.url(), pg.user(), pg.password(), schema).build();
        RestoreReport report = restorer.restore(id, live);
        assertThat(report.verification().checks()).anyMatch(c -> c.contains("into schema " + schema + "_restore_"));
        try (DocRag rag = open(live, embedder, pg, schema)) {
            Corpus.assertHolds(rag, expected, 8);
        }
        // the catalog rows themselves came back (the run history is not rebuildable from the index)
        assertThat(count(pg, "SELECT COUNT(*) FROM " + schema + ".ingest_runs")).isEqualTo(runs + 0);
        assertThat(count(pg, "SELECT COUNT(*) FROM " + schema + ".documents")).isEqualTo(5);
        assertThat(count(pg, "SELECT COUNT(*) FROM " + schema + ".documents WHERE id = 'doc-3' AND version = 2")).isEqualTo(1);
        // the previous catalog is kept under a new name, holding the later state; no staging schema is left
        assertThat(count(pg, "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name LIKE '" + schema + "\\_before\\_%'"))
                .isEqualTo(1);
        assertThat(count(pg, "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name LIKE '" + schema + "\\_restore\\_%'"))
                .isZero();
        // a new write after the restore gets a fresh run id (identities restarted past the imported ones)
        try (DocRag rag = open(live, embedder, pg, schema)) {
            rag.upsert(List.of(Corpus.doc(9, 1)));
        }
        assertThat(count(pg, "SELECT COUNT(*) FROM " + schema + ".ingest_runs")).isEqualTo(runs + 1);
    }

    @Test
    void aCrashBetweenTheSchemaSwapAndTheDirectorySwapIsCompletedByRecovery(@TempDir Path tmp, PostgresServer pg) throws Exception {
        String schema = freshSchema();
        Path live = tmp.resolve("live");
        BackupTarget repo = BackupTarget.filesystem(tmp.resolve("repo"));
        String id;
        try (DocRag rag = open(live, embedder, pg, schema);
             BackupManager b = BackupManager.builder(rag).target(repo).build()) {
            Corpus.fill(rag, 3);
            id = b.backup().id();
            rag.upsert(List.of(Corpus.doc(5, 1)));
        }
        Map<String, String> before = Corpus.digest(live);
        BackupManager crashing = BackupManager.builder().target(repo).embedder(embedder)
                .restoreCatalogTo(pg.url(), pg.user(), pg.password(), schema)
                .restoreHook(step -> {
                    if (step.equals("schema-swapped")) {
                        throw new IllegalStateException("simulated crash after " + step);
                    }
                }).build();
        assertThatThrownBy(() -> crashing.restore(id, live)).hasMessageContaining("simulated crash");
        // the live directory is untouched; the journal says how to finish
        assertThat(Corpus.digest(live)).isEqualTo(before);
        assertThat(live.resolveSibling("live.restore-journal")).exists();
        BackupManager recovering = BackupManager.builder().target(repo).embedder(embedder)
                .restoreCatalogTo(pg.url(), pg.user(), pg.password(), schema).build();
        assertThat(recovering.recoverInterruptedRestore(live)).isTrue();
        assertThat(live.resolveSibling("live.restore-journal")).doesNotExist();
        assertThat(recovering.recoverInterruptedRestore(live)).isFalse();
        try (DocRag rag = open(live, embedder, pg, schema)) {
            Corpus.assertHolds(rag, Map.of(0, 1, 1, 1, 2, 1), 6);
        }
    }

    @Test
    void aPostgresCatalogExportDoesNotImportIntoAnExistingSchema(@TempDir Path tmp, PostgresServer pg) throws IOException, SQLException {
        String schema = freshSchema();
        Path export = tmp.resolve("rows");
        try (DocRag rag = open(tmp.resolve("live"), embedder, pg, schema)) {
            Corpus.fill(rag, 2);
            try (IndexSnapshot snap = rag.snapshot(); InputStream in = snap.openCatalogExport().orElseThrow()) {
                Files.copy(in, export);
            }
        }
        assertThatThrownBy(() -> IndexSnapshot.restoreCatalog(pg.url(), pg.user(), pg.password(), schema, export))
                .hasMessageContaining("has tables already");
        String other = freshSchema();
        assertThat(IndexSnapshot.restoreCatalog(pg.url(), pg.user(), pg.password(), other, export)).isPositive();
        assertThat(count(pg, "SELECT COUNT(*) FROM " + other + ".documents")).isEqualTo(2);
    }
}
