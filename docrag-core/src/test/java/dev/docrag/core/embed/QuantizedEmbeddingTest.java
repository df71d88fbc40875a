package dev.docrag.core.embed;

import dev.docrag.core.Chunk;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The int8 MiniLM is a faithful, deterministic stand-in for the fp32 one. */
class QuantizedEmbeddingTest {
    private static final Path QUESTIONS = Path.of(System.getProperty("docrag.eval",
            "../eval/pydocs-qa.tsv"));
    private static OnnxEmbedder fp32;
    private static OnnxEmbedder int8;

    @BeforeAll
    static void load() {
        fp32 = OnnxEmbedder.allMiniLmL6V2();
        int8 = OnnxEmbedder.create(OnnxModel.allMiniLmL6V2Int8());
    }

    @AfterAll
    static void close() {
        fp32.close();
        int8.close();
    }

    @Test
    void int8VectorsStayCloseToFp32OnRealText() {
        List<String> texts = new ArrayList<>(RealText.chunks(RealText.SAMPLES, fp32, 256).stream().map(Chunk::text).toList());
        List<Chunk> python = RealText.chunks(RealText.pythonDocs().resolve("tutorial"), fp32, 256);
        for (int i = 0; i < python.size(); i += Math.max(1, python.size() / 200)) {
            texts.add(python.get(i).text());
        }
        List<float[]> a = fp32.embedDocuments(texts);
        List<float[]> b = int8.embedDocuments(texts);
        double mean = IntStream.range(0, texts.size()).mapToDouble(i -> RealText.cosine(a.get(i), b.get(i))).average().orElseThrow();
        assertThat(texts).hasSizeGreaterThan(150);
        assertThat(mean).as("mean cosine int8 vs fp32 over %d real chunks", texts.size()).isGreaterThanOrEqualTo(0.98);
    }

    @Test
    void int8VectorsDoNotDependOnTheirBatch() {
        List<String> texts = RealText.chunks(RealText.SAMPLES, fp32, 256).stream().map(Chunk::text).toList();
        List<float[]> together = int8.embedDocuments(texts);
        for (int i = 0; i < texts.size(); i++) {
            float[] alone = int8.embedDocuments(List.of(texts.get(i))).get(0);
            assertThat(RealText.cosine(alone, together.get(i))).as("text %d alone vs in a call of %d", i, texts.size())
                    .isGreaterThanOrEqualTo(0.99999);
        }
    }

    /**
     * On the Python documentation with the retrieval questions of eval/pydocs-qa.tsv, int8 finds at
     * least 95% of fp32's top-10 chunks. The corpus is every chunk of the pages the questions name
     * plus an even sample of the other pages (4,000 chunks in all), which keeps the test at about a
     * minute; the benchmark runs the whole documentation.
     */
    @Test
    void int8RetrievesWhatFp32Retrieves() throws IOException {
        Path root = RealText.pythonDocs();
        List<String> questions = new ArrayList<>();
        Set<String> relevantPages = new HashSet<>();
        for (String line : Files.readAllLines(QUESTIONS)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] cols = line.split("\t");
            questions.add(cols[0]);
            relevantPages.addAll(List.of(cols[1].split(",")));
        }
        List<Chunk> all = RealText.chunks(root, fp32, 256);
        Set<Chunk> corpus = new LinkedHashSet<>();
        for (Chunk c : all) {
            if (relevantPages.contains(c.documentId().replaceFirst("\\.html$", ""))) {
                corpus.add(c);
            }
        }
        int others = Math.max(0, 4000 - corpus.size());
        for (int i = 0; i < others; i++) {
            corpus.add(all.get((int) ((long) i * all.size() / others)));
        }
        List<String> texts = corpus.stream().map(Chunk::text).toList();
        List<float[]> docsFp32 = fp32.embedDocuments(texts);
        List<float[]> docsInt8 = int8.embedDocuments(texts);
        double found = 0;
        for (String q : questions) {
            Set<Integer> top = top10(fp32.embedQuery(q), docsFp32);
            Set<Integer> topInt8 = top10(int8.embedQuery(q), docsInt8);
            topInt8.retainAll(top);
            found += topInt8.size() / 10.0;
        }
        double overlap = found / questions.size();
        assertThat(questions).hasSize(59);
        assertThat(overlap).as("share of fp32's top-10 that int8 also returns, %d questions, %d chunks", questions.size(), texts.size())
                .isGreaterThanOrEqualTo(0.95);
    }

    private static Set<Integer> top10(float[] q, List<float[]> docs) {
        return new HashSet<>(IntStream.range(0, docs.size()).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> -RealText.cosine(q, docs.get(i))))
                .limit(10).toList());
    }
}
