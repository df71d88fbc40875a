package dev.docrag.index;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;

import javax.sql.DataSource;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A logical export of a shared catalog's tables (PostgreSQL, or any database DocRag reaches
 * through JDBC), taken inside one snapshot transaction, and its import into a new schema.
 *
 * <p><b>Consistency.</b> {@link #begin} opens a read-only {@code REPEATABLE READ} transaction and
 * reads {@code index_seq} in it: in PostgreSQL that first statement fixes the transaction's
 * snapshot, so every later read sees the database exactly as it was then. {@link DocRag#snapshot()}
 * calls it under the write lock, right after pinning the Lucene commit, so the snapshot holds the
 * rows of exactly that commit's write; the rows themselves are read later ({@link #writeTo}),
 * outside the lock, while writes go on.
 *
 * <p><b>Format</b> (UTF-8 lines): {@code docrag-catalog-rows 1}, {@code version <Flyway schema
 * version>}, then per table {@code table <name> <column>:<L|T|S>,...} (long, timestamp, string),
 * one {@code row} line per row with tab-separated values ({@code \N} is null; backslash, tab,
 * newline and carriage return are escaped), and {@code end <rows>}; finally {@code end}. The
 * Flyway history table is not exported: the import re-creates the schema with DocRag's own
 * migrations up to the exported version, inserts the rows, and restarts the identity columns.
 */
final class CatalogExport implements AutoCloseable {
    static final String MAGIC = "docrag-catalog-rows 1";
    /** Parents before children (document_errors references ingest_runs); other tables follow by name. */
    private static final List<String> ORDER = List.of("docrag_meta", "metadata_fields", "documents", "ingest_runs",
            "document_errors");
    private static final List<String> IDENTITIES = List.of("ingest_runs", "document_errors");

    private final Connection connection;
    private final String schema;
    private final long sequence;
    private final boolean snapshotFixed;

    private CatalogExport(Connection connection, String schema, long sequence, boolean snapshotFixed) {
        this.connection = connection;
        this.schema = schema;
        this.sequence = sequence;
        this.snapshotFixed = snapshotFixed;
    }

    /**
     * Whether the rows may be read later, outside DocRag's write lock: true for PostgreSQL, whose
     * REPEATABLE READ is snapshot isolation fixed by the first statement. For other databases the
     * caller writes the export at once, under the lock.
     */
    boolean snapshotFixed() {
        return snapshotFixed;
    }

    /** Opens the snapshot transaction (see the class comment); call under DocRag's write lock. */
    static CatalogExport begin(DataSource dataSource, String schema) throws SQLException {
        Connection c = dataSource.getConnection();
        try {
            c.setAutoCommit(false);
            c.setReadOnly(true);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            long seq = -1;
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT meta_value FROM " + schema + ".docrag_meta WHERE meta_key = '"
                         + Catalog.META_INDEX_SEQ + "'")) {
                if (rs.next()) {
                    seq = Long.parseLong(rs.getString(1));
                }
            }
            return new CatalogExport(c, schema, seq, "PostgreSQL".equals(c.getMetaData().getDatabaseProductName()));
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            c.close();
            throw e;
        }
    }

    /** The {@code index_seq} the snapshot holds. */
    long sequence() {
        return sequence;
    }

    /** Writes every table of the snapshot to {@code file}; then the transaction ends. */
    void writeTo(Path file) throws IOException, SQLException {
        try (Writer w = new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), 1 << 16)) {
            w.write(MAGIC + "\n");
            w.write("version " + schemaVersion() + "\n");
            for (String table : tables()) {
                try (Statement s = connection.createStatement()) {
                    s.setFetchSize(1000); // PostgreSQL streams only with a fetch size, inside a transaction
                    try (ResultSet rs = s.executeQuery("SELECT * FROM " + schema + "." + table)) {
                        ResultSetMetaData md = rs.getMetaData();
                        int n = md.getColumnCount();
                        char[] kinds = new char[n];
                        StringBuilder header = new StringBuilder("table ").append(table).append(' ');
                        for (int i = 1; i <= n; i++) {
                            kinds[i - 1] = kind(md.getColumnType(i));
                            header.append(i > 1 ? "," : "").append(md.getColumnName(i).toLowerCase(Locale.ROOT))
                                    .append(':').append(kinds[i - 1]);
                        }
                        w.write(header.append('\n').toString());
                        long rows = 0;
                        StringBuilder line = new StringBuilder();
                        while (rs.next()) {
                            line.setLength(0);
                            line.append("row");
                            for (int i = 1; i <= n; i++) {
                                line.append('\t');
                                String v = switch (kinds[i - 1]) {
                                    case 'T' -> {
                                        LocalDateTime t = rs.getObject(i, LocalDateTime.class);
                                        yield t == null ? null : t.toString();
                                    }
                                    case 'L' -> {
                                        long l = rs.getLong(i);
                                        yield rs.wasNull() ? null : Long.toString(l);
                                    }
                                    default -> rs.getString(i);
                                };
                                escape(line, v);
                            }
                            w.write(line.append('\n').toString());
                            rows++;
                        }
                        w.write("end " + rows + "\n");
                    }
                }
            }
            w.write("end\n");
        } finally {
            close();
        }
    }

    private String schemaVersion() throws SQLException {
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT \"version\" FROM " + schema + ".\"" + Catalog.HISTORY_TABLE + "\""
                     + " WHERE \"success\" = TRUE AND \"version\" IS NOT NULL")) {
            String best = null;
            while (rs.next()) {
                String v = rs.getString(1);
                if (best == null || compareVersions(v, best) > 0) {
                    best = v;
                }
            }
            if (best == null) {
                throw new SQLException("the catalog in schema " + schema + " records no migration");
            }
            return best;
        }
    }

    private static int compareVersions(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            long p = i < x.length ? Long.parseLong(x[i]) : 0;
            long q = i < y.length ? Long.parseLong(y[i]) : 0;
            if (p != q) {
                return Long.compare(p, q);
            }
        }
        return 0;
    }

    private List<String> tables() throws SQLException {
        List<String> names = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT table_name FROM information_schema.tables"
                + " WHERE UPPER(table_schema) = ? AND table_type IN ('BASE TABLE', 'TABLE')")) {
            ps.setString(1, schema.toUpperCase(Locale.ROOT));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String t = rs.getString(1).toLowerCase(Locale.ROOT);
                    if (!t.equals(Catalog.HISTORY_TABLE)) {
                        names.add(t);
                    }
                }
            }
        }
        names.sort(Comparator.comparingInt((String t) -> ORDER.contains(t) ? ORDER.indexOf(t) : ORDER.size())
                .thenComparing(Comparator.naturalOrder()));
        return names;
    }

    private static char kind(int sqlType) {
        return switch (sqlType) {
            case Types.TIMESTAMP, Types.TIMESTAMP_WITH_TIMEZONE -> 'T';
            case Types.BIGINT, Types.INTEGER, Types.SMALLINT, Types.TINYINT -> 'L';
            default -> 'S';
        };
    }

    private static void escape(StringBuilder out, String v) {
        if (v == null) {
            out.append("\\N");
            return;
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(c);
            }
        }
    }

    private static String unescape(String v) {
        if (v.equals("\\N")) {
            return null;
        }
        if (v.indexOf('\\') < 0) {
            return v;
        }
        StringBuilder out = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char next = v.charAt(++i);
            out.append(switch (next) {
                case 't' -> '\t';
                case 'n' -> '\n';
                case 'r' -> '\r';
                case '\\' -> '\\';
                default -> throw new IllegalArgumentException("bad escape \\" + next);
            });
        }
        return out.toString();
    }

    /** Ends the snapshot transaction without writing (idempotent). */
    @Override
    public void close() throws SQLException {
        if (connection.isClosed()) {
            return;
        }
        try {
            connection.rollback();
            connection.setReadOnly(false);
            connection.setAutoCommit(true);
        } finally {
            connection.close();
        }
    }

    /**
     * Imports an export into {@code schema} of {@code jdbcUrl}, which must not hold DocRag's tables
     * (it is created if missing): DocRag's migrations up to the exported version, the rows, the
     * identity columns restarted after the highest id. Opening DocRag on it later runs the newer
     * migrations.
     *
     * @return the imported {@code index_seq} (-1 if none)
     */
    static long importInto(String jdbcUrl, String user, String password, String schema, Path export)
            throws IOException, SQLException {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(3); // Flyway takes two at once (its lock, its work)
        config.setPoolName("docrag-catalog-import");
        try (HikariDataSource ds = new HikariDataSource(config)) {
            return importInto(ds, schema, export);
        }
    }

    private static long importInto(DataSource ds, String schema, Path export) throws IOException, SQLException {
        String folded;
        try (Connection c = ds.getConnection()) {
            folded = c.getMetaData().storesUpperCaseIdentifiers() ? schema.toUpperCase(Locale.ROOT) : schema.toLowerCase(Locale.ROOT);
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM information_schema.tables"
                    + " WHERE UPPER(table_schema) = ?")) {
                ps.setString(1, schema.toUpperCase(Locale.ROOT));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) > 0) {
                        throw new SQLException("the schema " + schema + " has tables already; import only into a new schema");
                    }
                }
            }
        }
        try (BufferedReader in = Files.newBufferedReader(export, StandardCharsets.UTF_8)) {
            if (!MAGIC.equals(in.readLine())) {
                throw new IOException(export + " is not a DocRag catalog export (" + MAGIC + ")");
            }
            String version = field(in.readLine(), "version");
            Flyway.configure(Catalog.class.getClassLoader()).dataSource(ds).locations(Catalog.LOCATION)
                    .table(Catalog.HISTORY_TABLE).schemas(folded).defaultSchema(folded).createSchemas(true)
                    .target(version).cleanDisabled(true).load().migrate();
            long seq = -1;
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                for (String line; !"end".equals(line = in.readLine()); ) {
                    if (line == null) {
                        throw new IOException(export + " is cut short");
                    }
                    String[] head = field(line, "table").split(" ", 2);
                    String table = head[0];
                    String[] cols = head[1].split(",");
                    char[] kinds = new char[cols.length];
                    StringBuilder sql = new StringBuilder("INSERT INTO ").append(schema).append('.').append(table).append(" (");
                    for (int i = 0; i < cols.length; i++) {
                        String[] ck = cols[i].split(":");
                        if (!ck[0].matches("[a-z_][a-z0-9_]*") || !table.matches("[a-z_][a-z0-9_]*")) {
                            throw new IOException("unexpected name in " + export + ": " + line);
                        }
                        kinds[i] = ck[1].charAt(0);
                        sql.append(i > 0 ? ", " : "").append(ck[0]);
                    }
                    sql.append(") VALUES (").append("?, ".repeat(cols.length - 1)).append("?)");
                    long rows = 0;
                    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                        for (String row; !(row = in.readLine()).startsWith("end "); ) {
                            String[] v = row.split("\t", -1);
                            if (!v[0].equals("row") || v.length != cols.length + 1) {
                                throw new IOException("bad row in " + export + " for " + table);
                            }
                            for (int i = 0; i < cols.length; i++) {
                                String value = unescape(v[i + 1]);
                                switch (kinds[i]) {
                                    case 'T' -> ps.setObject(i + 1, value == null ? null : LocalDateTime.parse(value));
                                    case 'L' -> {
                                        if (value == null) {
                                            ps.setNull(i + 1, Types.BIGINT);
                                        } else {
                                            ps.setLong(i + 1, Long.parseLong(value));
                                        }
                                    }
                                    default -> ps.setString(i + 1, value);
                                }
                            }
                            if (table.equals("docrag_meta") && Catalog.META_INDEX_SEQ.equals(unescape(v[1]))) {
                                seq = Long.parseLong(unescape(v[2]));
                            }
                            ps.addBatch();
                            if (++rows % 500 == 0) {
                                ps.executeBatch();
                            }
                        }
                        ps.executeBatch();
                    }
                    if (IDENTITIES.contains(table)) {
                        long next;
                        try (Statement s = c.createStatement();
                             ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(id), 0) + 1 FROM " + schema + "." + table)) {
                            rs.next();
                            next = rs.getLong(1);
                        }
                        try (Statement s = c.createStatement()) {
                            s.execute("ALTER TABLE " + schema + "." + table + " ALTER COLUMN id RESTART WITH " + next);
                        }
                    }
                }
                c.commit();
            }
            return seq;
        } catch (RuntimeException e) {
            throw new IOException(export + " is not a readable catalog export: " + e.getMessage(), e);
        }
    }

    private static String field(String line, String key) throws IOException {
        if (line == null || !line.startsWith(key + " ")) {
            throw new IOException("expected '" + key + " ...', got " + line);
        }
        return line.substring(key.length() + 1);
    }
}
