package dev.docrag.index;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.docrag.core.DocRagException;
import dev.docrag.core.DocumentProblem;
import dev.docrag.core.load.FileLoader;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The catalog's behaviour, run against each database DocRag supports: {@link H2CatalogTest} (the
 * default H2 file in the directory) and {@link PostgresCatalogTest} (a real PostgreSQL server).
 * Each test gets fresh directories; a backend gives each directory a catalog of its own and can
 * point a second directory at the first one's catalog.
 */
abstract class CatalogSuite {
    /** The schema main created with {@code CREATE TABLE IF NOT EXISTS} before migrations existed, verbatim. */
    static final String SCHEMA_BEFORE_MIGRATIONS = """
            CREATE TABLE IF NOT EXISTS docrag_meta (
              meta_key   VARCHAR(100) PRIMARY KEY,
              meta_value VARCHAR(2000) NOT NULL
            );
            CREATE TABLE IF NOT EXISTS documents (
              tenant       VARCHAR(256) NOT NULL,
              id           VARCHAR(2048) NOT NULL,
              source       VARCHAR(1000000) NOT NULL,
              title        VARCHAR(1000000) NOT NULL,
              content_hash CHAR(64) NOT NULL,
              chunk_count  INT NOT NULL,
              updated_at   TIMESTAMP NOT NULL,
              PRIMARY KEY (tenant, id)
            );
            CREATE TABLE IF NOT EXISTS metadata_fields (
              name       VARCHAR(128) PRIMARY KEY,
              field_type VARCHAR(32) NOT NULL
            );
            """;

    @TempDir
    Path tmp;
    final HashEmbedder embedder = new HashEmbedder();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    /** A builder for {@code dir} with the test embedder and no catalog settings. */
    final DocRag.Builder plain(Path dir) {
        return DocRag.builder().directory(dir).embedder(embedder);
    }

    /** A builder for {@code dir} whose catalog is this backend's, and {@code dir}'s own. */
    abstract DocRag.Builder builder(Path dir);

    /** A builder for {@code dir} whose catalog is the one {@link #builder} gives {@code owner}. */
    abstract DocRag.Builder sharingCatalogOf(Path owner, Path dir);

    /** A connection to {@code dir}'s catalog database, with DocRag's schema as the current one. */
    abstract Connection connect(Path dir) throws SQLException;

    /** A pool over this backend's database as a host would hold one (its own URL, its own tables). */
    abstract HikariConfig hostPool(Path dir);

    /** A schema name no other test uses. */
    final String freshSchema() {
        return "t" + Long.toHexString(System.nanoTime()) + Integer.toHexString(toClose.size() + tmp.hashCode() & 0xfff);
    }

    @AfterEach
    void closeHostPools() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text);
    }

    private static Map<String, Object> row(Connection c, String sql, Object... args) throws SQLException {
        List<Map<String, Object>> rows = rows(c, sql, args);
        assertThat(rows).as(sql).hasSize(1);
        return rows.get(0);
    }

    private static List<Map<String, Object>> rows(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                List<Map<String, Object>> out = new ArrayList<>();
                while (rs.next()) {
                    Map<String, Object> r = new LinkedHashMap<>();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        Object v = rs.getObject(i);
                        // Numbers compare as longs whatever width the database returns.
                        r.put(rs.getMetaData().getColumnLabel(i).toLowerCase(java.util.Locale.ROOT),
                                v instanceof Number n && !(v instanceof Double) ? (Object) n.longValue() : v);
                    }
                    out.add(r);
                }
                return out;
            }
        }
    }

    private List<Hit> search(DocRag rag, String query) {
        return rag.search(SearchRequest.keyword(query).tenant(DocRag.DEFAULT_TENANT).k(10));
    }

    private static List<String> ids(List<Hit> hits) {
        return hits.stream().map(Hit::documentId).distinct().toList();
    }

    @Test
    void migratesAnEmptyCatalogToTheLatestVersion() throws SQLException {
        Path dir = tmp.resolve("a");
        try (DocRag rag = builder(dir).build()) {
            assertThat(rag.documentCount()).isZero();
        }
        try (Connection c = connect(dir)) {
            List<Map<String, Object>> applied = rows(c, "SELECT \"version\", \"success\" FROM \"docrag_schema_history\""
                    + " WHERE \"type\" = 'SQL' ORDER BY \"installed_rank\"");
            assertThat(applied).extracting(r -> r.get("version")).containsExactly("1", "2");
            assertThat(applied).extracting(r -> r.get("success")).containsOnly(true);
            for (String table : List.of("docrag_meta", "documents", "metadata_fields", "ingest_runs", "document_errors")) {
                assertThat(rows(c, "SELECT COUNT(*) AS n FROM " + table)).as(table).hasSize(1);
            }
            assertThat(row(c, "SELECT COUNT(*) AS n FROM docrag_meta WHERE meta_key = 'index_id'").get("n")).isEqualTo(1L);
        }
        // Reopening migrates nothing and keeps working.
        try (DocRag rag = builder(dir).build()) {
            rag.upsert(DocumentInput.builder("t", "d").text("hello there").build());
            assertThat(rag.documentCount("t")).isEqualTo(1);
        }
    }

    @Test
    void upgradesACatalogCreatedByTheFirstSchemaVersion() throws SQLException {
        Path dir = tmp.resolve("old");
        Timestamp updated = Timestamp.from(Instant.parse("2026-01-02T03:04:05Z"));
        String hash = "ab".repeat(32);
        try (Connection c = createBeforeMigrations(dir); Statement s = c.createStatement()) {
            for (String ddl : SCHEMA_BEFORE_MIGRATIONS.split(";")) {
                if (!ddl.isBlank()) {
                    s.execute(ddl);
                }
            }
            s.execute("INSERT INTO docrag_meta (meta_key, meta_value) VALUES ('model', '" + embedder.model().id() + "')");
            s.execute("INSERT INTO metadata_fields (name, field_type) VALUES ('year', 'LONG')");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO documents (tenant, id, source, title, content_hash,"
                    + " chunk_count, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                for (String id : List.of("a.md", "b.md")) {
                    ps.setString(1, "default");
                    ps.setString(2, id);
                    ps.setString(3, "/docs/" + id);
                    ps.setString(4, "Title " + id);
                    ps.setString(5, hash);
                    ps.setInt(6, 3);
                    ps.setTimestamp(7, updated);
                    ps.executeUpdate();
                }
            }
        }
        writeIndexBeforeHashes(dir, List.of("a.md", "b.md"));
        try (DocRag rag = builder(dir).build()) {
            assertThat(rag.documentCount()).isEqualTo(2);
            assertThat(rag.metadataFields()).containsEntry("year", MetadataType.LONG);
        }
        try (Connection c = connect(dir)) {
            List<Map<String, Object>> docs = rows(c, "SELECT id, source, title, content_hash, chunk_count, updated_at,"
                    + " version, status, created_at, ingest_root FROM documents ORDER BY id");
            assertThat(docs).hasSize(2);
            for (Map<String, Object> d : docs) {
                assertThat(d.get("source")).isEqualTo("/docs/" + d.get("id"));
                assertThat(d.get("title")).isEqualTo("Title " + d.get("id"));
                assertThat(d.get("content_hash")).isEqualTo(hash);
                assertThat(d.get("chunk_count")).isEqualTo(3L);
                assertThat(d.get("updated_at")).isEqualTo(updated);
                assertThat(d.get("version")).as("rows from before V2 are version 1").isEqualTo(1L);
                assertThat(d.get("status")).isEqualTo("INDEXED");
                assertThat(d.get("created_at")).as("best known creation time").isEqualTo(updated);
                assertThat(d.get("ingest_root")).as("origin unknown until the next ingest").isNull();
            }
            List<Map<String, Object>> history = rows(c, "SELECT \"version\", \"type\", \"success\" FROM \"docrag_schema_history\""
                    + " WHERE \"type\" IN ('BASELINE', 'SQL') ORDER BY \"installed_rank\"");
            assertThat(history).extracting(r -> r.get("version") + " " + r.get("type") + " " + r.get("success"))
                    .containsExactly("1 BASELINE true", "2 SQL true");
        }
    }

    /**
     * The index such a catalog came with: three chunks per document, in tenant {@code default},
     * as DocRag wrote them before chunks stored their content hash and folder. Opening reconciles
     * the catalog with the index (see "Consistency" in docs/architecture.md), so the rows above
     * survive only because the index holds their chunks.
     */
    private void writeIndexBeforeHashes(Path dir, List<String> ids) {
        try (org.apache.lucene.store.Directory d = org.apache.lucene.store.FSDirectory.open(dir.resolve("index"));
             org.apache.lucene.index.IndexWriter w = new org.apache.lucene.index.IndexWriter(d,
                     new org.apache.lucene.index.IndexWriterConfig())) {
            for (String id : ids) {
                for (int ordinal = 0; ordinal < 3; ordinal++) {
                    org.apache.lucene.document.Document chunk = new org.apache.lucene.document.Document();
                    chunk.add(new org.apache.lucene.document.StringField(ChunkIndex.KEY, ChunkIndex.key("default", id),
                            org.apache.lucene.document.Field.Store.NO));
                    chunk.add(new org.apache.lucene.document.KeywordField(ChunkIndex.TENANT, "default",
                            org.apache.lucene.document.Field.Store.YES));
                    chunk.add(new org.apache.lucene.document.StringField(ChunkIndex.DOC_ID, id,
                            org.apache.lucene.document.Field.Store.YES));
                    chunk.add(new org.apache.lucene.document.StoredField(ChunkIndex.SOURCE, "/docs/" + id));
                    chunk.add(new org.apache.lucene.document.TextField(ChunkIndex.TITLE, "Title " + id,
                            org.apache.lucene.document.Field.Store.YES));
                    w.addDocument(chunk);
                }
            }
            w.setLiveCommitData(Map.of(ChunkIndex.KEY_MODEL, embedder.model().id(),
                    ChunkIndex.KEY_DIMENSION, Integer.toString(embedder.model().dimension()),
                    ChunkIndex.KEY_SIMILARITY, ChunkIndex.SIMILARITY.name(),
                    ChunkIndex.KEY_FORMAT, ChunkIndex.FORMAT_VERSION).entrySet());
            w.commit();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A connection to where {@link #builder} will look for {@code dir}'s catalog, before DocRag has created it. */
    abstract Connection createBeforeMigrations(Path dir) throws SQLException;

    @Test
    void updatesRaiseTheVersionAndKeepTheCreationTime() throws SQLException {
        Path dir = tmp.resolve("v");
        try (DocRag rag = builder(dir).build()) {
            rag.upsert(DocumentInput.builder("acme", "p1").title("Policy").text("travel is booked by the office").build());
            Map<String, Object> first;
            try (Connection c = connect(dir)) {
                first = row(c, "SELECT version, status, created_at, updated_at, ingest_root FROM documents WHERE tenant = ? AND id = ?",
                        "acme", "p1");
            }
            assertThat(first.get("version")).isEqualTo(1L);
            assertThat(first.get("status")).isEqualTo("INDEXED");
            assertThat(first.get("created_at")).isEqualTo(first.get("updated_at"));
            assertThat(first.get("ingest_root")).isNull();

            IngestReport same = rag.upsert(DocumentInput.builder("acme", "p1").title("Policy").text("travel is booked by the office").build());
            assertThat(same.unchanged()).isEqualTo(1);
            rag.upsert(DocumentInput.builder("acme", "p1").title("Policy").text("travel is booked online now").build());
            rag.upsert(DocumentInput.builder("acme", "p1").title("Policy v3").text("travel is booked online now").build());
            try (Connection c = connect(dir)) {
                Map<String, Object> third = row(c, "SELECT version, created_at, updated_at FROM documents WHERE tenant = ? AND id = ?",
                        "acme", "p1");
                assertThat(third.get("version")).as("one version per change, none for the unchanged upsert").isEqualTo(3L);
                assertThat(third.get("created_at")).isEqualTo(first.get("created_at"));
                assertThat(((Timestamp) third.get("updated_at"))).isAfterOrEqualTo((Timestamp) first.get("updated_at"));
            }
        }
    }

    @Test
    void recordsIngestRunsAndPerDocumentErrors(@TempDir Path docs) throws IOException, SQLException {
        Path dir = tmp.resolve("runs");
        write(docs.resolve("a.md"), "# Alpha\n\nalpha text about rivers");
        write(docs.resolve("b.txt"), "beta text about mountains");
        write(docs.resolve("empty.txt"), "");
        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        try (DocRag rag = builder(dir).build()) {
            IngestReport report = rag.ingest(docs);
            assertThat(report.added()).isEqualTo(2);
            assertThat(report.failed()).isEqualTo(1);

            rag.upsert(DocumentInput.builder("acme", "y1").text("first with a year").metadata("year", 2024L).build());
            IngestReport mixed = rag.upsert(List.of(
                    DocumentInput.builder("acme", "y2").text("second with a textual year").metadata("year", "last").build(),
                    DocumentInput.builder("zeta", "z1").text("fine document").build()));
            assertThat(mixed.added()).isEqualTo(1);
            assertThat(mixed.failed()).isEqualTo(1);

            try (Connection c = connect(dir)) {
                List<Map<String, Object>> runs = rows(c, "SELECT id, kind, tenant, root, started_at, finished_at, status, added,"
                        + " updated, unchanged, deleted, failed, chunks, message FROM ingest_runs ORDER BY id");
                assertThat(runs).hasSize(3);
                Map<String, Object> ingest = runs.get(0);
                assertThat(ingest).containsEntry("kind", "INGEST").containsEntry("tenant", "default")
                        .containsEntry("root", docs.toAbsolutePath().normalize().toString())
                        .containsEntry("status", "COMMITTED").containsEntry("added", 2L).containsEntry("updated", 0L)
                        .containsEntry("unchanged", 0L).containsEntry("deleted", 0L).containsEntry("failed", 1L)
                        .containsEntry("chunks", (long) report.chunks());
                assertThat(ingest.get("message")).isNull();
                assertThat(((Timestamp) ingest.get("started_at")).toInstant()).isAfterOrEqualTo(before);
                assertThat((Timestamp) ingest.get("finished_at")).isAfterOrEqualTo((Timestamp) ingest.get("started_at"));
                assertThat(runs.get(1)).containsEntry("kind", "UPSERT").containsEntry("tenant", "acme").containsEntry("added", 1L);
                assertThat(runs.get(1).get("root")).isNull();
                assertThat(runs.get(2)).as("an upsert batch across tenants has none")
                        .containsEntry("kind", "UPSERT").containsEntry("added", 1L).containsEntry("failed", 1L);
                assertThat(runs.get(2).get("tenant")).isNull();

                List<Map<String, Object>> errors = rows(c, "SELECT run_id, tenant, source, problem, message, occurred_at"
                        + " FROM document_errors ORDER BY id");
                assertThat(errors).hasSize(2);
                assertThat(errors.get(0)).containsEntry("run_id", runs.get(0).get("id")).containsEntry("tenant", "default")
                        .containsEntry("source", docs.resolve("empty.txt").toString())
                        .containsEntry("problem", DocumentProblem.EMPTY.name());
                assertThat((String) errors.get(0).get("message")).contains("empty.txt");
                assertThat(errors.get(1)).containsEntry("run_id", runs.get(2).get("id")).containsEntry("tenant", "acme")
                        .containsEntry("source", "acme/y2").containsEntry("problem", DocumentProblem.INDEXING.name());
                assertThat((String) errors.get(1).get("message")).contains("year");
            }
        }
    }

    @Test
    void aRunWhoseCatalogCommitFailsIsRecordedAsFailedWithNothingAcknowledged() throws SQLException {
        Path dir = tmp.resolve("fail");
        try (DocRag rag = builder(dir).build()) {
            rag.upsert(DocumentInput.builder("t", "ok").title("fine").text("a fine document").build());
            try (Connection c = connect(dir); Statement s = c.createStatement()) {
                // The database now refuses one title: the index commits, the catalog transaction fails.
                s.execute("ALTER TABLE documents ADD CONSTRAINT no_boom CHECK (title <> 'boom')");
            }
            assertThatThrownBy(() -> rag.upsert(List.of(
                    DocumentInput.builder("t", "other").title("other").text("another document").build(),
                    DocumentInput.builder("t", "bad").title("boom").text("refused by the catalog").build())))
                    .isInstanceOf(DocRagException.class).hasMessageContaining("could not commit");
            assertThat(rag.documentCount("t")).as("the whole catalog transaction rolled back").isEqualTo(1);
            try (Connection c = connect(dir)) {
                List<Map<String, Object>> runs = rows(c, "SELECT status, added, message FROM ingest_runs ORDER BY id");
                assertThat(runs).hasSize(2);
                assertThat(runs.get(0)).containsEntry("status", "COMMITTED");
                assertThat(runs.get(1)).containsEntry("status", "FAILED").containsEntry("added", 2L);
                assertThat((String) runs.get(1).get("message")).contains("could not commit");
            }
        }
    }

    @Test
    void reingestingRemovesVanishedFilesOfThatFolderAndTenantOnly(@TempDir Path work) throws IOException, SQLException {
        Path dir = tmp.resolve("rm");
        Path docs = work.resolve("docs");
        Path other = work.resolve("other");
        write(docs.resolve("a.md"), "alpha keeps rivers");
        write(docs.resolve("b.md"), "bravo vanishes lakes");
        write(docs.resolve("sub/c.md"), "charlie vanishes oceans");
        write(docs.resolve("d.md"), "delta breaks later");
        write(other.resolve("x.md"), "xray elsewhere");
        try (DocRag rag = builder(dir).build()) {
            assertThat(rag.ingest(docs).added()).isEqualTo(4);
            assertThat(rag.ingest(docs, "second").added()).isEqualTo(4);
            assertThat(rag.ingest(other).added()).isEqualTo(1);
            rag.upsert(DocumentInput.builder(DocRag.DEFAULT_TENANT, "upserted").text("upserted by the host").build());
            // An upserted document whose id is a file of the folder: the folder claims it.
            rag.upsert(DocumentInput.builder(DocRag.DEFAULT_TENANT, "sub/claimed.md").text("claimed later").build());
            write(docs.resolve("sub/claimed.md"), "claimed later");
            assertThat(rag.ingest(docs).added()).isZero();

            Files.delete(docs.resolve("b.md"));
            Files.delete(docs.resolve("sub/c.md"));
            Files.delete(docs.resolve("sub/claimed.md"));
            Files.writeString(docs.resolve("d.md"), ""); // still there, but fails: keeps its old version
            IngestReport report = rag.ingest(docs);

            assertThat(report.deleted()).isEqualTo(3);
            assertThat(report.unchanged()).isEqualTo(1);
            assertThat(report.failed()).isEqualTo(1);
            assertThat(report.added() + report.updated()).isZero();
            assertThat(rag.chunkCount(DocRag.DEFAULT_TENANT, "b.md")).isZero();
            assertThat(rag.chunkCount(DocRag.DEFAULT_TENANT, "sub/c.md")).isZero();
            assertThat(rag.chunkCount(DocRag.DEFAULT_TENANT, "sub/claimed.md")).isZero();
            assertThat(rag.chunkCount(DocRag.DEFAULT_TENANT, "d.md")).as("a failed file is not a vanished file").isPositive();
            assertThat(rag.chunkCount(DocRag.DEFAULT_TENANT, "upserted")).isPositive();
            assertThat(rag.chunkCount(DocRag.DEFAULT_TENANT, "x.md")).as("another folder's document").isPositive();
            assertThat(rag.documentCount("second")).as("the same folder in another tenant").isEqualTo(4);
            assertThat(rag.documentCount(DocRag.DEFAULT_TENANT)).isEqualTo(4); // a, d, x, upserted
            assertThat(ids(search(rag, "vanishes"))).isEmpty();

            try (Connection c = connect(dir)) {
                Map<String, Object> last = row(c, "SELECT deleted, failed FROM ingest_runs WHERE id = (SELECT MAX(id) FROM ingest_runs)");
                assertThat(last).containsEntry("deleted", 3L).containsEntry("failed", 1L);
            }
            assertThat(rag.ingest(docs).deleted()).as("nothing left to delete").isZero();
        }
    }

    @Test
    void documentsBelowAnEntryTheWalkCannotReadAreNotRemoved(@TempDir Path work) throws IOException {
        Path dir = tmp.resolve("walk");
        Path docs = work.resolve("docs");
        write(docs.resolve("keep.md"), "kept text");
        write(docs.resolve("sub/c.md"), "charlie below a folder");
        write(docs.resolve("sub/deeper/d.md"), "delta further below");
        FileLoader followingLinks = FileLoader.builder().followLinks(true).build();
        try (DocRag rag = builder(dir).fileLoader(followingLinks).build()) {
            assertThat(rag.ingest(docs).added()).isEqualTo(3);
            // The folder becomes a link loop: the walk reports it and cannot tell what is below.
            Files.move(docs.resolve("sub"), work.resolve("moved"));
            Files.createSymbolicLink(docs.resolve("sub"), docs);
            IngestReport report = rag.ingest(docs);
            assertThat(report.failed()).isEqualTo(1);
            assertThat(report.deleted()).isZero();
            assertThat(report.unchanged()).isEqualTo(1);
            assertThat(rag.chunkCount(DocRag.DEFAULT_TENANT, "sub/c.md")).isPositive();
            assertThat(rag.chunkCount(DocRag.DEFAULT_TENANT, "sub/deeper/d.md")).isPositive();
            // Once the entry is gone for good, its documents go too.
            Files.delete(docs.resolve("sub"));
            assertThat(rag.ingest(docs).deleted()).isEqualTo(2);
        }
    }

    @Test
    void ingestReingestChangeAndDeleteEndToEnd(@TempDir Path docs) throws IOException {
        Path dir = tmp.resolve("e2e");
        write(docs.resolve("logs.md"), "# Logs\n\nRotate the logs every week with logrotate.");
        write(docs.resolve("backup.md"), "# Backups\n\nBackups run nightly to the tape robot.");
        write(docs.resolve("deploy/howto.md"), "# Deploy\n\nDeploy with the blue green switch.");
        write(docs.resolve("faq.txt"), "Frequently asked: where is the coffee machine?");
        int firstChunks;
        try (DocRag rag = builder(dir).build()) {
            IngestReport first = rag.ingest(docs);
            assertThat(List.of(first.added(), first.updated(), first.unchanged(), first.deleted(), first.failed()))
                    .containsExactly(4, 0, 0, 0, 0);
            firstChunks = first.chunks();
            assertThat(firstChunks).isGreaterThanOrEqualTo(4);
            assertThat(ids(search(rag, "logrotate"))).containsExactly("logs.md");
        }
        try (DocRag rag = builder(dir).build()) {
            IngestReport again = rag.ingest(docs);
            assertThat(List.of(again.added(), again.updated(), again.unchanged(), again.deleted(), again.failed(), again.chunks()))
                    .as("nothing re-embedded").containsExactly(0, 0, 4, 0, 0, 0);

            Files.writeString(docs.resolve("backup.md"), "# Backups\n\nBackups now go to object storage hourly.");
            Files.delete(docs.resolve("faq.txt"));
            IngestReport changed = rag.ingest(docs);
            assertThat(List.of(changed.added(), changed.updated(), changed.unchanged(), changed.deleted(), changed.failed()))
                    .containsExactly(0, 1, 2, 1, 0);
            assertThat(changed.chunks()).isPositive();
            assertThat(rag.documentCount()).isEqualTo(3);
            assertThat(ids(search(rag, "hourly object storage"))).containsExactly("backup.md");
            assertThat(ids(search(rag, "tape robot"))).isEmpty();
            assertThat(ids(search(rag, "coffee machine"))).isEmpty();
            assertThat(ids(search(rag, "blue green deploy"))).containsExactly("deploy/howto.md");
            List<Hit> semantic = rag.search(SearchRequest.hybrid("rotate logs weekly").tenant(DocRag.DEFAULT_TENANT).k(1));
            assertThat(ids(semantic)).containsExactly("logs.md");
        }
    }

    @Test
    void aSecondDirectoryOnTheSameCatalogIsRefused(@TempDir Path docs) throws IOException {
        Path owner = tmp.resolve("owner");
        Path intruder = tmp.resolve("intruder");
        write(docs.resolve("a.md"), "owned content");
        try (DocRag rag = builder(owner).build()) {
            rag.ingest(docs);
            assertThatThrownBy(() -> sharingCatalogOf(owner, intruder).build())
                    .isInstanceOf(DocRagException.class)
                    .hasMessageContaining("belongs to another DocRag directory")
                    .hasMessageContaining(intruder.toString())
                    .hasMessageContaining("catalogSchema");
            assertThat(rag.ingest(docs).unchanged()).as("the owner is unaffected").isEqualTo(1);
        }
        assertThatThrownBy(() -> sharingCatalogOf(owner, intruder).build())
                .as("refused whether or not the owner is open").isInstanceOf(DocRagException.class);
        try (DocRag rag = builder(owner).build()) {
            assertThat(rag.documentCount()).isEqualTo(1);
        }
        try (DocRag rag = builder(intruder).build()) {
            assertThat(rag.documentCount()).as("with a catalog of its own it opens").isZero();
        }
    }

    @Test
    void twoDirectoriesWithTheirOwnCatalogsAreIndependent() {
        Path a = tmp.resolve("one");
        Path b = tmp.resolve("two");
        try (DocRag first = builder(a).build(); DocRag second = builder(b).build()) {
            first.upsert(DocumentInput.builder("t", "same-id").text("first directory text").build());
            second.upsert(DocumentInput.builder("t", "same-id").text("second directory text").build());
            second.upsert(DocumentInput.builder("t", "only-second").text("more").build());
            assertThat(first.documentCount()).isEqualTo(1);
            assertThat(second.documentCount()).isEqualTo(2);
            assertThat(first.search(SearchRequest.keyword("first").tenant("t").k(5))).hasSize(1);
            assertThat(second.search(SearchRequest.keyword("first").tenant("t").k(5))).isEmpty();
        }
    }

    @Test
    void aHostDataSourceIsBorrowedNotClosedAndHostFlywaySeesNoDocRagMigrations() throws SQLException {
        HikariDataSource host = new HikariDataSource(hostPool(tmp.resolve("host")));
        toClose.add(host);
        try (Connection c = host.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE documents (host_column INT)");
            s.execute("INSERT INTO documents (host_column) VALUES (42)");
        }
        String schema = freshSchema();
        try (DocRag rag = plain(tmp.resolve("dir")).catalog(host).catalogSchema(schema).build()) {
            rag.upsert(DocumentInput.builder("t", "d").text("in the host's database").build());
            assertThat(rag.documentCount()).isEqualTo(1);
        }
        assertThat(host.isClosed()).isFalse();
        try (Connection c = host.getConnection()) {
            assertThat(c.getAutoCommit()).isTrue();
            assertThat(row(c, "SELECT host_column FROM documents")).containsEntry("host_column", 42L);
        }
        DataSource hostSource = host;
        // A host's own Flyway, configured as hosts do by default, finds none of DocRag's migrations.
        Flyway hostFlyway = Flyway.configure().dataSource(hostSource).load();
        assertThat(hostFlyway.info().all()).isEmpty();
        try (DocRag rag = plain(tmp.resolve("dir")).catalog(host).catalogSchema(schema).build()) {
            assertThat(rag.documentCount()).as("reopened through the host's pool").isEqualTo(1);
        }

        // Told to use the host's own schema, DocRag refuses a DOCUMENTS table it did not create...
        String hostSchema;
        try (Connection c = host.getConnection(); Statement s = c.createStatement()) {
            hostSchema = c.getSchema();
            s.execute("CREATE TABLE orders (order_id INT)");
            s.execute("INSERT INTO orders (order_id) VALUES (7)");
        }
        assertThatThrownBy(() -> plain(tmp.resolve("dir2")).catalog(host).catalogSchema(hostSchema).build())
                .isInstanceOf(DocRagException.class).hasMessageContaining("did not create");
        // ...and otherwise shares the schema: the host's tables count as no version of DocRag's.
        try (Connection c = host.getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE documents");
        }
        try (DocRag rag = plain(tmp.resolve("dir2")).catalog(host).catalogSchema(hostSchema).build()) {
            rag.upsert(DocumentInput.builder("t", "d").text("beside the host's tables").build());
            assertThat(rag.documentCount()).isEqualTo(1);
        }
        try (Connection c = host.getConnection()) {
            assertThat(row(c, "SELECT order_id FROM orders")).containsEntry("order_id", 7L);
            assertThat(row(c, "SELECT COUNT(*) AS n FROM documents")).containsEntry("n", 1L);
        }
    }

    @Test
    void builderRejectsContradictoryCatalogSettings() {
        assertThatThrownBy(() -> plain(tmp.resolve("x")).catalogUrl("jdbc:h2:mem:x", "sa", "")
                .catalog(new org.h2.jdbcx.JdbcDataSource()).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("alternatives");
        assertThatThrownBy(() -> plain(tmp.resolve("x")).catalogSchema("docrag").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("shared catalog");
        assertThatThrownBy(() -> plain(tmp.resolve("x")).catalogSchema("bad-name; DROP"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> plain(tmp.resolve("x")).catalogUrl("postgres://nope", "u", "p"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
