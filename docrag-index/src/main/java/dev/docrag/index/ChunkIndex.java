package dev.docrag.index;

import dev.docrag.core.Chunk;
import dev.docrag.core.embed.ModelInfo;
import dev.docrag.index.codec.DocRagCodec;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.OffsetAttribute;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.DoubleField;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.IntField;
import org.apache.lucene.document.KeywordField;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.LongField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexCommit;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.KeepOnlyLastCommitDeletionPolicy;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.SnapshotDeletionPolicy;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.RescoreTopNQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TotalHits;
import org.apache.lucene.search.Weight;
import org.apache.lucene.store.AlreadyClosedException;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.QueryBuilder;
import org.apache.lucene.util.quantization.QuantizedByteVectorValues.ScalarEncoding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * The Lucene index of chunks: one Lucene document per chunk, carrying its document's identity,
 * tenant, access groups and typed metadata, an HNSW vector field and BM25 text fields.
 *
 * <p>Guarantees: all of a document's chunks are replaced (or deleted) by one
 * {@code IndexWriter.updateDocuments} / {@code deleteDocuments} call keyed by (tenant, id), so a
 * reader sees either all old or all new chunks. Every search acquires one searcher from a
 * {@link SearcherManager}, runs all its retrievers on that one snapshot, and releases it; it never
 * waits for writes or merges. Tenant, access and metadata constraints are one Lucene query that
 * is a FILTER clause of the keyword query and the pre-filter of the kNN query. Every commit
 * records the embedding model and the index format in its user data.
 *
 * <p>Thread-safety: searches may run concurrently with each other and with writes; writes are
 * serialised by the caller ({@link DocRag}).
 */
final class ChunkIndex implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(ChunkIndex.class);

    /** tenant + NUL + id: the update/delete key of all of a document's chunks (tenants have no control characters). */
    static final String KEY = "_key";
    static final String TENANT = "_tenant";
    /** One value per access group of the document. */
    static final String ACL = "_acl";
    /** "1" on chunks of documents without access groups: visible to every caller of the tenant. */
    static final String OPEN = "_open";
    static final String DOC_ID = "doc_id";
    static final String SOURCE = "source";
    static final String TITLE = "title";
    static final String HEADINGS = "headings";
    /** "start:end:page" of a chunk: where it is in its document's text, and its page (0: none). */
    static final String SPAN = "span";
    static final String ORDINAL = "ordinal";
    static final String TEXT = "text";
    static final String VECTOR = "vector";
    /** The content hash of the document version a chunk belongs to (stored): what the catalog records. */
    static final String HASH = "_hash";
    /**
     * Where a chunk's document came from (binary doc values, so that a folder can claim a document
     * without rewriting it): {@code "R" + root} when ingested from a folder, {@code "U"} when upserted.
     */
    static final String ROOT = "_root";

    static final String KEY_MODEL = "docrag.model";
    static final String KEY_DIMENSION = "docrag.dimension";
    static final String KEY_SIMILARITY = "docrag.similarity";
    static final String KEY_FORMAT = "docrag.format";
    /** The {@link VectorIndexConfig.Encoding} the index was created with (absent: FLOAT32, older indexes). */
    static final String KEY_ENCODING = "docrag.vector.encoding";
    /** The write sequence number of a commit: raised by every DocRag write that changes documents. */
    static final String KEY_SEQ = "docrag.seq";
    /** Prefix of one user-data entry per metadata field: its type, so the catalog can be rebuilt from the index. */
    static final String KEY_FIELD_PREFIX = "docrag.field.";
    /**
     * 3: segments in {@link DocRagCodec} (chunk text stored uncompressed); 2: tenants, access
     * groups, typed metadata and headings (1 had none of them). A format-2 index opens unchanged:
     * its segments name Lucene's own codec, and its next commit records 3.
     */
    static final String FORMAT_VERSION = "3";
    private static final Set<String> READABLE_FORMATS = Set.of("2", FORMAT_VERSION);

    private static boolean newerFormat(String format) {
        try {
            return Integer.parseInt(format) > Integer.parseInt(FORMAT_VERSION);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Vectors are unit length, so the dot product is the cosine and the cheapest to compute. */
    static final VectorSimilarityFunction SIMILARITY = VectorSimilarityFunction.DOT_PRODUCT;

    private static final int SNIPPET_CHARS = 240;
    private static final int SNIPPET_LEAD = 40;

    private final Directory directory;
    private final Analyzer analyzer = new EnglishAnalyzer();
    private final DocRagCodec codec;
    private final KnnVectorsFormat vectorFormat;
    // Replaced together by recover() after a failed commit; searches read them without the write lock.
    private volatile IndexWriter writer;
    private volatile SearcherManager searchers;
    private final ModelInfo model;
    private final MetadataFields fields;
    private final ExecutorService mergeExecutor;
    private final VectorIndexConfig vectors;
    /**
     * Keeps the last commit only, except commits pinned by {@link #pin()} for a backup. One
     * instance for every writer this index opens (see {@link #recover()}), so that a commit pinned
     * before a recovery stays pinned after it: the new writer's initial cleanup asks this policy.
     */
    private final SnapshotDeletionPolicy snapshots = new SnapshotDeletionPolicy(new KeepOnlyLastCommitDeletionPolicy());
    private final Path path;
    /** When the searcher was last refreshed ({@link System#nanoTime()}); for {@link DocRagStats#searcherAge()}. */
    private volatile long refreshedAt = System.nanoTime();

    ChunkIndex(Path path, ModelInfo model, VectorIndexConfig vectors, MetadataFields fields) throws IOException {
        this(path, model, vectors, fields, UnaryOperator.identity());
    }

    /**
     * @param wrap wraps the index's {@link Directory}; tests use it to simulate a full disk or a
     *             power loss, DocRag itself passes the identity
     */
    ChunkIndex(Path path, ModelInfo model, VectorIndexConfig vectors, MetadataFields fields,
               UnaryOperator<Directory> wrap) throws IOException {
        this.model = model;
        this.fields = fields;
        this.path = path;
        this.vectors = vectors;
        this.mergeExecutor = vectors.mergeWorkers() > 1 ? mergePool(vectors.mergeWorkers()) : null;
        Directory dir = null;
        IndexWriter w = null;
        try {
            dir = wrap.apply(FSDirectory.open(path));
            boolean exists = DirectoryReader.indexExists(dir);
            if (exists) {
                checkCommit(path, SegmentInfos.readLatestCommit(dir).getUserData());
            }
            this.vectorFormat = vectorsFormat(vectors, mergeExecutor);
            this.codec = DocRagCodec.writingVectorsAs(vectorFormat);
            w = openWriter(dir);
            if (!exists) {
                w.setLiveCommitData(commitData(0, Map.of()).entrySet());
                w.commit(); // an empty index already records its model
            }
            this.directory = dir;
            this.writer = w;
            this.searchers = new SearcherManager(w, null);
        } catch (IOException | RuntimeException e) {
            try {
                if (w != null) {
                    w.rollback();
                }
                if (dir != null) {
                    dir.close();
                }
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            } finally {
                if (mergeExecutor != null) {
                    mergeExecutor.shutdownNow();
                }
            }
            throw e;
        }
    }

    /**
     * The Lucene format of an encoding. The quantized ones are Lucene's optimized scalar
     * quantization with an HNSW graph over the quantized vectors; they keep the float vectors too
     * (the {@code .vec} file beside the {@code .veq}), which is what rescoring reads.
     */
    static KnnVectorsFormat vectorsFormat(VectorIndexConfig vectors, ExecutorService mergeExecutor) {
        int m = vectors.maxConnections();
        int beam = vectors.beamWidth();
        int workers = vectors.mergeWorkers();
        return switch (vectors.encoding()) {
            case FLOAT32 -> new Lucene99HnswVectorsFormat(m, beam, workers, mergeExecutor);
            case INT8 -> new Lucene104HnswScalarQuantizedVectorsFormat(ScalarEncoding.UNSIGNED_BYTE, m, beam, workers, mergeExecutor);
            case INT4 -> new Lucene104HnswScalarQuantizedVectorsFormat(ScalarEncoding.PACKED_NIBBLE, m, beam, workers, mergeExecutor);
            case BINARY -> new Lucene104HnswScalarQuantizedVectorsFormat(ScalarEncoding.SINGLE_BIT_QUERY_NIBBLE, m, beam, workers, mergeExecutor);
        };
    }

    private IndexWriter openWriter(Directory dir) throws IOException {
        IndexWriterConfig config = new IndexWriterConfig(analyzer)
                .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                .setCodec(codec)
                .setIndexDeletionPolicy(snapshots)
                .setCommitOnClose(false); // only what DocRag committed counts
        // The writer starts with the last commit's user data, so a commit that changes no
        // document (forceMerge) keeps its sequence number and fields.
        return new IndexWriter(dir, config);
    }

    /** The user data of a commit at write sequence {@code seq} holding metadata fields {@code types}. */
    private Map<String, String> commitData(long seq, Map<String, MetadataType> types) {
        Map<String, String> data = new HashMap<>();
        data.put(KEY_MODEL, model.id());
        data.put(KEY_DIMENSION, Integer.toString(model.dimension()));
        data.put(KEY_SIMILARITY, SIMILARITY.name());
        data.put(KEY_FORMAT, FORMAT_VERSION);
        data.put(KEY_ENCODING, vectors.encoding().name());
        data.put(KEY_SEQ, Long.toString(seq));
        types.forEach((name, type) -> data.put(KEY_FIELD_PREFIX + name, type.name()));
        return data;
    }

    private static ExecutorService mergePool(int threads) {
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "docrag-hnsw-merge-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    private void checkCommit(Path path, Map<String, String> userData) {
        String builtWith = userData.getOrDefault(KEY_MODEL, "an unknown model");
        String dimension = userData.getOrDefault(KEY_DIMENSION, "?");
        String similarity = userData.getOrDefault(KEY_SIMILARITY, "?");
        if (!builtWith.equals(model.id()) || !dimension.equals(Integer.toString(model.dimension()))
                || !similarity.equals(SIMILARITY.name())) {
            throw new ModelMismatchException("the index at " + path + " was built with embedding model " + builtWith
                    + " (dimension " + dimension + ", similarity " + similarity + ") but is being opened with "
                    + model.id() + " (dimension " + model.dimension() + ", similarity " + SIMILARITY.name()
                    + "). Open it with the model that built it, or ingest into a new directory.");
        }
        String format = userData.getOrDefault(KEY_FORMAT, "?");
        if (!READABLE_FORMATS.contains(format)) {
            throw new IllegalStateException("the index at " + path + " has DocRag index format " + format + ", this DocRag "
                    + "reads formats 2 and " + FORMAT_VERSION + ". " + (newerFormat(format)
                    ? "Open it with the newer DocRag that wrote it." : "Delete the directory and ingest again."));
        }
        String encoding = userData.getOrDefault(KEY_ENCODING, VectorIndexConfig.Encoding.FLOAT32.name());
        if (!encoding.equals(vectors.encoding().name())) {
            VectorIndexConfig.Encoding built;
            try {
                built = VectorIndexConfig.Encoding.valueOf(encoding);
            } catch (IllegalArgumentException unknown) {
                built = null; // written by a newer DocRag
            }
            throw new VectorEncodingMismatchException("the index at " + path + " was created with vector encoding "
                    + encoding + " but is being opened with " + vectors.encoding() + ". Open it with encoding "
                    + encoding + ", or ingest into a new directory to change the encoding.", built, vectors.encoding());
        }
    }

    static String key(String tenant, String id) {
        return tenant + '\u0000' + id;
    }

    /**
     * Replaces all chunks of {@code doc} atomically (visible after the next refresh). Every chunk
     * carries {@code contentHash} and {@code root} (null: upserted), so that the catalog row of the
     * document can be rebuilt from the index alone.
     */
    void replace(DocumentInput doc, List<Chunk> chunks, List<float[]> vectors, String contentHash, String root)
            throws IOException {
        List<List<IndexableField>> docs = new ArrayList<>(chunks.size());
        for (int i = 0; i < chunks.size(); i++) {
            Chunk c = chunks.get(i);
            float[] v = vectors.get(i);
            if (v.length != model.dimension()) {
                throw new IllegalArgumentException("vector of chunk " + c.ordinal() + " of " + doc.id() + " has dimension "
                        + v.length + ", the index holds " + model.dimension());
            }
            List<IndexableField> d = new ArrayList<>();
            d.add(new StringField(KEY, key(doc.tenant(), doc.id()), Field.Store.NO));
            d.add(new KeywordField(TENANT, doc.tenant(), Field.Store.YES));
            d.add(new StringField(DOC_ID, doc.id(), Field.Store.YES));
            if (doc.accessGroups().isEmpty()) {
                d.add(new StringField(OPEN, "1", Field.Store.NO));
            }
            for (String g : doc.accessGroups()) {
                d.add(new StringField(ACL, g, Field.Store.NO));
            }
            d.add(new StoredField(SOURCE, doc.source()));
            d.add(new TextField(TITLE, doc.title(), Field.Store.YES));
            d.add(new TextField(HEADINGS, String.join("\n", c.headings()), Field.Store.YES));
            d.add(new IntField(ORDINAL, c.ordinal(), Field.Store.YES));
            d.add(new StoredField(SPAN, c.start() + ":" + c.end() + ":" + c.page()));
            d.add(new TextField(TEXT, c.text(), Field.Store.YES));
            d.add(new KnnFloatVectorField(VECTOR, v, SIMILARITY));
            d.add(new StoredField(HASH, contentHash));
            d.add(new BinaryDocValuesField(ROOT, rootValue(root)));
            addMetadata(d, doc.metadata());
            docs.add(d);
        }
        writer.updateDocuments(new Term(KEY, key(doc.tenant(), doc.id())), docs);
    }

    private static void addMetadata(List<IndexableField> d, Map<String, Object> metadata) {
        for (Map.Entry<String, Object> e : metadata.entrySet()) {
            String name = FilterQueries.PREFIX + e.getKey();
            switch (e.getValue()) {
                case String s -> d.add(new KeywordField(name, s, Field.Store.YES));
                case List<?> list -> list.forEach(s -> d.add(new KeywordField(name, (String) s, Field.Store.YES)));
                case Long l -> d.add(new LongField(name, l, Field.Store.YES));
                case Double x -> d.add(new DoubleField(name, x, Field.Store.YES));
                case Instant t -> d.add(new LongField(name, t.toEpochMilli(), Field.Store.YES));
                default -> throw new IllegalStateException("not a normalised metadata value: " + e.getValue());
            }
        }
    }

    private static BytesRef rootValue(String root) {
        return new BytesRef(root == null ? "U" : "R" + root);
    }

    /** Records that a document now belongs to the folder {@code root}, without rewriting its chunks. */
    void setRoot(String tenant, String id, String root) throws IOException {
        writer.updateBinaryDocValue(new Term(KEY, key(tenant, id)), ROOT, rootValue(root));
    }

    /** Deletes all chunks of one document (visible after the next refresh). */
    void delete(String tenant, String id) throws IOException {
        writer.deleteDocuments(new Term(KEY, key(tenant, id)));
    }

    /** A document's identity. */
    record DocKey(String tenant, String id) {
    }

    /**
     * The documents with a chunk matching {@code filter} in {@code tenant}, as the latest
     * refreshed searcher sees them. DocRag refreshes after every write and holds its write lock
     * around this and the delete that follows, so the answer is current.
     */
    List<DocKey> documents(String tenant, Filter filter) throws IOException {
        Query q = scope(tenant, null, filter);
        IndexSearcher s = acquire();
        try {
            Set<DocKey> keys = new LinkedHashSet<>();
            int n = s.count(q);
            if (n == 0) {
                return List.of();
            }
            StoredFields stored = s.storedFields();
            for (ScoreDoc sd : s.search(q, n).scoreDocs) {
                var d = stored.document(sd.doc, Set.of(TENANT, DOC_ID));
                keys.add(new DocKey(d.get(TENANT), d.get(DOC_ID)));
            }
            return List.copyOf(keys);
        } finally {
            release(s);
        }
    }

    /** Makes every write so far durable, keeping the last commit's sequence number and fields. */
    void commit() throws IOException {
        writer.commit();
    }

    /**
     * Makes every write so far durable as write {@code seq}: the commit's user data records the
     * sequence number and every metadata field's type, so that the catalog can be checked against
     * the index and rebuilt from it.
     */
    void commit(long seq, Map<String, MetadataType> types) throws IOException {
        writer.setLiveCommitData(commitData(seq, types).entrySet());
        writer.commit();
    }

    /** The write sequence number of the last commit (0 for an index older than sequence numbers). */
    long committedSeq() {
        return Long.parseLong(committedData().getOrDefault(KEY_SEQ, "0"));
    }

    /** The metadata field types the last commit recorded. */
    Map<String, MetadataType> committedFields() {
        Map<String, MetadataType> out = new HashMap<>();
        committedData().forEach((k, v) -> {
            if (k.startsWith(KEY_FIELD_PREFIX)) {
                out.put(k.substring(KEY_FIELD_PREFIX.length()), MetadataType.valueOf(v));
            }
        });
        return out;
    }

    private Map<String, String> committedData() {
        Map<String, String> data = new HashMap<>();
        Iterable<Map.Entry<String, String>> live = writer.getLiveCommitData();
        if (live != null) {
            live.forEach(e -> data.put(e.getKey(), e.getValue()));
        }
        return data;
    }

    /**
     * Pins the last commit: its files are not deleted (by merges, later commits or a
     * {@link #recover()}) until {@link #unpin}. Called under DocRag's write lock, so the last
     * commit is the last acknowledged write.
     */
    IndexCommit pin() throws IOException {
        return snapshots.snapshot();
    }

    /** Releases a commit pinned by {@link #pin()} and deletes its files unless still in use. */
    void unpin(IndexCommit commit) throws IOException {
        snapshots.release(commit);
        IndexWriter w = writer;
        if (w.isOpen()) {
            try {
                w.deleteUnusedFiles();
            } catch (AlreadyClosedException closing) {
                // closed meanwhile: the next open deletes the files
            }
        }
    }

    /** Where the index files are. */
    Path path() {
        return path;
    }

    /** The failure that closed the writer (a full disk, an I/O error), or null while it works. */
    Throwable tragedy() {
        return writer.getTragicException();
    }

    /** Whether the writer holds changes no commit has made durable, or was closed by a failure. */
    boolean needsRecovery() {
        IndexWriter w = writer;
        return !w.isOpen() || w.hasUncommittedChanges();
    }

    /**
     * Discards everything not committed and reopens the writer at the last commit, for a write
     * that failed half-way (a full disk, a failed commit): staged chunks of an unacknowledged call
     * must not ride along with the next commit. Searches keep their snapshots; later ones see the
     * last commit. Called under DocRag's write lock.
     */
    void recover() throws IOException {
        IndexWriter old = writer;
        SearcherManager oldSearchers = searchers;
        try {
            old.rollback(); // also fine when a tragic exception already closed it
        } catch (IOException | RuntimeException e) {
            LOG.warn("Rolling back the index writer failed: {}", e.toString());
        }
        IndexWriter w = openWriter(directory);
        SearcherManager m = new SearcherManager(w, null);
        writer = w;
        searchers = m;
        oldSearchers.close(); // searches holding its searcher release it by reference count
        LOG.info("Reopened the index at its last commit (sequence {})", committedSeq());
    }

    /** One document as the index holds it: what its catalog row must say. */
    record Indexed(String source, String title, String contentHash, int chunks, String root, boolean rootKnown) {
    }

    /**
     * Every document of the index as it now is, with its live chunk count and what its first
     * chunk records. The content hash is null for chunks written before hashes were stored, and
     * {@code rootKnown} false for chunks written before roots were.
     */
    Map<DocKey, Indexed> inventory() throws IOException {
        Map<DocKey, Indexed> out = new HashMap<>();
        // A commit whose catalog transaction failed was never refreshed into the searcher; the
        // caller holds no staged changes, so this searcher is exactly the last commit.
        refresh();
        IndexSearcher s = acquire();
        try {
            for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
                Terms terms = leaf.reader().terms(KEY);
                if (terms == null) {
                    continue;
                }
                Bits live = leaf.reader().getLiveDocs();
                // first live chunk of each key -> live chunk count
                Map<Integer, Integer> firsts = new HashMap<>();
                TermsEnum te = terms.iterator();
                PostingsEnum pe = null;
                while (te.next() != null) {
                    pe = te.postings(pe, PostingsEnum.NONE);
                    int first = -1;
                    int count = 0;
                    for (int d = pe.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = pe.nextDoc()) {
                        if (live == null || live.get(d)) {
                            first = first < 0 ? d : first;
                            count++;
                        }
                    }
                    if (count > 0) {
                        firsts.put(first, count);
                    }
                }
                StoredFields stored = leaf.reader().storedFields();
                BinaryDocValues roots = leaf.reader().getBinaryDocValues(ROOT);
                for (int d : firsts.keySet().stream().sorted().toList()) { // doc values read forwards only
                    var doc = stored.document(d, Set.of(TENANT, DOC_ID, SOURCE, TITLE, HASH));
                    String root = null;
                    boolean rootKnown = roots != null && roots.advanceExact(d);
                    if (rootKnown) {
                        String v = roots.binaryValue().utf8ToString();
                        root = v.startsWith("R") ? v.substring(1) : null;
                    }
                    Indexed found = new Indexed(doc.get(SOURCE), doc.get(TITLE), doc.get(HASH), firsts.get(d), root, rootKnown);
                    out.merge(new DocKey(doc.get(TENANT), doc.get(DOC_ID)), found, (a, b) ->
                            new Indexed(a.source(), a.title(), a.contentHash(), a.chunks() + b.chunks(), a.root(), a.rootKnown()));
                }
            }
        } finally {
            release(s);
        }
        return out;
    }

    /** Makes committed and uncommitted writes visible to searches. */
    void refresh() throws IOException {
        searchers.maybeRefreshBlocking();
        refreshedAt = System.nanoTime();
    }

    /** Time since the searcher was last refreshed. */
    java.time.Duration searcherAge() {
        return java.time.Duration.ofNanos(System.nanoTime() - refreshedAt);
    }

    /** Live chunks the current searcher sees, all tenants. */
    long chunkTotal() throws IOException {
        IndexSearcher s = searchers.acquire();
        try {
            return s.getIndexReader().numDocs();
        } finally {
            searchers.release(s);
        }
    }

    /**
     * Bytes of the index files on disk now. A file that a merge deletes while this lists them is
     * skipped, since the sum is a gauge, not an accounting.
     */
    long sizeInBytes() throws IOException {
        long total = 0;
        for (String file : directory.listAll()) {
            try {
                total += directory.fileLength(file);
            } catch (java.nio.file.NoSuchFileException | java.io.FileNotFoundException gone) {
                // merged away meanwhile
            }
        }
        return total;
    }

    /** A searcher of the current manager; a manager replaced by {@link #recover()} meanwhile is retried. */
    private IndexSearcher acquire() throws IOException {
        while (true) {
            SearcherManager m = searchers;
            try {
                return m.acquire();
            } catch (AlreadyClosedException e) {
                if (m == searchers) {
                    throw e;
                }
            }
        }
    }

    /** Releases by reference count, so it does not matter whether its manager was replaced since. */
    private static void release(IndexSearcher s) throws IOException {
        s.getIndexReader().decRef();
    }

    /** Merges down to at most {@code maxSegments} segments, waiting for it; searches go on meanwhile. */
    void forceMerge(int maxSegments) throws IOException {
        writer.forceMerge(maxSegments, true);
    }

    /** The vector format new segments are written with, as Lucene describes it (for tests and logs). */
    String vectorFormat() {
        return vectorFormat.toString();
    }

    /** The number of segments the current searcher sees. */
    int segmentCount() throws IOException {
        IndexSearcher s = acquire();
        try {
            return s.getIndexReader().leaves().size();
        } finally {
            release(s);
        }
    }

    /** The number of chunks stored for a document, as the current searcher sees it. */
    int chunkCount(String tenant, String documentId) throws IOException {
        IndexSearcher s = acquire();
        try {
            return s.count(new TermQuery(new Term(KEY, key(tenant, documentId))));
        } finally {
            release(s);
        }
    }

    /**
     * The constraint every search and filtered delete runs under: the tenant (unless null = all),
     * the caller's access (unless {@code groups} is null: deletes ignore access), the metadata
     * filter (unless null).
     */
    Query scope(String tenant, Set<String> groups, Filter filter) {
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        b.add(MatchAllDocsQuery.INSTANCE, Occur.FILTER); // keeps the query positive when nothing else constrains it
        if (tenant != null) {
            b.add(new TermQuery(new Term(TENANT, tenant)), Occur.FILTER);
        }
        if (groups != null) {
            BooleanQuery.Builder access = new BooleanQuery.Builder().add(new TermQuery(new Term(OPEN, "1")), Occur.SHOULD);
            for (String g : groups) {
                access.add(new TermQuery(new Term(ACL, g)), Occur.SHOULD);
            }
            b.add(access.setMinimumNumberShouldMatch(1).build(), Occur.FILTER);
        }
        if (filter != null) {
            b.add(FilterQueries.toQuery(filter, fields), Occur.FILTER);
        }
        return b.build();
    }

    /** The keyword query for {@code text}, or null when it has only stop words. */
    Query keywordQuery(String text) {
        QueryBuilder builder = new QueryBuilder(analyzer);
        BooleanQuery.Builder q = new BooleanQuery.Builder();
        boolean any = false;
        for (String field : List.of(TEXT, TITLE, HEADINGS)) {
            Query fieldQuery = builder.createBooleanQuery(field, text);
            if (fieldQuery != null) {
                q.add(fieldQuery, Occur.SHOULD);
                any = true;
            }
        }
        return any ? q.build() : null;
    }

    /** One retriever's candidates, best first, and whether a deeper list could hold more. */
    private record Candidates(ScoreDoc[] docs, boolean mayHaveMore) {
        static final Candidates NONE = new Candidates(new ScoreDoc[0], false);
    }

    /** A candidate chunk with its place in each retriever's list. */
    private static final class Scored {
        final int doc;
        double score;
        double vectorScore = Double.NaN;
        int vectorRank = -1;
        double keywordScore = Double.NaN;
        int keywordRank = -1;

        Scored(int doc) {
            this.doc = doc;
        }

        int bestRank() {
            return Math.min(vectorRank < 0 ? Integer.MAX_VALUE : vectorRank, keywordRank < 0 ? Integer.MAX_VALUE : keywordRank);
        }
    }

    private static final Comparator<Scored> BEST_FIRST = Comparator.<Scored>comparingDouble(s -> -s.score)
            .thenComparingInt(Scored::bestRank)
            .thenComparingInt(s -> s.doc);

    /**
     * Runs a search on one searcher snapshot.
     *
     * @param queryVector the unit query vector for VECTOR and HYBRID, null for KEYWORD
     */
    List<Hit> search(SearchRequest r, float[] queryVector) throws IOException {
        Query scope = scope(r.tenant().orElse(null), r.accessGroups(), r.filter().orElse(null));
        Query words = r.mode() == SearchRequest.Mode.VECTOR ? null : keywordQuery(r.text().orElseThrow());
        int want = r.offset() + r.k();
        IndexSearcher s = acquire();
        try {
            int live = s.getIndexReader().numDocs();
            // A fixed minimum depth keeps pages of one request consistent (see SearchRequest); a
            // vector search's is the configured number of search candidates (HNSW ef).
            int minimum = r.mode() == SearchRequest.Mode.VECTOR ? vectors.searchCandidates()
                    : Math.max(SearchRequest.STABLE_WINDOW, vectors.searchCandidates());
            int depth = Math.max(want, minimum);
            while (true) {
                Candidates byVector = queryVector == null ? null : vectorCandidates(s, queryVector, scope,
                        scopeCoversAll(s, r) ? null : scope, depth, live);
                Candidates byWords = words == null ? (queryVector == null ? Candidates.NONE : null)
                        : keywordCandidates(s, words, scope, depth, live);
                List<Scored> ranked = rank(r, byVector, byWords);
                List<Scored> kept = collapse(s, ranked, r.maxChunksPerDocument(), want);
                boolean more = (byVector != null && byVector.mayHaveMore) || (byWords != null && byWords.mayHaveMore);
                if (kept.size() >= want || !more) {
                    List<Scored> page = kept.subList(Math.min(r.offset(), kept.size()), Math.min(want, kept.size()));
                    return materialise(s, page, r);
                }
                // Collapsing dropped too many chunks of the same documents: look deeper.
                depth = (int) Math.min((long) depth * 2, Math.max(live, 1));
            }
        } finally {
            release(s);
        }
    }

    /**
     * Whether the request's scope admits every chunk of the snapshot: one tenant (or all) holding
     * every chunk, no filter, no access groups on any chunk, no deleted chunks. Then the kNN query
     * needs no pre-filter, and Lucene skips building a bit set of the whole index per search (a
     * cost that grows with the index, about a millisecond per million chunks). Term statistics
     * only, so it costs a few dictionary look-ups.
     */
    private static boolean scopeCoversAll(IndexSearcher s, SearchRequest r) throws IOException {
        var reader = s.getIndexReader();
        int max = reader.maxDoc();
        if (r.filter().isPresent() || reader.numDocs() != max || max == 0) {
            return false;
        }
        if (r.tenant().isPresent() && reader.docFreq(new Term(TENANT, r.tenant().get())) != max) {
            return false;
        }
        return reader.docFreq(new Term(OPEN, "1")) == max; // no chunk has access groups
    }

    /**
     * @param knnFilter the kNN pre-filter: {@code scope}, or null when the scope admits every chunk
     */
    private Candidates vectorCandidates(IndexSearcher s, float[] q, Query scope, Query knnFilter, int depth, int live)
            throws IOException {
        // The scope is a kNN pre-filter: HNSW only collects chunks that pass it, and Lucene
        // switches to an exact scan of the filtered chunks when the filter is selective.
        ScoreDoc[] docs = s.search(vectorQuery(q, knnFilter, depth), depth).scoreDocs;
        if (docs.length < depth) {
            // Every chunk has a vector, so fewer hits than min(depth, in scope) means the graph
            // search fell short; an exact scan makes k exact rather than approximately k.
            int inScope = s.count(scope);
            if (docs.length < Math.min(depth, inScope)) {
                LOG.debug("kNN returned {} of {} chunks in scope for depth {}; scanning exactly", docs.length, inScope, depth);
                docs = exactVectorSearch(s, q, scope, depth);
            }
        }
        return new Candidates(docs, docs.length == depth && depth < live);
    }

    /**
     * The kNN query for the {@code depth} nearest chunks in scope ({@code scope} null: all). Float vectors are searched as
     * they are. Quantized ones collect {@code oversample × depth} candidates over the quantized graph
     * and rescore them with the kept float vectors, so the order and the scores returned are exact
     * dot products of the candidates: recall after rescoring is what a caller gets.
     */
    Query vectorQuery(float[] q, Query scope, int depth) {
        VectorIndexConfig.Encoding encoding = vectors.encoding();
        if (!encoding.quantized()) {
            return new KnnFloatVectorQuery(VECTOR, q, depth, scope);
        }
        int candidates = (int) Math.min(Integer.MAX_VALUE - 8L, (long) depth * encoding.oversample());
        return RescoreTopNQuery.createFullPrecisionRescorerQuery(
                new KnnFloatVectorQuery(VECTOR, q, candidates, scope), q, VECTOR, depth);
    }

    /** Scores every chunk in scope against {@code q}; the best {@code depth}, best first. */
    static ScoreDoc[] exactVectorSearch(IndexSearcher s, float[] q, Query scope, int depth) throws IOException {
        Weight weight = s.createWeight(s.rewrite(scope), ScoreMode.COMPLETE_NO_SCORES, 1f);
        List<ScoreDoc> all = new ArrayList<>();
        for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
            Scorer scorer = weight.scorer(leaf);
            FloatVectorValues values = leaf.reader().getFloatVectorValues(VECTOR);
            if (scorer == null || values == null) {
                continue;
            }
            Bits liveDocs = leaf.reader().getLiveDocs();
            KnnVectorValues.DocIndexIterator vectors = values.iterator();
            DocIdSetIterator it = scorer.iterator();
            for (int d = it.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = it.nextDoc()) {
                if (liveDocs != null && !liveDocs.get(d)) {
                    continue;
                }
                if (vectors.docID() < d) {
                    vectors.advance(d);
                }
                if (vectors.docID() == d) {
                    all.add(new ScoreDoc(leaf.docBase + d, SIMILARITY.compare(q, values.vectorValue(vectors.index()))));
                }
            }
        }
        all.sort(Comparator.<ScoreDoc>comparingDouble(sd -> -sd.score).thenComparingInt(sd -> sd.doc));
        return all.subList(0, Math.min(depth, all.size())).toArray(ScoreDoc[]::new);
    }

    private static Candidates keywordCandidates(IndexSearcher s, Query words, Query scope, int depth, int live) throws IOException {
        Query q = new BooleanQuery.Builder().add(words, Occur.MUST).add(scope, Occur.FILTER).build();
        TopDocs top = s.search(q, depth);
        boolean exhausted = top.totalHits.relation() == TotalHits.Relation.EQUAL_TO && top.totalHits.value() <= depth;
        return new Candidates(top.scoreDocs, top.scoreDocs.length == depth && !exhausted && depth < live);
    }

    /** Orders the candidates by the request's final score. */
    private static List<Scored> rank(SearchRequest r, Candidates byVector, Candidates byWords) {
        Map<Integer, Scored> all = new LinkedHashMap<>();
        if (byVector != null) {
            for (int i = 0; i < byVector.docs.length; i++) {
                Scored c = all.computeIfAbsent(byVector.docs[i].doc, Scored::new);
                c.vectorScore = byVector.docs[i].score;
                c.vectorRank = i + 1;
            }
        }
        if (byWords != null) {
            for (int i = 0; i < byWords.docs.length; i++) {
                Scored c = all.computeIfAbsent(byWords.docs[i].doc, Scored::new);
                c.keywordScore = byWords.docs[i].score;
                c.keywordRank = i + 1;
            }
        }
        switch (r.mode()) {
            case VECTOR -> all.values().forEach(c -> c.score = c.vectorScore);
            case KEYWORD -> all.values().forEach(c -> c.score = c.keywordScore);
            case HYBRID -> fuse(r.fusion(), all.values(), byVector, byWords);
        }
        List<Scored> out = new ArrayList<>(all.values());
        out.sort(BEST_FIRST);
        return out;
    }

    private static void fuse(Fusion fusion, Iterable<Scored> candidates, Candidates byVector, Candidates byWords) {
        switch (fusion) {
            case Fusion.Rrf rrf -> {
                for (Scored c : candidates) {
                    c.score = (c.vectorRank > 0 ? 1.0 / (rrf.k() + c.vectorRank) : 0)
                            + (c.keywordRank > 0 ? 1.0 / (rrf.k() + c.keywordRank) : 0);
                }
            }
            case Fusion.Convex convex -> {
                double[] v = minMax(byVector);
                double[] w = minMax(byWords);
                for (Scored c : candidates) {
                    double nv = c.vectorRank > 0 ? normalise(c.vectorScore, v) : 0;
                    double nw = c.keywordRank > 0 ? normalise(c.keywordScore, w) : 0;
                    c.score = convex.vectorWeight() * nv + (1 - convex.vectorWeight()) * nw;
                }
            }
        }
    }

    private static double[] minMax(Candidates c) {
        if (c == null || c.docs.length == 0) {
            return new double[] {0, 0};
        }
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (ScoreDoc sd : c.docs) {
            min = Math.min(min, sd.score);
            max = Math.max(max, sd.score);
        }
        return new double[] {min, max};
    }

    private static double normalise(double score, double[] minMax) {
        double span = minMax[1] - minMax[0];
        return span > 0 ? (score - minMax[0]) / span : 1;
    }

    /** Keeps at most {@code perDocument} chunks of each document, stopping once {@code want} are kept. */
    private static List<Scored> collapse(IndexSearcher s, List<Scored> ranked, int perDocument, int want) throws IOException {
        if (perDocument == Integer.MAX_VALUE) {
            return ranked;
        }
        StoredFields stored = s.storedFields();
        Map<String, Integer> perKey = new HashMap<>();
        List<Scored> kept = new ArrayList<>();
        for (Scored c : ranked) {
            var d = stored.document(c.doc, Set.of(TENANT, DOC_ID));
            if (perKey.merge(key(d.get(TENANT), d.get(DOC_ID)), 1, Integer::sum) <= perDocument) {
                kept.add(c);
                if (kept.size() == want) {
                    break;
                }
            }
        }
        return kept;
    }

    private List<Hit> materialise(IndexSearcher s, List<Scored> page, SearchRequest r) throws IOException {
        Set<String> terms = r.text().map(this::analyse).orElse(Set.of());
        StoredFields stored = s.storedFields();
        List<Hit> hits = new ArrayList<>(page.size());
        for (Scored c : page) {
            org.apache.lucene.document.Document d = stored.document(c.doc);
            String text = d.get(TEXT);
            String headings = d.get(HEADINGS);
            String[] span = d.get(SPAN) == null ? new String[] {"-1", "-1", "0"} : d.get(SPAN).split(":");
            hits.add(new Hit(d.get(TENANT), d.get(DOC_ID), d.get(SOURCE), d.get(TITLE),
                    headings == null || headings.isEmpty() ? List.of() : Arrays.asList(headings.split("\n")),
                    d.getField(ORDINAL).numericValue().intValue(), Integer.parseInt(span[0]), Integer.parseInt(span[1]),
                    Integer.parseInt(span[2]), text,
                    c.score, c.vectorScore, c.vectorRank, c.keywordScore, c.keywordRank,
                    snippet(text, terms), metadata(d)));
        }
        return hits;
    }

    private Map<String, Object> metadata(org.apache.lucene.document.Document d) {
        Map<String, List<IndexableField>> byName = new LinkedHashMap<>();
        for (IndexableField f : d.getFields()) {
            if (f.name().startsWith(FilterQueries.PREFIX)) {
                byName.computeIfAbsent(f.name().substring(FilterQueries.PREFIX.length()), n -> new ArrayList<>()).add(f);
            }
        }
        Map<String, Object> out = new HashMap<>();
        byName.forEach((name, values) -> {
            MetadataType type = fields.type(name);
            if (type == null) {
                return; // cannot happen: fields are registered before documents are written
            }
            IndexableField first = values.get(0);
            out.put(name, switch (type) {
                case STRING -> first.stringValue();
                case STRING_LIST -> values.stream().map(IndexableField::stringValue).toList();
                case LONG -> first.numericValue().longValue();
                case DOUBLE -> first.numericValue().doubleValue();
                case INSTANT -> Instant.ofEpochMilli(first.numericValue().longValue());
            });
        });
        return out;
    }

    /** The analysed terms of {@code text}, as the keyword query matches them. */
    private Set<String> analyse(String text) {
        Set<String> terms = new HashSet<>();
        try (TokenStream ts = analyzer.tokenStream(TEXT, text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                terms.add(term.toString());
            }
            ts.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringReader cannot fail
        }
        return terms;
    }

    /** The best window of the chunk: the one holding most query-word matches, cut at white space. */
    Snippet snippet(String text, Set<String> terms) {
        List<Snippet.Span> matches = new ArrayList<>();
        if (!terms.isEmpty()) {
            try (TokenStream ts = analyzer.tokenStream(TEXT, text)) {
                CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
                OffsetAttribute offset = ts.addAttribute(OffsetAttribute.class);
                ts.reset();
                while (ts.incrementToken()) {
                    if (terms.contains(term.toString())) {
                        matches.add(new Snippet.Span(offset.startOffset(), offset.endOffset()));
                    }
                }
                ts.end();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        int start = 0;
        int end = text.length();
        if (text.length() > SNIPPET_CHARS) {
            int best = 0;
            int bestCount = -1;
            for (Snippet.Span m : matches) {
                int from = Math.max(0, m.start() - SNIPPET_LEAD);
                int count = (int) matches.stream().filter(o -> o.start() >= from && o.end() <= from + SNIPPET_CHARS).count();
                if (count > bestCount) {
                    best = from;
                    bestCount = count;
                }
            }
            start = best;
            if (start > 0) { // begin at a word
                int space = indexOfWhitespace(text, start, Math.min(text.length(), start + SNIPPET_LEAD));
                start = space >= 0 ? space + 1 : start;
            }
            end = Math.min(text.length(), start + SNIPPET_CHARS);
            if (end < text.length()) { // end at a word
                for (int i = end; i > start + SNIPPET_CHARS / 2; i--) {
                    if (Character.isWhitespace(text.charAt(i))) {
                        end = i;
                        break;
                    }
                }
            }
        }
        List<Snippet.Span> inside = new ArrayList<>();
        for (Snippet.Span m : matches) {
            if (m.start() >= start && m.end() <= end) {
                inside.add(new Snippet.Span(m.start() - start, m.end() - start));
            }
        }
        return new Snippet(text.substring(start, end), start, inside);
    }

    private static int indexOfWhitespace(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            if (Character.isWhitespace(text.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        try {
            searchers.close();
        } finally {
            try {
                writer.rollback(); // uncommitted changes are dropped; DocRag commits what it acknowledges
            } finally {
                try {
                    directory.close();
                } finally {
                    if (mergeExecutor != null) {
                        mergeExecutor.shutdownNow();
                    }
                }
            }
        }
    }
}
