package dev.docrag.index;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import dev.docrag.core.Chunk;
import dev.docrag.core.chunk.Chunker;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Filtered vector search and the HNSW configuration, on an index of a few thousand one-chunk
 * documents made with {@link HashEmbedder}, so that exact answers can be computed by brute force.
 */
class VectorIndexTest {
    private static final List<String> WORDS = TenantIsolationPropertyTest.VOCABULARY;

    private static List<DocumentInput> corpus(Random rnd, int n) {
        List<DocumentInput> docs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder text = new StringBuilder();
            for (int w = 3 + rnd.nextInt(6); w > 0; w--) {
                text.append(WORDS.get(rnd.nextInt(WORDS.size()))).append(' ');
            }
            // bucket i % 1000: a filter on one bucket is very selective, on "wide" it is not
            docs.add(DocumentInput.builder("t", "d" + i).text(text.toString())
                    .metadata("bucket", (long) (i % 1000)).metadata("wide", i % 2 == 0 ? "yes" : "no").build());
        }
        return docs;
    }

    @Test
    void filteredVectorSearchReturnsExactlyMinOfKAndMatchesAndIsExactWhenSelective(@TempDir Path dir) {
        long seed = TestSeeds.seed();
        String why = TestSeeds.describe(seed);
        Random rnd = new Random(seed);
        try (HashEmbedder embedder = new HashEmbedder();
             DocRag rag = DocRag.builder().directory(dir).embedder(embedder).build()) {
            List<DocumentInput> docs = corpus(rnd, 3000);
            rag.upsert(docs);
            Chunker chunker = DocRag.chunker(embedder); // what DocRag cuts and embeds with
            for (int round = 0; round < 20; round++) {
                String query = WORDS.get(rnd.nextInt(WORDS.size())) + " " + WORDS.get(rnd.nextInt(WORDS.size()));
                float[] q = HashEmbedder.embed(query);
                long bucket = rnd.nextInt(1000); // 3 documents per bucket
                List<Hit> few = rag.search(SearchRequest.vector(query).tenant("t").filter(Filter.eq("bucket", bucket)).k(10));
                assertThat(few).as("a filter matching 3 chunks, k = 10: %s", why).hasSize(3);
                assertThat(few).allSatisfy(h -> assertThat(h.metadata()).containsEntry("bucket", bucket));

                // 30 buckets = 90 documents: HNSW under such a filter falls back to an exact scan,
                // so the answer must equal brute force, score for score.
                Filter thirty = Filter.range("bucket", bucket, bucket + 29);
                List<Hit> exact = rag.search(SearchRequest.vector(query).tenant("t").filter(thirty).k(25));
                List<Double> expected = docs.stream()
                        .filter(d -> TenantIsolationPropertyTest.matches(thirty, d.metadata()))
                        .map(d -> (double) ChunkIndex.SIMILARITY.compare(q, HashEmbedder.embed(embedded(chunker, d))))
                        .sorted(Comparator.reverseOrder()).limit(25).toList();
                assertThat(exact).as("selective filter, %s", why).hasSize(Math.min(25, expected.size()));
                for (int i = 0; i < exact.size(); i++) {
                    assertThat(exact.get(i).vectorScore()).as("score %d of '%s', %s", i, query, why)
                            .isCloseTo(expected.get(i), within(1e-5));
                }

                List<Hit> wide = rag.search(SearchRequest.vector(query).tenant("t").filter(Filter.eq("wide", "yes")).k(100));
                assertThat(wide).as("half the index matches, k = 100: %s", why).hasSize(100)
                        .allSatisfy(h -> assertThat(h.metadata()).containsEntry("wide", "yes"));
            }
        }
    }

    /** What DocRag embeds for a one-chunk document: its text with the title line, if that fits. */
    private static String embedded(Chunker chunker, DocumentInput d) {
        List<Chunk> chunks = chunker.chunk(d.toDocument());
        assertThat(chunks).as("corpus documents are one chunk each").hasSize(1);
        return chunker.embeddingText(d.title(), chunks.get(0));
    }

    @Test
    void hnswSettingsAreValidatedAtBuild() {
        assertThatThrownBy(() -> VectorIndexConfig.builder().maxConnections(1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxConnections");
        assertThatThrownBy(() -> VectorIndexConfig.builder().maxConnections(513).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxConnections");
        assertThatThrownBy(() -> VectorIndexConfig.builder().beamWidth(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beamWidth");
        assertThatThrownBy(() -> VectorIndexConfig.builder().mergeWorkers(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mergeWorkers");
        assertThatThrownBy(() -> VectorIndexConfig.builder().encoding(null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("encoding");
        assertThat(VectorIndexConfig.defaults()).isEqualTo(new VectorIndexConfig(VectorIndexConfig.Encoding.FLOAT32, 16, 100, 1));
    }

    @Test
    void hnswSettingsAreAppliedAndForceMergeLeavesOneSegment(@TempDir Path dir) {
        Random rnd = new Random(TestSeeds.seed());
        VectorIndexConfig config = VectorIndexConfig.builder().maxConnections(8).beamWidth(40).mergeWorkers(2).build();
        try (HashEmbedder embedder = new HashEmbedder()) {
            try (DocRag rag = DocRag.builder().directory(dir).embedder(embedder).vectorIndex(config).build()) {
                assertThat(rag.vectorFormat()).contains("maxConn=8").contains("beamWidth=40");
                List<DocumentInput> docs = corpus(rnd, 600);
                for (int i = 0; i < docs.size(); i += 100) {
                    rag.upsert(docs.subList(i, i + 100)); // one commit, and so one segment, per call
                }
                assertThat(rag.segmentCount()).isGreaterThan(1);
                List<Hit> before = rag.search(SearchRequest.vector("alpha bravo").tenant("t").k(10));
                rag.forceMerge(1);
                assertThat(rag.segmentCount()).isEqualTo(1);
                List<Hit> after = rag.search(SearchRequest.vector("alpha bravo").tenant("t").k(10));
                assertThat(after).hasSize(10);
                assertThat(after.get(0).vectorScore()).isCloseTo(before.get(0).vectorScore(), within(1e-6));
                assertThatThrownBy(() -> rag.forceMerge(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxSegments");
            }
            assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                    .as("the merge pool is closed with DocRag").noneMatch(n -> n.startsWith("docrag-hnsw-merge"));
            // Segments written with other HNSW settings open with the defaults.
            try (DocRag rag = DocRag.builder().directory(dir).embedder(embedder).build()) {
                assertThat(rag.vectorFormat()).contains("maxConn=16").contains("beamWidth=100");
                assertThat(rag.search(SearchRequest.vector("alpha").tenant("t").k(5))).hasSize(5);
            }
        }
    }
}
