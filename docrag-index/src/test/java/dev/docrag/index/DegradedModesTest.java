package dev.docrag.index;

import dev.docrag.core.embed.Embedder;
import dev.docrag.core.embed.EmbedderException;
import dev.docrag.core.embed.ModelInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The index's seams for degraded operation: keyword-only hybrid search, and paused writes. */
class DegradedModesTest {

    /** The hash embedder, whose query embeddings fail while {@code failing} is set. */
    private static final class FlakyEmbedder implements Embedder {
        final HashEmbedder real = new HashEmbedder();
        volatile RuntimeException failing;

        public ModelInfo model() {
            return real.model();
        }

        public List<float[]> embedDocuments(List<String> texts) {
            return real.embedDocuments(texts);
        }

        public float[] embedQuery(String text) {
            RuntimeException f = failing;
            if (f != null) {
                throw f;
            }
            return real.embedQuery(text);
        }

        public int countTokens(String text) {
            return real.countTokens(text);
        }

        public void close() {
        }
    }

    @Test
    void hybridSearchDegradesToKeywordOnlyAndVectorSearchFailsTyped(@TempDir Path dir) {
        FlakyEmbedder embedder = new FlakyEmbedder();
        List<String> heard = Collections.synchronizedList(new ArrayList<>());
        try (DocRag rag = DocRag.builder().directory(dir).embedder(embedder).build()) {
            rag.addListener(new DocRagListener() {
                @Override
                public void searchDegraded() {
                    heard.add("degraded");
                }

                @Override
                public void requestFinished(Operation operation, Outcome outcome, Duration took) {
                    heard.add(operation.tag() + ":" + outcome.tag());
                }
            });
            rag.upsert(List.of(DocumentInput.builder("acme", "logs").title("Logs").text("rotate the logs nightly").build(),
                    DocumentInput.builder("acme", "trips").title("Trips").text("book flights early").build()));
            SearchRequest hybrid = SearchRequest.hybrid("rotate logs").tenant("acme").k(5);
            SearchResult full = rag.searchResult(hybrid);
            assertThat(full.degraded()).isFalse();
            assertThat(full.reason()).isEmpty();
            assertThat(full.hits()).hasSize(2).anyMatch(Hit::foundByVector);

            embedder.failing = EmbedderException.transientFailure("provider returned 503", null);
            SearchResult degraded = rag.searchResult(hybrid);
            assertThat(degraded.degraded()).isTrue();
            assertThat(degraded.reason()).hasValueSatisfying(r -> assertThat(r).contains("provider returned 503"));
            assertThat(degraded.hits()).isEqualTo(rag.search(SearchRequest.keyword("rotate logs").tenant("acme").k(5)));
            assertThat(degraded.hits()).extracting(Hit::documentId).containsExactly("logs");
            assertThat(rag.search(hybrid)).isEqualTo(degraded.hits());

            assertThatThrownBy(() -> rag.search(SearchRequest.vector("rotate logs").tenant("acme")))
                    .isInstanceOfSatisfying(EmbedderException.class, e -> assertThat(e.isTransient()).isTrue())
                    .hasMessageContaining("vector search needs the query's embedding")
                    .hasCause(embedder.failing);
            embedder.failing = new IllegalStateException("session gone");
            assertThatThrownBy(() -> rag.search(SearchRequest.vector("rotate logs").tenant("acme")))
                    .isInstanceOfSatisfying(EmbedderException.class, e -> assertThat(e.isTransient()).isFalse());
            assertThat(rag.search(SearchRequest.vector(unit()).tenant("acme").k(1)))
                    .as("a caller's own vector needs no embedder").hasSize(1);

            embedder.failing = null;
            assertThat(rag.searchResult(hybrid).degraded()).isFalse();
            assertThat(heard).containsExactly("upsert:success", "search:success", "degraded", "search:success",
                    "search:success", "degraded", "search:success", "search:failure", "search:failure", "search:success",
                    "search:success");
        }
    }

    private static float[] unit() {
        float[] v = new float[HashEmbedder.DIMENSION];
        v[0] = 1;
        return v;
    }

    @Test
    void pausedWritesAreRefusedWithoutChangingAnythingAndSearchesGoOn(@TempDir Path dir) throws Exception {
        List<String> heard = Collections.synchronizedList(new ArrayList<>());
        Path docs = Files.createDirectories(dir.resolve("docs"));
        Files.writeString(docs.resolve("a.txt"), "rotate the logs nightly");
        try (DocRag rag = DocRag.builder().directory(dir.resolve("rag")).embedder(new HashEmbedder()).build()) {
            rag.addListener(new DocRagListener() {
                @Override
                public void requestFinished(Operation operation, Outcome outcome, Duration took) {
                    heard.add(operation.tag() + ":" + outcome.tag());
                }
            });
            rag.upsert(DocumentInput.builder("acme", "a").title("A").text("rotate the logs nightly").build());
            assertThat(rag.writesPaused()).isEmpty();

            rag.pauseWrites("catalog unreachable");
            assertThat(rag.writesPaused()).hasValue("catalog unreachable");
            assertThatThrownBy(() -> rag.upsert(DocumentInput.builder("acme", "b").title("B").text("new").build()))
                    .isInstanceOf(WritesPausedException.class).hasMessageContaining("catalog unreachable");
            assertThatThrownBy(() -> rag.ingest(docs)).isInstanceOf(WritesPausedException.class);
            assertThatThrownBy(() -> rag.delete("acme", "a")).isInstanceOf(WritesPausedException.class);
            assertThatThrownBy(() -> rag.delete("acme", Filter.eq("x", "y"))).isInstanceOf(WritesPausedException.class);
            assertThat(rag.search(SearchRequest.hybrid("logs").tenant("acme"))).as("searches go on").hasSize(1);
            assertThat(rag.documentCount()).as("nothing changed").isEqualTo(1);
            assertThat(rag.isOpen()).isTrue();

            rag.resumeWrites();
            assertThat(rag.writesPaused()).isEmpty();
            assertThat(rag.ingest(docs).added()).isEqualTo(1);
            assertThat(heard).containsExactly("upsert:success", "upsert:rejected", "ingest:rejected", "delete:rejected",
                    "delete:rejected", "search:success", "ingest:success");
        }
    }
}
