package dev.docrag.examples;

import dev.docrag.index.DocRag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Keeps README's library example true: README shows exactly the code that this test runs. */
class QuickStartExampleTest {
    private static final Path SOURCE = Path.of("src/main/java/dev/docrag/examples/QuickStartExample.java");

    @Test
    void readmeShowsTheExampleVerbatim() throws IOException {
        ReadmeSnippets.assertReadmeShows(SOURCE, "");
    }

    @Test
    void theExampleRunsAndLeavesASearchableIndex(@TempDir Path data) {
        QuickStartExample.run(DemoTest.SAMPLES, data);
        try (DocRag rag = DocRag.builder().directory(data).build()) {
            assertThat(rag.documentCount()).isEqualTo(8);
            assertThat(rag.search("how do I rotate logs?", 1).get(0).documentId()).isEqualTo("operations/logging.md");
        }
    }
}
