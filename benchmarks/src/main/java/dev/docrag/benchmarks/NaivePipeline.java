package dev.docrag.benchmarks;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.util.QueryBuilder;
import org.jsoup.Jsoup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The named peer of {@code benchmarks/run quality}: the naive retrieval pipeline the issue's
 * reference numbers were measured with. Each page's body text (jsoup) is cut into 200-word chunks
 * without regard to structure; chunks are embedded with LangChain4j's all-MiniLM-L6-v2 as it runs
 * it (its tokenizer truncates at 128 tokens, so the tail of most chunks is never seen by the
 * model); keyword search is plain Lucene BM25 over the chunk text with the English analyzer; dense
 * search is exact cosine over all chunk vectors; hybrid is reciprocal rank fusion with k = 60 over
 * the two chunk lists. Kept deliberately simple: it is the reference, not a competitor to tune.
 */
final class NaivePipeline implements AutoCloseable {
    static final int WORDS_PER_CHUNK = 200;
    static final int RRF_K = 60;
    /** Chunks each retriever returns; enough for ten distinct pages in practice. */
    static final int DEPTH = 100;

    private final List<String> chunkPages = new ArrayList<>();
    private final List<float[]> vectors;
    private final EmbeddingModel model = new AllMiniLmL6V2EmbeddingModel();
    private final ByteBuffersDirectory directory = new ByteBuffersDirectory();
    private final EnglishAnalyzer analyzer = new EnglishAnalyzer();
    private final DirectoryReader reader;
    private final IndexSearcher searcher;
    final double embedSeconds;
    final double buildSeconds;

    /** Builds the pipeline over {@code pages} (page id = path relative to the docs root without .html). */
    NaivePipeline(Path root, List<Path> pages) throws IOException {
        long started = System.nanoTime();
        List<String> texts = new ArrayList<>();
        try (IndexWriter writer = new IndexWriter(directory, new IndexWriterConfig(analyzer))) {
            for (Path page : pages) {
                String id = QualityBenchmark.pageId(root, page);
                String body = Jsoup.parse(Files.readString(page)).body().text();
                String[] words = body.split("\\s+");
                for (int i = 0; i < words.length; i += WORDS_PER_CHUNK) {
                    String chunk = String.join(" ", Arrays.copyOfRange(words, i, Math.min(words.length, i + WORDS_PER_CHUNK))).strip();
                    if (chunk.isEmpty()) {
                        continue;
                    }
                    Document d = new Document();
                    d.add(new TextField("text", chunk, Field.Store.NO));
                    d.add(new StoredField("n", chunkPages.size()));
                    writer.addDocument(d);
                    chunkPages.add(id);
                    texts.add(chunk);
                }
            }
        }
        reader = DirectoryReader.open(directory);
        searcher = new IndexSearcher(reader);
        long t0 = System.nanoTime();
        List<Embedding> embedded = model.embedAll(texts.stream().map(TextSegment::from).toList()).content();
        embedSeconds = (System.nanoTime() - t0) / 1e9;
        vectors = embedded.stream().map(Embedding::vector).toList();
        buildSeconds = (System.nanoTime() - started) / 1e9;
    }

    int chunkCount() {
        return chunkPages.size();
    }

    /** Chunk numbers by BM25, best first. */
    int[] keyword(String question) throws IOException {
        Query q = new QueryBuilder(analyzer).createBooleanQuery("text", question);
        if (q == null) {
            return new int[0];
        }
        ScoreDoc[] docs = searcher.search(q, DEPTH).scoreDocs;
        int[] out = new int[docs.length];
        for (int i = 0; i < docs.length; i++) {
            out[i] = searcher.storedFields().document(docs[i].doc).getField("n").numericValue().intValue();
        }
        return out;
    }

    /** Chunk numbers by cosine to the question's embedding (exact), best first. */
    int[] dense(String question) {
        float[] q = model.embed(question).content().vector();
        Integer[] order = new Integer[vectors.size()];
        double[] score = new double[vectors.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            float[] v = vectors.get(i);
            double dot = 0;
            for (int j = 0; j < q.length; j++) {
                dot += q[j] * v[j];
            }
            score[i] = dot; // LangChain4j's vectors are unit length
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -score[i]).thenComparingInt(i -> i));
        return Arrays.stream(order).limit(DEPTH).mapToInt(Integer::intValue).toArray();
    }

    /** Reciprocal rank fusion of the two chunk lists. */
    static int[] rrf(int[] a, int[] b) {
        Map<Integer, Double> score = new HashMap<>();
        for (int[] list : List.of(a, b)) {
            for (int r = 0; r < list.length; r++) {
                score.merge(list[r], 1.0 / (RRF_K + r + 1), Double::sum);
            }
        }
        return score.entrySet().stream()
                .sorted(Map.Entry.<Integer, Double>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .mapToInt(Map.Entry::getKey).toArray();
    }

    /** Chunk list to page list: a page's rank is that of its best chunk. */
    List<String> pages(int[] chunks) {
        LinkedHashMap<String, Boolean> seen = new LinkedHashMap<>();
        for (int c : chunks) {
            seen.putIfAbsent(chunkPages.get(c), true);
        }
        return new ArrayList<>(seen.keySet());
    }

    @Override
    public void close() throws IOException {
        reader.close();
        directory.close();
    }
}
