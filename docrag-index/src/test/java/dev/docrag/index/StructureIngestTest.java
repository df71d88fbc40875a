package dev.docrag.index;

import dev.docrag.core.Document;
import dev.docrag.core.chunk.Chunker;
import dev.docrag.core.load.FileLoader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the loaders know of a file's structure reaches search hits: the heading breadcrumb of
 * Markdown and HTML sections, the page of PDF text, and the chunk's exact span in the text.
 */
class StructureIngestTest {
    @TempDir
    Path tmp;

    private static void pdf(Path file, String... pages) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            for (String text : pages) {
                PDPage page = new PDPage();
                doc.addPage(page);
                try (PDPageContentStream s = new PDPageContentStream(doc, page)) {
                    s.beginText();
                    s.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 12);
                    s.newLineAtOffset(72, 700);
                    s.showText(text);
                    s.endText();
                }
            }
            doc.save(file.toFile());
        }
    }

    private Hit only(DocRag rag, String query) {
        var hits = rag.search(SearchRequest.keyword(query).tenant(DocRag.DEFAULT_TENANT).k(1));
        assertThat(hits).as(query).hasSize(1);
        return hits.get(0);
    }

    @Test
    void hitsCarryBreadcrumbsPagesAndSpans() throws IOException {
        Path docs = Files.createDirectories(tmp.resolve("docs"));
        Files.writeString(docs.resolve("guide.md"), """
                # Operations guide

                Welcome.

                ## Log rotation

                Logs are rotated nightly by the zebrafish job.
                """);
        Files.writeString(docs.resolve("page.html"), """
                <html><head><title>Backups</title></head><body>
                <nav>Home | About</nav>
                <main><h1>Backups</h1><p>Intro.</p><h2>Restore</h2><p>Restoring uses the pelican tool.</p></main>
                </body></html>
                """);
        pdf(docs.resolve("manual.pdf"), "The first page talks about aardvarks.", "The second page mentions the okapi.");
        try (HashEmbedder embedder = new HashEmbedder();
             DocRag rag = DocRag.builder().directory(tmp.resolve("index")).embedder(embedder).build()) {
            IngestReport report = rag.ingest(docs);
            assertThat(report.failures()).isEmpty();
            assertThat(report.added()).isEqualTo(3);

            Hit md = only(rag, "zebrafish");
            assertThat(md.headings()).containsExactly("Operations guide", "Log rotation");
            assertThat(md.page()).isZero();
            Hit html = only(rag, "pelican");
            assertThat(html.headings()).containsExactly("Backups", "Restore");
            assertThat(html.text()).doesNotContain("Home | About");
            Hit first = only(rag, "aardvarks");
            Hit second = only(rag, "okapi");
            assertThat(first.page()).isEqualTo(1);
            assertThat(second.page()).isEqualTo(2);

            FileLoader loader = FileLoader.standard();
            for (Hit h : new Hit[] {md, html, first, second}) {
                Document doc = loader.load(docs, docs.resolve(h.documentId()));
                assertThat(doc.text().substring(h.start(), h.end())).as(h.documentId()).isEqualTo(h.text());
            }
        }
    }

    @Test
    void aHostChunkerWithOverlapIsUsedAndOneOverTheWindowIsRefused() {
        try (HashEmbedder embedder = new HashEmbedder(40)) {
            Chunker overlapping = Chunker.builder(embedder).targetTokens(24).overlapTokens(8).build();
            try (DocRag rag = DocRag.builder().directory(tmp.resolve("overlap")).embedder(embedder).chunker(overlapping).build()) {
                StringBuilder text = new StringBuilder();
                for (int i = 0; i < 60; i++) {
                    text.append("common word").append(i).append(i % 7 == 6 ? ".\n\n" : " ");
                }
                rag.upsert(DocumentInput.builder(DocRag.DEFAULT_TENANT, "long").text(text.toString()).build());
                var hits = rag.search(SearchRequest.keyword("common").tenant(DocRag.DEFAULT_TENANT)
                        .maxChunksPerDocument(100).k(100));
                var byOrdinal = hits.stream().sorted(java.util.Comparator.comparingInt(Hit::ordinal)).toList();
                assertThat(byOrdinal.size()).isGreaterThan(2);
                assertThat(byOrdinal).extracting(Hit::ordinal).as("every chunk holds the common word")
                        .isEqualTo(java.util.stream.IntStream.range(0, byOrdinal.size()).boxed().toList());
                for (int i = 1; i < byOrdinal.size(); i++) {
                    assertThat(byOrdinal.get(i).start()).as("chunk %d repeats the end of the one before", i)
                            .isLessThan(byOrdinal.get(i - 1).end());
                }
            }
            Chunker tooLong = Chunker.builder(embedder::countTokens).targetTokens(30).maxTokens(80).build();
            assertThatThrownBy(() -> DocRag.builder().directory(tmp.resolve("refused")).embedder(embedder).chunker(tooLong).build())
                    .hasMessageContaining("over").hasMessageContaining("window of 40");
        }
    }
}
