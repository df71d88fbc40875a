package dev.docrag.index;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The backup hook: a pinned commit plus a catalog export at the same write, copied while writes go on. */
class IndexSnapshotTest {

    private static DocumentInput doc(String id, String text) {
        return DocumentInput.builder("t", id).title(id).text(text).build();
    }

    @Test
    void aSnapshotSurvivesLaterWritesAndMergesAndRestoresToItsPoint(@TempDir Path tmp) throws Exception {
        Path live = tmp.resolve("live");
        Path copy = tmp.resolve("copy");
        try (HashEmbedder embedder = new HashEmbedder()) {
            Map<String, Long> files;
            long seq;
            try (DocRag rag = DocRag.builder().directory(live).embedder(embedder).build()) {
                for (int i = 0; i < 5; i++) {
                    rag.upsert(doc("d" + i, "document number " + i + " about snapshots"));
                }
                try (IndexSnapshot snap = rag.snapshot()) {
                    seq = snap.sequence();
                    files = snap.files();
                    assertThat(snap.documentCount()).isEqualTo(5);
                    assertThat(snap.chunkCount()).isEqualTo(5);
                    assertThat(snap.modelId()).isEqualTo(embedder.model().id());
                    assertThat(snap.indexFormat()).isEqualTo(IndexSnapshot.INDEX_FORMAT);
                    assertThat(snap.luceneVersion()).startsWith("10.");
                    // writes and a merge that would delete the pinned segments if they were not pinned
                    List<DocumentInput> more = new ArrayList<>();
                    for (int i = 0; i < 20; i++) {
                        more.add(doc("e" + i, "later document " + i));
                    }
                    rag.upsert(more);
                    rag.delete("t", "d0");
                    rag.forceMerge(1);
                    Path index = Files.createDirectories(copy.resolve(IndexSnapshot.INDEX_DIRECTORY));
                    for (String name : files.keySet()) {
                        try (InputStream in = snap.open(name)) {
                            Files.copy(in, index.resolve(name));
                        }
                    }
                    Path export = tmp.resolve("catalog.sql");
                    try (InputStream in = snap.openCatalogExport().orElseThrow()) {
                        Files.copy(in, export);
                    }
                    assertThat(IndexSnapshot.restoreCatalog(copy, export)).isEqualTo(seq);
                    Files.writeString(copy.resolve(IndexSnapshot.IDENTITY_FILE), snap.indexIdentity() + "\n");
                }
                assertThat(rag.documentCount()).isEqualTo(24);
            }
            try (DocRag restored = DocRag.builder().directory(copy).embedder(embedder).build()) {
                assertThat(restored.documentCount()).isEqualTo(5);
                assertThat(restored.chunkCount("t", "d0")).isEqualTo(1);
                assertThat(restored.chunkCount("t", "e0")).isZero();
                assertThat(restored.stats().chunks()).isEqualTo(5);
            }
            assertThat(seq).isPositive();
            // Released: the live index no longer keeps the old commit's files around.
            try (DocRag rag = DocRag.builder().directory(live).embedder(embedder).build()) {
                assertThat(rag.documentCount()).isEqualTo(24);
            }
            assertThat(files.keySet().stream().filter(f -> f.startsWith("segments_"))
                    .noneMatch(f -> Files.exists(live.resolve("index").resolve(f)))).isTrue();
        }
    }
}
