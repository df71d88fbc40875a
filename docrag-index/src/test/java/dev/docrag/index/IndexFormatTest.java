package dev.docrag.index;

import dev.docrag.index.codec.DocRagCodec;
import org.apache.lucene.index.CheckIndex;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * DocRag's on-disk index format: new segments use {@link DocRagCodec} (chunk text stored as
 * written, which the search path's speed rests on), and an index written by the previous format
 * (2: Lucene's own codec) opens, searches, takes writes and merges into the new one without
 * re-ingesting. The format-2 fixture was written by DocRag at commit 8b6366d with the default
 * all-MiniLM-L6-v2 model: three documents, two tenants, metadata.
 */
class IndexFormatTest {

    private static void unzipFixture(String name, Path into) throws IOException {
        try (InputStream raw = IndexFormatTest.class.getResourceAsStream("/fixtures/" + name);
             ZipInputStream zip = new ZipInputStream(raw)) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                Path target = into.resolve(e.getName()).normalize();
                assertThat(target.startsWith(into)).as("fixture entry %s stays inside", e.getName()).isTrue();
                Files.createDirectories(target.getParent());
                Files.copy(zip, target);
            }
        }
    }

    private static Set<String> codecs(Path indexDir) throws IOException {
        try (Directory d = FSDirectory.open(indexDir)) {
            SegmentInfos infos = SegmentInfos.readLatestCommit(d);
            return infos.asList().stream().map(sci -> sci.info.getCodec().getName())
                    .collect(Collectors.toSet());
        }
    }

    private static String format(Path indexDir) throws IOException {
        try (Directory d = FSDirectory.open(indexDir)) {
            return SegmentInfos.readLatestCommit(d).getUserData().get(ChunkIndex.KEY_FORMAT);
        }
    }

    private static boolean checkIndexClean(Path indexDir) throws IOException {
        try (Directory d = FSDirectory.open(indexDir); CheckIndex check = new CheckIndex(d)) {
            return check.checkIndex().clean;
        }
    }

    private static List<String> ids(List<Hit> hits) {
        return hits.stream().map(Hit::documentId).toList();
    }

    @Test
    void aFormatTwoIndexOpensSearchesTakesWritesAndMergesIntoTheNewCodec(@TempDir Path dir) throws IOException {
        unzipFixture("format2-index.zip", dir);
        Path index = dir.resolve("index");
        assertThat(format(index)).isEqualTo("2");
        assertThat(codecs(index)).containsExactly("Lucene104");

        try (DocRag rag = DocRag.builder().directory(dir).build()) {
            List<Hit> refund = rag.search(SearchRequest.hybrid("how long can I send back something I bought?").tenant("acme").k(5));
            assertThat(ids(refund)).first().isEqualTo("refunds");
            assertThat(ids(refund)).doesNotContain("security"); // another tenant's
            Hit top = refund.get(0);
            assertThat(top.title()).isEqualTo("Refund policy");
            assertThat(top.text()).contains("thirty days");
            assertThat(top.metadata()).containsEntry("team", "billing").containsEntry("year", 2024L);
            assertThat(ids(rag.search(SearchRequest.keyword("flights hotels").tenant("acme")
                    .filter(Filter.eq("team", "travel")).k(5)))).containsExactly("travel");

            rag.upsert(List.of(DocumentInput.builder("acme", "laptops").title("Laptop care")
                    .text("Laptops go back to the IT desk for repairs; never open the case yourself.").build()));
            rag.forceMerge(1);
        }

        assertThat(format(index)).isEqualTo(ChunkIndex.FORMAT_VERSION);
        assertThat(codecs(index)).containsExactly(DocRagCodec.NAME);
        assertThat(checkIndexClean(index)).isTrue();
        try (DocRag rag = DocRag.builder().directory(dir).build()) {
            assertThat(rag.stats().documents()).isEqualTo(4);
            assertThat(ids(rag.search(SearchRequest.hybrid("who repairs a broken laptop?").tenant("acme").k(1))))
                    .containsExactly("laptops");
            Hit refund = rag.search(SearchRequest.keyword("damaged parcels").tenant("acme").k(1)).get(0);
            assertThat(refund.documentId()).isEqualTo("refunds");
            assertThat(refund.headings()).isNotEmpty();
            assertThat(ids(rag.search(SearchRequest.keyword("passwords").tenant("globex").k(5)))).containsExactly("security");
        }
    }

    @Test
    void newSegmentsStoreChunkTextAsWrittenSoAHitReadsOnlyItsOwnBytes(@TempDir Path dir) throws IOException {
        // Repetitive on purpose: any compressor would shorten it, so finding it verbatim proves none ran.
        String text = "Quarterly invoices are archived for seven years in the finance vault. ".repeat(4).strip();
        try (DocRag rag = DocRag.builder().directory(dir).embedder(new HashEmbedder()).build()) {
            rag.upsert(List.of(DocumentInput.builder("t", "archive").text(text).build()));
        }
        Path index = dir.resolve("index");
        assertThat(codecs(index)).containsExactly(DocRagCodec.NAME);
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        Map<String, Boolean> holds = new HashMap<>();
        try (Stream<Path> files = Files.list(index)) {
            for (Path f : files.toList()) {
                holds.put(f.getFileName().toString(), indexOf(Files.readAllBytes(f), needle) >= 0);
            }
        }
        // Small segments are packed in a compound file; either way the text is there verbatim.
        assertThat(holds.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey))
                .as("files holding the chunk text verbatim: %s", holds).isNotEmpty();
        assertThat(checkIndexClean(index)).isTrue();
    }

    @Test
    void anIndexFromANewerDocRagIsRefusedByName(@TempDir Path dir) throws IOException {
        try (DocRag rag = DocRag.builder().directory(dir).embedder(new HashEmbedder()).build()) {
            rag.upsert(List.of(DocumentInput.builder("t", "a").text("some words").build()));
        }
        try (Directory d = FSDirectory.open(dir.resolve("index"));
             IndexWriter w = new IndexWriter(d, new IndexWriterConfig().setCodec(new DocRagCodec()))) {
            Map<String, String> data = new HashMap<>(SegmentInfos.readLatestCommit(d).getUserData());
            data.put(ChunkIndex.KEY_FORMAT, "99");
            w.setLiveCommitData(data.entrySet());
            w.commit();
        }
        assertThatThrownBy(() -> DocRag.builder().directory(dir).embedder(new HashEmbedder()).build())
                .hasStackTraceContaining("index format 99")
                .hasStackTraceContaining("Open it with the newer DocRag that wrote it");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
