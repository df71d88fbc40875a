package dev.docrag.index;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.docrag.core.DocRagException;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The relational record of what is indexed: one row per document, identified by (tenant, id),
 * with its content hash, so that re-ingesting skips unchanged documents; and the type of every
 * metadata field. Reached through a HikariCP pool; by default an H2 file database beside the
 * index. Thread-safe.
 */
final class Catalog implements AutoCloseable {
    private static final String SCHEMA = """
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

    /** One document's row. */
    record Entry(String tenant, String id, String source, String title, String contentHash, int chunkCount) {
    }

    private final HikariDataSource pool;

    private Catalog(HikariDataSource pool) {
        this.pool = pool;
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = 'DOCUMENTS'")) {
                rs.next();
                if (rs.getInt(1) > 0) {
                    try (ResultSet cols = s.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.COLUMNS "
                            + "WHERE TABLE_NAME = 'DOCUMENTS' AND COLUMN_NAME = 'TENANT'")) {
                        cols.next();
                        if (cols.getInt(1) == 0) {
                            throw new SQLException("the catalog was written by an older DocRag (documents without "
                                    + "tenants); delete the directory and ingest again");
                        }
                    }
                }
            }
            for (String ddl : SCHEMA.split(";")) {
                if (!ddl.isBlank()) {
                    s.execute(ddl);
                }
            }
        } catch (SQLException e) {
            pool.close();
            throw new DocRagException("cannot create the catalog schema at " + pool.getJdbcUrl() + ": " + e.getMessage(), e);
        }
    }

    /** An H2 file database in {@code dir}. */
    static Catalog h2(Path dir) {
        HikariConfig config = new HikariConfig();
        // DB_CLOSE_ON_EXIT=FALSE: the pool, not H2's shutdown hook, decides when the database closes.
        config.setJdbcUrl("jdbc:h2:file:" + dir.toAbsolutePath().resolve("catalog") + ";DB_CLOSE_ON_EXIT=FALSE");
        config.setUsername("sa");
        config.setPassword("");
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(1);
        config.setPoolName("docrag-catalog");
        try {
            return new Catalog(new HikariDataSource(config));
        } catch (RuntimeException e) {
            throw new DocRagException("cannot open the catalog in " + dir + ": " + e.getMessage(), e);
        }
    }

    Optional<String> meta(String key) throws SQLException {
        try (Connection c = pool.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT meta_value FROM docrag_meta WHERE meta_key = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    void putMeta(String key, String value) throws SQLException {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement up = c.prepareStatement("UPDATE docrag_meta SET meta_value = ? WHERE meta_key = ?")) {
                up.setString(1, value);
                up.setString(2, key);
                if (up.executeUpdate() == 0) {
                    try (PreparedStatement in = c.prepareStatement("INSERT INTO docrag_meta (meta_key, meta_value) VALUES (?, ?)")) {
                        in.setString(1, key);
                        in.setString(2, value);
                        in.executeUpdate();
                    }
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        }
    }

    Optional<String> contentHash(String tenant, String id) throws SQLException {
        try (Connection c = pool.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT content_hash FROM documents WHERE tenant = ? AND id = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    /** Inserts or updates the rows in one transaction. */
    void upsert(List<Entry> entries) throws SQLException {
        if (entries.isEmpty()) {
            return;
        }
        Timestamp now = Timestamp.from(Instant.now());
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement up = c.prepareStatement(
                    "UPDATE documents SET source = ?, title = ?, content_hash = ?, chunk_count = ?, updated_at = ? WHERE tenant = ? AND id = ?");
                 PreparedStatement in = c.prepareStatement(
                    "INSERT INTO documents (source, title, content_hash, chunk_count, updated_at, tenant, id) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                for (Entry e : entries) {
                    bind(up, e, now);
                    if (up.executeUpdate() == 0) {
                        bind(in, e, now);
                        in.executeUpdate();
                    }
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private static void bind(PreparedStatement ps, Entry e, Timestamp now) throws SQLException {
        ps.setString(1, e.source());
        ps.setString(2, e.title());
        ps.setString(3, e.contentHash());
        ps.setInt(4, e.chunkCount());
        ps.setTimestamp(5, now);
        ps.setString(6, e.tenant());
        ps.setString(7, e.id());
    }

    /** Deletes the rows of these documents in one transaction; returns how many existed. */
    int delete(List<ChunkIndex.DocKey> keys) throws SQLException {
        if (keys.isEmpty()) {
            return 0;
        }
        int deleted = 0;
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM documents WHERE tenant = ? AND id = ?")) {
                for (ChunkIndex.DocKey k : keys) {
                    ps.setString(1, k.tenant());
                    ps.setString(2, k.id());
                    deleted += ps.executeUpdate();
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        }
        return deleted;
    }

    /** Every metadata field's type. */
    Map<String, MetadataType> metadataFields() throws SQLException {
        Map<String, MetadataType> out = new HashMap<>();
        try (Connection c = pool.getConnection();
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT name, field_type FROM metadata_fields")) {
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
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO metadata_fields (name, field_type) VALUES (?, ?)")) {
                for (Map.Entry<String, MetadataType> f : fields.entrySet()) {
                    ps.setString(1, f.getKey());
                    ps.setString(2, f.getValue().name());
                    ps.executeUpdate();
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        }
    }

    int documentCount(String tenant) throws SQLException {
        try (Connection c = pool.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM documents WHERE tenant = ?")) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    int documentCount() throws SQLException {
        try (Connection c = pool.getConnection();
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM documents")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
