package dev.docrag.examples;

import dev.docrag.index.DocRag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Keeps README's library example true: README shows exactly the code that this test runs. */
class QuickStartExampleTest {
    private static final Path README = Path.of(System.getProperty("docrag.readme", "../README.md"));
    private static final Path SOURCE = Path.of("src/main/java/dev/docrag/examples/QuickStartExample.java");

    @Test
    void readmeShowsTheExampleVerbatim() throws IOException {
        List<String> source = Files.readAllLines(SOURCE);
        List<String> snippet = source.subList(indexOf(source, "// README:begin") + 1, indexOf(source, "// README:end"))
                .stream().map(String::strip).toList();
        assertThat(snippet).hasSizeGreaterThan(5);
        List<String> readme = Files.readAllLines(README).stream().map(String::strip).toList();
        assertThat(readme).as("README.md must contain the example from QuickStartExample.java, line for line")
                .containsSubsequence(snippet);
        assertThat(String.join("\n", readme)).contains(String.join("\n", snippet));
    }

    @Test
    void theExampleRunsAndLeavesASearchableIndex(@TempDir Path data) {
        QuickStartExample.run(DemoTest.SAMPLES, data);
        try (DocRag rag = DocRag.builder().directory(data).build()) {
            assertThat(rag.documentCount()).isEqualTo(8);
            assertThat(rag.search("how do I rotate logs?", 1).get(0).documentId()).isEqualTo("operations/logging.md");
        }
    }

    private static int indexOf(List<String> lines, String marker) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(marker)) {
                return i;
            }
        }
        throw new AssertionError(marker + " not found in " + SOURCE);
    }
}
