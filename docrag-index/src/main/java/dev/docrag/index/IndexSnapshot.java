package dev.docrag.index;

import dev.docrag.core.DocRagException;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexCommit;
import org.apache.lucene.index.SegmentInfos;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One point in time of a {@link DocRag}, held still for copying: the last Lucene commit (pinned,
 * so that merges and later commits cannot delete its files until {@link #close()}) and, taken at
 * the same logical point, an export of the catalog (an H2 script of DocRag's own catalog, or a
 * logical export of a shared catalog's tables read in a snapshot transaction). Made by {@link DocRag#snapshot()}; this is
 * the hook backups are built on (docrag-ops), not a backup itself.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>The commit and the catalog export were taken under DocRag's write lock, after any pending
 *       reconciliation: they describe the same acknowledged write ({@link #sequence()}), and the
 *       export's {@code index_seq} equals it.</li>
 *   <li>The {@link #files() files} are immutable and exist until {@link #close()}; searches and
 *       writes go on meanwhile (writes wait only while the snapshot is being taken).</li>
 *   <li>A directory holding these files under {@code index/}, the catalog import
 *       ({@link #restoreCatalog}) and {@link #indexIdentity()} in {@code docrag.id} opens as a
 *       DocRag at exactly this point.</li>
 * </ul>
 * Thread-safe. Close it before closing the DocRag; closing twice is harmless.
 */
public final class IndexSnapshot implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IndexSnapshot.class);

    /** The DocRag index format this version writes and reads (see "On-disk layout"). */
    public static final int INDEX_FORMAT = Integer.parseInt(ChunkIndex.FORMAT_VERSION);
    /** The name of the file in a DocRag directory that holds its identity (a UUID). */
    public static final String IDENTITY_FILE = IndexIdentity.FILE;
    /** The sub-directory of a DocRag directory that holds the Lucene index. */
    public static final String INDEX_DIRECTORY = "index";

    private final ChunkIndex index;
    private final IndexCommit commit;
    private final Path indexPath;
    private final Map<String, Long> files;
    private final Map<String, String> userData;
    private final long sequence;
    private final String luceneVersion;
    private final int documents;
    private final long chunks;
    /** The H2 script, or the logical export once written; null before that and without a catalog export. */
    private Path catalogExport;
    /** A shared catalog's snapshot transaction, until its rows are written to {@link #catalogExport}. */
    private CatalogExport pendingExport;
    private final String identity;
    private final Instant takenAt;
    private final AtomicBoolean closed = new AtomicBoolean();

    private IndexSnapshot(ChunkIndex index, IndexCommit commit, int documents, Path catalogExport,
                          CatalogExport pendingExport, String identity) throws IOException {
        this.index = index;
        this.commit = commit;
        this.indexPath = index.path();
        Map<String, Long> sizes = new TreeMap<>();
        for (String name : commit.getFileNames()) {
            sizes.put(name, Files.size(indexPath.resolve(name)));
        }
        this.files = Collections.unmodifiableMap(sizes);
        this.userData = Map.copyOf(commit.getUserData());
        this.sequence = Long.parseLong(userData.getOrDefault(ChunkIndex.KEY_SEQ, "0"));
        this.luceneVersion = String.valueOf(SegmentInfos.readCommit(commit.getDirectory(), commit.getSegmentsFileName())
                .getCommitLuceneVersion());
        try (DirectoryReader reader = DirectoryReader.open(commit)) {
            this.chunks = reader.numDocs();
        }
        this.documents = documents;
        this.catalogExport = catalogExport;
        this.pendingExport = pendingExport;
        this.identity = identity;
        this.takenAt = Instant.now();
    }

    /** Called by {@link DocRag#snapshot()} under its write lock. */
    static IndexSnapshot take(ChunkIndex index, Catalog catalog, Path directory) throws IOException, SQLException {
        IndexCommit commit = index.pin();
        Path export = null;
        CatalogExport rows = null;
        try {
            if (catalog.isOwnH2()) {
                export = Files.createTempFile("docrag-catalog-", ".sql"); // owner-only on POSIX
                catalog.exportScript(export);
            } else {
                // a shared catalog: fix a snapshot transaction now, under the write lock, so that it
                // holds the rows of exactly this commit's write; they are read later, outside the lock
                rows = catalog.beginExport();
            }
            IndexSnapshot snap = new IndexSnapshot(index, commit, catalog.documentCount(), export, rows,
                    IndexIdentity.of(directory));
            if (rows != null && !rows.snapshotFixed()) {
                // not PostgreSQL: read the rows now, under the write lock (on failure the catch below
                // releases the commit and the transaction, which writeTo has ended already)
                snap.ensureExported();
            }
            return snap;
        } catch (IOException | SQLException | RuntimeException e) {
            try {
                index.unpin(commit);
                if (export != null) {
                    Files.deleteIfExists(export);
                }
                if (rows != null) {
                    rows.close();
                }
            } catch (IOException | SQLException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Writes a shared catalog's rows from the snapshot transaction, once; no-op for an H2 script.
     */
    private synchronized void ensureExported() throws IOException {
        if (pendingExport == null) {
            return;
        }
        Path file = Files.createTempFile("docrag-catalog-", ".rows"); // owner-only on POSIX
        try {
            pendingExport.writeTo(file);
            catalogExport = file;
            pendingExport = null;
        } catch (SQLException | IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw new IOException("exporting the shared catalog failed: " + e.getMessage(), e);
        }
    }

    /** The index files of the commit, by name, with their sizes in bytes; sorted by name. */
    public Map<String, Long> files() {
        return files;
    }

    /**
     * Opens one of {@link #files()} for reading.
     *
     * @throws IllegalArgumentException if {@code name} is not a file of this snapshot
     * @throws IllegalStateException    if the snapshot is closed
     */
    public InputStream open(String name) throws IOException {
        if (!files.containsKey(name)) {
            throw new IllegalArgumentException(name + " is not a file of this snapshot");
        }
        if (closed.get()) {
            throw new IllegalStateException("the snapshot is closed");
        }
        return Files.newInputStream(indexPath.resolve(name));
    }

    /** The write sequence number of the commit: one up per acknowledged write call. */
    public long sequence() {
        return sequence;
    }

    /** The embedding model's id the index was built with. */
    public String modelId() {
        return userData.getOrDefault(ChunkIndex.KEY_MODEL, "?");
    }

    /** The vector dimension the index was built with. */
    public int dimension() {
        return Integer.parseInt(userData.getOrDefault(ChunkIndex.KEY_DIMENSION, "0"));
    }

    /** The DocRag index format of the commit (see {@link #INDEX_FORMAT}). */
    public int indexFormat() {
        return Integer.parseInt(userData.getOrDefault(ChunkIndex.KEY_FORMAT, "0"));
    }

    /** The Lucene version that wrote the commit, e.g. {@code 10.6.0}. */
    public String luceneVersion() {
        return luceneVersion;
    }

    /** Documents in the catalog at this point. */
    public int documentCount() {
        return documents;
    }

    /** Live chunks (Lucene documents) in the commit. */
    public long chunkCount() {
        return chunks;
    }

    /** The identity of the DocRag directory (the content of {@link #IDENTITY_FILE}). */
    public String indexIdentity() {
        return identity;
    }

    /** When the snapshot was taken. */
    public Instant takenAt() {
        return takenAt;
    }

    /**
     * Opens the catalog export: for DocRag's own H2 catalog an SQL script of every table (the
     * migration history included); for a shared catalog (PostgreSQL, a host's data source) a
     * logical export of DocRag's tables read in a snapshot transaction fixed when this snapshot
     * was taken (see {@link #catalogExportName()} and "Backups" in docs/architecture.md). The
     * first call of this or {@link #catalogExportSize()} writes a shared catalog's export.
     */
    public Optional<InputStream> openCatalogExport() throws IOException {
        if (closed.get()) {
            throw new IllegalStateException("the snapshot is closed");
        }
        ensureExported();
        return catalogExport == null ? Optional.empty() : Optional.of(Files.newInputStream(catalogExport));
    }

    /** Whether this snapshot has a catalog export (without writing a pending one). */
    public boolean hasCatalogExport() {
        synchronized (this) {
            return catalogExport != null || pendingExport != null;
        }
    }

    /** The size of the catalog export in bytes; empty when there is none. */
    public Optional<Long> catalogExportSize() throws IOException {
        ensureExported();
        return catalogExport == null ? Optional.empty() : Optional.of(Files.size(catalogExport));
    }

    /**
     * The catalog export's file name: {@code catalog.sql} (an H2 script) or {@code catalog.rows}
     * (the logical export of a shared catalog); {@link #restoreCatalog} reads either.
     */
    public String catalogExportName() {
        return pendingExport != null || (catalogExport != null && catalogExport.getFileName().toString().endsWith(".rows"))
                ? "catalog.rows" : "catalog.sql";
    }

    /**
     * Creates the default H2 catalog of a new DocRag directory from a catalog export
     * ({@link #openCatalogExport()}); for restoring. {@code directory} must not hold a catalog.
     *
     * @return the write sequence number the imported catalog agrees with ({@link #sequence()} of
     *         the snapshot it was exported from), or -1 if it records none
     * @throws DocRagException if the export cannot be imported
     */
    public static long restoreCatalog(Path directory, Path export) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(export, "export");
        try {
            Files.createDirectories(directory);
            if (isRows(export)) { // a shared catalog's export, into the directory's own H2 catalog
                if (Files.exists(directory.resolve("catalog.mv.db"))) {
                    throw new java.nio.file.FileAlreadyExistsException(directory.resolve("catalog.mv.db").toString(), null,
                            "a catalog exists already; import only into a new directory");
                }
                long seq = CatalogExport.importInto(Catalog.h2Url(directory), "sa", "", "PUBLIC", export);
                try (java.sql.Connection c = java.sql.DriverManager.getConnection(Catalog.h2Url(directory), "sa", "");
                     java.sql.Statement st = c.createStatement()) {
                    st.execute("SHUTDOWN"); // writes and closes the file now
                }
                return seq;
            }
            return Catalog.importScript(directory, export);
        } catch (IOException | SQLException e) {
            throw new DocRagException("cannot restore the catalog into " + directory + " from " + export + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Creates a shared catalog in {@code schema} of the database at {@code jdbcUrl} (PostgreSQL)
     * from a shared catalog's export ({@code catalog.rows}); for restoring. The schema must not
     * hold tables (it is created if missing). A DocRag opened with {@code catalogUrl(jdbcUrl, ...)}
     * and {@code catalogSchema(schema)} on the restored directory then finds it.
     *
     * @return the write sequence number the imported catalog agrees with, or -1 if it records none
     * @throws DocRagException if the export cannot be imported
     */
    public static long restoreCatalog(String jdbcUrl, String user, String password, String schema, Path export) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Catalog.checkSchemaName(schema);
        try {
            if (!isRows(export)) {
                throw new IOException(export + " is an H2 script; only a shared catalog's export imports into " + jdbcUrl);
            }
            return CatalogExport.importInto(jdbcUrl, user, password, schema, export);
        } catch (IOException | SQLException e) {
            throw new DocRagException("cannot restore the catalog into schema " + schema + " at " + jdbcUrl + " from "
                    + export + ": " + e.getMessage(), e);
        }
    }

    private static boolean isRows(Path export) throws IOException {
        try (java.io.BufferedReader r = Files.newBufferedReader(export, java.nio.charset.StandardCharsets.UTF_8)) {
            return CatalogExport.MAGIC.equals(r.readLine());
        } catch (java.nio.charset.MalformedInputException e) {
            return false;
        }
    }

    /** Releases the commit (its files may now be deleted) and the catalog export. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            index.unpin(commit);
        } catch (IOException | RuntimeException e) {
            LOG.warn("Releasing the snapshot of write {} failed: {}", sequence, e.toString());
        }
        synchronized (this) {
            if (pendingExport != null) {
                try {
                    pendingExport.close();
                } catch (SQLException e) {
                    LOG.warn("Ending the catalog snapshot of write {} failed: {}", sequence, e.toString());
                }
                pendingExport = null;
            }
        }
        try {
            if (catalogExport != null) {
                Files.deleteIfExists(catalogExport);
            }
        } catch (IOException e) {
            LOG.warn("Deleting the catalog export {} failed: {}", catalogExport, e.toString());
        }
    }
}
