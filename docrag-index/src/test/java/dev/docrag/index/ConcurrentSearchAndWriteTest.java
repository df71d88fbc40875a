package dev.docrag.index;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Eight searcher threads and one writer (upserts that change a document's chunk count, deletes
 * by id and by filter, force-merges) for a bounded time. Every chunk's text names its document,
 * version, part and part count; since one search runs on one index snapshot, the chunks of a
 * document it returns must all share one version and be complete. Also: no search fails, and the
 * process's open file descriptors return to their baseline after close (a leaked reader would
 * hold segment files open). {@code -Dtests.seed} reproduces the writer's choices,
 * {@code -Dtests.concurrency.seconds} sets the duration (default 4).
 */
class ConcurrentSearchAndWriteTest {
    private static final int DOCUMENTS = 40;
    private static final Pattern CHUNK = Pattern.compile("common d(\\d+) v(\\d+) p(\\d+) n(\\d+)");
    private static final String TENANT = "t";

    @Test
    void searchersNeverSeeAMixOfVersionsAndNoReaderLeaks(@TempDir Path tmp) throws Exception {
        Path fds = Path.of("/proc/self/fd");
        assumeTrue(Files.isDirectory(fds), "needs /proc (Linux)");
        long seed = TestSeeds.seed();
        String why = TestSeeds.describe(seed);
        long seconds = Long.getLong("tests.concurrency.seconds", 4);
        try (HashEmbedder embedder = new HashEmbedder(20)) { // documents of 3 or more parts span several chunks
            warmUp(tmp.resolve("warm-up"), embedder);
            long baseline = countOpen(fds);

            Queue<String> errors = new ConcurrentLinkedQueue<>();
            AtomicLong searches = new AtomicLong();
            AtomicLong checkedDocuments = new AtomicLong();
            long maxFds;
            try (DocRag rag = DocRag.builder().directory(tmp.resolve("index")).embedder(embedder).build()) {
                Random rnd = new Random(seed);
                int[] versions = new int[DOCUMENTS];
                List<DocumentInput> initial = new ArrayList<>();
                for (int d = 0; d < DOCUMENTS; d++) {
                    initial.add(doc(d, 1, 1 + rnd.nextInt(5)));
                    versions[d] = 1;
                }
                rag.upsert(initial);

                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
                ExecutorService pool = Executors.newFixedThreadPool(9);
                CountDownLatch start = new CountDownLatch(1);
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        start.await();
                        int i = 0;
                        while (System.nanoTime() < deadline) {
                            SearchRequest.Mode mode = SearchRequest.Mode.values()[(thread + i++) % 3];
                            try {
                                checkedDocuments.addAndGet(check(rag.search(request(mode)), mode, errors));
                                searches.incrementAndGet();
                            } catch (RuntimeException e) {
                                errors.add(mode + " search failed: " + e);
                            }
                        }
                        return null;
                    }));
                }
                Future<?> writer = pool.submit(() -> {
                    start.await();
                    int ops = 0;
                    while (System.nanoTime() < deadline) {
                        int d = rnd.nextInt(DOCUMENTS);
                        int op = rnd.nextInt(20);
                        try {
                            if (op == 0) {
                                rag.delete(TENANT, Filter.eq("bucket", (long) rnd.nextInt(5)));
                            } else if (op < 4) {
                                rag.delete(TENANT, "doc-" + d);
                            } else {
                                rag.upsert(doc(d, ++versions[d], 1 + rnd.nextInt(5)));
                            }
                            if (++ops % 40 == 0) {
                                rag.forceMerge(1);
                            }
                        } catch (RuntimeException e) {
                            errors.add("write failed: " + e);
                        }
                    }
                    return null;
                });
                futures.add(writer);
                start.countDown();
                maxFds = 0;
                while (System.nanoTime() < deadline) {
                    maxFds = Math.max(maxFds, countOpen(fds));
                    Thread.sleep(50);
                }
                for (Future<?> f : futures) {
                    f.get(60, TimeUnit.SECONDS);
                }
                pool.shutdown();
                assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(errors).as("errors during the run, %s", why).isEmpty();
            assertThat(searches.get()).as("searches run, %s", why).isGreaterThan(50);
            assertThat(checkedDocuments.get()).as("documents checked, %s", why).isGreaterThan(500);
            assertThat(maxFds).as("open files during the run stay bounded, %s", why).isLessThan(baseline + 400);
            assertThat(countOpen(fds)).as("open files after close are back at the baseline, %s", why)
                    .isLessThanOrEqualTo(baseline + 2);
        }
    }

    private static SearchRequest request(SearchRequest.Mode mode) {
        SearchRequest.Unscoped draft = switch (mode) {
            case VECTOR -> SearchRequest.vector("common");
            case KEYWORD -> SearchRequest.keyword("common");
            case HYBRID -> SearchRequest.hybrid("common");
        };
        return draft.tenant(TENANT).k(1000); // more than all chunks: every search sees whole snapshots
    }

    /** Checks that each document in the hits appears whole and at one version; returns how many documents. */
    private static int check(List<Hit> hits, SearchRequest.Mode mode, Queue<String> errors) {
        Map<Integer, Set<String>> versions = new HashMap<>();
        Map<Integer, Set<Integer>> parts = new HashMap<>();
        Map<Integer, Integer> expectedParts = new HashMap<>();
        for (Hit h : hits) {
            Matcher m = CHUNK.matcher(h.text());
            boolean any = false;
            while (m.find()) { // a chunk holds one or more parts (short documents are one chunk)
                any = true;
                int d = Integer.parseInt(m.group(1));
                versions.computeIfAbsent(d, x -> new TreeSet<>()).add(m.group(2));
                parts.computeIfAbsent(d, x -> new TreeSet<>()).add(Integer.parseInt(m.group(3)));
                expectedParts.put(d, Integer.parseInt(m.group(4)));
            }
            if (!any) {
                errors.add(mode + ": unexpected chunk text " + h.text());
            }
        }
        versions.forEach((d, v) -> {
            if (v.size() != 1) {
                errors.add(mode + ": doc-" + d + " seen at versions " + v + " in one search");
            } else if (parts.get(d).size() != expectedParts.get(d)) {
                errors.add(mode + ": doc-" + d + " v" + v + " seen with parts " + parts.get(d) + " of " + expectedParts.get(d));
            }
        });
        return versions.size();
    }

    private static DocumentInput doc(int d, int version, int parts) {
        StringBuilder text = new StringBuilder();
        for (int p = 0; p < parts; p++) {
            text.append("common d").append(d).append(" v").append(version).append(" p").append(p).append(" n").append(parts)
                    .append(" filler words here\n\n");
        }
        return DocumentInput.builder(TENANT, "doc-" + d).text(text.toString()).metadata("bucket", (long) (d % 5)).build();
    }

    private static void warmUp(Path dir, HashEmbedder embedder) {
        try (DocRag rag = DocRag.builder().directory(dir).embedder(embedder).build()) {
            rag.upsert(doc(0, 1, 3));
            for (SearchRequest.Mode mode : SearchRequest.Mode.values()) {
                rag.search(request(mode));
            }
            rag.delete(TENANT, "doc-0");
            rag.forceMerge(1);
        }
    }

    private static long countOpen(Path fds) throws IOException {
        try (var entries = Files.list(fds)) {
            return entries.count();
        }
    }
}
