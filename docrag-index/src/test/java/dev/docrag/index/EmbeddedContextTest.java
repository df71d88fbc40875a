package dev.docrag.index;

import dev.docrag.core.embed.Embedder;
import dev.docrag.core.embed.ModelInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What DocRag gives the embedder for a chunk: the document title and the chunk's heading
 * breadcrumb on a line of their own, then the chunk's text, within the model's window; the index
 * and hits keep the chunk's text alone.
 */
class EmbeddedContextTest {
    @TempDir
    Path tmp;

    /** Records every passage it embeds. */
    private static final class Recording implements Embedder {
        final HashEmbedder delegate = new HashEmbedder();
        final List<String> passages = new CopyOnWriteArrayList<>();

        @Override
        public ModelInfo model() {
            return delegate.model();
        }

        @Override
        public List<float[]> embedDocuments(List<String> texts) {
            passages.addAll(texts);
            return delegate.embedDocuments(texts);
        }

        @Override
        public float[] embedQuery(String text) {
            return delegate.embedQuery(text);
        }

        @Override
        public int countTokens(String text) {
            return delegate.countTokens(text);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void titleAndBreadcrumbAreEmbeddedWithEveryChunkAndTheTextIsKeptWhole() throws IOException {
        Path docs = Files.createDirectories(tmp.resolve("docs"));
        Files.writeString(docs.resolve("runbook.md"), """
                ---
                title: Ops runbook
                ---
                ## Log rotation

                Logs are rotated nightly by the zebrafish job.
                """);
        Files.writeString(docs.resolve("page.html"), """
                <html><head><title>Backups — Example docs</title></head><body>
                <main><h1>Backups</h1><p>Intro.</p><h2>Restore</h2><p>Restoring uses the pelican tool.</p></main>
                </body></html>
                """);
        // a long page: every chunk must still fit the window with its context line
        Files.writeString(docs.resolve("long.md"), "# Long page\n\n## Details\n\n"
                + "Words that fill the page again and again. ".repeat(80));
        Recording embedder = new Recording();
        try (DocRag rag = DocRag.builder().directory(tmp.resolve("index")).embedder(embedder).build()) {
            IngestReport report = rag.ingest(docs);
            assertThat(report.failures()).isEmpty();

            // a front-matter title that the headings do not repeat is named before the breadcrumb
            assertThat(embedder.passages).contains("Ops runbook > Log rotation\n\n## Log rotation\n\nLogs are rotated nightly by the zebrafish job.");
            // a title that begins with the first heading ("Backups — Example docs") gives way to the breadcrumb
            assertThat(embedder.passages).contains("Backups > Restore\n\nRestore\n\nRestoring uses the pelican tool.");
            List<String> longOnes = embedder.passages.stream().filter(p -> p.startsWith("Long page > Details\n\n")).toList();
            assertThat(longOnes).hasSizeGreaterThan(3);
            assertThat(embedder.passages).allSatisfy(p -> assertThat(embedder.countTokens(p)).isLessThanOrEqualTo(64));

            // hits show the chunk's own text, not the context line
            Hit hit = rag.search(SearchRequest.keyword("pelican").tenant(DocRag.DEFAULT_TENANT).k(1)).get(0);
            assertThat(hit.text()).isEqualTo("Restore\n\nRestoring uses the pelican tool.");
            assertThat(hit.headings()).containsExactly("Backups", "Restore");
        }
    }
}
