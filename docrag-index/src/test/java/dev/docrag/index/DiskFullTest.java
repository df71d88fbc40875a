package dev.docrag.index;

import dev.docrag.core.DocRagException;
import dev.docrag.index.RandomWrites.Version;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A disk that fills up during ingestion, at random points of the index's writes (a segment
 * being flushed, the commit point being written): the write fails with a {@link DocRagException}
 * naming the cause; nothing of it is acknowledged and nothing acknowledged before is lost; the
 * directory still opens at its last commit while the disk is full; once space is freed, the next
 * write succeeds in the same DocRag.
 */
class DiskFullTest {
    private static final Logger LOG = LoggerFactory.getLogger(DiskFullTest.class);

    @Test
    void aFullDiskFailsTheWriteByNameAndLosesNothing(@TempDir Path tmp) {
        TestSeeds.run(seed -> run(tmp, seed));
    }

    private void run(Path tmp, long seed) throws Exception {
        Random random = new Random(seed);
        Path dir = tmp.resolve("docrag");
        AtomicReference<DiskFullDirectory> disk = new AtomicReference<>();
        DocRag.Builder builder = DocRag.builder().directory(dir).embedder(new HashEmbedder())
                .indexDirectoryWrapper(d -> {
                    DiskFullDirectory full = new DiskFullDirectory(d);
                    disk.set(full);
                    return full;
                });
        RandomWrites writes = new RandomWrites(new Random(random.nextLong()), tmp.resolve("files"), Map.of());
        int failed = 0;
        try (DocRag rag = builder.build()) {
            for (int i = 0; i < 5; i++) {
                acknowledged(rag, writes);
            }
            for (int attempt = 0; attempt < 20; attempt++) {
                String context = TestSeeds.describe(seed) + ", attempt " + attempt;
                Map<String, Version> before = writes.model();
                long free = random.nextInt(4) == 0 ? random.nextInt(200) : random.nextInt(40_000);
                disk.get().freeSpace(free);
                RandomWrites.Op op = writes.next();
                try {
                    op.call().run(rag);
                    writes.acknowledge(op); // it fit
                } catch (DocRagException e) {
                    if (failed++ == 0) {
                        LOG.info("A write on the full disk failed with: {}", e.getMessage());
                    }
                    assertThat(e).as(context).hasMessageContaining(DiskFullDirectory.NO_SPACE).hasMessageContaining(dir.toString());
                    // Searches still see exactly the acknowledged state.
                    for (Map.Entry<String, Version> d : before.entrySet()) {
                        String[] key = d.getKey().split("/", 2);
                        assertThat(rag.chunkCount(key[0], key[1])).as("%s still searchable; %s", d.getKey(), context).isPositive();
                    }
                    assertThat(rag.documentCount()).as(context).isEqualTo(before.size());
                }
                disk.get().freeSpace(Long.MAX_VALUE); // space freed: the next write succeeds
                acknowledged(rag, writes);
            }
            // Full again, then closed: the last commit must still open on the full disk.
            disk.get().freeSpace(0);
            RandomWrites.Op op = writes.next();
            assertThatThrownBy(() -> op.call().run(rag)).isInstanceOf(DocRagException.class)
                    .hasMessageContaining(DiskFullDirectory.NO_SPACE);
        }
        assertThat(failed).as("some writes hit the full disk; %s", TestSeeds.describe(seed)).isPositive();
        Map<String, Version> acknowledged = new HashMap<>(writes.model());
        try (DocRag reopened = builder.build()) {
            disk.get().freeSpace(0); // opening reads; it must not need to write
            assertThat(reopened.documentCount()).isEqualTo(acknowledged.size());
        }
        ConsistencyCheck.verify(dir, acknowledged, Map.of(), TestSeeds.describe(seed));
        LOG.info("{} of 21 writes failed on the full disk; {} documents acknowledged and intact; {}", failed + 1,
                acknowledged.size(), TestSeeds.describe(seed));
    }

    private static void acknowledged(DocRag rag, RandomWrites writes) throws Exception {
        RandomWrites.Op op = writes.next();
        try {
            op.call().run(rag);
        } catch (DocRagException e) {
            // A background merge may have hit the full disk before space was freed, closing the
            // writer; this write then fails by name and reopens it, and the retry succeeds.
            assertThat(e).hasMessageContaining(DiskFullDirectory.NO_SPACE);
            op.call().run(rag);
        }
        writes.acknowledge(op);
    }
}
