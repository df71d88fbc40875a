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
import java.util.List;
import java.util.Optional;

/**
 * The relational record of what is indexed: one row per document with its content hash, so that
 * re-ingesting skips unchanged documents. Reached through a HikariCP pool; by default an H2 file
 * database beside the index. Thread-safe.
 */
final class Catalog implements AutoCloseable {
    private static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS docrag_meta (
              meta_key   VARCHAR(100) PRIMARY KEY,
              meta_value VARCHAR(2000) NOT NULL
            );
            CREATE TABLE IF NOT EXISTS documents (
              id           VARCHAR(2048) PRIMARY KEY,
              source       VARCHAR(4096) NOT NULL,
              title        VARCHAR(2048) NOT NULL,
              content_hash CHAR(64) NOT NULL,
              chunk_count  INT NOT NULL,
              updated_at   TIMESTAMP NOT NULL
            );
            """;

    /** One document's row. */
    record Entry(String id, String source, String title, String contentHash, int chunkCount) {
    }

    private final HikariDataSource pool;

    private Catalog(HikariDataSource pool) {
        this.pool = pool;
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
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

    Optional<String> contentHash(String id) throws SQLException {
        try (Connection c = pool.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT content_hash FROM documents WHERE id = ?")) {
            ps.setString(1, id);
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
                    "UPDATE documents SET source = ?, title = ?, content_hash = ?, chunk_count = ?, updated_at = ? WHERE id = ?");
                 PreparedStatement in = c.prepareStatement(
                    "INSERT INTO documents (source, title, content_hash, chunk_count, updated_at, id) VALUES (?, ?, ?, ?, ?, ?)")) {
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
        ps.setString(6, e.id());
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
