package dev.docrag.examples;

import dev.docrag.core.embed.OnnxEmbedder;
import dev.docrag.index.DocRag;
import dev.docrag.index.Hit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Keeps README's search API examples true: README shows exactly the code this test runs. */
class SearchApiExampleTest {
    private static final Path SOURCE = Path.of("src/main/java/dev/docrag/examples/SearchApiExample.java");

    @Test
    void readmeShowsEachExampleVerbatim() throws IOException {
        for (String name : List.of("upsert", "vector", "keyword", "hybrid")) {
            ReadmeSnippets.assertReadmeShows(SOURCE, name + ":");
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
}
