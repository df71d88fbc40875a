package dev.docrag.index;

import com.zaxxer.hikari.HikariConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link CatalogSuite} on a real PostgreSQL server ({@link PostgresServer}): every directory gets
 * a schema of its own in one shared database, as several DocRag directories of one host would;
 * a second directory shares a catalog by naming the first one's schema. Includes the end-to-end
 * ingest / re-ingest / change / delete run of the suite.
 */
@ExtendWith(PostgresServer.class)
class PostgresCatalogTest extends CatalogSuite {
    private PostgresServer server;
    private final Map<Path, String> schemas = new HashMap<>();

    @BeforeEach
    void server(PostgresServer server) {
        this.server = server;
    }

    private String schemaOf(Path dir) {
        return schemas.computeIfAbsent(dir, d -> freshSchema());
    }

    @Override
    DocRag.Builder builder(Path dir) {
        return plain(dir).catalogUrl(server.url(), server.user(), server.password()).catalogSchema(schemaOf(dir));
    }

    @Override
    DocRag.Builder sharingCatalogOf(Path owner, Path dir) {
        return plain(dir).catalogUrl(server.url(), server.user(), server.password()).catalogSchema(schemaOf(owner));
    }

    @Override
    Connection connect(Path dir) throws SQLException {
        Connection c = server.connect();
        c.setSchema(schemaOf(dir));
        return c;
    }

    @Override
    Connection createBeforeMigrations(Path dir) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schemaOf(dir));
        }
        return connect(dir);
    }

    @Override
    HikariConfig hostPool(Path dir) {
        String hostSchema = freshSchema();
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + hostSchema);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(server.url() + "?currentSchema=" + hostSchema);
        config.setUsername(server.user());
        config.setPassword(server.password());
        return config;
    }
}
