package dev.docrag.ops;

import dev.docrag.index.DocRag;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** DocRag's Micrometer observations around ingest, upsert, delete, search and embed, with their low-cardinality keys. */
class ObservationTest {

    @Test
    void observesEachOperationWithLowCardinalityKeys(@TempDir Path dir) throws Exception {
        TestObservationRegistry registry = TestObservationRegistry.create();
        Queue<Observation.Context> stopped = new ConcurrentLinkedQueue<>();
        registry.observationConfig().observationHandler(new ObservationHandler<>() {
            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }

            @Override
            public void onStop(Observation.Context context) {
                stopped.add(context);
            }
        });
        try (DocRag rag = RealDocRag.open(dir, registry)) {
            RealDocRag.exercise(rag, dir);
        }
        // The ingest pipeline embeds the chunks of several documents per call, so the two files of
        // the folder ingest take one or two calls; the upsert takes its own; each query one.
        Map<String, Long> embedCalls = stopped.stream().filter(c -> "docrag.embed".equals(c.getName()))
                .collect(Collectors.groupingBy(c -> c.getLowCardinalityKeyValue("kind").getValue(), Collectors.counting()));
        assertThat(embedCalls.get("query")).isEqualTo(2); // hybrid and vector
        assertThat(embedCalls.get("documents")).isBetween(2L, 3L);
        TestObservationRegistryAssert.assertThat(registry)
                .hasNumberOfObservationsWithNameEqualTo("docrag.ingest", 2)
                .hasNumberOfObservationsWithNameEqualTo("docrag.upsert", 1)
                .hasNumberOfObservationsWithNameEqualTo("docrag.delete", 1)
                .hasNumberOfObservationsWithNameEqualTo("docrag.search", 4)
                .forAllObservationsWithNameEqualTo("docrag.search", o -> o
                        .hasLowCardinalityKeyValueWithKey("mode").hasLowCardinalityKeyValue("operation", "search")
                        .hasLowCardinalityKeyValueWithKey("outcome").doesNotHaveHighCardinalityKeyValueWithKey("query"))
                .hasAnObservation(o -> o.hasNameEqualTo("docrag.search").hasLowCardinalityKeyValue("mode", "hybrid")
                        .hasLowCardinalityKeyValue("outcome", "success"))
                .hasAnObservation(o -> o.hasNameEqualTo("docrag.search").hasLowCardinalityKeyValue("mode", "vector"))
                .hasAnObservation(o -> o.hasNameEqualTo("docrag.search").hasLowCardinalityKeyValue("mode", "keyword")
                        .hasLowCardinalityKeyValue("outcome", "success"))
                .hasAnObservation(o -> o.hasNameEqualTo("docrag.search").hasLowCardinalityKeyValue("mode", "keyword")
                        .hasLowCardinalityKeyValue("outcome", "caller_error").hasError())
                .forAllObservationsWithNameEqualTo("docrag.ingest", o -> o.hasLowCardinalityKeyValue("operation", "ingest")
                        .hasLowCardinalityKeyValue("outcome", "success"))
                .hasAnObservation(o -> o.hasNameEqualTo("docrag.embed").hasLowCardinalityKeyValue("kind", "documents")
                        .hasLowCardinalityKeyValue("outcome", "success"))
                .hasAnObservation(o -> o.hasNameEqualTo("docrag.embed").hasLowCardinalityKeyValue("kind", "query")
                        .hasParentObservationContextMatching(parent -> "docrag.search".equals(((Observation.ContextView) parent).getName())));
    }
}
