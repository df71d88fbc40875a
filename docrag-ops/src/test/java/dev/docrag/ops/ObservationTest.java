package dev.docrag.ops;

import dev.docrag.index.DocRag;
import io.micrometer.observation.Observation;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** DocRag's Micrometer observations around ingest, upsert, delete, search and embed, with their low-cardinality keys. */
class ObservationTest {

    @Test
    void observesEachOperationWithLowCardinalityKeys(@TempDir Path dir) throws Exception {
        TestObservationRegistry registry = TestObservationRegistry.create();
        try (DocRag rag = RealDocRag.open(dir, registry)) {
            RealDocRag.exercise(rag, dir);
        }
        TestObservationRegistryAssert.assertThat(registry)
                .hasNumberOfObservationsWithNameEqualTo("docrag.ingest", 2)
                .hasNumberOfObservationsWithNameEqualTo("docrag.upsert", 1)
                .hasNumberOfObservationsWithNameEqualTo("docrag.delete", 1)
                .hasNumberOfObservationsWithNameEqualTo("docrag.search", 4)
                .hasNumberOfObservationsWithNameEqualTo("docrag.embed", 5) // 3 documents + hybrid and vector queries
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
