package dev.docrag.index;

import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ops hooks of the index: listener events and outcomes, listener isolation, the stats snapshot, the catalog ping. */
class InstrumentationTest {

    @Test
    void listenersHearEveryCallOnceWithItsOutcomeAndCannotBreakIt(@TempDir Path dir) {
        List<String> heard = Collections.synchronizedList(new ArrayList<>());
        DocRagListener recording = new DocRagListener() {
            @Override
            public void requestFinished(Operation operation, Outcome outcome, Duration took) {
                heard.add(operation.tag() + ":" + outcome.tag());
            }

            @Override
            public void documentsWritten(Operation operation, IngestReport report) {
                heard.add(operation.tag() + ":added=" + report.added());
            }

            @Override
            public void embedded(EmbedKind kind, int texts, long tokens, Duration took, boolean ok) {
                heard.add("embed:" + kind.tag() + ":" + texts + ":" + (tokens > 0));
            }
        };
        DocRagListener throwing = new DocRagListener() {
            @Override
            public void requestFinished(Operation operation, Outcome outcome, Duration took) {
                throw new IllegalStateException("a broken listener");
            }
        };
        DocRag rag = DocRag.builder().directory(dir).embedder(new HashEmbedder()).build();
        rag.addListener(throwing);
        rag.addListener(recording);
        rag.upsert(DocumentInput.builder("acme", "a").title("A").text("rotate the logs nightly").build());
        assertThat(rag.search(SearchRequest.keyword("logs").tenant("acme").k(1))).hasSize(1);
        assertThatThrownBy(() -> rag.search(SearchRequest.keyword("logs").tenant("acme").k(1)
                .filter(Filter.eq("nope", "x")))).isInstanceOf(IllegalArgumentException.class);
        assertThat(rag.delete("acme", "a")).isTrue();

        DocRagStats stats = rag.stats();
        assertThat(stats.documents()).isZero();
        assertThat(stats.chunks()).isZero();
        assertThat(stats.indexBytes()).isPositive();
        assertThat(stats.warmed()).isTrue();
        assertThat(stats.catalogPool()).hasValueSatisfying(p -> assertThat(p.max()).isEqualTo(4));
        rag.checkCatalog(Duration.ofSeconds(1));

        rag.removeListener(recording);
        rag.search(SearchRequest.hybrid("logs").tenant("acme").k(1)); // not heard any more
        rag.close();
        assertThat(rag.isOpen()).isFalse();
        rag.addListener(recording);
        assertThatThrownBy(() -> rag.search("logs", 1)).isInstanceOf(IllegalStateException.class);

        assertThat(heard).containsExactly(
                "embed:documents:1:true", "upsert:added=1", "upsert:success",
                "search:success",
                "search:caller_error",
                "delete:success",
                "search:rejected");
    }

    @Test
    void withoutRegistryOrListenersCallsGoStraightThrough(@TempDir Path dir) {
        Instrumentation off = new Instrumentation(ObservationRegistry.NOOP, () -> false);
        int[] calls = {0};
        assertThat(off.request(DocRagListener.Operation.SEARCH, "hybrid", () -> ++calls[0])).isEqualTo(1);
        try (DocRag rag = DocRag.builder().directory(dir).embedder(new HashEmbedder()).build()) {
            assertThat(rag.stats().documents()).isZero();
        }
    }
}
