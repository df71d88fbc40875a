package dev.docrag.core.embed;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Execution settings change nothing but speed; many callers are safe; native memory stays flat. */
class EmbedderResourceTest {
    private static List<String> texts(int n, int salt) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(("sentence " + (i * 31 + salt) + " about logs, backups and certificates ").repeat(1 + (i + salt) % 7));
        }
        return out;
    }

    /** Short texts: the soak is about calls and tensors, not about model compute. */
    private static List<String> shortTexts(int n, int salt) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add("note " + (i * 31 + salt) + (i % 3 == 0 ? " on rotation" : ""));
        }
        return out;
    }

    @Test
    void executionSettingsDoNotChangeVectors() {
        List<String> texts = texts(40, 1);
        try (OnnxEmbedder serial = OnnxEmbedder.builder(OnnxModel.allMiniLmL6V2()).parallelRuns(1).maxBatchSize(1).build();
             OnnxEmbedder parallel = OnnxEmbedder.builder(OnnxModel.allMiniLmL6V2()).threads(2).parallelRuns(2).maxBatchSize(16).batchTokens(256).build()) {
            List<float[]> a = serial.embedDocuments(texts);
            List<float[]> b = parallel.embedDocuments(texts);
            for (int i = 0; i < texts.size(); i++) {
                assertThat(RealText.cosine(a.get(i), b.get(i))).as("text %d", i).isGreaterThanOrEqualTo(0.99999);
            }
        }
    }

    @Test
    void queriesOnTheirOwnThreadsGetTheSameVectors() {
        List<String> texts = texts(12, 3);
        try (OnnxEmbedder shared = OnnxEmbedder.builder(OnnxModel.allMiniLmL6V2()).threads(2).parallelRuns(2).queryThreads(1).build();
             OnnxEmbedder own = OnnxEmbedder.builder(OnnxModel.allMiniLmL6V2()).threads(2).parallelRuns(2).queryThreads(2).build()) {
            List<float[]> docs = shared.embedDocuments(texts);
            for (int i = 0; i < texts.size(); i++) {
                assertThat(RealText.cosine(shared.embedQuery(texts.get(i)), docs.get(i))).as("text %d, batch session", i)
                        .isGreaterThanOrEqualTo(0.99999);
                assertThat(RealText.cosine(own.embedQuery(texts.get(i)), docs.get(i))).as("text %d, query session", i)
                        .isGreaterThanOrEqualTo(0.99999);
            }
        }
    }

    /**
     * Each open-query-close cycle opens two fp32 sessions of about 130 MB each; close must free both.
     * Resident memory swings by about 250 MB between cycles (the 90 MB model bytes are read into the
     * heap for each session and the allocators keep what they freed), but does not climb: measured
     * 417-640 MB over 10 cycles; a leaked query session would add about 130 MB per cycle.
     */
    @Test
    void closeFreesTheQuerySession() throws IOException {
        Path status = Path.of("/proc/self/status");
        assumeTrue(Files.isReadable(status), "needs /proc (Linux)");
        long before = 0;
        for (int cycle = 0; cycle < 10; cycle++) {
            if (cycle == 2) { // the first cycles grow allocator arenas to their working size
                System.gc();
                before = rssKb(status);
            }
            try (OnnxEmbedder e = OnnxEmbedder.builder(OnnxModel.allMiniLmL6V2()).threads(2).parallelRuns(2).queryThreads(2).build()) {
                assertThat(e.embedQuery("where are the nightly backups kept")).hasSize(384);
            }
        }
        System.gc();
        long growthMb = (rssKb(status) - before) / 1024;
        // eight leaked query sessions would add about 1,050 MB
        assertThat(growthMb).as("resident memory growth over 8 open-query-close cycles, MB").isLessThan(450);
    }

    @Test
    void concurrentCallersGetTheirOwnVectors() throws Exception {
        try (OnnxEmbedder embedder = OnnxEmbedder.allMiniLmL6V2(); ExecutorService callers = Executors.newFixedThreadPool(6)) {
            List<String> texts = texts(24, 2);
            List<float[]> expected = new ArrayList<>();
            for (String t : texts) {
                expected.add(embedder.embedDocuments(List.of(t)).get(0));
            }
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < 6; c++) {
                int caller = c;
                running.add(callers.submit(() -> {
                    for (int round = 0; round < 5; round++) {
                        int from = (caller * 4 + round) % 12;
                        List<float[]> got = embedder.embedDocuments(texts.subList(from, from + 12));
                        for (int i = 0; i < 12; i++) {
                            assertThat(RealText.cosine(got.get(i), expected.get(from + i))).isGreaterThanOrEqualTo(0.99999);
                        }
                        float[] q = embedder.embedQuery(texts.get(from));
                        assertThat(RealText.cosine(q, expected.get(from))).isGreaterThanOrEqualTo(0.99999);
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        }
    }

    /**
     * Tens of thousands of embeddings do not grow the process's resident memory: every native
     * tensor is closed and buffers are reused. {@code -Ddocrag.soak.embeddings=100000} runs the
     * long version.
     */
    @Test
    void nativeMemoryStaysFlat() throws IOException {
        Path status = Path.of("/proc/self/status");
        assumeTrue(Files.isReadable(status), "needs /proc (Linux)");
        int total = Integer.getInteger("docrag.soak.embeddings", 12_000);
        try (OnnxEmbedder embedder = OnnxEmbedder.allMiniLmL6V2()) {
            for (int i = 0; i < 20; i++) { // warm-up: arena, buffers and JIT reach their working size
                embedder.embedDocuments(shortTexts(100, i));
                embedder.embedQuery("warm-up query " + i);
            }
            System.gc();
            long before = rssKb(status);
            int done = 0;
            for (int round = 0; done < total; round++) {
                embedder.embedDocuments(shortTexts(100, round));
                embedder.embedQuery("query number " + round);
                done += 101;
            }
            System.gc();
            long growthMb = (rssKb(status) - before) / 1024;
            assertThat(growthMb).as("resident memory growth over %d embeddings, MB", done).isLessThan(48);
        }
    }

    private static long rssKb(Path status) throws IOException {
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in " + status);
    }
}
