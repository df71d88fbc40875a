package dev.docrag.index;

import com.zaxxer.hikari.HikariConfig;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * {@link CatalogSuite} on H2: each directory's default catalog (the H2 file in the directory,
 * schema PUBLIC); a second directory shares it by naming its URL.
 */
class H2CatalogTest extends CatalogSuite {
    @Override
    DocRag.Builder builder(Path dir) {
        return plain(dir);
    }

    @Override
    DocRag.Builder sharingCatalogOf(Path owner, Path dir) {
        return plain(dir).catalogUrl(Catalog.h2Url(owner), "sa", "").catalogSchema("PUBLIC");
    }

    @Override
    Connection connect(Path dir) throws SQLException {
        // The same URL as DocRag's pool: within one JVM, H2 then shares the open database.
        return DriverManager.getConnection(Catalog.h2Url(dir), "sa", "");
    }

    @Override
    Connection createBeforeMigrations(Path dir) throws SQLException {
        return connect(dir);
    }

    @Override
    HikariConfig hostPool(Path dir) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:h2:file:" + dir.toAbsolutePath().resolve("host") + ";DB_CLOSE_ON_EXIT=FALSE");
        config.setUsername("sa");
        config.setPassword("");
        return config;
    }
}
