package dev.docrag.index;

import dev.docrag.core.Chunk;
import dev.docrag.core.Document;
import dev.docrag.core.embed.ModelInfo;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.IntField;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.QueryBuilder;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Lucene index of chunks: one Lucene document per chunk, with an HNSW vector field and BM25
 * text fields. All of a document's chunks are replaced in one {@code updateDocuments} call, so a
 * reader sees either all old or all new chunks. Searches go through a {@link SearcherManager} and
 * never wait for writes. Every commit records the embedding model in its user data.
 *
 * <p>Thread-safety: searches may run concurrently with each other and with writes; writes are
 * serialised by the caller ({@link DocRag}).
 */
final class ChunkIndex implements Closeable {
    static final String DOC_ID = "doc_id";
    static final String SOURCE = "source";
    static final String TITLE = "title";
    static final String ORDINAL = "ordinal";
    static final String TEXT = "text";
    static final String VECTOR = "vector";

    static final String KEY_MODEL = "docrag.model";
    static final String KEY_DIMENSION = "docrag.dimension";
    static final String KEY_SIMILARITY = "docrag.similarity";
    static final String KEY_FORMAT = "docrag.format";
    static final String FORMAT_VERSION = "1";

    /** Vectors are unit length, so the dot product is the cosine and the cheapest to compute. */
    static final VectorSimilarityFunction SIMILARITY = VectorSimilarityFunction.DOT_PRODUCT;

    private final Directory directory;
    private final Analyzer analyzer = new EnglishAnalyzer();
    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final ModelInfo model;

    ChunkIndex(Path path, ModelInfo model) throws IOException {
        this.model = model;
        this.directory = FSDirectory.open(path);
        IndexWriter w = null;
        try {
            boolean exists = DirectoryReader.indexExists(directory);
            if (exists) {
                checkModel(path, SegmentInfos.readLatestCommit(directory).getUserData());
            }
            IndexWriterConfig config = new IndexWriterConfig(analyzer)
                    .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                    .setCommitOnClose(false); // only what DocRag committed counts
            w = new IndexWriter(directory, config);
            w.setLiveCommitData(Map.of(
                    KEY_MODEL, model.id(),
                    KEY_DIMENSION, Integer.toString(model.dimension()),
                    KEY_SIMILARITY, SIMILARITY.name(),
                    KEY_FORMAT, FORMAT_VERSION).entrySet());
            if (!exists) {
                w.commit(); // an empty index already records its model
            }
            this.writer = w;
            this.searchers = new SearcherManager(w, null);
        } catch (IOException | RuntimeException e) {
            if (w != null) {
                w.rollback();
            }
            directory.close();
            throw e;
        }
    }

    private void checkModel(Path path, Map<String, String> userData) {
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
    }

    /** Replaces all chunks of {@code doc} atomically (visible after the next refresh). */
    void replace(Document doc, List<Chunk> chunks, List<float[]> vectors) throws IOException {
        List<List<Field>> docs = new ArrayList<>(chunks.size());
        for (int i = 0; i < chunks.size(); i++) {
            Chunk c = chunks.get(i);
            float[] v = vectors.get(i);
            if (v.length != model.dimension()) {
                throw new IllegalArgumentException("vector of chunk " + c.ordinal() + " of " + doc.id() + " has dimension "
                        + v.length + ", the index holds " + model.dimension());
            }
            docs.add(List.of(
                    new StringField(DOC_ID, doc.id(), Field.Store.YES),
                    new StoredField(SOURCE, doc.source()),
                    new TextField(TITLE, doc.title(), Field.Store.YES),
                    new IntField(ORDINAL, c.ordinal(), Field.Store.YES),
                    new TextField(TEXT, c.text(), Field.Store.YES),
                    new KnnFloatVectorField(VECTOR, v, SIMILARITY)));
        }
        writer.updateDocuments(new Term(DOC_ID, doc.id()), docs);
    }

    /** Makes every write so far durable. */
    void commit() throws IOException {
        writer.commit();
    }

    /** Makes committed and uncommitted writes visible to searches. */
    void refresh() throws IOException {
        searchers.maybeRefreshBlocking();
    }

    /** The number of chunks stored for a document, as the current searcher sees it. */
    int chunkCount(String documentId) throws IOException {
        IndexSearcher s = searchers.acquire();
        try {
            return s.count(new TermQuery(new Term(DOC_ID, documentId)));
        } finally {
            searchers.release(s);
        }
    }

    List<Hit> vectorSearch(float[] query, int k) throws IOException {
        return search(new KnnFloatVectorQuery(VECTOR, query, k), k);
    }

    List<Hit> keywordSearch(String query, int k) throws IOException {
        QueryBuilder builder = new QueryBuilder(analyzer);
        BooleanQuery.Builder q = new BooleanQuery.Builder();
        boolean any = false;
        for (String field : List.of(TEXT, TITLE)) {
            Query fieldQuery = builder.createBooleanQuery(field, query);
            if (fieldQuery != null) {
                q.add(fieldQuery, BooleanClause.Occur.SHOULD);
                any = true;
            }
        }
        return any ? search(q.build(), k) : List.of(); // only stop words: nothing to match
    }

    private List<Hit> search(Query query, int k) throws IOException {
        IndexSearcher s = searchers.acquire();
        try {
            TopDocs top = s.search(query, k);
            StoredFields stored = s.storedFields();
            List<Hit> hits = new ArrayList<>(top.scoreDocs.length);
            for (ScoreDoc sd : top.scoreDocs) {
                org.apache.lucene.document.Document d = stored.document(sd.doc);
                hits.add(new Hit(d.get(DOC_ID), d.get(SOURCE), d.get(TITLE),
                        d.getField(ORDINAL).numericValue().intValue(), d.get(TEXT), sd.score));
            }
            return hits;
        } finally {
            searchers.release(s);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            searchers.close();
        } finally {
            try {
                writer.rollback(); // uncommitted changes are dropped; DocRag commits what it acknowledges
            } finally {
                directory.close();
            }
        }
    }
}
