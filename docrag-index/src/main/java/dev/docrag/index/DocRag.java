package dev.docrag.index;

import dev.docrag.core.Chunk;
import dev.docrag.core.DocRagException;
import dev.docrag.core.Document;
import dev.docrag.core.DocumentProblem;
import dev.docrag.core.chunk.Chunker;
import dev.docrag.core.embed.Embedder;
import dev.docrag.core.embed.ModelInfo;
import dev.docrag.core.embed.OnnxEmbedder;
import dev.docrag.core.load.FileLoader;
import dev.docrag.core.load.LoadException;
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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * DocRag's entry point: a search index over a folder of documents, kept in one directory (a
 * Lucene index and an H2 catalog), searchable by meaning, by keyword, or both.
 *
 * <pre>{@code
 * try (DocRag rag = DocRag.builder().directory(Path.of("data/docrag")).build()) {
 *     rag.ingest(Path.of("docs"));
 *     List<Hit> hits = rag.search("how do I rotate logs?", 5);
 * }
 * }</pre>
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Thread-safe. Searches run concurrently with each other and with ingestion and never wait
 *       for it; ingest runs are serialised.</li>
 *   <li>A document's chunks are replaced all at once: a search sees its old or its new version,
 *       never a mix.</li>
 *   <li>One bad document never stops an ingest run; it is reported in the {@link IngestReport}
 *       with a typed reason, and its previous version stays searchable.</li>
 *   <li>When {@link #ingest} returns, its documents are committed to disk and searchable.</li>
 *   <li>The index records the embedding model that built it; opening it with another model fails
 *       with a {@link ModelMismatchException} naming both.</li>
 *   <li>{@link #close()} waits for running calls, then releases files, pool threads and, if
 *       DocRag created it, the embedder's native memory.</li>
 * </ul>
 */
public final class DocRag implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DocRag.class);

    /** Reciprocal rank fusion constant, as in Cormack et al. (2009). */
    static final int RRF_K = 60;
    /** Candidates each retriever contributes to a hybrid search, at least. */
    private static final int HYBRID_CANDIDATES = 50;
    private static final String META_MODEL = "model";

    private final Path directory;
    private final Embedder embedder;
    private final boolean ownsEmbedder;
    private final FileLoader loader;
    private final Chunker chunker;
    private final ChunkIndex index;
    private final Catalog catalog;
    private final ReentrantLock ingestLock = new ReentrantLock();
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private DocRag(Builder b, Embedder embedder, ChunkIndex index, Catalog catalog) {
        this.directory = b.directory;
        this.embedder = embedder;
        this.ownsEmbedder = b.embedder == null;
        this.loader = b.loader;
        this.chunker = Chunker.forEmbedder(embedder);
        this.index = index;
        this.catalog = catalog;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The embedding model this index is built with. */
    public ModelInfo model() {
        return embedder.model();
    }

    /** The directory holding the index and the catalog. */
    public Path directory() {
        return directory;
    }

    /**
     * Ingests every supported file under {@code folder} (see {@link FileLoader#list}): new and
     * changed documents are chunked, embedded and indexed; documents whose content is unchanged
     * since the last run are skipped. Returns when the run is committed and searchable.
     *
     * @throws UncheckedIOException if the folder itself cannot be listed
     * @throws DocRagException      if the index or catalog cannot commit (nothing of this run
     *                              is then acknowledged)
     */
    public IngestReport ingest(Path folder) {
        Objects.requireNonNull(folder, "folder");
        lifecycle.readLock().lock();
        ingestLock.lock();
        try {
            ensureOpen();
            long started = System.nanoTime();
            List<Path> files;
            try {
                files = loader.list(folder);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + folder + ": " + e.getMessage(), e);
            }
            int added = 0;
            int updated = 0;
            int unchanged = 0;
            int chunkCount = 0;
            List<IngestReport.Failure> failures = new ArrayList<>();
            List<Catalog.Entry> written = new ArrayList<>();
            for (Path file : files) {
                String source = file.toString();
                try {
                    Document doc = loader.load(folder, file);
                    String hash = contentHash(doc);
                    Optional<String> known = catalog.contentHash(doc.id());
                    if (known.isPresent() && known.get().equals(hash)) {
                        unchanged++;
                        continue;
                    }
                    int chunks = write(doc);
                    written.add(new Catalog.Entry(doc.id(), doc.source(), doc.title(), hash, chunks));
                    chunkCount += chunks;
                    if (known.isPresent()) {
                        updated++;
                    } else {
                        added++;
                    }
                } catch (LoadException e) {
                    failures.add(skipped(new IngestReport.Failure(source, e.problem(), e.getMessage())));
                } catch (DocumentFailure e) {
                    failures.add(skipped(new IngestReport.Failure(source, e.problem, source + ": " + e.getMessage())));
                } catch (SQLException e) {
                    throw new DocRagException("the catalog failed while ingesting " + source + ": " + e.getMessage(), e);
                }
            }
            commit(written);
            IngestReport report = new IngestReport(added, updated, unchanged, chunkCount, failures,
                    Duration.ofNanos(System.nanoTime() - started));
            LOG.info("Ingested {}: {} added, {} updated, {} unchanged, {} failed, {} chunks in {} ms",
                    folder, added, updated, unchanged, report.failed(), chunkCount, report.took().toMillis());
            return report;
        } finally {
            ingestLock.unlock();
            lifecycle.readLock().unlock();
        }
    }

    private static IngestReport.Failure skipped(IngestReport.Failure failure) {
        LOG.warn("Skipped {}", failure.message());
        return failure;
    }

    /** Chunks, embeds and stages one document in the index; returns its chunk count. */
    private int write(Document doc) throws DocumentFailure {
        List<Chunk> chunks = chunker.chunk(doc);
        List<float[]> vectors;
        try {
            vectors = embedder.embedDocuments(chunks.stream().map(Chunk::text).toList());
        } catch (RuntimeException e) {
            throw new DocumentFailure(DocumentProblem.EMBEDDING, "embedding failed: " + e.getMessage(), e);
        }
        try {
            index.replace(doc, chunks, vectors);
        } catch (IOException | RuntimeException e) {
            throw new DocumentFailure(DocumentProblem.INDEXING, "the index refused the document: " + e.getMessage(), e);
        }
        return chunks.size();
    }

    /** Index first, catalog second: a catalog row never promises chunks the index lacks. */
    private void commit(List<Catalog.Entry> written) {
        try {
            index.commit();
            catalog.upsert(written);
            index.refresh();
        } catch (IOException | SQLException e) {
            throw new DocRagException("could not commit the ingest run in " + directory + ": " + e.getMessage(), e);
        }
    }

    /** Hybrid search for {@code query}: the {@code k} best chunks by meaning and keywords together. */
    public List<Hit> search(String query, int k) {
        return search(SearchRequest.hybrid(query).k(k));
    }

    /** Runs a search; the hits are ordered best first, at most {@code request.k()} of them. */
    public List<Hit> search(SearchRequest request) {
        Objects.requireNonNull(request, "request");
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            return switch (request.mode()) {
                case VECTOR -> index.vectorSearch(embedder.embedQuery(request.query()), request.k());
                case KEYWORD -> index.keywordSearch(request.query(), request.k());
                case HYBRID -> {
                    int candidates = Math.max(request.k(), HYBRID_CANDIDATES);
                    List<Hit> byMeaning = index.vectorSearch(embedder.embedQuery(request.query()), candidates);
                    List<Hit> byWords = index.keywordSearch(request.query(), candidates);
                    yield fuse(List.of(byMeaning, byWords), request.k());
                }
            };
        } catch (IOException e) {
            throw new DocRagException("search failed in " + directory + ": " + e.getMessage(), e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Reciprocal rank fusion: a chunk scores the sum of 1 / (60 + rank) over the lists that hold it. */
    static List<Hit> fuse(List<List<Hit>> rankings, int k) {
        Map<String, Hit> byChunk = new LinkedHashMap<>();
        Map<String, Double> scores = new LinkedHashMap<>();
        for (List<Hit> ranking : rankings) {
            for (int rank = 0; rank < ranking.size(); rank++) {
                Hit h = ranking.get(rank);
                String key = h.documentId() + '#' + h.ordinal();
                byChunk.putIfAbsent(key, h);
                scores.merge(key, 1.0 / (RRF_K + rank + 1), Double::sum);
            }
        }
        return scores.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()))
                .limit(k)
                .map(e -> {
                    Hit h = byChunk.get(e.getKey());
                    return new Hit(h.documentId(), h.source(), h.title(), h.ordinal(), h.text(), e.getValue());
                })
                .toList();
    }

    /** The number of documents in the catalog. */
    public int documentCount() {
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            return catalog.documentCount();
        } catch (SQLException e) {
            throw new DocRagException("cannot count documents in " + directory + ": " + e.getMessage(), e);
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

    private static String contentHash(Document doc) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(doc.title().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(doc.text().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    /** A per-document failure after loading; never escapes {@link #ingest}. */
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

        private Builder() {
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
            Embedder e = embedder != null ? embedder : OnnxEmbedder.allMiniLmL6V2();
            ChunkIndex index = null;
            Catalog catalog = null;
            try {
                index = new ChunkIndex(directory.resolve("index"), e.model());
                catalog = Catalog.h2(directory);
                Optional<String> recorded = catalog.meta(META_MODEL);
                if (recorded.isPresent() && !recorded.get().equals(e.model().id())) {
                    throw new ModelMismatchException("the catalog at " + directory + " was built with embedding model "
                            + recorded.get() + " but is being opened with " + e.model().id());
                }
                if (recorded.isEmpty()) {
                    catalog.putMeta(META_MODEL, e.model().id());
                }
                return new DocRag(this, e, index, catalog);
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
    }
}
