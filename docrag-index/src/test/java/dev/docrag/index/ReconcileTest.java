package dev.docrag.index;

import dev.docrag.core.DocRagException;
import dev.docrag.index.RandomWrites.Version;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The reconciliation of the catalog with the index, case by case (the crash tests reach these
 * cases at random): the index is the record of what was acknowledged, and the catalog is made to
 * agree with it.
 */
class ReconcileTest {
    @TempDir
    Path tmp;

    private DocRag open(Path dir) {
        return DocRag.builder().directory(dir).embedder(new HashEmbedder()).build();
    }

    private static Connection catalog(Path dir) throws Exception {
        return DriverManager.getConnection(Catalog.h2Url(dir), "sa", "");
    }

    private static DocumentInput doc(String tenant, String id, String title, String text) {
        return DocumentInput.builder(tenant, id).title(title).text(text).build();
    }

    private static Version version(DocumentInput d) {
        return new Version(DocRag.contentHash(d), RandomWrites.ABSENT);
    }

    @Test
    void aCatalogTransactionThatFailedAfterTheIndexCommitIsRepairedBeforeTheNextWrite() throws Exception {
        Path dir = tmp.resolve("d");
        DocumentInput ok = doc("t", "ok", "fine", "a fine document about rivers");
        DocumentInput other = doc("t", "other", "other", "another document about lakes");
        DocumentInput boom = doc("t", "boom", "boom", "refused by the catalog once");
        DocumentInput later = doc("t", "later", "later", "written after the failure");
        DocumentInput last = doc("t", "last", "last", "written after the second failure");
        try (DocRag rag = open(dir)) {
            rag.upsert(ok);
            rag.upsert(doc("t", "gone", "gone", "deleted while the catalog fails"));
            // The index commits the deletion, the catalog refuses it: the call is not acknowledged.
            try (Connection c = catalog(dir); Statement s = c.createStatement()) {
                s.execute("CREATE TRIGGER no_delete BEFORE DELETE ON documents FOR EACH ROW CALL '"
                        + RefuseDeletes.class.getName() + "'");
            }
            assertThatThrownBy(() -> rag.delete("t", "gone")).isInstanceOf(DocRagException.class);
            try (Connection c = catalog(dir); Statement s = c.createStatement()) {
                s.execute("DROP TRIGGER no_delete");
            }
            // The next write first makes the catalog agree with the index: the row goes.
            rag.upsert(later);
            assertThat(rag.documentCount("t")).isEqualTo(2);

            try (Connection c = catalog(dir); Statement s = c.createStatement()) {
                s.execute("ALTER TABLE documents ADD CONSTRAINT no_boom CHECK (title <> 'boom')");
            }
            assertThatThrownBy(() -> rag.upsert(List.of(other, boom))).isInstanceOf(DocRagException.class)
                    .hasMessageContaining("could not commit");
            // While the catalog still refuses, writes fail rather than build on a catalog behind the index.
            assertThatThrownBy(() -> rag.upsert(last)).isInstanceOf(DocRagException.class);
            try (Connection c = catalog(dir); Statement s = c.createStatement()) {
                s.execute("ALTER TABLE documents DROP CONSTRAINT no_boom");
            }
            // The failed call's documents are adopted, whole, as the index holds them.
            rag.upsert(last);
            assertThat(rag.documentCount("t")).isEqualTo(5);
        }
        ConsistencyCheck.verify(dir, Map.of("t/ok", version(ok), "t/other", version(other), "t/boom", version(boom),
                "t/later", version(later), "t/last", version(last)), Map.of(), "after failed catalog transactions");
    }

    /** An H2 trigger that refuses every delete. */
    public static final class RefuseDeletes implements org.h2.api.Trigger {
        @Override
        public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws java.sql.SQLException {
            throw new java.sql.SQLException("deletes refused by the test");
        }
    }

    @Test
    void openingRepairsRowsTheIndexContradictsAndAdoptsDocumentsTheCatalogLacks() throws Exception {
        Path dir = tmp.resolve("d");
        DocumentInput a = doc("t", "a", "A", "alpha document about mountains");
        DocumentInput b = doc("t", "b", "B", "bravo document about valleys");
        DocumentInput c = doc("u", "c", "C", "charlie document about coasts");
        try (DocRag rag = open(dir)) {
            rag.upsert(List.of(a, b, c));
        }
        try (Connection conn = catalog(dir); Statement s = conn.createStatement()) {
            s.execute("DELETE FROM documents WHERE id = 'a'"); // lost row: adopted from the index
            s.execute("UPDATE documents SET content_hash = '" + "ab".repeat(32) + "', chunk_count = 7 WHERE id = 'b'");
            s.execute("INSERT INTO documents (tenant, id, source, title, content_hash, chunk_count, updated_at, version,"
                    + " status, created_at) VALUES ('t', 'phantom', 'p', 'p', '" + "cd".repeat(32) + "', 2, CURRENT_TIMESTAMP,"
                    + " 1, 'INDEXED', CURRENT_TIMESTAMP)"); // no chunks: dropped
            s.execute("DELETE FROM metadata_fields");
            s.execute("UPDATE docrag_meta SET meta_value = '0' WHERE meta_key = 'index_seq'");
        }
        try (DocRag rag = open(dir)) {
            assertThat(rag.documentCount()).isEqualTo(3);
        }
        ConsistencyCheck.verify(dir, Map.of("t/a", version(a), "t/b", version(b), "u/c", version(c)), Map.of(),
                "after tampering with the catalog");
    }

    @Test
    void aLostCatalogIsRebuiltWithEachDocumentsFolderSoVanishedFilesAreStillRemoved() throws Exception {
        Path dir = tmp.resolve("d");
        Path docs = tmp.resolve("docs");
        Files.createDirectories(docs);
        Files.writeString(docs.resolve("keep.txt"), "kept file about forests");
        Files.writeString(docs.resolve("vanish.txt"), "vanishing file about deserts");
        Files.writeString(docs.resolve("claimed.txt"), "claimed file about islands");
        try (DocRag rag = open(dir)) {
            // Upserted first, then found in the folder: the folder claims it without rewriting it.
            rag.upsert(DocumentInput.builder(DocRag.DEFAULT_TENANT, "claimed.txt").text("claimed file about islands").build());
            rag.upsert(doc(DocRag.DEFAULT_TENANT, "upserted", "U", "upserted by the host, never removed by an ingest"));
            assertThat(rag.ingest(docs).added()).isEqualTo(2);
        }
        for (String file : List.of("catalog.mv.db", "catalog.trace.db")) {
            Files.deleteIfExists(dir.resolve(file));
        }
        Files.delete(docs.resolve("vanish.txt"));
        Files.delete(docs.resolve("claimed.txt"));
        try (DocRag rag = open(dir)) {
            assertThat(rag.documentCount()).as("rebuilt from the index").isEqualTo(4);
            IngestReport report = rag.ingest(docs);
            assertThat(report.deleted()).as("the rebuilt rows know their folder").isEqualTo(2);
            assertThat(report.unchanged()).as("the rebuilt rows know their content hash").isEqualTo(1);
            assertThat(rag.chunkCount(DocRag.DEFAULT_TENANT, "upserted")).isPositive();
            assertThat(rag.documentCount()).isEqualTo(2);
        }
    }
}
