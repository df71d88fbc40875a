package dev.docrag.index;

import dev.docrag.core.DocRagException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hosts interrupt threads (request timeouts, executor shutdowns, Ctrl-C handlers). An interrupt
 * that lands inside file-channel I/O closes the channel, which would fail Lucene's writer or H2's
 * store for every thread (before DocRag wrote on a thread of its own, an interrupted ingest's
 * commit broke H2 this way); now interrupts only ever stop a call early. Here a thread writes,
 * deletes and reads while another interrupts it at random moments; every acknowledged write must
 * hold, before and after reopening, and the stores must go on working.
 */
class InterruptedWritesTest {
    private static final int OPERATIONS = 300;
    private static final int IDS = 30;

    @Test
    void interruptsAtRandomMomentsNeverBreakTheIndexOrTheCatalog(@TempDir Path tmp) throws Exception {
        long seed = TestSeeds.seed();
        Path dir = tmp.resolve("docrag");
        Map<String, String> acknowledged = new ConcurrentHashMap<>(); // id -> text of its last acknowledged upsert
        AtomicInteger stoppedCalls = new AtomicInteger();
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        try (DocRag rag = DocRag.builder().directory(dir).embedder(new HashEmbedder()).build()) {
            Thread worker = new Thread(() -> {
                Random random = new Random(seed);
                try {
                    for (int n = 0; n < OPERATIONS; n++) {
                        String id = "doc-" + random.nextInt(IDS);
                        try {
                            if (random.nextInt(5) == 0) {
                                rag.delete(DocRag.DEFAULT_TENANT, id); // never stops early: its return is the truth
                                acknowledged.remove(id);
                            } else {
                                String text = "version " + n + " of " + id + " says " + Long.toHexString(random.nextLong());
                                rag.upsert(input(id, text));
                                acknowledged.put(id, text);
                            }
                        } catch (DocRagException e) {
                            if (!String.valueOf(e.getMessage()).contains("interrupted")) {
                                throw e;
                            }
                            stoppedCalls.incrementAndGet(); // stopped before anything was written
                        }
                        rag.chunkCount(DocRag.DEFAULT_TENANT, id); // a catalog-free read
                        rag.documentCount(); // a catalog read, on the interrupted thread itself
                        Thread.interrupted();
                    }
                } catch (Throwable t) {
                    unexpected.set(t);
                }
            });
            worker.start();
            Random interrupter = new Random(seed + 1);
            int interrupts = 0;
            while (worker.isAlive()) {
                worker.interrupt();
                interrupts++;
                LockSupport.parkNanos(interrupter.nextInt(2_000_000));
            }
            worker.join();
            assertThat(unexpected.get()).as("the writer failed; %s", TestSeeds.describe(seed)).isNull();
            assertThat(interrupts).isGreaterThan(OPERATIONS);
            assertThat(stoppedCalls.get()).as("some calls were stopped early").isPositive();
            check(rag, acknowledged, seed);
            // The stores still take writes.
            rag.upsert(input("after", "written after the storm"));
            acknowledged.put("after", "written after the storm");
        }
        try (DocRag rag = DocRag.builder().directory(dir).embedder(new HashEmbedder()).build()) {
            check(rag, acknowledged, seed);
        }
        Map<String, RandomWrites.Version> versions = new HashMap<>();
        acknowledged.forEach((id, text) -> versions.put(DocRag.DEFAULT_TENANT + "/" + id,
                new RandomWrites.Version(DocRag.contentHash(input(id, text)), "-")));
        ConsistencyCheck.verify(dir, versions, Map.of(), TestSeeds.describe(seed));
    }

    private static DocumentInput input(String id, String text) {
        return DocumentInput.builder(DocRag.DEFAULT_TENANT, id).text(text).build();
    }

    private static void check(DocRag rag, Map<String, String> acknowledged, long seed) {
        assertThat(rag.documentCount()).as(TestSeeds.describe(seed)).isEqualTo(acknowledged.size());
        for (int i = 0; i < IDS; i++) {
            String id = "doc-" + i;
            String text = acknowledged.get(id);
            int chunks = rag.chunkCount(DocRag.DEFAULT_TENANT, id);
            if (text == null) {
                assertThat(chunks).as("%s was deleted or never written; %s", id, TestSeeds.describe(seed)).isZero();
            } else {
                assertThat(chunks).as("%s; %s", id, TestSeeds.describe(seed)).isPositive();
                assertThat(rag.search(SearchRequest.keyword(text.substring(text.lastIndexOf(' ') + 1))
                        .tenant(DocRag.DEFAULT_TENANT).k(1))).as("%s is at its last acknowledged version; %s", id,
                        TestSeeds.describe(seed)).singleElement().satisfies(h -> assertThat(h.documentId()).isEqualTo(id));
            }
        }
    }
}
