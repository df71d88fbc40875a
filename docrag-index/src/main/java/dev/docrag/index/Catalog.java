package dev.docrag.index;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.docrag.core.DocRagException;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The relational record of what is indexed: one row per document, identified by (tenant, id),
 * with its content hash, version and origin, so that re-ingesting skips unchanged documents and
 * removes vanished ones; the type of every metadata field; and a row per ingest run with its
 * per-document errors. Reached through a JDBC {@link DataSource}: by default a HikariCP pool over
 * an H2 file database beside the index, or a shared PostgreSQL database.
 *
 * <p>The schema is created and upgraded by Flyway from {@value #LOCATION}, recorded in the table
 * {@value #HISTORY_TABLE}, inside one database schema that DocRag owns ({@code PUBLIC} of its
 * own H2 file; {@code docrag} by default in a shared database), so that a host's own Flyway
 * neither sees nor touches DocRag's migrations. A catalog created before migrations existed is
 * recognised by its {@code docrag_meta} table and baselined at version 1. Thread-safe.
 */
final class Catalog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Catalog.class);

    /** Where DocRag's migrations live: off Flyway's default {@code db/migration}, which hosts use. */
    static final String LOCATION = "classpath:dev/docrag/index/db/migration";
    /** DocRag's Flyway history table: not {@code flyway_schema_history}, which a host's Flyway owns. */
    static final String HISTORY_TABLE = "docrag_schema_history";
    /** The schema DocRag's tables go to in a shared database unless the host names another. */
    static final String DEFAULT_SHARED_SCHEMA = "docrag";
    /** The status of a document whose chunks are durably searchable. */
    static final String STATUS_INDEXED = "INDEXED";
    /** The meta key naming the DocRag directory (index) this catalog belongs to. */
    static final String META_INDEX_ID = "index_id";
    /**
     * The meta key holding the write sequence number of the Lucene commit this catalog last
     * agreed with; written in the same transaction as the rows of that write.
     */
    static final String META_INDEX_SEQ = "index_seq";
    /**
     * The content hash recorded for a document adopted from an index that did not store hashes:
     * it matches no content, so the next ingest or upsert of the document rewrites it.
     */
    static final String UNKNOWN_HASH = "0".repeat(64);

    private static final Pattern SCHEMA_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
    /** Messages come from DocRag and its loaders and are short; this only bounds a pathological one. */
    private static final int MAX_MESSAGE = 8_000;

    /** One document's row as a write sets it; {@code root} is null for upserted documents. */
    record Entry(String tenant, String id, String source, String title, String contentHash, int chunkCount, String root) {
        Entry(String tenant, String id, String source, String title, String contentHash, int chunkCount) {
            this(tenant, id, source, title, contentHash, chunkCount, null);
        }

        Entry withRoot(String newRoot) {
            return new Entry(tenant, id, source, title, contentHash, chunkCount, newRoot);
        }
    }

    /** A document's identity and the folder it was last ingested from (null: upserted). */
    record Origin(String id, String root) {
    }

    /** A document's row as stored, for reconciliation with the index. */
    record Row(String tenant, String id, String source, String title, String contentHash, int chunkCount, String root) {
    }

    /**
     * What reconciliation changes, in one transaction: rows to insert or overwrite (a new version)
     * and rows to delete; then the catalog is at {@code seq}.
     */
    record Repair(List<Row> upserts, List<ChunkIndex.DocKey> deletes, Map<String, MetadataType> fields, long seq) {
        Repair {
            upserts = List.copyOf(upserts);
            deletes = List.copyOf(deletes);
            fields = Map.copyOf(fields);
        }
    }

    /** One document or folder entry that a run could not ingest. */
    record DocumentError(String tenant, String source, String problem, String message) {
    }

    /** What kind of call a run was. */
    enum RunKind { INGEST, UPSERT }

    /**
     * Everything one write call commits to the catalog, in one transaction.
     *
     * @param tenant  the run's tenant, or null when an upsert batch spans several
     * @param root    the ingested folder, or null for an upsert
     * @param claimed documents found under {@code root} that were last ingested from elsewhere (or
     *                upserted); they now belong to {@code root}
     */
    record Run(RunKind kind, String tenant, String root, Instant startedAt, List<Entry> written,
               List<ChunkIndex.DocKey> deleted, List<ChunkIndex.DocKey> claimed, List<DocumentError> errors,
               int added, int updated, int unchanged, int chunks) {
        Run {
            written = List.copyOf(written);
            deleted = List.copyOf(deleted);
            claimed = List.copyOf(claimed);
            errors = List.copyOf(errors);
        }
    }

    private final DataSource dataSource;
    private final HikariDataSource ownedPool;
    /** The schema's name as the database stores unquoted identifiers (H2: upper case, PostgreSQL: lower). */
    private final String schema;
    private final String description;

    private Catalog(DataSource dataSource, HikariDataSource ownedPool, String schema, String description) {
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.description = description;
        try {
            this.schema = foldCase(schema);
            migrate();
        } catch (SQLException | RuntimeException e) {
            close();
            if (e instanceof DocRagException d) {
                throw d;
            }
            throw new DocRagException("cannot open the catalog " + description + ": " + e.getMessage(), e);
        }
    }

    /** DocRag's own H2 file database in {@code dir}, schema {@code PUBLIC}, behind a pool DocRag owns. */
    static Catalog h2(Path dir) {
        HikariConfig config = new HikariConfig();
        // DB_CLOSE_ON_EXIT=FALSE: the pool, not H2's shutdown hook, decides when the database closes.
        // WRITE_DELAY=0 (in h2Url): a commit is written to the file before it returns, so a kill -9
        // loses no catalog transaction (H2 never fsyncs one; see "Consistency" in docs/architecture.md).
        config.setJdbcUrl(h2Url(dir));
        config.setUsername("sa");
        config.setPassword("");
        return pooled(config, "PUBLIC", "in " + dir);
    }

    /** The JDBC URL of the default catalog of a DocRag directory; tests open it beside DocRag. */
    static String h2Url(Path dir) {
        return "jdbc:h2:file:" + dir.toAbsolutePath().resolve("catalog") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
    }

    /** A database named by URL (PostgreSQL, or H2 for tests), behind a pool DocRag owns. */
    static Catalog url(String jdbcUrl, String user, String password, String schema) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        return pooled(config, schema, "at " + jdbcUrl + " (schema " + schema + ")");
    }

    /** A host's data source; DocRag borrows connections and never closes it. */
    static Catalog dataSource(DataSource dataSource, String schema) {
        return new Catalog(dataSource, null, schema, "in the host's data source (schema " + schema + ")");
    }

    private static Catalog pooled(HikariConfig config, String schema, String description) {
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(1);
        config.setPoolName("docrag-catalog");
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new DocRagException("cannot open the catalog " + description + ": " + e.getMessage(), e);
        }
        return new Catalog(pool, pool, schema, description);
    }

    /** Checks a schema name given by a host: a plain identifier, so it needs no quoting anywhere. */
    static String checkSchemaName(String schema) {
        if (schema == null || !SCHEMA_NAME.matcher(schema).matches()) {
            throw new IllegalArgumentException("catalog schema must be a plain SQL identifier (letters, digits, _;"
                    + " at most 63 characters, not starting with a digit), got '" + schema + "'");
        }
        return schema;
    }

    /**
     * Whether this is DocRag's own H2 file catalog (schema {@code PUBLIC} of an H2 database), the
     * one {@link #exportScript} can export.
     */
    boolean isOwnH2() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return "H2".equals(c.getMetaData().getDatabaseProductName()) && "PUBLIC".equals(schema);
        }
    }

    /**
     * Writes the whole H2 catalog as an SQL script ({@code SCRIPT TO}) to {@code file}: one
     * consistent view of every table, including the migration history, that
     * {@link #importScript} turns into an equal catalog. Only for {@link #isOwnH2()}.
     */
    void exportScript(Path file) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("SCRIPT TO '" + file.toAbsolutePath().toString().replace("'", "''") + "' CHARSET 'UTF-8'");
        }
    }

    /**
     * Opens a logical export of this catalog's tables at this moment ({@link CatalogExport}: a
     * snapshot transaction); for a shared catalog, which {@link #exportScript} cannot export.
     */
    CatalogExport beginExport() throws SQLException {
        return CatalogExport.begin(dataSource, schema);
    }

    /**
     * Creates DocRag's own H2 catalog in {@code dir} from a script written by
     * {@link #exportScript}; {@code dir} must not hold a catalog yet.
     *
     * @return the imported catalog's {@code index_seq}: the write it agrees with (-1 if none)
     */
    static long importScript(Path dir, Path script) throws SQLException, java.io.IOException {
        if (java.nio.file.Files.exists(dir.resolve("catalog.mv.db"))) {
            throw new java.nio.file.FileAlreadyExistsException(dir.resolve("catalog.mv.db").toString(), null,
                    "a catalog exists already; import only into a new directory");
        }
        try (Connection c = java.sql.DriverManager.getConnection(h2Url(dir), "sa", "");
             Statement s = c.createStatement()) {
            s.execute("RUNSCRIPT FROM '" + script.toAbsolutePath().toString().replace("'", "''") + "' CHARSET 'UTF-8'");
            long seq = -1;
            try (ResultSet rs = s.executeQuery("SELECT meta_value FROM docrag_meta WHERE meta_key = '" + META_INDEX_SEQ + "'")) {
                if (rs.next()) {
                    seq = Long.parseLong(rs.getString(1));
                }
            }
            s.execute("SHUTDOWN"); // writes and closes the file now
            return seq;
        }
    }

    /** Where this catalog lives, for messages. */
    String description() {
        return description;
    }

    private String foldCase(String name) throws SQLException {
        checkSchemaName(name);
        try (Connection c = dataSource.getConnection()) {
            DatabaseMetaData md = c.getMetaData();
            // Identifiers are never quoted in DocRag's SQL; Flyway quotes them, so it must be given
            // the spelling the database folds unquoted names to.
            return md.storesUpperCaseIdentifiers() ? name.toUpperCase(Locale.ROOT) : name.toLowerCase(Locale.ROOT);
        }
    }

    private void migrate() throws SQLException {
        boolean v1Tables;
        try (Connection c = dataSource.getConnection()) {
            boolean meta = tableExists(c, "docrag_meta");
            boolean documents = tableExists(c, "documents");
            // Every DocRag catalog, format 1 included, has docrag_meta beside documents.
            if (documents && !meta) {
                throw new DocRagException("the catalog " + description + " has a table DOCUMENTS that DocRag did not"
                        + " create; give DocRag a schema of its own (DocRag.Builder.catalogSchema)");
            }
            if (documents && !columnExists(c, "documents", "tenant")) {
                throw new DocRagException("the catalog " + description + " was written by an older DocRag (documents"
                        + " without tenants); delete the directory and ingest again");
            }
            v1Tables = meta;
        }
        MigrateResult result = Flyway.configure(Catalog.class.getClassLoader())
                .dataSource(dataSource)
                .locations(LOCATION)
                .table(HISTORY_TABLE)
                .schemas(schema)
                .defaultSchema(schema)
                .createSchemas(true)
                // Without a history table: DocRag's tables from before migrations are version 1;
                // any other tables in the schema (a host's) are not DocRag's, so start below V1.
                .baselineOnMigrate(true)
                .baselineVersion(v1Tables ? "1" : "0")
                .baselineDescription(v1Tables ? "DocRag catalog created before migrations" : "DocRag baseline")
                .cleanDisabled(true)
                .load()
                .migrate();
        if (result.migrationsExecuted > 0) {
            LOG.info("Migrated the catalog {} from version {} to {} ({} migrations)", description,
                    result.initialSchemaVersion == null ? "none" : result.initialSchemaVersion, result.targetSchemaVersion,
                    result.migrationsExecuted);
        }
    }

    private boolean tableExists(Connection c, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM information_schema.tables"
                + " WHERE UPPER(table_schema) = ? AND UPPER(table_name) = ?")) {
            ps.setString(1, schema.toUpperCase(Locale.ROOT));
            ps.setString(2, table.toUpperCase(Locale.ROOT));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1) > 0;
            }
        }
    }

    private boolean columnExists(Connection c, String table, String column) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM information_schema.columns"
                + " WHERE UPPER(table_schema) = ? AND UPPER(table_name) = ? AND UPPER(column_name) = ?")) {
            ps.setString(1, schema.toUpperCase(Locale.ROOT));
            ps.setString(2, table.toUpperCase(Locale.ROOT));
            ps.setString(3, column.toUpperCase(Locale.ROOT));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1) > 0;
            }
        }
    }

    /** A table of DocRag's, qualified with its schema: a host's search_path or default schema never matters. */
    private String t(String table) {
        return schema + "." + table;
    }

    Optional<String> meta(String key) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT meta_value FROM " + t("docrag_meta") + " WHERE meta_key = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    void putMeta(String key, String value) throws SQLException {
        inTransaction(c -> putMeta(c, key, value));
    }

    private Void putMeta(Connection c, String key, String value) throws SQLException {
        try (PreparedStatement up = c.prepareStatement("UPDATE " + t("docrag_meta") + " SET meta_value = ? WHERE meta_key = ?")) {
            up.setString(1, value);
            up.setString(2, key);
            if (up.executeUpdate() == 0) {
                try (PreparedStatement in = c.prepareStatement("INSERT INTO " + t("docrag_meta") + " (meta_key, meta_value) VALUES (?, ?)")) {
                    in.setString(1, key);
                    in.setString(2, value);
                    in.executeUpdate();
                }
            }
        }
        return null;
    }

    /** The write sequence number of the index commit this catalog last agreed with; -1 if never recorded. */
    long indexSeq() throws SQLException {
        return meta(META_INDEX_SEQ).map(Long::parseLong).orElse(-1L);
    }

    /** Every document row, for reconciliation. */
    List<Row> rows() throws SQLException {
        List<Row> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT tenant, id, source, title, content_hash, chunk_count, ingest_root FROM "
                     + t("documents"))) {
            while (rs.next()) {
                out.add(new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                        rs.getInt(6), rs.getString(7)));
            }
        }
        return out;
    }

    /**
     * Applies a reconciliation in one transaction: missing metadata fields, overwritten or new
     * rows (an overwritten row goes one version up), deleted rows, and the sequence number.
     */
    void repair(Repair repair) throws SQLException {
        inTransaction(c -> {
            Timestamp now = Timestamp.from(Instant.now());
            if (!repair.fields().isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t("metadata_fields") + " (name, field_type) VALUES (?, ?)")) {
                    for (Map.Entry<String, MetadataType> f : repair.fields().entrySet()) {
                        ps.setString(1, f.getKey());
                        ps.setString(2, f.getValue().name());
                        ps.executeUpdate();
                    }
                }
            }
            upsert(c, repair.upserts().stream().map(r -> new Entry(r.tenant(), r.id(), r.source(), r.title(), r.contentHash(),
                    r.chunkCount(), r.root())).toList(), now);
            deleteRows(c, repair.deletes());
            putMeta(c, META_INDEX_SEQ, Long.toString(repair.seq()));
            return null;
        });
    }

    /**
     * Makes sure this catalog belongs to the DocRag directory {@code indexId}: records it if the
     * catalog belongs to none yet, and refuses a catalog that another directory has claimed, since
     * two indexes sharing one set of document rows would each skip documents only the other holds.
     *
     * @throws DocRagException if another directory owns the catalog
     */
    void claimOwner(String indexId, Path directory) throws SQLException {
        Optional<String> owner = meta(META_INDEX_ID);
        if (owner.isEmpty()) {
            try (Connection c = dataSource.getConnection();
                 PreparedStatement in = c.prepareStatement("INSERT INTO " + t("docrag_meta") + " (meta_key, meta_value) VALUES (?, ?)")) {
                in.setString(1, META_INDEX_ID);
                in.setString(2, indexId);
                in.executeUpdate();
                return;
            } catch (SQLException e) {
                // Another directory claimed it at the same moment (primary key violation); compare below.
                owner = meta(META_INDEX_ID);
                if (owner.isEmpty()) {
                    throw e;
                }
            }
        }
        if (!owner.get().equals(indexId)) {
            throw new DocRagException("the catalog " + description + " belongs to another DocRag directory (index "
                    + owner.get() + "), not to " + directory + " (index " + indexId + "); each directory needs a"
                    + " catalog of its own: give it another schema with DocRag.Builder.catalogSchema(...)");
        }
    }

    Optional<String> contentHash(String tenant, String id) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT content_hash FROM " + t("documents") + " WHERE tenant = ? AND id = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    /** Every document of {@code tenant} with the folder it was last ingested from. */
    List<Origin> origins(String tenant) throws SQLException {
        List<Origin> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT id, ingest_root FROM " + t("documents") + " WHERE tenant = ?")) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Origin(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return out;
    }

    /**
     * Commits a write call's catalog changes and its run record in one transaction: the rows of
     * written documents (new ones at version 1, changed ones one version up), deleted rows,
     * claimed rows, the run and its errors, and {@code seq}, the index commit they agree with.
     *
     * @return the run's id
     */
    long commit(Run run, long seq) throws SQLException {
        return inTransaction(c -> {
            Timestamp now = Timestamp.from(Instant.now());
            putMeta(c, META_INDEX_SEQ, Long.toString(seq));
            upsert(c, run.written(), now);
            deleteRows(c, run.deleted());
            if (!run.claimed().isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement("UPDATE " + t("documents") + " SET ingest_root = ? WHERE tenant = ? AND id = ?")) {
                    for (ChunkIndex.DocKey k : run.claimed()) {
                        ps.setString(1, run.root());
                        ps.setString(2, k.tenant());
                        ps.setString(3, k.id());
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
            }
            long runId = insertRun(c, run.kind(), run.tenant(), run.root(), run.startedAt(), now, "COMMITTED", null,
                    new int[] {run.added(), run.updated(), run.unchanged(), run.deleted().size(), run.errors().size(), run.chunks()});
            insertErrors(c, runId, run.errors(), now);
            return runId;
        });
    }

    /**
     * Records a run that could not commit, with its errors so far, in a transaction of its own. Its
     * counts are what was staged; none of it was acknowledged.
     */
    long recordFailedRun(Run run, String reason) throws SQLException {
        return inTransaction(c -> {
            Timestamp now = Timestamp.from(Instant.now());
            long runId = insertRun(c, run.kind(), run.tenant(), run.root(), run.startedAt(), now, "FAILED", reason,
                    new int[] {run.added(), run.updated(), run.unchanged(), run.deleted().size(), run.errors().size(), run.chunks()});
            insertErrors(c, runId, run.errors(), now);
            return runId;
        });
    }

    private long insertRun(Connection c, RunKind kind, String tenant, String root, Instant startedAt, Timestamp finishedAt,
                           String status, String message, int[] counts) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t("ingest_runs")
                + " (kind, tenant, root, started_at, finished_at, status, added, updated, unchanged, deleted, failed, chunks, message)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
            ps.setString(1, kind.name());
            ps.setString(2, tenant);
            ps.setString(3, root);
            ps.setTimestamp(4, Timestamp.from(startedAt));
            ps.setTimestamp(5, finishedAt);
            ps.setString(6, status);
            for (int i = 0; i < counts.length; i++) {
                ps.setInt(7 + i, counts[i]);
            }
            ps.setString(13, message == null ? null : abbreviate(message));
            ps.executeUpdate();
            // id is the table's first column: PostgreSQL returns every column, H2 the identity.
            try (ResultSet keys = ps.getGeneratedKeys()) {
                if (!keys.next()) {
                    throw new SQLException("the database returned no id for the new ingest run");
                }
                return keys.getLong(1);
            }
        }
    }

    private void insertErrors(Connection c, long runId, List<DocumentError> errors, Timestamp now) throws SQLException {
        if (errors.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t("document_errors")
                + " (run_id, tenant, source, problem, message, occurred_at) VALUES (?, ?, ?, ?, ?, ?)")) {
            for (DocumentError e : errors) {
                ps.setLong(1, runId);
                ps.setString(2, e.tenant());
                ps.setString(3, e.source());
                ps.setString(4, e.problem());
                ps.setString(5, abbreviate(e.message()));
                ps.setTimestamp(6, now);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static String abbreviate(String message) {
        return message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE - 1) + "…";
    }

    private void upsert(Connection c, List<Entry> entries, Timestamp now) throws SQLException {
        if (entries.isEmpty()) {
            return;
        }
        try (PreparedStatement up = c.prepareStatement("UPDATE " + t("documents") + " SET source = ?, title = ?, content_hash = ?,"
                + " chunk_count = ?, updated_at = ?, ingest_root = ?, version = version + 1, status = '" + STATUS_INDEXED + "'"
                + " WHERE tenant = ? AND id = ?");
             PreparedStatement in = c.prepareStatement("INSERT INTO " + t("documents") + " (source, title, content_hash,"
                + " chunk_count, updated_at, ingest_root, tenant, id, version, status, created_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, '" + STATUS_INDEXED + "', ?)")) {
            for (Entry e : entries) {
                bind(up, e, now);
                if (up.executeUpdate() == 0) {
                    bind(in, e, now);
                    in.setTimestamp(9, now);
                    in.executeUpdate();
                }
            }
        }
    }

    private static void bind(PreparedStatement ps, Entry e, Timestamp now) throws SQLException {
        ps.setString(1, e.source());
        ps.setString(2, e.title());
        ps.setString(3, e.contentHash());
        ps.setInt(4, e.chunkCount());
        ps.setTimestamp(5, now);
        ps.setString(6, e.root());
        ps.setString(7, e.tenant());
        ps.setString(8, e.id());
    }

    /**
     * Deletes the rows of these documents in one transaction, which also records {@code seq}, the
     * index commit they agree with; returns how many existed.
     */
    int delete(List<ChunkIndex.DocKey> keys, long seq) throws SQLException {
        return inTransaction(c -> {
            putMeta(c, META_INDEX_SEQ, Long.toString(seq));
            return deleteRows(c, keys);
        });
    }

    private int deleteRows(Connection c, List<ChunkIndex.DocKey> keys) throws SQLException {
        int deleted = 0;
        if (keys.isEmpty()) {
            return 0;
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + t("documents") + " WHERE tenant = ? AND id = ?")) {
            for (ChunkIndex.DocKey k : keys) {
                ps.setString(1, k.tenant());
                ps.setString(2, k.id());
                deleted += ps.executeUpdate();
            }
        }
        return deleted;
    }

    /** Every metadata field's type. */
    Map<String, MetadataType> metadataFields() throws SQLException {
        Map<String, MetadataType> out = new HashMap<>();
        try (Connection c = dataSource.getConnection();
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT name, field_type FROM " + t("metadata_fields"))) {
            while (rs.next()) {
                out.put(rs.getString(1), MetadataType.valueOf(rs.getString(2)));
            }
        }
        return out;
    }

    /** Records new metadata fields in one transaction. */
    void addMetadataFields(Map<String, MetadataType> fields) throws SQLException {
        if (fields.isEmpty()) {
            return;
        }
        inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t("metadata_fields") + " (name, field_type) VALUES (?, ?)")) {
                for (Map.Entry<String, MetadataType> f : fields.entrySet()) {
                    ps.setString(1, f.getKey());
                    ps.setString(2, f.getValue().name());
                    ps.executeUpdate();
                }
            }
            return null;
        });
    }

    int documentCount(String tenant) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + t("documents") + " WHERE tenant = ?")) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** Runs {@code SELECT 1} with a query timeout, to show the catalog answers. */
    void ping(int timeoutSeconds) throws SQLException {
        try (Connection c = dataSource.getConnection();
             Statement s = c.createStatement()) {
            s.setQueryTimeout(timeoutSeconds);
            try (ResultSet rs = s.executeQuery("SELECT 1")) {
                rs.next();
            }
        }
    }

    /** The pool's state when the data source is a HikariCP pool that has started. */
    java.util.Optional<DocRagStats.Pool> pool() {
        if (dataSource instanceof HikariDataSource h && h.getHikariPoolMXBean() != null) {
            var mx = h.getHikariPoolMXBean();
            return java.util.Optional.of(new DocRagStats.Pool(mx.getActiveConnections(), mx.getIdleConnections(),
                    mx.getTotalConnections(), mx.getThreadsAwaitingConnection(), h.getMaximumPoolSize()));
        }
        return java.util.Optional.empty();
    }

    int documentCount() throws SQLException {
        try (Connection c = dataSource.getConnection();
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + t("documents"))) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @FunctionalInterface
    private interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    /**
     * Runs {@code work} in one transaction and restores auto-commit, since a host's pooled
     * connection must go back as it came.
     */
    private <T> T inTransaction(SqlWork<T> work) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        }
    }

    /** Closes the pool if DocRag created it; a host's data source stays open. */
    @Override
    public void close() {
        if (ownedPool != null) {
            ownedPool.close();
        }
    }
}
