package dev.docrag.ops.backup;

import dev.docrag.core.DocRagException;
import dev.docrag.core.embed.Embedder;
import dev.docrag.index.DocRag;
import dev.docrag.index.Hit;
import dev.docrag.index.IndexSnapshot;
import dev.docrag.index.SearchRequest;
import org.apache.lucene.index.CheckIndex;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.Lock;
import org.apache.lucene.store.LockObtainFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Hot, incremental, verified backups of a {@link DocRag}, and safe restores, to one
 * {@link BackupTarget}.
 *
 * <pre>{@code
 * BackupManager backups = BackupManager.builder(rag)
 *         .target(BackupTarget.filesystem(Path.of("/backups/docrag")))
 *         .retention(Retention.keepWithin(Duration.ofDays(7)).atLeast(3))
 *         .build();
 * BackupReport r = backups.backup();
 * backups.verify(r.id(), VerifyDepth.DEEP);
 * }</pre>
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>Hot and consistent:</b> a backup is one {@link DocRag#snapshot()}: the Lucene commit of
 *       the last acknowledged write, pinned while it is copied, and the catalog exported at the same
 *       write (an H2 script, or a shared catalog's rows read in a snapshot transaction). Searches
 *       never wait; writes wait only while the snapshot is taken.</li>
 *   <li><b>Fast:</b> files are copied on {@link Builder#copyThreads} threads; a new file is read once
 *       (hashed while it is written aside, then renamed to its digest); fsyncs are batched before
 *       the manifest, whose publication stays the commit point.</li>
 *   <li><b>Content-addressed and incremental:</b> every file is stored once, under its SHA-256
 *       ({@code blobs/ab/ab12…}); a file the repository already holds is not stored again. The
 *       manifest ({@code manifests/<id>.manifest}, see {@link Manifest}) is written last, after
 *       every file it lists: a backup that is interrupted (even by kill -9) leaves no manifest,
 *       only files that the next backup reuses or the next prune removes.</li>
 *   <li><b>Deleting one backup never breaks another:</b> a stored file is deleted only when no
 *       remaining manifest lists it, and not at all while any manifest cannot be read.</li>
 *   <li><b>Every read is verified</b> against the manifest's size and SHA-256 (after decrypting,
 *       with AES-256-GCM when a {@link BackupKey} is configured); a missing, truncated or changed
 *       file fails with a {@link BackupException} naming it.</li>
 *   <li><b>Restore never touches live data before the backup has been verified:</b> it builds a
 *       new directory beside the live one (and a shared catalog into a new schema, see
 *       {@link Builder#restoreCatalogTo}), verifies it deeply, and only then swaps it in through a
 *       journal that {@link #recoverInterruptedRestore} completes after a crash (see
 *       {@link #restore(String, Path, boolean)}).</li>
 *   <li>Thread-safe: backups, restores, prunes and deletes of one manager run one at a time. Two
 *       managers (or processes) must not prune one repository while another backs up to it.</li>
 * </ul>
 * Implements {@link BackupStatus} from memory for health checks and metrics.
 */
public final class BackupManager implements BackupStatus, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BackupManager.class);
    static final String BLOBS = "blobs/";
    static final String MANIFESTS = "manifests/";
    static final String MANIFEST_SUFFIX = ".manifest";
    private static final DateTimeFormatter ID = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final DocRag rag;
    private final BackupTarget target;
    private final BackupTarget mirror;
    private final Retention retention;
    private final BackupKey key;
    private final Embedder embedder;
    private final List<GoldenQuery> goldenQueries;
    private final Path scratch;
    private final Clock clock;
    private final ScheduledExecutorService ownScheduler;
    private final ReentrantLock lock = new ReentrantLock();
    private final int copyThreads;
    private final SharedCatalog shared;
    private final RestoreHook hook;

    private volatile Instant lastSuccess;
    private volatile Duration lastDuration;
    private volatile long lastBytes = -1;
    private volatile Instant lastVerification;
    private volatile boolean lastVerificationFailed;

    private BackupManager(Builder b) {
        this.rag = b.rag;
        this.target = b.target;
        this.mirror = b.mirror;
        this.retention = b.retention;
        this.key = b.key;
        this.embedder = b.embedder != null ? b.embedder : b.rag != null ? b.rag.embedder() : null;
        this.goldenQueries = List.copyOf(b.goldenQueries);
        this.scratch = b.scratch;
        this.clock = b.clock;
        this.copyThreads = b.copyThreads;
        this.shared = b.shared;
        this.hook = b.hook;
        this.ownScheduler = b.every == null ? null : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "docrag-backup");
            t.setDaemon(true);
            return t;
        });
    }

    /** A manager that backs up {@code rag} (and can verify, restore, list and prune). */
    public static Builder builder(DocRag rag) {
        return new Builder(Objects.requireNonNull(rag, "rag"));
    }

    /**
     * A manager without a DocRag: for verifying, restoring (the live DocRag must be closed for
     * that anyway), listing and pruning. Give it an {@link Builder#embedder(Embedder)} for deep
     * verification and restores.
     */
    public static Builder builder() {
        return new Builder(null);
    }

    // ---------------------------------------------------------------- backup

    /**
     * Takes a backup now: snapshot, store the files the repository lacks, write the manifest.
     *
     * @throws BackupException SOURCE_FAILED if the live index or catalog cannot be read;
     *                         TARGET_FAILED if the target cannot store (the live data is
     *                         unaffected, and no manifest was written)
     * @throws IllegalStateException if this manager has no DocRag
     */
    public BackupReport backup() {
        if (rag == null) {
            throw new IllegalStateException("this BackupManager was built without a DocRag; use builder(rag) to take backups");
        }
        lock.lock();
        try {
            long started = System.nanoTime();
            IndexSnapshot snap;
            try {
                snap = rag.snapshot();
            } catch (DocRagException e) {
                throw new BackupException(BackupException.Problem.SOURCE_FAILED, null,
                        "cannot snapshot " + rag.directory() + ": " + e.getMessage(), e);
            }
            long snapshotNanos = System.nanoTime() - started;
            try (snap) {
                int stored = 0;
                int reused = 0;
                long bytes = 0;
                // (name, size) pairs of the newest backup: such a file is most likely unchanged (Lucene
                // files are write-once), so it is hashed first and stored only if the repository lacks
                // it; any other file is most likely new and is stored in one pass (see store)
                Set<String> likelyStored = likelyStored();
                ExecutorService pool = Executors.newFixedThreadPool(copyThreads, r -> {
                    Thread t = new Thread(r, "docrag-backup-copy");
                    t.setDaemon(true);
                    return t;
                });
                Future<Stored> catalogTask;
                List<Future<Stored>> tasks = new ArrayList<>();
                try {
                    // the catalog export first: it is compressed as well as copied, the longest task
                    catalogTask = snap.hasCatalogExport() ? pool.submit(() -> storeCatalog(snap)) : null;
                    // largest first, so that the threads finish together
                    List<Map.Entry<String, Long>> bySize = new ArrayList<>(snap.files().entrySet());
                    bySize.sort(Map.Entry.<String, Long>comparingByValue().reversed());
                    Map<String, Future<Stored>> byName = new java.util.HashMap<>();
                    for (Map.Entry<String, Long> f : bySize) {
                        String name = f.getKey();
                        long size = f.getValue();
                        byName.put(name, pool.submit(() -> store(name, () -> snap.open(name), size,
                                likelyStored.contains(name + " " + size))));
                    }
                    for (String name : snap.files().keySet()) {
                        tasks.add(byName.get(name));
                    }
                } finally {
                    pool.shutdown();
                }
                List<Manifest.FileEntry> files = new ArrayList<>();
                Manifest.FileEntry catalog = null;
                try {
                    for (Future<Stored> t : tasks) {
                        Stored s = await(t);
                        files.add(s.entry);
                        if (s.bytes >= 0) {
                            stored++;
                            bytes += s.bytes;
                        } else {
                            reused++;
                        }
                    }
                    if (catalogTask != null) {
                        Stored s = await(catalogTask);
                        catalog = s.entry;
                        if (s.bytes >= 0) {
                            stored++;
                            bytes += s.bytes;
                        } else {
                            reused++;
                        }
                    }
                } catch (IOException | RuntimeException | Error e) {
                    // one copy failed: stop the others before the snapshot is released under them
                    pool.shutdownNow();
                    try {
                        if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                            LOG.warn("Backup copy threads still running 30 s after a failure");
                        }
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                    }
                    throw e;
                }
                long filesNanos = System.nanoTime() - started - snapshotNanos;
                String id = newId(snap.takenAt());
                Manifest m = new Manifest(id, Manifest.FORMAT, snap.takenAt(), snap.sequence(), snap.luceneVersion(),
                        snap.indexFormat(), snap.modelId(), snap.dimension(), snap.documentCount(), snap.chunkCount(),
                        snap.indexIdentity(), key == null ? null : key.id(), catalog, files);
                byte[] manifest = m.toBytes();
                long syncStarted = System.nanoTime();
                try {
                    // every file durable (and staged ones in place) before the manifest that lists them:
                    // publishing the manifest stays the commit point of the backup
                    target.sync();
                } catch (IOException | RuntimeException e) {
                    throw targetFailed(BLOBS, e);
                }
                long syncNanos = System.nanoTime() - syncStarted;
                try {
                    target.put(manifestKey(id), () -> new ByteArrayInputStream(manifest), manifest.length);
                    target.sync();
                } catch (IOException | RuntimeException e) {
                    throw targetFailed(manifestKey(id), e);
                }
                Duration took = Duration.ofNanos(System.nanoTime() - started);
                LOG.debug("Backup {}: snapshot {} ms, files {} ms, sync {} ms, manifest {} ms", id, snapshotNanos / 1_000_000,
                        filesNanos / 1_000_000, syncNanos / 1_000_000,
                        (took.toNanos() - snapshotNanos - filesNanos - syncNanos) / 1_000_000);
                lastSuccess = clock.instant();
                lastDuration = took;
                lastBytes = bytes;
                LOG.info("Backup {} of {} (write {}, {} documents, {} chunks) to {}: stored {} files ({} bytes), reused {}, in {} ms",
                        id, rag.directory(), m.sequence(), m.documents(), m.chunks(), target.describe(), stored, bytes,
                        reused, took.toMillis());
                return new BackupReport(m, stored, bytes, reused, took, Duration.ofNanos(snapshotNanos), Duration.ofNanos(filesNanos),
                        Duration.ofNanos(syncNanos), mirror == null ? null : copyToMirror(m, manifest));
            }
        } catch (IOException e) {
            throw new BackupException(BackupException.Problem.SOURCE_FAILED, null,
                    "reading the snapshot of " + rag.directory() + " failed: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private record Stored(Manifest.FileEntry entry, long bytes) {
    }

    /** Waits for a copy task; its failure is rethrown as it was thrown. */
    private static Stored await(Future<Stored> task) throws IOException {
        try {
            return task.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while backing up");
        }
    }

    /** "name size" of every file of the newest readable backup (empty if there is none). */
    private Set<String> likelyStored() {
        List<String> keys;
        try {
            keys = manifestKeys();
        } catch (RuntimeException e) {
            return Set.of(); // only costs speed; storing will report what is wrong with the target
        }
        for (int i = keys.size() - 1; i >= 0; i--) {
            try {
                Set<String> out = new HashSet<>();
                for (Manifest.FileEntry f : readManifest(keys.get(i)).files()) {
                    out.add(f.name() + " " + f.size());
                }
                return out;
            } catch (BackupException e) {
                // an unreadable manifest only costs speed here
            }
        }
        return Set.of();
    }

    /**
     * gzip at the fastest level: the catalog export is compressed by every backup, and level 1
     * takes a fraction of the default level's time for most of its gain on SQL text.
     */
    private static final class FastGzip extends GZIPOutputStream {
        FastGzip(OutputStream out) throws IOException {
            super(out, 1 << 16);
            def.setLevel(java.util.zip.Deflater.BEST_SPEED);
        }
    }

    /** Compresses the catalog export to a temporary file and stores that. */
    private Stored storeCatalog(IndexSnapshot snap) throws IOException {
        // gzipped: the SQL text of the rows (hashes, titles, paths) shrinks several times,
        // and it is the one file stored whole by every backup
        Path gz = Files.createTempFile("docrag-catalog-", ".gz");
        try {
            try (InputStream in = snap.openCatalogExport().orElseThrow();
                 OutputStream out = new FastGzip(Files.newOutputStream(gz))) {
                in.transferTo(out);
            }
            return store(snap.catalogExportName() + ".gz", () -> Files.newInputStream(gz), Files.size(gz), false);
        } finally {
            Files.deleteIfExists(gz);
        }
    }

    /**
     * Stores one file unless the repository has it; {@code bytes} is -1 when it was reused.
     *
     * <p>A file {@code likelyStored} (the newest backup lists its name and size) is hashed first
     * and read a second time only if the repository lacks it. Any other file, on a target that
     * {@linkplain BackupTarget#canStage stages}, is read once: hashed while it is written aside, then
     * published under its digest, or discarded if the repository has it already. A target that
     * cannot stage gets the hash first and the bytes second, through a digest that must match.
     */
    private Stored store(String name, BackupTarget.Content source, long size, boolean likelyStored) throws IOException {
        long storedSize = key == null ? size : Encryption.encryptedSize(size);
        String sha = null;
        if (likelyStored || !target.canStage()) {
            try (InputStream in = source.open()) {
                sha = sha256(in, size, name);
            }
            String blob = blobKey(sha, key == null ? null : key.id());
            if (exists(blob, storedSize)) {
                return new Stored(new Manifest.FileEntry(name, size, sha), -1);
            }
        }
        if (target.canStage()) {
            MessageDigest digest = sha256();
            BackupTarget.Staged staged;
            try (InputStream plain = new DigestInputStream(source.open(), digest);
                 InputStream content = key == null ? plain : Encryption.encrypt(key, plain)) {
                try {
                    staged = target.stage(content, storedSize);
                } catch (IOException | RuntimeException e) {
                    throw targetFailed(name, e);
                }
            }
            String got = HexFormat.of().formatHex(digest.digest());
            if (sha != null && !got.equals(sha)) {
                staged.discard();
                throw changed(name);
            }
            String blob = blobKey(got, key == null ? null : key.id());
            try {
                if (exists(blob, storedSize)) {
                    staged.discard();
                    return new Stored(new Manifest.FileEntry(name, size, got), -1);
                }
                staged.publish(blob);
            } catch (IOException | RuntimeException e) {
                throw targetFailed(blob + " (" + name + ")", e);
            }
            return new Stored(new Manifest.FileEntry(name, size, got), storedSize);
        }
        String blob = blobKey(sha, key == null ? null : key.id());
        MessageDigest[] sent = new MessageDigest[1];
        BackupTarget.Content upload = () -> {
            sent[0] = sha256();
            InputStream plain = new DigestInputStream(source.open(), sent[0]);
            return key == null ? plain : Encryption.encrypt(key, plain);
        };
        try {
            target.put(blob, upload, storedSize);
        } catch (IOException | RuntimeException e) {
            throw targetFailed(blob + " (" + name + ")", e);
        }
        if (!HexFormat.of().formatHex(sent[0].digest()).equals(sha)) {
            throw changed(name);
        }
        return new Stored(new Manifest.FileEntry(name, size, sha), storedSize);
    }

    private boolean exists(String blob, long storedSize) {
        try {
            OptionalLong existing = target.size(blob);
            return existing.isPresent() && existing.getAsLong() == storedSize;
        } catch (IOException | RuntimeException e) {
            throw targetFailed(blob, e);
        }
    }

    private static BackupException changed(String name) {
        return new BackupException(BackupException.Problem.SOURCE_FAILED, name,
                name + " changed while it was being backed up (a pinned file must not change)");
    }

    /**
     * Copies a backup that succeeded on the primary target to the mirror, files first (as stored,
     * so still encrypted), manifest last. Returns null when done, otherwise why not: the backup
     * stands on the primary target either way.
     */
    private String copyToMirror(Manifest m, byte[] manifest) {
        String current = null;
        try {
            for (Manifest.FileEntry f : m.allFiles()) {
                String blob = blobKey(f.sha256(), m.keyId());
                current = blob;
                long size = target.size(blob).orElseThrow(() -> new NoSuchFileException(blob));
                OptionalLong there = mirror.size(blob);
                if (there.isEmpty() || there.getAsLong() != size) {
                    mirror.put(blob, () -> target.get(blob), size);
                }
            }
            current = manifestKey(m.id());
            mirror.sync();
            mirror.put(manifestKey(m.id()), () -> new ByteArrayInputStream(manifest), manifest.length);
            mirror.sync();
            return null;
        } catch (IOException | RuntimeException e) {
            String why = "backup " + m.id() + " succeeded on " + target.describe() + " but copying it to the mirror "
                    + mirror.describe() + " failed at " + current + ": " + e.getMessage()
                    + "; the mirror lacks this backup (the next backup copies what is missing)";
            LOG.error("{}", why, e);
            return why;
        }
    }

    private BackupException targetFailed(String what, Exception e) {
        if (e instanceof BackupException b) {
            return b;
        }
        String where = rag == null ? "" : " The live data in " + rag.directory() + " is unaffected;";
        return new BackupException(BackupException.Problem.TARGET_FAILED, what, "storing " + what + " on "
                + target.describe() + " failed:" + where + " no manifest was written, so this backup does not exist. Cause: "
                + e.getMessage(), e);
    }

    private String newId(Instant at) throws IOException {
        String base = ID.format(at);
        String id = base;
        for (int i = 1; target.size(manifestKey(id)).isPresent(); i++) {
            id = base + "-" + i;
        }
        return id;
    }

    // ---------------------------------------------------------------- list

    /**
     * Every backup in the repository whose manifest can be read, oldest first. An unreadable
     * manifest is logged and left out (verify it by id to see why).
     */
    public List<Manifest> list() {
        List<Manifest> out = new ArrayList<>();
        for (String k : manifestKeys()) {
            try {
                out.add(readManifest(k));
            } catch (BackupException e) {
                LOG.warn("Skipping unreadable backup manifest {}: {}", k, e.getMessage());
            }
        }
        return out;
    }

    /**
     * The manifest of backup {@code id}.
     *
     * @throws BackupException NOT_FOUND, BAD_MANIFEST, UNSAFE_PATH or INCOMPATIBLE
     */
    public Manifest manifest(String id) {
        Manifest.checkId(id);
        return readManifest(manifestKey(id));
    }

    private List<String> manifestKeys() {
        try {
            return target.list(MANIFESTS).stream().filter(k -> k.endsWith(MANIFEST_SUFFIX)).toList();
        } catch (IOException e) {
            throw targetFailed(MANIFESTS, e);
        }
    }

    private Manifest readManifest(String k) {
        byte[] bytes;
        try (InputStream in = target.get(k)) {
            bytes = in.readNBytes(1 << 24);
        } catch (NoSuchFileException e) {
            throw new BackupException(BackupException.Problem.NOT_FOUND, k, "no backup " + k + " in " + target.describe());
        } catch (IOException e) {
            throw new BackupException(BackupException.Problem.TARGET_FAILED, k, "cannot read " + k + " from "
                    + target.describe() + ": " + e.getMessage(), e);
        }
        Manifest m = Manifest.parse(bytes, k);
        if (!manifestKey(m.id()).equals(k)) {
            throw new BackupException(BackupException.Problem.BAD_MANIFEST, k, "the manifest " + k + " names backup " + m.id());
        }
        return m;
    }

    // ---------------------------------------------------------------- verify

    /**
     * Verifies backup {@code id} (see {@link VerifyDepth}). A deep verification restores into a
     * scratch directory (deleted afterwards) and never touches the live DocRag.
     *
     * @throws BackupException naming the file or check that failed
     */
    public VerifyReport verify(String id, VerifyDepth depth) {
        Objects.requireNonNull(depth, "depth");
        long started = System.nanoTime();
        try {
            Manifest m = manifest(id);
            VerifyReport report;
            if (depth == VerifyDepth.QUICK) {
                long bytes = 0;
                for (Manifest.FileEntry f : m.allFiles()) {
                    bytes += read(m, f, OutputStream.nullOutputStream());
                }
                report = new VerifyReport(id, depth, clock.instant(), m.allFiles().size(), bytes,
                        List.of("manifest checksum", "files present, sizes, SHA-256"), Duration.ofNanos(System.nanoTime() - started));
            } else {
                Path dir = scratchDirectory(id);
                try {
                    long bytes = materialise(m, dir, null);
                    List<String> checks = check(m, dir, null);
                    report = new VerifyReport(id, depth, clock.instant(), m.allFiles().size(), bytes, checks,
                            Duration.ofNanos(System.nanoTime() - started));
                } finally {
                    deleteTree(dir);
                }
                lastVerification = report.verifiedAt();
                lastVerificationFailed = false;
            }
            LOG.info("Verified backup {} ({}): {} files, {} bytes, in {} ms", id, depth, report.files(), report.bytes(),
                    report.took().toMillis());
            return report;
        } catch (RuntimeException e) {
            lastVerificationFailed = true;
            LOG.warn("Verification of backup {} ({}) failed: {}", id, depth, e.getMessage());
            throw e;
        }
    }

    private Path scratchDirectory(String id) {
        try {
            Path parent = scratch != null ? Files.createDirectories(scratch) : Files.createTempDirectory("docrag-verify-");
            return parent.resolve("verify-" + id + "-" + UUID.randomUUID().toString().substring(0, 8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a scratch directory: " + e.getMessage(), e);
        }
    }

    /**
     * Reads one stored file, verifying presence, size and SHA-256 (and authenticity, if
     * encrypted), and writes its content to {@code out}.
     */
    private long read(Manifest m, Manifest.FileEntry f, OutputStream out) {
        BackupKey k = keyFor(m);
        String blob = blobKey(f.sha256(), m.keyId());
        long storedSize = k == null ? f.size() : Encryption.encryptedSize(f.size());
        OptionalLong size;
        try {
            size = target.size(blob);
        } catch (IOException | RuntimeException e) {
            throw targetFailed(blob, e);
        }
        if (size.isEmpty()) {
            throw new BackupException(BackupException.Problem.MISSING, f.name(), "backup " + m.id() + ": " + f.name()
                    + " (stored as " + blob + ") is missing from " + target.describe());
        }
        if (size.getAsLong() != storedSize) {
            throw new BackupException(BackupException.Problem.TRUNCATED, f.name(), "backup " + m.id() + ": " + f.name()
                    + " (stored as " + blob + ") has " + size.getAsLong() + " bytes, the manifest says " + storedSize);
        }
        MessageDigest sha = sha256();
        long n;
        try (InputStream raw = target.get(blob);
             InputStream plain = new DigestInputStream(k == null ? raw : Encryption.decrypt(k, raw), sha)) {
            n = plain.transferTo(out);
        } catch (NoSuchFileException e) {
            throw new BackupException(BackupException.Problem.MISSING, f.name(), "backup " + m.id() + ": " + f.name()
                    + " (stored as " + blob + ") vanished from " + target.describe());
        } catch (IOException e) {
            throw new BackupException(BackupException.Problem.CORRUPT, f.name(), "backup " + m.id() + ": " + f.name()
                    + " (stored as " + blob + ") cannot be read back: " + e.getMessage(), e);
        }
        if (n != f.size()) {
            throw new BackupException(BackupException.Problem.TRUNCATED, f.name(), "backup " + m.id() + ": " + f.name()
                    + " reads back as " + n + " bytes, the manifest says " + f.size());
        }
        String got = HexFormat.of().formatHex(sha.digest());
        if (!got.equals(f.sha256())) {
            throw new BackupException(BackupException.Problem.CORRUPT, f.name(), "backup " + m.id() + ": " + f.name()
                    + " (stored as " + blob + ") has SHA-256 " + got + ", the manifest says " + f.sha256());
        }
        return n;
    }

    private BackupKey keyFor(Manifest m) {
        if (m.keyId() == null) {
            return null;
        }
        if (key == null) {
            throw new BackupException(BackupException.Problem.WRONG_KEY, null, "backup " + m.id()
                    + " is encrypted (key id " + m.keyId() + "); configure its key with encryptionKey(...)");
        }
        if (!key.id().equals(m.keyId())) {
            throw new BackupException(BackupException.Problem.WRONG_KEY, null, "backup " + m.id() + " was encrypted with key id "
                    + m.keyId() + ", but the configured key has id " + key.id() + ": wrong key");
        }
        return key;
    }

    /**
     * Writes backup {@code m} as a DocRag directory {@code dir} (which must not exist): the index
     * files under {@code index/}, the catalog imported from its export, the identity file. Every
     * file is verified as it is read; nothing outside {@code dir} is written.
     */
    private long materialise(Manifest m, Path dir, SharedCatalog shared) {
        keyFor(m);
        long bytes = 0;
        try {
            Files.createDirectories(dir.getParent());
            Files.createDirectory(dir);
            Path index = Files.createDirectory(dir.resolve(IndexSnapshot.INDEX_DIRECTORY));
            for (Manifest.FileEntry f : m.files()) {
                Path dest = index.resolve(Manifest.checkName(f.name())).normalize();
                if (!dest.getParent().equals(index)) {
                    throw new BackupException(BackupException.Problem.UNSAFE_PATH, f.name(), "refusing " + f.name());
                }
                try (OutputStream out = Files.newOutputStream(dest, StandardOpenOption.CREATE_NEW)) {
                    bytes += read(m, f, out);
                }
            }
            if (m.catalog() != null) {
                Path script = dir.resolve(".catalog-import");
                boolean gzipped = m.catalog().name().endsWith(".gz");
                try (OutputStream file = Files.newOutputStream(script, StandardOpenOption.CREATE_NEW)) {
                    if (gzipped) {
                        Path gz = dir.resolve(".catalog-import.gz");
                        try (OutputStream out = Files.newOutputStream(gz, StandardOpenOption.CREATE_NEW)) {
                            bytes += read(m, m.catalog(), out); // verified before it is decompressed
                        }
                        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz), 1 << 16)) {
                            in.transferTo(file);
                        } finally {
                            Files.deleteIfExists(gz);
                        }
                    } else {
                        bytes += read(m, m.catalog(), file);
                    }
                }
                long seq;
                try {
                    seq = shared != null && isRows(m)
                            ? IndexSnapshot.restoreCatalog(shared.jdbcUrl, shared.user, shared.password, shared.schema, script)
                            : IndexSnapshot.restoreCatalog(dir, script);
                } catch (DocRagException e) {
                    throw new BackupException(BackupException.Problem.VERIFY_FAILED, m.catalog().name(),
                            "backup " + m.id() + ": the catalog export does not import: " + e.getMessage(), e);
                } finally {
                    Files.deleteIfExists(script);
                }
                if (seq != m.sequence()) {
                    throw new BackupException(BackupException.Problem.VERIFY_FAILED, m.catalog().name(), "backup " + m.id()
                            + ": the catalog agrees with write " + seq + ", the index is at write " + m.sequence());
                }
            }
            Files.writeString(dir.resolve(IndexSnapshot.IDENTITY_FILE), m.identity() + "\n", StandardCharsets.US_ASCII);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the restored copy in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Deep checks of a materialised backup; returns the names of the checks that passed. */
    private List<String> check(Manifest m, Path dir, SharedCatalog shared) {
        List<String> checks = new ArrayList<>(List.of("manifest checksum", "files present, sizes, SHA-256"));
        if (m.catalog() != null) {
            checks.add("catalog imports at write " + m.sequence() + (shared != null && isRows(m) ? " into schema " + shared.schema : ""));
        }
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (Directory d = FSDirectory.open(dir.resolve(IndexSnapshot.INDEX_DIRECTORY)); CheckIndex ci = new CheckIndex(d)) {
            ci.setInfoStream(new PrintStream(log, true, StandardCharsets.UTF_8));
            CheckIndex.Status status = ci.checkIndex();
            if (!status.clean) {
                String out = log.toString(StandardCharsets.UTF_8);
                throw new BackupException(BackupException.Problem.VERIFY_FAILED, null, "backup " + m.id()
                        + ": CheckIndex found problems: " + out.substring(Math.max(0, out.length() - 2000)));
            }
        } catch (IOException e) {
            throw new BackupException(BackupException.Problem.VERIFY_FAILED, null, "backup " + m.id()
                    + ": CheckIndex failed: " + e.getMessage(), e);
        }
        checks.add("CheckIndex clean");
        if (embedder == null) {
            throw new IllegalStateException("deep verification opens the restored DocRag: configure embedder(...)");
        }
        if (!embedder.model().id().equals(m.modelId())) {
            LOG.warn("Backup {} was built with model {}, the configured embedder is {}: not opening it as a DocRag",
                    m.id(), m.modelId(), embedder.model().id());
            return checks;
        }
        DocRag.Builder open = DocRag.builder().directory(dir).embedder(embedder);
        if (shared != null && isRows(m)) {
            open.catalogUrl(shared.jdbcUrl, shared.user, shared.password).catalogSchema(shared.schema);
        }
        try (DocRag restored = open.build()) {
            int docs = restored.documentCount();
            long chunks = restored.stats().chunks();
            if (docs != m.documents() || chunks != m.chunks()) {
                throw new BackupException(BackupException.Problem.VERIFY_FAILED, null, "backup " + m.id() + ": restored "
                        + docs + " documents and " + chunks + " chunks, the manifest says " + m.documents() + " and " + m.chunks());
            }
            checks.add("DocRag opens with " + docs + " documents and " + chunks + " chunks");
            for (GoldenQuery g : goldenQueries) {
                List<Hit> hits = restored.search(SearchRequest.hybrid(g.text()).tenant(g.tenant()).k(5));
                boolean ok = !hits.isEmpty() && g.expected().map(e -> hits.stream().anyMatch(h -> h.documentId().equals(e))).orElse(true);
                if (!ok) {
                    throw new BackupException(BackupException.Problem.VERIFY_FAILED, null, "backup " + m.id()
                            + ": the golden query '" + g.text() + "' (tenant " + g.tenant() + ") found "
                            + hits.stream().map(Hit::documentId).toList() + g.expected().map(e -> ", expected " + e).orElse(""));
                }
            }
            if (!goldenQueries.isEmpty()) {
                checks.add(goldenQueries.size() + " golden queries");
            }
        } catch (BackupException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BackupException(BackupException.Problem.VERIFY_FAILED, null, "backup " + m.id()
                    + ": the restored copy does not open as a DocRag: " + e.getMessage(), e);
        }
        return checks;
    }

    // ---------------------------------------------------------------- restore

    /** {@link #restore(String, Path, boolean)} without force. */
    public RestoreReport restore(String id, Path directory) {
        return restore(id, directory, false);
    }

    /**
     * Restores backup {@code id} as the DocRag directory {@code directory}. The DocRag on it must
     * be closed (its index lock is checked). Steps: the backup is written into a new directory
     * beside it ({@code <name>.restore-<id>-<random>}), every file verified as it is read; that
     * copy is verified deeply ({@link VerifyDepth#DEEP}); only then is it swapped in:
     * <ul>
     *   <li>if {@code directory} is a symbolic link (the generation layout), a new link to the new
     *       directory replaces it in one atomic rename; the previous target stays;</li>
     *   <li>if it is a directory, it is renamed to {@code <name>.before-restore-<id>-<random>} and
     *       the new one renamed into its place (two atomic renames on one filesystem);</li>
     *   <li>if it does not exist, the new directory is renamed to it.</li>
     * </ul>
     * With {@link Builder#restoreCatalogTo} and a backup of a shared catalog, the catalog is first
     * imported into a new schema and swapped in (two schema renames in one transaction) just before
     * the directory. The swap is recorded first in {@code <directory>.restore-journal}; a crash
     * during it is completed by {@link #recoverInterruptedRestore}, which this method calls before
     * anything else. If anything fails before the swap, the new directory (and schema) is deleted
     * and {@code directory} is untouched.
     *
     * @param force restore even a backup of another embedding model or a newer DocRag index
     *              format (which then cannot be opened as a DocRag by this version)
     * @throws BackupException NOT_FOUND, INCOMPATIBLE, IN_USE, WRONG_KEY, or what verification found
     */
    public RestoreReport restore(String id, Path directory, boolean force) {
        Objects.requireNonNull(directory, "directory");
        lock.lock();
        long started = System.nanoTime();
        try {
            Manifest m = manifest(id);
            checkCompatible(m, force);
            Path live = directory.toAbsolutePath().normalize();
            recoverInterruptedRestore(live);
            Path parent = live.getParent();
            String name = live.getFileName().toString();
            String rand = UUID.randomUUID().toString().substring(0, 8);
            String tag = id + "-" + rand;
            Path generation = parent.resolve(name + ".restore-" + tag);
            SharedCatalog staging = shared != null && isRows(m) ? shared.staging(rand) : null;
            VerifyReport verified;
            try {
                ensureNotInUse(live);
                long bytes = materialise(m, generation, staging);
                List<String> checks = check(m, generation, staging);
                verified = new VerifyReport(id, VerifyDepth.DEEP, clock.instant(), m.allFiles().size(), bytes, checks,
                        Duration.ofNanos(System.nanoTime() - started));
                lastVerification = verified.verifiedAt();
                lastVerificationFailed = false;
                hook.at("verified");
            } catch (RuntimeException | IOException e) {
                if (!(e instanceof BackupException b && b.problem() == BackupException.Problem.IN_USE)) {
                    lastVerificationFailed = true;
                }
                deleteTree(generation);
                if (staging != null) {
                    staging.dropQuietly();
                }
                LOG.warn("Restore of backup {} into {} failed before the swap; {} is untouched: {}", id, live, live, e.getMessage());
                if (e instanceof IOException io) {
                    throw new UncheckedIOException(io);
                }
                throw (RuntimeException) e;
            }
            Path previous = swap(live, generation, name + ".before-restore-" + tag, staging, rand);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            LOG.info("Restored backup {} (write {}, {} documents) into {} in {} ms; previous data kept at {}{}", id, m.sequence(),
                    m.documents(), live, took.toMillis(), previous,
                    staging == null ? "" : ", previous catalog in schema " + shared.before(rand));
            return new RestoreReport(id, live, generation, previous, verified, took);
        } finally {
            lock.unlock();
        }
    }

    private static boolean isRows(Manifest m) {
        return m.catalog() != null && m.catalog().name().startsWith(Manifest.CATALOG_ROWS_NAME);
    }

    /** Where a restore puts a shared catalog (see {@link Builder#restoreCatalogTo}). */
    private record SharedCatalog(String jdbcUrl, String user, String password, String schema) {
        /** The schema a restore imports into before the swap: a new name beside the live schema. */
        SharedCatalog staging(String rand) {
            return new SharedCatalog(jdbcUrl, user, password, base() + "_restore_" + rand);
        }

        String before(String rand) {
            return base() + "_before_" + rand;
        }

        private String base() {
            return schema.length() > 40 ? schema.substring(0, 40) : schema;
        }

        java.sql.Connection connect() throws java.sql.SQLException {
            return java.sql.DriverManager.getConnection(jdbcUrl, user, password);
        }

        boolean exists(java.sql.Connection c, String s) throws java.sql.SQLException {
            try (java.sql.PreparedStatement ps = c.prepareStatement(
                    "SELECT COUNT(*) FROM information_schema.schemata WHERE LOWER(schema_name) = LOWER(?)")) {
                ps.setString(1, s);
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1) > 0;
                }
            }
        }

        void dropQuietly() {
            try (java.sql.Connection c = connect(); java.sql.Statement st = c.createStatement()) {
                if (exists(c, schema)) {
                    st.execute("DROP SCHEMA " + schema + " CASCADE");
                }
            } catch (java.sql.SQLException e) {
                LOG.warn("Could not drop the restore's staging schema {}: {}", schema, e.getMessage());
            }
        }
    }

    /** Failure injection for tests: called at named steps of a restore. */
    @FunctionalInterface
    interface RestoreHook {
        RestoreHook NONE = step -> {
        };

        void at(String step) throws IOException;
    }

    /** The journal of a restore's swap, beside the live directory: present only while a swap is under way. */
    private static Path journal(Path live) {
        return live.resolveSibling(live.getFileName() + ".restore-journal");
    }

    /**
     * Finishes a restore whose swap was interrupted (a crash between its renames): the restored
     * copy had been verified before the swap began, so the swap is completed (rolled forward). The
     * state is read from {@code <directory>.restore-journal}; without one this does nothing.
     * {@link #restore} calls it first; a host may call it before opening DocRag on {@code directory}.
     *
     * @return true if an interrupted swap was completed
     */
    public boolean recoverInterruptedRestore(Path directory) {
        Path live = directory.toAbsolutePath().normalize();
        Path journal = journal(live);
        if (!Files.exists(journal)) {
            return false;
        }
        lock.lock();
        try {
            Map<String, String> j = new java.util.HashMap<>();
            for (String line : Files.readAllLines(journal, StandardCharsets.UTF_8)) {
                int sp = line.indexOf(' ');
                if (sp > 0) {
                    j.put(line.substring(0, sp), line.substring(sp + 1));
                }
            }
            Path generation = live.resolveSibling(j.get("generation")).normalize();
            Path aside = live.resolveSibling(j.get("aside")).normalize();
            if (!generation.getParent().equals(live.getParent()) || !aside.getParent().equals(live.getParent())) {
                throw new IllegalStateException("the journal " + journal + " names paths outside " + live.getParent());
            }
            LOG.warn("Completing the interrupted restore swap of {} (journal {})", live, journal);
            if (j.containsKey("schema-staging")) {
                if (shared == null) {
                    throw new IllegalStateException("the interrupted restore of " + live + " also swaps the catalog schema "
                            + j.get("schema-live") + ": configure restoreCatalogTo(...) to complete it");
                }
                swapSchemas(j.get("schema-live"), j.get("schema-staging"), j.get("schema-before"));
            }
            if (Files.exists(generation, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                swapDirectories(live, generation, aside, "link".equals(j.get("live")));
            }
            finishJournal(journal);
            return true;
        } catch (IOException | java.sql.SQLException e) {
            throw new UncheckedIOException("cannot complete the interrupted restore of " + live + ": " + e.getMessage(),
                    e instanceof IOException io ? io : new IOException(e));
        } finally {
            lock.unlock();
        }
    }

    /**
     * The swap: journal first (durable), then the catalog schema (one transaction), then the
     * directory (one or two renames), then the journal goes. A crash in between leaves the journal,
     * and {@link #recoverInterruptedRestore} completes the swap.
     */
    private Path swap(Path live, Path generation, String asideName, SharedCatalog staging, String rand) {
        Path parent = live.getParent();
        Path journal = journal(live);
        boolean link = Files.isSymbolicLink(live);
        Path aside = parent.resolve(asideName);
        try {
            if (!link && Files.exists(live)) {
                ensureNotInUse(live);
            }
            Path previous = link ? parent.resolve(Files.readSymbolicLink(live)).normalize()
                    : Files.exists(live) ? aside : null;
            StringBuilder j = new StringBuilder();
            j.append("generation ").append(generation.getFileName()).append('\n');
            j.append("aside ").append(aside.getFileName()).append('\n');
            j.append("live ").append(link ? "link" : "directory").append('\n');
            if (staging != null) {
                j.append("schema-live ").append(shared.schema).append('\n');
                j.append("schema-staging ").append(staging.schema).append('\n');
                j.append("schema-before ").append(shared.before(rand)).append('\n');
            }
            Path tmp = parent.resolve(journal.getFileName() + ".tmp");
            Files.writeString(tmp, j, StandardCharsets.UTF_8);
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            atomicMove(tmp, journal);
            syncDirectory(parent);
            hook.at("journal-written");
            if (staging != null) {
                swapSchemas(shared.schema, staging.schema, shared.before(rand));
                hook.at("schema-swapped");
            }
            swapDirectories(live, generation, aside, link);
            finishJournal(journal);
            return previous;
        } catch (IOException | java.sql.SQLException e) {
            throw new UncheckedIOException("swapping the restored copy " + generation + " into " + live + " failed: "
                    + e.getMessage() + "; the restored copy is kept at " + generation + (Files.exists(journal)
                    ? " and recoverInterruptedRestore(" + live + ") completes the swap" : ""),
                    e instanceof IOException io ? io : new IOException(e));
        }
    }

    /** Renames the live schema aside and the staging schema into its place, in one transaction; idempotent. */
    private void swapSchemas(String liveSchema, String stagingSchema, String beforeSchema) throws java.sql.SQLException {
        try (java.sql.Connection c = shared.connect()) {
            if (!shared.exists(c, stagingSchema)) {
                return; // done already
            }
            c.setAutoCommit(false);
            try (java.sql.Statement st = c.createStatement()) {
                if (shared.exists(c, liveSchema)) {
                    st.execute("ALTER SCHEMA " + liveSchema + " RENAME TO " + beforeSchema);
                }
                st.execute("ALTER SCHEMA " + stagingSchema + " RENAME TO " + liveSchema);
                c.commit(); // PostgreSQL's DDL is transactional: both renames or neither
            } catch (java.sql.SQLException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** Puts {@code generation} in the place of {@code live}; idempotent, so a recovery can repeat it. */
    private void swapDirectories(Path live, Path generation, Path aside, boolean link) throws IOException {
        Path parent = live.getParent();
        if (link) {
            Path l = parent.resolve("." + live.getFileName() + ".link-" + UUID.randomUUID());
            Files.createSymbolicLink(l, generation.getFileName());
            Files.move(l, live, StandardCopyOption.ATOMIC_MOVE); // rename(2) replaces the old link atomically
        } else {
            if (Files.exists(live, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !Files.exists(aside)) {
                atomicMove(live, aside);
                hook.at("live-moved-aside");
            }
            atomicMove(generation, live);
        }
        syncDirectory(parent);
    }

    private static void finishJournal(Path journal) throws IOException {
        Files.deleteIfExists(journal);
        syncDirectory(journal.getParent());
    }

    private static void syncDirectory(Path dir) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some filesystems cannot sync a directory; the renames are still atomic
        }
    }

    private void checkCompatible(Manifest m, boolean force) {
        List<String> problems = new ArrayList<>();
        if (m.indexFormat() > IndexSnapshot.INDEX_FORMAT) {
            problems.add("it holds DocRag index format " + m.indexFormat() + ", this DocRag reads up to "
                    + IndexSnapshot.INDEX_FORMAT + " (written by a newer DocRag)");
        }
        if (embedder != null && !embedder.model().id().equals(m.modelId())) {
            problems.add("it was built with embedding model " + m.modelId() + ", the configured embedder is "
                    + embedder.model().id());
        }
        if (problems.isEmpty()) {
            return;
        }
        if (!force) {
            throw new BackupException(BackupException.Problem.INCOMPATIBLE, null, "refusing to restore backup " + m.id()
                    + ": " + String.join("; ", problems) + ". Restore with force to do it anyway.");
        }
        LOG.warn("Restoring backup {} although {} (forced)", m.id(), String.join("; ", problems));
    }

    /** Fails with IN_USE if a DocRag (in this or another process) holds the index lock of {@code live}. */
    private static void ensureNotInUse(Path live) {
        Path index = live.resolve(IndexSnapshot.INDEX_DIRECTORY);
        if (!Files.isDirectory(index)) {
            return;
        }
        try (Directory d = FSDirectory.open(index); Lock l = d.obtainLock(IndexWriter.WRITE_LOCK_NAME)) {
            l.ensureValid();
        } catch (LockObtainFailedException e) {
            throw new BackupException(BackupException.Problem.IN_USE, null, live + " is in use by an open DocRag"
                    + " (its index lock is held): close it before restoring. Nothing was changed.", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check whether " + live + " is in use: " + e.getMessage(), e);
        }
    }

    private static void atomicMove(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + from + " to " + to + " atomically (different filesystems?)", e);
        }
    }

    // ---------------------------------------------------------------- prune and delete

    /**
     * Applies the {@link Retention} policy: deletes the manifests of backups it does not keep, then
     * every stored file no remaining manifest lists, and leftovers of interrupted writes.
     */
    public PruneReport prune() {
        lock.lock();
        try {
            List<Manifest> all = list();
            List<String> keep = retention.keep(all, clock.instant());
            List<String> deleted = new ArrayList<>();
            for (Manifest m : all) {
                if (!keep.contains(m.id())) {
                    deleteManifest(m.id());
                    deleted.add(m.id());
                }
            }
            PruneReport r = collectGarbage(deleted, keep);
            LOG.info("Pruned {}: deleted backups {}, kept {}, deleted {} unreferenced files ({} bytes)", target.describe(),
                    deleted, keep.size(), r.deletedFiles(), r.freedBytes());
            return r;
        } finally {
            lock.unlock();
        }
    }

    /** Deletes backup {@code id} and the stored files no other backup lists. */
    public PruneReport delete(String id) {
        lock.lock();
        try {
            Manifest.checkId(id);
            try {
                if (target.size(manifestKey(id)).isEmpty()) {
                    throw new BackupException(BackupException.Problem.NOT_FOUND, manifestKey(id), "no backup "
                            + manifestKey(id) + " in " + target.describe());
                }
            } catch (IOException e) {
                throw targetFailed(manifestKey(id), e);
            }
            deleteManifest(id); // even an unreadable (damaged) manifest can be deleted
            return collectGarbage(List.of(id), list().stream().map(Manifest::id).toList());
        } finally {
            lock.unlock();
        }
    }

    private void deleteManifest(String id) {
        try {
            target.delete(manifestKey(id));
        } catch (IOException e) {
            throw targetFailed(manifestKey(id), e);
        }
    }

    private PruneReport collectGarbage(List<String> deleted, List<String> kept) {
        Set<String> referenced = new HashSet<>();
        for (String k : manifestKeys()) {
            try {
                Manifest m = readManifest(k);
                for (Manifest.FileEntry f : m.allFiles()) {
                    referenced.add(blobKey(f.sha256(), m.keyId()));
                }
            } catch (BackupException e) {
                LOG.warn("Not deleting any stored file: the manifest {} cannot be read, and its files must not be lost ({})",
                        k, e.getMessage());
                return new PruneReport(deleted, kept, 0, 0);
            }
        }
        int files = 0;
        long bytes = 0;
        try {
            for (String blob : target.list(BLOBS)) {
                if (!referenced.contains(blob)) {
                    bytes += target.size(blob).orElse(0);
                    target.delete(blob);
                    files++;
                }
            }
            target.cleanUpInterrupted();
        } catch (IOException e) {
            throw targetFailed(BLOBS, e);
        }
        return new PruneReport(deleted, kept, files, bytes);
    }

    // ---------------------------------------------------------------- scheduling

    /**
     * Runs {@link #backup()} then {@link #prune()} every {@code period} on the host's scheduler,
     * first after one period. A failure is logged (and shows in {@link BackupStatus}); the schedule
     * goes on. Cancel the returned future to stop.
     */
    public ScheduledFuture<?> scheduleOn(ScheduledExecutorService scheduler, Duration period) {
        Objects.requireNonNull(scheduler, "scheduler");
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period must be positive: " + period);
        }
        return scheduler.scheduleWithFixedDelay(this::scheduledRun, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void scheduledRun() {
        try {
            backup();
            prune();
        } catch (RuntimeException e) {
            LOG.error("Scheduled backup to {} failed: {}", target.describe(), e.getMessage(), e);
        }
    }

    /** Stops the built-in scheduler, if {@link Builder#every} started one. Does not close the target or DocRag. */
    @Override
    public void close() {
        if (ownScheduler != null) {
            ownScheduler.shutdownNow();
        }
    }

    // ---------------------------------------------------------------- status

    @Override
    public Optional<Instant> lastSuccess() {
        return Optional.ofNullable(lastSuccess);
    }

    @Override
    public Optional<Duration> lastDuration() {
        return Optional.ofNullable(lastDuration);
    }

    @Override
    public OptionalLong lastBytes() {
        long b = lastBytes;
        return b < 0 ? OptionalLong.empty() : OptionalLong.of(b);
    }

    @Override
    public Optional<Instant> lastVerification() {
        return Optional.ofNullable(lastVerification);
    }

    @Override
    public boolean lastVerificationFailed() {
        return lastVerificationFailed;
    }

    /** The target this manager stores to. */
    public BackupTarget target() {
        return target;
    }

    // ---------------------------------------------------------------- helpers

    static String manifestKey(String id) {
        return MANIFESTS + id + MANIFEST_SUFFIX;
    }

    /** Where a file with content {@code sha} is stored: plain, or encrypted under key {@code keyId}. */
    static String blobKey(String sha, String keyId) {
        return BLOBS + sha.substring(0, 2) + "/" + sha + (keyId == null ? "" : "." + keyId);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    private static String sha256(InputStream in, long expected, String name) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[1 << 20];
        long total = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
            md.update(buf, 0, n);
            total += n;
        }
        if (total != expected) {
            throw new BackupException(BackupException.Problem.SOURCE_FAILED, name, name + " has " + total
                    + " bytes, the snapshot listed " + expected);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warn("Could not delete {}: {}", dir, e.toString());
        }
    }

    /**
     * Configures a {@link BackupManager}; {@link #build()} fails fast on a missing target. Defaults:
     * {@link Retention#defaults()}, no encryption, no golden queries, scratch space in the system
     * temporary directory, no built-in schedule.
     */
    public static final class Builder {
        private final DocRag rag;
        private BackupTarget target;
        private BackupTarget mirror;
        private Retention retention = Retention.defaults();
        private BackupKey key;
        private Embedder embedder;
        private final List<GoldenQuery> goldenQueries = new ArrayList<>();
        private Path scratch;
        private Clock clock = Clock.systemUTC();
        private Duration every;
        private int copyThreads = 2;
        private SharedCatalog shared;
        private RestoreHook hook = RestoreHook.NONE;

        private Builder(DocRag rag) {
            this.rag = rag;
        }

        /** Where backups go (required). */
        public Builder target(BackupTarget target) {
            this.target = Objects.requireNonNull(target, "target");
            return this;
        }

        /**
         * A second target (typically remote: S3) that every backup is copied to after it
         * succeeded on {@link #target}. A failure there does not fail the backup: it is logged
         * and reported in {@link BackupReport#mirrorFailure()}. Restore from the mirror with a
         * manager whose target it is. Prune does not touch the mirror; give it its own manager.
         */
        public Builder mirror(BackupTarget mirror) {
            this.mirror = Objects.requireNonNull(mirror, "mirror");
            return this;
        }

        /** Which backups {@link BackupManager#prune()} keeps; default {@link Retention#defaults()}. */
        public Builder retention(Retention retention) {
            this.retention = Objects.requireNonNull(retention, "retention");
            return this;
        }

        /** Encrypts new backups with AES-256-GCM under {@code key}, and reads backups encrypted with it. */
        public Builder encryptionKey(BackupKey key) {
            this.key = Objects.requireNonNull(key, "key");
            return this;
        }

        /**
         * The embedder to open restored copies with (deep verification, restore); default the
         * DocRag's. Must be the model the backups were made with.
         */
        public Builder embedder(Embedder embedder) {
            this.embedder = Objects.requireNonNull(embedder, "embedder");
            return this;
        }

        /** Searches every deep verification and restore must answer (see {@link GoldenQuery}). */
        public Builder goldenQueries(List<GoldenQuery> queries) {
            this.goldenQueries.addAll(List.copyOf(queries));
            return this;
        }

        /** Where deep verification restores to (a sub-directory per run, deleted afterwards). */
        public Builder scratchDirectory(Path directory) {
            this.scratch = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /**
         * How many files a backup reads and stores at once; default 2. Hashing (SHA-256) is the
         * CPU work of a backup; each thread takes one core while it runs, so keep this below the
         * cores that searches need.
         */
        public Builder copyThreads(int threads) {
            if (threads < 1 || threads > 64) {
                throw new IllegalArgumentException("copyThreads must be 1..64, got " + threads);
            }
            this.copyThreads = threads;
            return this;
        }

        /**
         * Where restores put a shared catalog (backups of a DocRag whose catalog is PostgreSQL
         * carry a logical export of its tables): schema {@code schema} of the database at
         * {@code jdbcUrl}, which the restored DocRag then opens with {@code catalogUrl(jdbcUrl, ...)}
         * and {@code catalogSchema(schema)}. The restore imports into a new schema beside it
         * ({@code <schema>_restore_<random>}), verifies the restored copy against that, and swaps:
         * the live schema is renamed to {@code <schema>_before_<random>} and the new one into its
         * place in one transaction, just before the directory swap. Without this, a restore
         * imports such an export into the restored directory's own H2 catalog.
         */
        public Builder restoreCatalogTo(String jdbcUrl, String user, String password, String schema) {
            if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:")) {
                throw new IllegalArgumentException("restoreCatalogTo needs a JDBC URL (jdbc:postgresql://...), got " + jdbcUrl);
            }
            if (schema == null || !schema.matches("[A-Za-z_][A-Za-z0-9_]{0,62}")) {
                throw new IllegalArgumentException("restoreCatalogTo needs a plain schema name, got " + schema);
            }
            this.shared = new SharedCatalog(jdbcUrl, user, password, schema.toLowerCase(java.util.Locale.ROOT));
            return this;
        }

        /** Failure injection at named restore steps; for tests. */
        Builder restoreHook(RestoreHook hook) {
            this.hook = Objects.requireNonNull(hook, "hook");
            return this;
        }

        /** The clock for backup times and retention; for tests. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Backs up and prunes every {@code period} on a built-in daemon thread, stopped by
         * {@link BackupManager#close()}. For a host scheduler use {@link BackupManager#scheduleOn}.
         */
        public Builder every(Duration period) {
            if (period.isNegative() || period.isZero()) {
                throw new IllegalArgumentException("period must be positive: " + period);
            }
            this.every = period;
            return this;
        }

        public BackupManager build() {
            if (target == null) {
                throw new IllegalStateException("target(...) is required");
            }
            if (every != null && rag == null) {
                throw new IllegalStateException("every(...) takes backups: build with builder(rag)");
            }
            BackupManager m = new BackupManager(this);
            try {
                List<Manifest> existing = m.list();
                if (!existing.isEmpty()) {
                    m.lastSuccess = existing.get(existing.size() - 1).created();
                }
            } catch (RuntimeException e) {
                LOG.warn("Cannot list the backups on {}: {}", target.describe(), e.getMessage());
            }
            if (m.ownScheduler != null) {
                m.scheduleOn(m.ownScheduler, every);
            }
            return m;
        }
    }
}
