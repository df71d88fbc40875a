package dev.docrag.index;

import dev.docrag.index.VectorIndexConfig.Encoding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Every {@link Encoding} on a real Lucene index of clustered 384-dimensional unit vectors indexed
 * through DocRag: recall against brute force after rescoring, exact scores, the quantized file
 * sizes Javadoc promises, and reopening under another encoding.
 */
class QuantizedVectorsTest {
    private static final int DIM = 384;
    private static final int N = 3000;

    private static DocRag open(Path dir, TableEmbedder embedder, Encoding encoding) {
        return DocRag.builder().directory(dir).embedder(embedder)
                .vectorIndex(VectorIndexConfig.builder().encoding(encoding).build()).build();
    }

    private static void ingest(DocRag rag, int n) {
        List<DocumentInput> docs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            docs.add(DocumentInput.builder("t", "d" + i).text(TableEmbedder.text(i)).build());
            if (docs.size() == 1000) {
                rag.upsert(docs);
                docs.clear();
            }
        }
        if (!docs.isEmpty()) {
            rag.upsert(docs);
        }
    }

    private static int[] exactTop(float[][] rows, float[] q, int k) {
        return IntStream.range(0, rows.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -ChunkIndex.SIMILARITY.compare(q, rows[i])).thenComparing(i -> i))
                .limit(k).mapToInt(Integer::intValue).toArray();
    }

    private static long bytesWithExtension(Path dir, String ext) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(ext)).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void eachEncodingFindsTheNearestNeighboursWithExactScoresAndItsDocumentedSize(Encoding encoding, @TempDir Path dir) {
        long seed = TestSeeds.seed();
        String why = TestSeeds.describe(seed) + ", " + encoding;
        Random rnd = new Random(seed);
        float[][] rows = TableEmbedder.clustered(rnd, N, DIM, 50);
        try (TableEmbedder embedder = new TableEmbedder(rows); DocRag rag = open(dir, embedder, encoding)) {
            ingest(rag, N);
            rag.forceMerge(1);
            assertThat(rag.vectorFormat()).as(why)
                    .contains(encoding.quantized() ? "Lucene104HnswScalarQuantizedVectorsFormat" : "Lucene99HnswVectorsFormat");

            int found = 0;
            int queries = 50;
            for (int r = 0; r < queries; r++) {
                // a stored vector: its own document must come first, with score 1
                int self = rnd.nextInt(N);
                List<Hit> own = rag.search(SearchRequest.vector(rows[self]).tenant("t").k(1));
                assertThat(own).as("%s, own vector of d%d", why, self).hasSize(1);
                assertThat(own.get(0).documentId()).as(why).isEqualTo("d" + self);
                assertThat(own.get(0).vectorScore()).as(why).isCloseTo(1.0, within(1e-5));

                // a new query near the data: recall@10 against brute force, scores exact after rescoring
                float[] q = TableEmbedder.near(rnd, rows[rnd.nextInt(N)], 0.7f);
                int[] exact = exactTop(rows, q, 10);
                List<Hit> hits = rag.search(SearchRequest.vector(q).tenant("t").k(10));
                assertThat(hits).as(why).hasSize(10);
                Set<String> truth = new HashSet<>();
                Arrays.stream(exact).forEach(i -> truth.add("d" + i));
                for (Hit h : hits) {
                    int row = Integer.parseInt(h.documentId().substring(1));
                    assertThat(h.vectorScore()).as("%s: the returned score is the float dot product", why)
                            .isCloseTo(ChunkIndex.SIMILARITY.compare(q, rows[row]), within(1e-5));
                    if (truth.contains(h.documentId())) {
                        found++;
                    }
                }
            }
            double recall = found / (queries * 10.0);
            // Measured on this data (search candidates 100): 1.0 for all four encodings.
            assertThat(recall).as("recall@10 after rescoring, %s", why).isGreaterThanOrEqualTo(encoding == Encoding.BINARY ? 0.9 : 0.95);
        }

        long vec = bytesWithExtension(dir, ".vec");
        long veq = bytesWithExtension(dir, ".veq");
        assertThat(bytesWithExtension(dir, ".cfs")).as("the merged segment is not a compound file").isZero();
        assertThat(vec).as("float vectors are kept in every encoding, %s", why).isGreaterThanOrEqualTo((long) N * DIM * Float.BYTES);
        double perVector = veq / (double) N;
        switch (encoding) {
            case FLOAT32 -> assertThat(veq).as(why).isZero();
            // Javadoc: 400 B, 208 B and 64 B per 384-d vector against FLOAT32's 1,536 B (measured exactly so)
            case INT8 -> assertThat(perVector).as(why).isBetween(384.0, 410.0);
            case INT4 -> assertThat(perVector).as(why).isBetween(192.0, 215.0);
            case BINARY -> assertThat(perVector).as(why).isBetween(48.0, 70.0);
        }
    }

    @Test
    void reopeningUnderAnotherEncodingFailsNamingBothAndTheSameEncodingReopens(@TempDir Path dir) {
        float[][] rows = TableEmbedder.clustered(new Random(TestSeeds.seed()), 200, 64, 4);
        try (TableEmbedder embedder = new TableEmbedder(rows)) {
            try (DocRag rag = open(dir, embedder, Encoding.INT8)) {
                ingest(rag, rows.length);
            }
            for (Encoding other : List.of(Encoding.FLOAT32, Encoding.INT4, Encoding.BINARY)) {
                assertThatThrownBy(() -> open(dir, embedder, other).close())
                        .isInstanceOfSatisfying(VectorEncodingMismatchException.class, e -> {
                            assertThat(e.indexEncoding()).isEqualTo(Encoding.INT8);
                            assertThat(e.requestedEncoding()).isEqualTo(other);
                        })
                        .hasMessageContaining("INT8").hasMessageContaining(other.name()).hasMessageContaining(dir.toString());
            }
            // the default (FLOAT32) builder, as a host that forgot the setting would open it
            assertThatThrownBy(() -> DocRag.builder().directory(dir).embedder(embedder).build().close())
                    .isInstanceOf(VectorEncodingMismatchException.class);
            try (DocRag rag = open(dir, embedder, Encoding.INT8)) {
                assertThat(rag.documentCount()).isEqualTo(rows.length);
                List<Hit> hits = rag.search(SearchRequest.vector(rows[7]).tenant("t").k(3));
                assertThat(hits.get(0).documentId()).isEqualTo("d7");
            }
        }
    }

    @Test
    void searchCandidatesAreValidated() {
        assertThatThrownBy(() -> VectorIndexConfig.builder().searchCandidates(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("searchCandidates");
        assertThat(VectorIndexConfig.defaults().searchCandidates()).isEqualTo(SearchRequest.STABLE_WINDOW);
        assertThat(Encoding.FLOAT32.quantized()).isFalse();
        assertThat(Encoding.BINARY.oversample()).isGreaterThan(Encoding.INT8.oversample());
    }
}
