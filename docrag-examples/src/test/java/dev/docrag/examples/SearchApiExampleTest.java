package dev.docrag.examples;

import dev.docrag.core.embed.OnnxEmbedder;
import dev.docrag.index.DocRag;
import dev.docrag.index.Hit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Keeps README's search API examples true: README shows exactly the code this test runs. */
class SearchApiExampleTest {
    private static final Path README = Path.of(System.getProperty("docrag.readme", "../README.md"));
    private static final Path SOURCE = Path.of("src/main/java/dev/docrag/examples/SearchApiExample.java");

    @Test
    void readmeShowsEachExampleVerbatim() throws IOException {
        List<String> source = Files.readAllLines(SOURCE);
        String readme = String.join("\n", Files.readAllLines(README).stream().map(String::strip).toList());
        for (String name : List.of("upsert", "vector", "keyword", "hybrid")) {
            List<String> snippet = source.subList(indexOf(source, "// README:" + name + ":begin") + 1,
                    indexOf(source, "// README:" + name + ":end")).stream().map(String::strip).toList();
            assertThat(snippet).hasSizeGreaterThan(2);
            assertThat(readme).as("README.md must contain the '%s' example of SearchApiExample.java, line for line", name)
                    .contains(String.join("\n", snippet));
        }
    }

    @Test
    void theExamplesRunAndFindTheDocument(@TempDir Path dir) {
        try (OnnxEmbedder embedder = OnnxEmbedder.allMiniLmL6V2();
             DocRag rag = DocRag.builder().directory(dir).embedder(embedder).build()) {
            SearchApiExample.write(rag);
            for (List<Hit> hits : List.of(SearchApiExample.vector(rag), SearchApiExample.keyword(rag), SearchApiExample.hybrid(rag))) {
                assertThat(hits).singleElement().satisfies(h -> {
                    assertThat(h.tenant()).isEqualTo("acme");
                    assertThat(h.documentId()).isEqualTo("runbooks/rotate-logs");
                });
            }
            assertThat(SearchApiExample.keyword(rag).get(0).snippet().marked("[", "]")).contains("[rotated] [nightly]");
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
