package dev.docrag.index;

import dev.docrag.core.embed.Embedder;
import dev.docrag.core.embed.ModelInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Progress and stopping of {@link DocRag#ingest(Path, String, java.util.function.Consumer)}: an
 * interrupt of the calling thread (what a CLI's Ctrl-C handler does) ends the run early with
 * what it wrote committed, whole documents only, and the next run does the rest.
 */
class StoppedIngestTest {
    /**
     * Enough chunks (about 1,800) that the run is still embedding when the interrupt arrives, however
     * fast the machine: the stop comes at the next progress tick, and the run ends within one call.
     */
    private static final int FILES = 300;

    /** The test embedder, slowed down so that the run is still going when it is interrupted. */
    private static final class SlowEmbedder implements Embedder {
        private final HashEmbedder inner = new HashEmbedder();

        @Override
        public ModelInfo model() {
            return inner.model();
        }

        @Override
        public List<float[]> embedDocuments(List<String> texts) {
            try {
                Thread.sleep(2L * texts.size());
            } catch (InterruptedException e) {
                throw new AssertionError("a stage thread was interrupted", e);
            }
            return inner.embedDocuments(texts);
        }

        @Override
        public float[] embedQuery(String text) {
            return inner.embedQuery(text);
        }

        @Override
        public int countTokens(String text) {
            return inner.countTokens(text);
        }

        @Override
        public void close() {
        }
    }

    private static Path corpus(Path folder) throws IOException {
        Files.createDirectories(folder);
        for (int f = 0; f < FILES; f++) {
            StringBuilder md = new StringBuilder("# Page " + f + "\n\n");
            for (int p = 0; p < 6; p++) {
                md.append("Paragraph ").append(p).append(" of page ").append(f)
                        .append(" talks about topic ").append((f * 7 + p) % 13).append(" at some length, with enough words to fill")
                        .append(" a chunk of the small test model on its own.\n\n");
            }
            Files.writeString(folder.resolve(String.format("page-%03d.md", f)), md);
        }
        return folder;
    }

    @Test
    void anInterruptStopsTheRunWithWhatItWroteCommittedAndTheNextRunDoesTheRest(@TempDir Path tmp) throws Exception {
        Path folder = corpus(tmp.resolve("docs"));
        List<IngestProgress> seen = new ArrayList<>();
        IngestReport first;
        try (DocRag rag = DocRag.builder().directory(tmp.resolve("index")).embedder(new SlowEmbedder()).build()) {
            first = rag.ingest(folder, DocRag.DEFAULT_TENANT, p -> {
                seen.add(p);
                if (p.written() >= 10) {
                    Thread.currentThread().interrupt(); // as a Ctrl-C handler would
                }
            });
            assertThat(Thread.interrupted()).as("the interrupt flag is set again when the call returns").isTrue();
            assertThat(first.stopped()).isTrue();
            assertThat(first.failures()).isEmpty();
            assertThat(first.added()).isBetween(10, FILES - 1);
            assertThat(rag.documentCount()).as("what the stopped run wrote is committed").isEqualTo(first.added());
            assertThat(rag.stats().chunks()).isEqualTo(first.chunks());
        }
        assertThat(seen).isNotEmpty().allMatch(p -> p.files() == FILES);
        for (int i = 1; i < seen.size(); i++) {
            assertThat(seen.get(i).done()).isGreaterThanOrEqualTo(seen.get(i - 1).done());
            assertThat(seen.get(i).written()).isGreaterThanOrEqualTo(seen.get(i - 1).written());
            assertThat(seen.get(i).embedded()).isGreaterThanOrEqualTo(seen.get(i - 1).embedded());
        }

        // Reopened (what a restarted CLI does): the rest is written, the first part skipped as unchanged.
        try (DocRag rag = DocRag.builder().directory(tmp.resolve("index")).embedder(new SlowEmbedder()).build();
             DocRag reference = DocRag.builder().directory(tmp.resolve("reference")).embedder(new HashEmbedder()).build()) {
            IngestReport second = rag.ingest(folder);
            assertThat(second.stopped()).isFalse();
            assertThat(second.added()).isEqualTo(FILES - first.added());
            assertThat(second.unchanged()).isEqualTo(first.added());
            assertThat(rag.documentCount()).isEqualTo(FILES);

            IngestReport whole = reference.ingest(folder);
            assertThat(whole.added()).isEqualTo(FILES);
            assertThat(first.chunks() + second.chunks()).isEqualTo(whole.chunks());
            for (int f = 0; f < FILES; f++) {
                String id = String.format("page-%03d.md", f);
                assertThat(rag.chunkCount(DocRag.DEFAULT_TENANT, id)).as(id)
                        .isEqualTo(reference.chunkCount(DocRag.DEFAULT_TENANT, id)).isPositive();
            }
        }
    }

    @Test
    void progressEndsWithEveryDocumentSettled(@TempDir Path tmp) throws Exception {
        Path folder = corpus(tmp.resolve("docs"));
        Files.writeString(folder.resolve("empty.md"), "   \n");
        List<IngestProgress> seen = new ArrayList<>();
        try (DocRag rag = DocRag.builder().directory(tmp.resolve("index")).embedder(new HashEmbedder()).build()) {
            IngestReport report = rag.ingest(folder, DocRag.DEFAULT_TENANT, seen::add);
            assertThat(report.stopped()).isFalse();
            IngestProgress last = seen.get(seen.size() - 1);
            assertThat(last.files()).isEqualTo(FILES + 1);
            assertThat(last.done()).isEqualTo(FILES + 1);
            assertThat(last.written()).isEqualTo(FILES);
            assertThat(last.failed()).isEqualTo(1);
            assertThat(last.chunks()).isEqualTo(report.chunks());
            assertThat(last.embedded()).as("every chunk written was embedded once").isEqualTo(report.chunks());

            seen.clear();
            rag.ingest(folder, DocRag.DEFAULT_TENANT, seen::add);
            last = seen.get(seen.size() - 1);
            assertThat(last.unchanged()).isEqualTo(FILES);
            assertThat(last.written()).isZero();
        }
    }
}
