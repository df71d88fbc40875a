package dev.docrag.index;

import dev.docrag.core.Chunk;
import dev.docrag.core.DocRagException;
import dev.docrag.core.Document;
import dev.docrag.core.DocumentProblem;
import dev.docrag.core.chunk.Chunker;
import dev.docrag.core.embed.Embedder;
import dev.docrag.core.embed.EmbedderException;
import dev.docrag.core.embed.ModelInfo;
import dev.docrag.core.embed.OnnxEmbedder;
import dev.docrag.core.load.FileLoader;
import dev.docrag.core.load.Listing;
import dev.docrag.core.load.LoadException;
import dev.docrag.core.redact.Redactor;
import io.micrometer.observation.ObservationRegistry;
import org.apache.lucene.store.Directory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

import javax.sql.DataSource;

/**
 * DocRag's entry point: a search index over an application's documents, kept in one directory
 * (a Lucene index and, by default, an H2 catalog; the catalog may live in a shared PostgreSQL
 * database instead, see {@link Builder#catalogUrl}), searchable by meaning, by keyword, or both,
 * per tenant and per caller.
 *
 * <pre>{@code
 * try (DocRag rag = DocRag.builder().directory(Path.of("data/docrag")).build()) {
 *     rag.ingest(Path.of("docs"));                               // files, tenant "default"
 *     rag.upsert(DocumentInput.builder("acme", "policy-7")       // or documents from anywhere
 *             .title("Travel policy").text("...").accessGroups("staff").build());
 *     List<Hit> hits = rag.search(SearchRequest.hybrid("how do I book a flight?")
 *             .tenant("acme").accessGroups("staff").k(5));
 * }
 * }</pre>
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Thread-safe. Searches run concurrently with each other and with writes and never wait for
 *       them or for merges; writes ({@code ingest}, {@code upsert}, {@code delete},
 *       {@code forceMerge}) are serialised.</li>
 *   <li><b>Acknowledged means durable and visible:</b> when a write method returns, its changes
 *       are committed to disk (Lucene first, then the catalog) and every later search sees them.
 *       There is no separate {@code commit()}; batch documents in one {@link #upsert(List)} call
 *       for throughput, since each call costs one commit.</li>
 *   <li><b>Crash-safe:</b> an acknowledged write survives kill -9 and power loss. The index commit is
 *       the record; opening after a crash makes the catalog agree with the last index commit, so
 *       every document is wholly at its last acknowledged version, and a write that was in flight
 *       is wholly applied or wholly absent. A write that fails (a full disk, a catalog error)
 *       throws a {@link DocRagException} naming the cause and leaves the last commit intact.</li>
 *   <li>A document is identified by (tenant, id). Its chunks are replaced or deleted all at once:
 *       a search sees its old or its new version, never a mix, and never part of it.</li>
 *   <li>Tenant, access groups and metadata filters are part of the index query on every search
 *       path (see {@link SearchRequest}); a request cannot be built without a tenant scope.</li>
 *   <li>One bad document never stops a batch; it is reported in the {@link IngestReport} with a
 *       typed reason, and its previous version stays searchable.</li>
 *   <li>Every {@code ingest} and {@code upsert} call is recorded in the catalog as a run with its
 *       counts and one row per failure, in the same transaction as its documents' rows.</li>
 *   <li>A catalog belongs to one directory: opening it from another directory fails.</li>
 *   <li>With a {@link Builder#redactor(dev.docrag.core.redact.Redactor) redactor} (off by default),
 *       the secrets it recognises are replaced before a document is hashed, chunked, embedded or
 *       stored, and each replacement is counted in the {@link IngestReport}.</li>
 *   <li>The index records the embedding model that built it; opening it with another model fails
 *       with a {@link ModelMismatchException} naming both.</li>
 *   <li>{@link #close()} waits for running calls, then releases files, threads and, if DocRag
 *       created it, the embedder's native memory.</li>
 *   <li>Observable without cost when unobserved: Micrometer observations go to
 *       {@link Builder#observationRegistry} (NOOP by default) and events to
 *       {@link #addListener listeners}; {@link #stats()} is a snapshot for health and metrics.</li>
 * </ul>
 */
public final class DocRag implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DocRag.class);

    /** The tenant of {@link #ingest(Path)} and {@link #search(String, int)}: for single-tenant hosts. */
    public static final String DEFAULT_TENANT = "default";
    private static final String META_MODEL = "model";
    /** The window is divided by this for the context line's budget: 32 of MiniLM's 256 tokens. */
    static final int CONTEXT_SHARE = 8;
    /**
     * Chunks in flight between an ingest's stages (about 12 MB of text and vectors with MiniLM):
     * room for the prepare stage to fill the next group while one is embedded.
     */
    static final int PIPELINE_BUDGET_CHUNKS = 2048;
    /**
     * Chunks the embed stage sorts by length together when that many are ready: the more texts
     * are sorted together, the less padding each model batch carries.
     */
    static final int PIPELINE_GROUP_CHUNKS = 1024;
    /** Chunks per embedder call within a group: how long a stop (Ctrl-C) may wait, a few seconds. */
    static final int PIPELINE_SLICE_CHUNKS = 256;
    /** How often an ingest reports {@link IngestProgress}. */
    static final long PROGRESS_MILLIS = 250;
    /**
     * Part of every content hash: names what is embedded with a chunk, so that documents indexed
     * before the context line existed are re-embedded on their next ingest.
     */
    private static final String EMBEDDED_AS = "embedded=title>breadcrumb+text";

    private final Path directory;
    private final Embedder embedder;
    private final boolean ownsEmbedder;
    private final FileLoader loader;
    private final Chunker chunker;
    private final Redactor redactor; // null: redaction off
    private final ChunkIndex index;
    private final Catalog catalog;
    private final MetadataFields fields;
    private final Instrumentation instrumentation;
    private final ReentrantLock writeLock = new ReentrantLock();
    /**
     * Where every write runs: a thread of DocRag's own, which no host ever interrupts. An
     * interrupt inside I/O closes the file channel in use (Lucene's segment files, H2's store),
     * which would fail the index writer or the catalog; the host's thread only waits.
     */
    private final ExecutorService writeThread = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("docrag-write").daemon().factory());
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed; // volatile: isOpen() reads it without the lifecycle lock
    /** Whether the last query embedding failed, so that a run of degraded searches logs one WARN. */
    private final java.util.concurrent.atomic.AtomicBoolean queryEmbedFailing = new java.util.concurrent.atomic.AtomicBoolean();
    /** The write sequence number of the last index commit (see "Consistency" in docs/architecture.md); under writeLock. */
    private long seq;
    /** An index commit whose catalog transaction failed: the catalog must be reconciled before the next write; under writeLock. */
    private boolean catalogBehind;

    private DocRag(Builder b, Embedder embedder, ChunkIndex index, Catalog catalog, MetadataFields fields) {
        this.directory = b.directory;
        this.embedder = embedder;
        this.ownsEmbedder = b.embedder == null;
        this.loader = b.loader;
        this.chunker = b.chunker != null ? b.chunker : chunker(embedder);
        if (chunker.maxTokens() > embedder.model().maxTokens()) {
            // checked here too, since a default embedder is only known now
            throw new IllegalArgumentException("the chunker's maximum of " + chunker.maxTokens() + " tokens is over "
                    + embedder.model().name() + "'s window of " + embedder.model().maxTokens() + " tokens");
        }
        this.redactor = b.redactor;
        this.index = index;
        this.catalog = catalog;
        this.fields = fields;
        this.instrumentation = new Instrumentation(b.observations, () -> closed);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The chunker for {@code embedder}: its window, three quarters of it as the target, and an
     * eighth of it kept for the title and breadcrumb line embedded with every chunk (see
     * {@link Chunker#embeddingText}), so that the line never pushes a chunk past the window.
     */
    static Chunker chunker(Embedder embedder) {
        return Chunker.builder(embedder).contextTokens(embedder.model().maxTokens() / CONTEXT_SHARE).build();
    }

    /** The embedding model this index is built with. */
    public ModelInfo model() {
        return embedder.model();
    }

    /** The directory holding the index and the catalog. */
    public Path directory() {
        return directory;
    }

    /** Ingests a folder into the {@link #DEFAULT_TENANT}; see {@link #ingest(Path, String)}. */
    public IngestReport ingest(Path folder) {
        return ingest(folder, DEFAULT_TENANT);
    }

    /**
     * Ingests every supported file under {@code folder} (see {@link FileLoader#list}) into
     * {@code tenant}, without access groups: new and changed documents are chunked, embedded and
     * indexed; documents whose content is unchanged since the last run are skipped; documents
     * last ingested from this folder (into this tenant) whose files are gone are deleted and
     * counted as {@link IngestReport#deleted()} (a file that is still there but fails to load keeps
     * its previous version). The run and each failure are recorded in the catalog. A file's
     * loader metadata (such as {@code type} and {@code charset}) becomes STRING metadata. Returns
     * when the run is committed and searchable. Entries the walk could not handle (an unreadable
     * folder, a link loop) are failures of the report like files that could not be loaded; a
     * document whose invalid bytes were replaced while decoding gets an {@code invalid-bytes}
     * notice.
     *
     * @throws UncheckedIOException     if the folder itself cannot be listed
     * @throws IllegalArgumentException if the tenant name is invalid
     * @throws DocRagException          if the index or catalog cannot commit (nothing of this run
     *                                  is then acknowledged)
     */
    public IngestReport ingest(Path folder, String tenant) {
        return ingest(folder, tenant, progress -> { });
    }

    /**
     * {@link #ingest(Path, String)}, reporting {@link IngestProgress} to {@code progress} on the
     * calling thread about every quarter second, for progress bars and logs.
     *
     * <p>Interrupting the calling thread stops the run early and cleanly: what was written
     * before is committed (each document whole, at its new version), the documents not reached
     * keep their previous version, files that disappeared are still removed, and the report says
     * {@link IngestReport#stopped()}. The call returns within about one embedder call (a few
     * seconds) with the thread's interrupt flag set again. Only the calling thread is interrupted;
     * the index's own threads never are (an interrupt inside Lucene's I/O would close its files).
     */
    public IngestReport ingest(Path folder, String tenant, Consumer<IngestProgress> progress) {
        Objects.requireNonNull(progress, "progress");
        return instrumentation.request(DocRagListener.Operation.INGEST, null, () -> ingestNow(folder, tenant, progress));
    }

    private IngestReport ingestNow(Path folder, String tenant, Consumer<IngestProgress> progress) {
        Objects.requireNonNull(folder, "folder");
        DocumentInput.checkTenant(tenant);
        return write(call -> {
            long started = System.nanoTime();
            Instant startedAt = Instant.now();
            Listing listing;
            try {
                listing = loader.list(folder);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + folder + ": " + e.getMessage(), e);
            }
            Batch batch = new Batch(Catalog.RunKind.INGEST, tenant, rootKey(folder), startedAt);
            for (LoadException e : listing.problems()) {
                batch.fail(-1, tenant, skipped(new IngestReport.Failure(e.source(), e.problem(), e.getMessage())));
            }
            List<Path> files = listing.files();
            call.onWait(() -> progress.accept(batch.progress(files.size(), started)));
            IngestPipeline.Outcome outcome = pipeline(batch, files.size(), call.stop(), i -> {
                Path file = files.get(i);
                String source = file.toString();
                try {
                    Document doc = loader.load(folder, file);
                    if (doc.text().isBlank()) {
                        throw new DocumentFailure(DocumentProblem.EMPTY, "no text after extraction", null);
                    }
                    DocumentInput input;
                    try {
                        input = new DocumentInput(tenant, doc.id(), doc.source(), doc.title(), doc.text(),
                                new HashMap<>(doc.metadata()), Set.of(), doc.sections(), doc.pages(), doc.blocks());
                    } catch (IllegalArgumentException e) {
                        throw new DocumentFailure(DocumentProblem.MALFORMED, e.getMessage(), e);
                    }
                    invalidBytesNotice(doc).ifPresent(n -> batch.notice(i, n));
                    return prepare(i, source, input, batch);
                } catch (LoadException e) {
                    batch.fail(i, tenant, skipped(new IngestReport.Failure(source, e.problem(), e.getMessage())));
                } catch (DocumentFailure e) {
                    batch.fail(i, tenant, skipped(new IngestReport.Failure(source, e.problem, source + ": " + e.getMessage())));
                }
                return null;
            });
            planRemovals(folder, tenant, listing, batch);
            boolean stopped = outcome.stopped();
            IngestReport report = commit(batch, started, stopped);
            LOG.info("Ingested {} into tenant {}{}: {} added, {} updated, {} unchanged, {} deleted, {} failed, {} chunks in {} ms"
                            + " (stages busy: prepare {} ms, embed {} ms, write {} ms)",
                    folder, tenant, stopped ? " (stopped early: interrupted)" : "", report.added(), report.updated(),
                    report.unchanged(), report.deleted(), report.failed(), report.chunks(), report.took().toMillis(),
                    outcome.prepareBusy().toMillis(), outcome.embedBusy().toMillis(), outcome.writeBusy().toMillis());
            return report;
        });
    }

    /**
     * Adds or replaces one document; see {@link #upsert(List)}.
     *
     * @throws DocRagException if the document could not be indexed (it then keeps its previous
     *                         version); the message names it and the reason
     */
    public IngestReport upsert(DocumentInput document) {
        Objects.requireNonNull(document, "document");
        IngestReport report = upsert(List.of(document));
        if (!report.failures().isEmpty()) {
            throw new DocRagException(report.failures().get(0).message());
        }
        if (report.stopped() && report.added() + report.updated() + report.unchanged() == 0) {
            throw new DocRagException(document.tenant() + "/" + document.id() + " was not written: the thread was interrupted");
        }
        return report;
    }

    /**
     * Adds or replaces documents, identified by (tenant, id). Each document's chunks replace all
     * of its previous chunks atomically; a document whose content (title, text, source, metadata,
     * access groups) is unchanged is skipped. Returns when the whole batch is committed and
     * searchable. A document that fails (its embedding fails, or a metadata field has another type
     * than the index holds for it) is reported with source {@code tenant/id} and keeps its previous
     * version; the others proceed.
     *
     * @throws DocRagException if the index or catalog cannot commit (nothing of the call is then
     *                         acknowledged)
     */
    public IngestReport upsert(List<DocumentInput> documents) {
        return instrumentation.request(DocRagListener.Operation.UPSERT, null, () -> upsertNow(documents));
    }

    private IngestReport upsertNow(List<DocumentInput> documents) {
        List<DocumentInput> docs = List.copyOf(Objects.requireNonNull(documents, "documents"));
        return write(call -> {
            long started = System.nanoTime();
            Batch batch = new Batch(Catalog.RunKind.UPSERT, singleTenant(docs), null, Instant.now());
            IngestPipeline.Outcome outcome = pipeline(batch, docs.size(), call.stop(), i -> {
                DocumentInput doc = docs.get(i);
                String source = doc.tenant() + "/" + doc.id();
                try {
                    return prepare(i, source, doc, batch);
                } catch (DocumentFailure e) {
                    batch.fail(i, doc.tenant(), skipped(new IngestReport.Failure(source, e.problem, source + ": " + e.getMessage())));
                    return null;
                }
            });
            return commit(batch, started, outcome.stopped());
        });
    }

    /**
     * Deletes one document and all its chunks. Returns when the deletion is committed and visible.
     *
     * @return whether the document existed
     */
    public boolean delete(String tenant, String id) {
        return instrumentation.request(DocRagListener.Operation.DELETE, null, () -> deleteNow(tenant, id));
    }

    private boolean deleteNow(String tenant, String id) {
        DocumentInput.checkTenant(tenant);
        Objects.requireNonNull(id, "id");
        return write(call -> {
            boolean existed = index.chunkCount(tenant, id) > 0;
            index.delete(tenant, id);
            long committed = commitIndex();
            existed |= catalog.delete(List.of(new ChunkIndex.DocKey(tenant, id)), committed) > 0;
            catalogBehind = false;
            index.refresh();
            return existed;
        });
    }

    /**
     * Deletes every document of {@code tenant} whose metadata matches {@code filter}, all its
     * chunks. Returns when the deletion is committed and visible.
     *
     * @return the number of documents deleted
     * @throws IllegalArgumentException if the filter names an unknown field or a value of the
     *                                  wrong type (nothing is deleted)
     */
    public int delete(String tenant, Filter filter) {
        return instrumentation.request(DocRagListener.Operation.DELETE, null, () -> deleteNow(tenant, filter));
    }

    private int deleteNow(String tenant, Filter filter) {
        DocumentInput.checkTenant(tenant);
        Objects.requireNonNull(filter, "filter");
        FilterQueries.toQuery(filter, fields); // validate before touching anything
        return write(call -> {
            List<ChunkIndex.DocKey> keys = index.documents(tenant, filter);
            for (ChunkIndex.DocKey k : keys) {
                index.delete(k.tenant(), k.id());
            }
            long committed = commitIndex();
            catalog.delete(keys, committed);
            catalogBehind = false;
            index.refresh();
            LOG.info("Deleted {} documents of tenant {} matching {}", keys.size(), tenant, filter);
            return keys.size();
        });
    }

    /**
     * Merges the index down to at most {@code maxSegments} segments and commits, for indexes that
     * are mostly read: fewer segments mean fewer HNSW graphs to search. It can take long on a big
     * index and needs up to twice its disk space meanwhile; searches go on, writes wait.
     */
    public void forceMerge(int maxSegments) {
        if (maxSegments < 1) {
            throw new IllegalArgumentException("maxSegments must be at least 1, got " + maxSegments);
        }
        write(call -> {
            long started = System.nanoTime();
            index.forceMerge(maxSegments);
            index.commit();
            index.refresh();
            LOG.info("Force-merged {} to at most {} segments in {} ms", directory, maxSegments,
                    (System.nanoTime() - started) / 1_000_000);
            return null;
        });
    }

    /**
     * A write under the write lock, run on {@link #writeThread} while the calling thread waits;
     * I/O and SQL failures become a {@link DocRagException}. While waiting, the calling thread
     * runs the call's {@link WriteCall#onWait} hook about every {@link #PROGRESS_MILLIS}. An
     * interrupt of the calling thread sets the call's {@link WriteCall#stop} flag (actions that
     * can end early poll it; the others finish) and is set again on the thread when the call
     * returns; a hook that throws does the same, and its exception is thrown once the action has
     * ended. The hook runs once more after the action returned.
     */
    private <T> T write(WriteAction<T> action) {
        lifecycle.readLock().lock();
        writeLock.lock();
        WriteCall call = new WriteCall(new AtomicBoolean(), new AtomicReference<>(() -> { }));
        boolean interrupted = false;
        RuntimeException hookFailure = null;
        try {
            ensureOpen();
            Future<T> result = writeThread.submit(instrumentation.callInCurrentObservation(() -> writeNow(action, call)));
            while (true) {
                try {
                    T value = result.get(PROGRESS_MILLIS, TimeUnit.MILLISECONDS);
                    if (hookFailure != null) {
                        throw hookFailure;
                    }
                    call.hook.get().run(); // the last report: everything settled and committed
                    return value;
                } catch (TimeoutException e) {
                    if (hookFailure == null) {
                        try {
                            call.hook.get().run();
                        } catch (RuntimeException failure) {
                            hookFailure = failure;
                            call.stop.set(true);
                        }
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                    call.stop.set(true);
                } catch (ExecutionException e) {
                    if (hookFailure != null) {
                        hookFailure.addSuppressed(e.getCause());
                        throw hookFailure;
                    }
                    throw rethrown(e.getCause());
                }
            }
        } finally {
            writeLock.unlock();
            lifecycle.readLock().unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The body of {@link #write}, on the write thread. */
    private <T> T writeNow(WriteAction<T> action, WriteCall call) {
        try {
            if (catalogBehind) {
                reconcile();
            }
            return action.run(call);
        } catch (IOException | SQLException | RuntimeException e) {
            discardUncommitted(e);
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new DocRagException("write failed in " + directory + ": " + e.getMessage(), e);
        }
    }

    /** What the write thread threw, as thrown to the caller (the same exception, so its type and message stay). */
    private static RuntimeException rethrown(Throwable cause) {
        if (cause instanceof RuntimeException r) {
            return r;
        }
        if (cause instanceof Error e) {
            throw e;
        }
        return new DocRagException("write failed: " + cause, cause);
    }

    /**
     * One write call as its action sees it: {@code stop} is set when the caller was interrupted;
     * {@code hook} is what the waiting caller runs periodically (progress reports), replaceable
     * by the action.
     */
    private record WriteCall(AtomicBoolean stop, AtomicReference<Runnable> hook) {
        void onWait(Runnable r) {
            hook.set(r);
        }
    }

    /**
     * After a write call failed: chunks it staged but did not commit must not ride along with the
     * next call's commit, which would index documents no catalog transaction ever recorded.
     */
    private void discardUncommitted(Exception failure) {
        if (closed) {
            return; // the call never started; close() rolled the writer back
        }
        try {
            if (index.needsRecovery()) {
                index.recover();
            }
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * Commits the index as the next write (sequence number one up); if the commit fails, the
     * call's staged changes are discarded with {@link #discardUncommitted} by {@link #write}.
     * Until the caller's catalog transaction commits, the catalog is behind the index.
     *
     * @return the new sequence number, to be recorded in the catalog transaction
     */
    private long commitIndex() throws IOException {
        long next = seq + 1;
        try {
            index.commit(next, fields.snapshot());
        } catch (IllegalStateException e) {
            if (index.tragedy() == null) {
                throw e;
            }
            // The writer was closed by an I/O failure, perhaps in a background merge: name it
            // ("No space left on device"), not just Lucene's "unrecoverable error".
            throw new IOException(causes(e), e);
        }
        seq = next;
        catalogBehind = true;
        return next;
    }

    /**
     * Makes the catalog agree with the last index commit, which is the record of every
     * acknowledged write (see "Consistency" in docs/architecture.md): rows are written for
     * documents the index holds as the index holds them, rows of documents it lacks are deleted,
     * metadata fields the index recorded are registered, and the catalog is marked with the
     * index's sequence number. One catalog transaction.
     */
    private void reconcile() throws IOException, SQLException {
        long started = System.nanoTime();
        long catalogSeq = catalog.indexSeq();
        Map<ChunkIndex.DocKey, ChunkIndex.Indexed> indexed = index.inventory();
        Map<ChunkIndex.DocKey, Catalog.Row> rows = new HashMap<>();
        for (Catalog.Row r : catalog.rows()) {
            rows.put(new ChunkIndex.DocKey(r.tenant(), r.id()), r);
        }
        List<Catalog.Row> upserts = new ArrayList<>();
        for (Map.Entry<ChunkIndex.DocKey, ChunkIndex.Indexed> e : indexed.entrySet()) {
            ChunkIndex.DocKey k = e.getKey();
            ChunkIndex.Indexed ix = e.getValue();
            Catalog.Row row = rows.get(k);
            // Chunks written before hashes and roots were stored: trust a row that agrees on the
            // count; otherwise a hash that matches nothing makes the next ingest rewrite it.
            String hash = ix.contentHash() != null ? ix.contentHash()
                    : row != null && row.chunkCount() == ix.chunks() ? row.contentHash() : Catalog.UNKNOWN_HASH;
            String root = ix.rootKnown() ? ix.root() : row != null ? row.root() : null;
            Catalog.Row want = new Catalog.Row(k.tenant(), k.id(), ix.source(), ix.title(), hash, ix.chunks(), root);
            if (!want.equals(row)) {
                upserts.add(want);
            }
        }
        List<ChunkIndex.DocKey> deletes = rows.keySet().stream().filter(k -> !indexed.containsKey(k)).toList();
        Map<String, MetadataType> newFields = new HashMap<>(index.committedFields());
        newFields.keySet().removeAll(fields.snapshot().keySet());
        long indexSeq = index.committedSeq();
        catalog.repair(new Catalog.Repair(upserts, deletes, newFields, indexSeq));
        fields.register(newFields);
        seq = indexSeq;
        catalogBehind = false;
        if (upserts.isEmpty() && deletes.isEmpty() && newFields.isEmpty()) {
            LOG.info("Catalog {} agrees with the index at {} (write {}); checked {} documents in {} ms", catalog.description(),
                    directory, indexSeq, indexed.size(), (System.nanoTime() - started) / 1_000_000);
        } else {
            LOG.warn("Catalog {} was at write {}, the index at write {}: rewrote {} rows from the index, deleted {}"
                    + " rows without chunks, registered {} metadata fields, in {} ms", catalog.description(), catalogSeq,
                    indexSeq, upserts.size(), deletes.size(), newFields.size(), (System.nanoTime() - started) / 1_000_000);
        }
    }

    @FunctionalInterface
    private interface WriteAction<T> {
        T run(WriteCall call) throws IOException, SQLException;
    }

    /** A read: on the caller's thread, under the lifecycle's read lock. */
    @FunctionalInterface
    private interface ReadAction<T> {
        T run() throws IOException, SQLException;
    }

    /**
     * What one write call has staged in the index but not yet committed. The pipeline's stages
     * record into it from their threads: the write stage alone touches the counts of written
     * documents and {@link #written}; failures and notices come from every stage and are kept in
     * input order ({@code order}: the document's place in the call, -1 for the folder's listing).
     */
    private static final class Batch {
        final AtomicInteger added = new AtomicInteger();
        final AtomicInteger updated = new AtomicInteger();
        final AtomicInteger unchanged = new AtomicInteger();
        final AtomicInteger chunks = new AtomicInteger();
        /** Chunks the embed stage has embedded, for {@link IngestProgress#embedded()}. */
        final AtomicLong embedded = new AtomicLong();
        /** Documents of the call that failed (entries of the listing not counted). */
        final AtomicInteger failedDocuments = new AtomicInteger();
        private final List<Ordered<IngestReport.Failure>> failures = new ArrayList<>();
        private final List<Ordered<IngestReport.Notice>> notices = new ArrayList<>();
        final List<Catalog.Entry> written = new ArrayList<>();
        /** The run this batch is recorded as. */
        final Catalog.RunKind kind;
        final String tenant;
        /** The ingested folder ({@link #rootKey}); null for upserts. */
        final String root;
        final Instant startedAt;
        private final List<Ordered<Catalog.DocumentError>> errors = new ArrayList<>();
        /** Documents of {@link #root} whose files are gone: deleted at commit. */
        final List<ChunkIndex.DocKey> deleted = new ArrayList<>();
        /** Documents found under {@link #root} that the catalog attributes to another folder or to an upsert. */
        final List<ChunkIndex.DocKey> claimed = new ArrayList<>();

        Batch(Catalog.RunKind kind, String tenant, String root, Instant startedAt) {
            this.kind = kind;
            this.tenant = tenant;
            this.root = root;
            this.startedAt = startedAt;
        }

        synchronized void fail(int order, String failedTenant, IngestReport.Failure failure) {
            if (order >= 0) {
                failedDocuments.incrementAndGet();
            }
            failures.add(new Ordered<>(order, failure));
            errors.add(new Ordered<>(order, new Catalog.DocumentError(failedTenant, failure.source(), failure.problem().name(),
                    failure.message())));
        }

        synchronized void notice(int order, IngestReport.Notice notice) {
            notices.add(new Ordered<>(order, notice));
        }

        synchronized List<IngestReport.Failure> failures() {
            return Ordered.values(failures);
        }

        synchronized List<IngestReport.Notice> notices() {
            return Ordered.values(notices);
        }

        synchronized Catalog.Run toRun() {
            List<Catalog.Entry> rows = root == null ? written : written.stream().map(e -> e.withRoot(root)).toList();
            return new Catalog.Run(kind, tenant, root, startedAt, rows, deleted, claimed, Ordered.values(errors), added.get(),
                    updated.get(), unchanged.get(), chunks.get());
        }

        /** The call's progress so far; read on the calling thread while the stages write the counts. */
        IngestProgress progress(int files, long startedNanos) {
            int written = added.get() + updated.get();
            int skipped = unchanged.get();
            int failed = failedDocuments.get();
            return new IngestProgress(files, written + skipped + failed, written, skipped, failed, chunks.get(), embedded.get(),
                    Duration.ofNanos(System.nanoTime() - startedNanos));
        }
    }

    /** A value recorded by some stage, with its document's place in the call. */
    private record Ordered<T>(int order, T value) {
        /** The values in input order; those of one document in the order they were recorded. */
        static <T> List<T> values(List<Ordered<T>> recorded) {
            return recorded.stream().sorted(Comparator.comparingInt(Ordered<T>::order)).map(Ordered::value).toList();
        }
    }

    /**
     * How a folder is named in the catalog: absolute and normalised, so that {@code docs},
     * {@code ./docs} and {@code /srv/app/docs} from {@code /srv/app} are one root. A renamed
     * folder is another root; see {@link #planRemovals}.
     */
    private static String rootKey(Path folder) {
        return folder.toAbsolutePath().normalize().toString();
    }

    /** The tenant of every document of an upsert batch, or null when they differ. */
    private static String singleTenant(List<DocumentInput> docs) {
        String tenant = docs.isEmpty() ? null : docs.get(0).tenant();
        for (DocumentInput d : docs) {
            if (!d.tenant().equals(tenant)) {
                return null;
            }
        }
        return tenant;
    }

    /**
     * Decides which documents a folder ingest removes: those of {@code tenant} last ingested from
     * this folder whose files are no longer listed. A file that is listed but failed to load is not
     * gone, so it keeps its previous version; nor is anything below an entry the walk could not
     * read (an unreadable folder), since its files may well still exist. Documents that were
     * upserted, or ingested from another folder, are never removed here; a listed file whose row
     * says otherwise is claimed by this folder, so that a later removal of it is noticed.
     */
    private void planRemovals(Path folder, String tenant, Listing listing, Batch batch) throws SQLException {
        Set<String> listed = new HashSet<>();
        for (Path file : listing.files()) {
            listed.add(FileLoader.documentId(folder, file));
        }
        List<String> unreadable = new ArrayList<>();
        for (LoadException problem : listing.problems()) {
            try {
                unreadable.add(FileLoader.documentId(folder, Path.of(problem.source())));
            } catch (IllegalArgumentException e) {
                // An entry that cannot be placed under the folder: removal cannot be judged safely.
                LOG.warn("Not removing vanished documents of {}: cannot place {} under it", folder, problem.source());
                return;
            }
        }
        for (Catalog.Origin o : catalog.origins(tenant)) {
            if (listed.contains(o.id())) {
                if (!batch.root.equals(o.root())) {
                    batch.claimed.add(new ChunkIndex.DocKey(tenant, o.id()));
                }
            } else if (batch.root.equals(o.root()) && unreadable.stream().noneMatch(u -> u.isEmpty() || o.id().equals(u)
                    || o.id().startsWith(u + "/"))) {
                batch.deleted.add(new ChunkIndex.DocKey(tenant, o.id()));
            }
        }
    }

    /** The notice for a document whose undecodable bytes the loader replaced, if it had any. */
    private static Optional<IngestReport.Notice> invalidBytesNotice(Document doc) {
        String replaced = doc.metadata().get(FileLoader.INVALID_BYTES);
        if (replaced == null) {
            return Optional.empty();
        }
        long count = Long.parseLong(replaced);
        String message = doc.source() + ": " + count + " invalid bytes replaced by U+FFFD while decoding as "
                + doc.metadata().getOrDefault(FileLoader.CHARSET, "text");
        LOG.info("{}", message);
        return Optional.of(new IngestReport.Notice(doc.source(), "invalid-bytes", (int) Math.min(count, Integer.MAX_VALUE), message));
    }

    private static IngestReport.Failure skipped(IngestReport.Failure failure) {
        LOG.warn("Skipped {}", failure.message());
        return failure;
    }

    /**
     * Runs a write call's documents through {@link IngestPipeline}: {@code prepare} (on the
     * pipeline's prepare thread) gives the document at an index, or null for one that needs no
     * write; the embed stage and {@link #writeChanged} (on this thread) do the rest.
     */
    private IngestPipeline.Outcome pipeline(Batch batch, int items, AtomicBoolean stop, IntFunction<IngestPipeline.Prepared<Changed>> prepare) {
        return new IngestPipeline(PIPELINE_BUDGET_CHUNKS, PIPELINE_GROUP_CHUNKS, PIPELINE_SLICE_CHUNKS,
                instrumentation::inCurrentObservation).run(
                items, prepare,
                (texts, tokens) -> {
                    List<float[]> vectors = instrumentation.embedDocuments(embedder, texts, tokens);
                    batch.embedded.addAndGet(texts.size());
                    return vectors;
                },
                (changed, vectors) -> writeChanged(changed, vectors, batch),
                (changed, e) -> batch.fail(changed.order(), changed.doc().tenant(), skipped(new IngestReport.Failure(
                        changed.source(), DocumentProblem.EMBEDDING, changed.source() + ": embedding failed: " + e.getMessage()))),
                stop);
    }

    /** A changed document, redacted, hashed and chunked: what the write stage needs. */
    private record Changed(int order, String source, DocumentInput doc, String hash, boolean update, List<Chunk> chunks,
                           List<IngestReport.Notice> notices) {
    }

    /**
     * Redacts, hashes and chunks one document; null if its content is unchanged since it was
     * last written. Runs on the pipeline's prepare thread: it reads the catalog, never writes.
     */
    private IngestPipeline.Prepared<Changed> prepare(int order, String source, DocumentInput given, Batch batch)
            throws DocumentFailure {
        // Redact first: nothing below (hash, chunks, vectors, index, catalog) sees the secrets, and
        // the hash of the redacted content makes enabling redaction rewrite exactly the documents
        // that hold secrets.
        RedactedInput redacted = RedactedInput.of(redactor, given);
        DocumentInput doc = redacted.input();
        String hash = contentHash(doc);
        Optional<String> known;
        try {
            known = catalog.contentHash(doc.tenant(), doc.id());
        } catch (SQLException e) {
            throw new DocRagException("the catalog failed while reading " + doc.tenant() + "/" + doc.id() + ": "
                    + e.getMessage(), e);
        }
        if (known.isPresent() && known.get().equals(hash)) {
            batch.unchanged.incrementAndGet();
            return null;
        }
        try {
            fields.newFieldsOf(doc); // fail before embedding; the write stage checks again against fields registered since
        } catch (IllegalArgumentException e) {
            throw new DocumentFailure(DocumentProblem.INDEXING, e.getMessage(), e);
        }
        List<Chunk> chunks = chunker.chunk(doc.toDocument());
        // The title and breadcrumb place the chunk; its text alone often does not say what it is about.
        List<String> texts = chunks.stream().map(c -> chunker.embeddingText(doc.title(), c)).toList();
        return new IngestPipeline.Prepared<>(new Changed(order, source, doc, hash, known.isPresent(), chunks, redacted.notices()),
                texts, chunks.stream().mapToLong(Chunk::tokens).sum());
    }

    /** Stages one embedded document in the index (uncommitted), or records why it could not. */
    private void writeChanged(Changed c, List<float[]> vectors, Batch batch) {
        DocumentInput doc = c.doc();
        try {
            Map<String, MetadataType> newFields;
            try {
                newFields = fields.newFieldsOf(doc);
            } catch (IllegalArgumentException e) {
                throw new DocumentFailure(DocumentProblem.INDEXING, e.getMessage(), e);
            }
            try {
                // The catalog learns a field's type before any chunk carries it, so that a search can
                // always interpret what it reads; a field left registered by a failed write is harmless.
                catalog.addMetadataFields(newFields);
                fields.register(newFields);
            } catch (SQLException e) {
                throw new DocRagException("the catalog failed while registering fields of " + doc.id() + ": " + e.getMessage(), e);
            }
            try {
                index.replace(doc, c.chunks(), vectors, c.hash(), batch.root);
            } catch (IOException | RuntimeException e) {
                if (index.tragedy() != null) {
                    // Not this document's fault (a full disk, an I/O error): the writer is closed, so
                    // the whole call fails, and its staged documents are discarded.
                    throw new DocRagException("the index in " + directory + " cannot write " + doc.tenant() + "/" + doc.id()
                            + ": " + causes(e), e);
                }
                throw new DocumentFailure(DocumentProblem.INDEXING, "the index refused the document: " + e.getMessage(), e);
            }
        } catch (DocumentFailure e) {
            batch.fail(c.order(), doc.tenant(), skipped(new IngestReport.Failure(c.source(), e.problem,
                    c.source() + ": " + e.getMessage())));
            return;
        }
        batch.written.add(new Catalog.Entry(doc.tenant(), doc.id(), doc.source(), doc.title(), c.hash(), c.chunks().size()));
        c.notices().forEach(n -> batch.notice(c.order(), n));
        batch.chunks.addAndGet(c.chunks().size());
        (c.update() ? batch.updated : batch.added).incrementAndGet();
    }

    /**
     * Index first, catalog second: the index commit is the call's commit point, and the catalog
     * transaction records the same sequence number (see "Consistency" in docs/architecture.md).
     * The run, its errors and the document rows are one catalog transaction, so a run is recorded
     * as committed exactly when its documents are.
     */
    private IngestReport commit(Batch batch, long started, boolean stopped) {
        Catalog.Run run = batch.toRun();
        try {
            for (ChunkIndex.DocKey k : batch.claimed) {
                index.setRoot(k.tenant(), k.id(), batch.root);
            }
            for (ChunkIndex.DocKey k : batch.deleted) {
                index.delete(k.tenant(), k.id());
            }
            long committed = commitIndex();
            catalog.commit(run, committed);
            catalogBehind = false;
            index.refresh();
        } catch (IOException | SQLException | IllegalStateException e) { // Lucene's AlreadyClosedException: a tragic writer
            DocRagException failure = new DocRagException("could not commit in " + directory + ": " + causes(e), e);
            try {
                catalog.recordFailedRun(run, failure.getMessage());
            } catch (SQLException | RuntimeException unrecorded) {
                failure.addSuppressed(unrecorded);
            }
            throw failure;
        }
        return new IngestReport(batch.added.get(), batch.updated.get(), batch.unchanged.get(), batch.deleted.size(),
                batch.chunks.get(), batch.failures(), batch.notices(), Duration.ofNanos(System.nanoTime() - started), stopped);
    }

    /**
     * Hybrid search of the {@link #DEFAULT_TENANT} for {@code query}, as a caller without access
     * groups: the {@code k} best chunks by meaning and keywords together. For single-tenant hosts
     * that ingest with {@link #ingest(Path)}; everything else uses {@link #search(SearchRequest)}.
     */
    public List<Hit> search(String query, int k) {
        return search(SearchRequest.hybrid(query).tenant(DEFAULT_TENANT).k(k));
    }

    /**
     * Runs a search on one consistent snapshot of the index: the hits are ordered best first,
     * exactly {@code min(k, matching - offset)} of them (see {@link SearchRequest}).
     *
     * @throws IllegalArgumentException if the filter names a field no document has, or a value
     *                                  that does not fit the field's type; or if the request's
     *                                  query vector has another dimension than the index's model
     */
    public List<Hit> search(SearchRequest request) {
        return searchResult(request).hits();
    }

    /**
     * {@link #search(SearchRequest)}, saying whether the answer is degraded: a HYBRID search whose
     * query the embedder could not embed is answered by the keyword retriever alone instead of
     * failing (see {@link SearchResult}); listeners hear {@link DocRagListener#searchDegraded}.
     *
     * @throws EmbedderException        if a VECTOR search's query cannot be embedded: with one
     *                                  retriever there is nothing to fall back to
     * @throws IllegalArgumentException as {@link #search(SearchRequest)}
     */
    public SearchResult searchResult(SearchRequest request) {
        String mode = request == null ? null : request.mode().name().toLowerCase(java.util.Locale.ROOT);
        return instrumentation.request(DocRagListener.Operation.SEARCH, mode, () -> searchNow(request));
    }

    private SearchResult searchNow(SearchRequest request) {
        Objects.requireNonNull(request, "request");
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            request.filter().ifPresent(f -> FilterQueries.toQuery(f, fields)); // fail before embedding
            float[] queryVector = null;
            if (request.mode() != SearchRequest.Mode.KEYWORD) {
                queryVector = request.vectorUnsafe();
                if (queryVector != null && queryVector.length != embedder.model().dimension()) {
                    throw new IllegalArgumentException("query vector has " + queryVector.length + " dimensions; this index's"
                            + " model " + embedder.model().id() + " has " + embedder.model().dimension());
                }
                if (queryVector == null) {
                    try {
                        queryVector = instrumentation.embedQuery(embedder, request.text().orElseThrow());
                        if (queryEmbedFailing.get()) {
                            queryEmbedFailing.set(false); // read first: concurrent searches need not write a shared line
                        }
                    } catch (RuntimeException e) {
                        return embedFailed(request, e);
                    }
                }
            }
            return SearchResult.complete(index.search(request, queryVector));
        } catch (IOException e) {
            throw new DocRagException("search failed in " + directory + ": " + e.getMessage(), e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * A query that could not be embedded: a HYBRID search goes on with the keyword retriever alone
     * (the keyword half needs no embedder, and a degraded answer beats none while a provider is
     * down); a VECTOR search has no other retriever and fails with a typed error. Logged at WARN
     * once per run of failures, not per search, so that an outage does not flood the log.
     */
    private SearchResult embedFailed(SearchRequest request, RuntimeException e) throws IOException {
        String reason = "the query could not be embedded (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
        if (request.mode() != SearchRequest.Mode.HYBRID) {
            boolean transientFailure = e instanceof EmbedderException ee && ee.isTransient();
            throw new EmbedderException("vector search needs the query's embedding, and " + reason, transientFailure, e);
        }
        if (queryEmbedFailing.compareAndSet(false, true)) {
            LOG.warn("Hybrid searches fall back to keyword-only until the embedder works again: {}", reason, e);
        } else {
            LOG.debug("Hybrid search degraded to keyword-only: {}", reason);
        }
        SearchResult result = SearchResult.degraded(index.search(request.mode(SearchRequest.Mode.KEYWORD), null), reason);
        instrumentation.searchDegraded();
        return result;
    }

    /** The number of documents in the catalog, all tenants together. */
    public int documentCount() {
        return read(catalog::documentCount);
    }

    /** The number of documents of {@code tenant} in the catalog. */
    public int documentCount(String tenant) {
        DocumentInput.checkTenant(tenant);
        return read(() -> catalog.documentCount(tenant));
    }

    /** The number of chunks indexed for a document (0 if it does not exist), as searches see them now. */
    public int chunkCount(String tenant, String id) {
        DocumentInput.checkTenant(tenant);
        Objects.requireNonNull(id, "id");
        return read(() -> index.chunkCount(tenant, id));
    }

    /** Every metadata field any document has used, with its type, by name. */
    public Map<String, MetadataType> metadataFields() {
        return read(fields::snapshot);
    }

    /** The number of index segments searches see now (see {@link #forceMerge(int)}). */
    public int segmentCount() {
        return read(index::segmentCount);
    }

    /**
     * A snapshot of this DocRag's size and state (see {@link DocRagStats}) for health checks and
     * metrics. Costs one catalog {@code COUNT} and a listing of the index directory; callers that
     * poll (metric scrapes) should cache it for a few seconds.
     *
     * @throws IllegalStateException if DocRag is closed
     */
    public DocRagStats stats() {
        return read(() -> new DocRagStats(catalog.documentCount(), index.chunkTotal(), index.sizeInBytes(),
                index.segmentCount(), index.searcherAge(), true, catalog.pool()));
    }

    /**
     * Whether this DocRag is open (not yet {@link #close() closed}). Never blocks, so a health probe
     * can ask while {@code close()} waits for running calls.
     */
    public boolean isOpen() {
        return !closed;
    }

    /**
     * Checks that the catalog answers: borrows a connection and runs {@code SELECT 1} with a query
     * timeout of {@code timeout} (rounded up to whole seconds, as JDBC counts). Waiting for a pool
     * connection is bounded by the pool's own timeout, not this one; a health check that must
     * answer sooner runs this on another thread.
     *
     * @throws DocRagException       if the catalog cannot be reached or does not answer
     * @throws IllegalStateException if DocRag is closed
     */
    public void checkCatalog(Duration timeout) {
        int seconds = (int) Math.max(1, (timeout.toMillis() + 999) / 1000);
        read(() -> {
            catalog.ping(seconds);
            return null;
        });
    }

    /**
     * The embedder this index is built with; for health checks that embed a probe text. A host
     * must not close it (DocRag closes the default one itself).
     */
    public Embedder embedder() {
        return embedder;
    }

    /**
     * Adds a listener to every later call (see {@link DocRagListener}); docrag-ops' metrics
     * binder uses this. Adding the same listener twice reports twice.
     */
    public void addListener(DocRagListener listener) {
        instrumentation.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Removes a listener added with {@link #addListener}; no effect if it is not registered. */
    public void removeListener(DocRagListener listener) {
        instrumentation.remove(listener);
    }

    /**
     * Pins the last commit and exports the catalog at the same point, for a backup (see
     * {@link IndexSnapshot}). Takes the write lock for as long as the catalog export takes (writes
     * wait, searches do not); the files are then copied by the caller at leisure while ingestion
     * goes on. Close the snapshot when done, before closing DocRag.
     *
     * @throws DocRagException       if the commit cannot be pinned or the catalog not exported
     * @throws IllegalStateException if DocRag is closed
     */
    public IndexSnapshot snapshot() {
        return write(call -> IndexSnapshot.take(index, catalog, directory));
    }

    /**
     * Makes this DocRag read-only until {@link #resumeWrites()}: later ingest, upsert and delete
     * calls fail with {@link WritesPausedException} (a 503 for listeners) before touching anything;
     * a write already running finishes; searches go on. For incident handlers: a catalog that
     * cannot record writes, memory too short for an ingest. Pausing again replaces the reason.
     *
     * @param reason why, for the exception's message and the log; never a secret
     */
    public void pauseWrites(String reason) {
        Objects.requireNonNull(reason, "reason");
        if (instrumentation.writeGate().pause(reason)) {
            LOG.warn("Writes to {} paused: {}", directory, reason);
        }
    }

    /** Accepts writes again after {@link #pauseWrites(String)}; no effect if they were not paused. */
    public void resumeWrites() {
        if (instrumentation.writeGate().resume()) {
            LOG.info("Writes to {} resumed", directory);
        }
    }

    /** Why writes are paused, or empty when they are accepted. */
    public Optional<String> writesPaused() {
        return instrumentation.writeGate().pausedBecause();
    }

    /** How new segments store vectors, as Lucene describes the format; for tests and diagnostics. */
    String vectorFormat() {
        return read(index::vectorFormat);
    }

    private <T> T read(ReadAction<T> action) {
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            return action.run();
        } catch (IOException | SQLException e) {
            throw new DocRagException("read failed in " + directory + ": " + e.getMessage(), e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("DocRag at " + directory + " is closed");
        }
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            writeThread.shutdown(); // idle: writes hold the lifecycle's read lock
            closeAll(index, catalog, ownsEmbedder ? embedder : null);
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    private static void closeAll(AutoCloseable... resources) {
        DocRagException failure = null;
        for (AutoCloseable r : resources) {
            if (r == null) {
                continue;
            }
            try {
                r.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new DocRagException("closing " + r.getClass().getSimpleName() + " failed: " + e.getMessage(), e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** SHA-256 over everything that is indexed about a document, so that any change re-indexes it. */
    static String contentHash(DocumentInput doc) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            List<String> parts = new ArrayList<>(List.of(doc.source(), doc.title(), doc.text()));
            new TreeMap<>(doc.metadata()).forEach((name, value) ->
                    parts.add(name + "=" + DocumentInput.typeOf(value) + ":" + value));
            parts.add("groups=" + new TreeSet<>(doc.accessGroups()));
            parts.add(EMBEDDED_AS);
            // structure decides where chunks are cut and what they carry
            doc.sections().forEach(sec -> parts.add("section=" + sec.start() + ":" + sec.end() + ":" + sec.headings()));
            doc.pages().forEach(p -> parts.add("page=" + p.number() + ":" + p.start() + ":" + p.end()));
            doc.blocks().forEach(b -> parts.add("block=" + b.start() + ":" + b.end()));
            for (String part : parts) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    /** An exception's message and its causes' (Lucene's "unrecoverable error" names the full disk only in its cause). */
    private static String causes(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        Set<Throwable> seen = new HashSet<>();
        for (Throwable c = e.getCause(); c != null && seen.add(c); c = c.getCause()) {
            if (c.getMessage() != null && !sb.toString().contains(c.getMessage())) {
                sb.append(" (caused by: ").append(c.getMessage()).append(')');
            }
        }
        return sb.toString();
    }

    /** A per-document failure; never escapes a write call. */
    private static final class DocumentFailure extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient DocumentProblem problem;

        DocumentFailure(DocumentProblem problem, String message, Throwable cause) {
            super(message, cause);
            this.problem = problem;
        }
    }

    /**
     * Configures a {@link DocRag}. Only {@link #directory(Path)} is required; {@link #build()}
     * opens (or creates) the index and fails fast on a bad combination.
     */
    public static final class Builder {
        private Path directory;
        private Embedder embedder;
        private FileLoader loader = FileLoader.standard();
        private VectorIndexConfig vectorIndex = VectorIndexConfig.defaults();
        private Redactor redactor;
        private Chunker chunker;
        private String catalogUrl;
        private String catalogUser;
        private String catalogPassword;
        private DataSource catalogDataSource;
        private String catalogSchema;
        private ObservationRegistry observations = ObservationRegistry.NOOP;
        private UnaryOperator<Directory> indexDirectoryWrapper = UnaryOperator.identity();

        private Builder() {
        }

        /** For tests: wraps the Lucene directory, to simulate a full disk or a power loss. */
        Builder indexDirectoryWrapper(UnaryOperator<Directory> wrapper) {
            this.indexDirectoryWrapper = Objects.requireNonNull(wrapper, "wrapper");
            return this;
        }

        /**
         * Where DocRag reports Micrometer observations (traces and timings): {@code docrag.search}
         * (keys {@code operation}, {@code mode} = vector/keyword/hybrid, {@code outcome}),
         * {@code docrag.ingest}, {@code docrag.upsert}, {@code docrag.delete} (keys
         * {@code operation}, {@code outcome}) and, nested in them, {@code docrag.embed} (keys
         * {@code kind} = query/documents, {@code outcome}). Outcomes are success, caller_error,
         * failure, rejected (see {@link DocRagListener.Outcome}). Default
         * {@link ObservationRegistry#NOOP}: nothing is recorded and nothing is timed.
         */
        public Builder observationRegistry(ObservationRegistry registry) {
            this.observations = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * Keeps the catalog in a shared database instead of the H2 file in {@link #directory(Path)}:
         * typically {@code jdbc:postgresql://host:5432/db}. DocRag opens its own small connection pool
         * (HikariCP, at most 4 connections) and closes it on {@link DocRag#close()}. DocRag's tables
         * and its migration history ({@code docrag_schema_history}) go to the schema
         * {@link #catalogSchema(String)}, {@code docrag} by default, created if missing. The schema
         * belongs to this DocRag directory: opening it from another directory fails, so several
         * directories share one database through one schema each. Alternative to
         * {@link #catalog(DataSource)}.
         */
        public Builder catalogUrl(String jdbcUrl, String user, String password) {
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            if (!jdbcUrl.startsWith("jdbc:")) {
                throw new IllegalArgumentException("catalogUrl must be a JDBC URL (jdbc:postgresql://...), got " + jdbcUrl);
            }
            this.catalogUrl = jdbcUrl;
            this.catalogUser = user;
            this.catalogPassword = password;
            return this;
        }

        /**
         * Keeps the catalog in a database the host already has a {@link DataSource} (a pool) for.
         * DocRag borrows connections, returns them with auto-commit as it found it, and never
         * closes the data source. Tables and migration history go to
         * {@link #catalogSchema(String)} as for {@link #catalogUrl}; the host's own tables and its
         * own Flyway history are not touched. Alternative to {@link #catalogUrl}.
         */
        public Builder catalog(DataSource dataSource) {
            this.catalogDataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /**
         * The database schema of a shared catalog ({@link #catalogUrl} or {@link #catalog(DataSource)});
         * default {@code docrag}. A plain identifier (letters, digits, {@code _}), folded to the
         * database's case like any unquoted name. Give each DocRag directory its own.
         */
        public Builder catalogSchema(String schema) {
            this.catalogSchema = Catalog.checkSchemaName(schema);
            return this;
        }

        /**
         * How vectors are indexed (HNSW parameters, encoding); default
         * {@link VectorIndexConfig#defaults()}. Applies to segments written from now on.
         */
        public Builder vectorIndex(VectorIndexConfig config) {
            this.vectorIndex = Objects.requireNonNull(config, "vectorIndex");
            return this;
        }

        /** Where the index and catalog live; created if missing. */
        public Builder directory(Path directory) {
            this.directory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /**
         * The embedding model. Default: all-MiniLM-L6-v2 from the classpath, owned and closed by
         * DocRag. An embedder given here stays the caller's to close, after DocRag.
         */
        public Builder embedder(Embedder embedder) {
            this.embedder = Objects.requireNonNull(embedder, "embedder");
            return this;
        }

        /**
         * Replaces secrets (see {@link Redactor}) in every document's source, title, text and string
         * metadata before anything is chunked, embedded or stored; each document written reports
         * one {@link IngestReport.Notice} per kind found ({@code redacted:<kind>}). Default: none
         * (off), because redaction rewrites the host's text and a host must choose that; use
         * {@link Redactor#standard()} for every rule. Documents indexed before redaction was
         * enabled are rewritten when next ingested if they hold secrets, but their old bytes may
         * remain on disk in index segments not yet merged away (see {@link DocRag#forceMerge(int)})
         * and in free pages of the catalog file.
         */
        public Builder redactor(Redactor redactor) {
            this.redactor = Objects.requireNonNull(redactor, "redactor");
            return this;
        }

        /**
         * How documents are cut; default {@link Chunker#forEmbedder} of the embedder. Build it
         * with {@link Chunker#builder(Embedder)} for the same embedder, e.g. to set an overlap;
         * its maximum must not exceed the model's window.
         */
        public Builder chunker(Chunker chunker) {
            this.chunker = Objects.requireNonNull(chunker, "chunker");
            return this;
        }

        /** How files are found and read; default {@link FileLoader#standard()}. */
        public Builder fileLoader(FileLoader loader) {
            this.loader = Objects.requireNonNull(loader, "loader");
            return this;
        }

        public DocRag build() {
            if (directory == null) {
                throw new IllegalStateException("directory(...) is required");
            }
            try {
                Files.createDirectories(directory);
            } catch (IOException e) {
                throw new DocRagException("cannot create the DocRag directory " + directory + ": " + e.getMessage(), e);
            }
            if (catalogUrl != null && catalogDataSource != null) {
                throw new IllegalStateException("catalogUrl(...) and catalog(DataSource) are alternatives; give one");
            }
            if (catalogSchema != null && catalogUrl == null && catalogDataSource == null) {
                throw new IllegalStateException("catalogSchema(...) applies to a shared catalog: give catalogUrl(...) or"
                        + " catalog(DataSource) too (the default H2 catalog lives in the directory)");
            }
            Embedder e = embedder != null ? embedder : OnnxEmbedder.allMiniLmL6V2();
            ChunkIndex index = null;
            Catalog catalog = null;
            try {
                catalog = openCatalog();
                // Before anything is recorded in it: a catalog of another directory stays untouched.
                catalog.claimOwner(IndexIdentity.of(directory), directory);
                MetadataFields fields = new MetadataFields(catalog.metadataFields());
                index = new ChunkIndex(directory.resolve("index"), e.model(), vectorIndex, fields, indexDirectoryWrapper);
                Optional<String> recorded = catalog.meta(META_MODEL);
                if (recorded.isPresent() && !recorded.get().equals(e.model().id())) {
                    throw new ModelMismatchException("the catalog at " + directory + " was built with embedding model "
                            + recorded.get() + " but is being opened with " + e.model().id());
                }
                if (recorded.isEmpty()) {
                    catalog.putMeta(META_MODEL, e.model().id());
                }
                DocRag rag = new DocRag(this, e, index, catalog, fields);
                rag.seq = index.committedSeq();
                if (catalog.indexSeq() != rag.seq) {
                    // A crash (or power loss) between an index commit and its catalog transaction,
                    // or a catalog that lost its last transactions: the index decides.
                    rag.reconcile();
                }
                return rag;
            } catch (IOException | SQLException | RuntimeException failure) {
                try {
                    closeAll(index, catalog, embedder == null ? e : null);
                } catch (RuntimeException suppressed) {
                    failure.addSuppressed(suppressed);
                }
                if (failure instanceof DocRagException d) {
                    throw d;
                }
                throw new DocRagException("cannot open DocRag at " + directory + ": " + failure.getMessage(), failure);
            }
        }

        private Catalog openCatalog() {
            String schema = catalogSchema != null ? catalogSchema : Catalog.DEFAULT_SHARED_SCHEMA;
            if (catalogUrl != null) {
                return Catalog.url(catalogUrl, catalogUser, catalogPassword, schema);
            }
            if (catalogDataSource != null) {
                return Catalog.dataSource(catalogDataSource, schema);
            }
            return Catalog.h2(directory);
        }
    }
}
