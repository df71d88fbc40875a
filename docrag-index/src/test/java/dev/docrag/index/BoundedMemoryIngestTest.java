package dev.docrag.index;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ingestion's memory stays flat: a separate JVM whose heap is half the corpus' size ingests it
 * all (the pipeline holds a bounded number of chunks between its stages; Lucene flushes its
 * buffer; the catalog keeps one small row per document). Without the bound, the prepare stage,
 * far faster than indexing, would hold the corpus' chunks and run out of heap.
 */
class BoundedMemoryIngestTest {
    static final int MAX_TOKENS = 256;
    private static final int FILES = 160;
    private static final int FILE_BYTES = 1 << 20;
    private static final String HEAP = "-Xmx80m";

    @Test
    void aCorpusTwiceTheHeapIngestsInFlatMemory(@TempDir Path tmp) throws Exception {
        long seed = TestSeeds.seed();
        Path folder = tmp.resolve("corpus");
        long bytes = writeCorpus(folder, new Random(seed));
        assertThat(bytes).isGreaterThan(2 * 80L * 1024 * 1024 - 1);

        Path output = tmp.resolve("child.out");
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process child = new ProcessBuilder(List.of(java, HEAP, "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"), BoundedMemoryWorker.class.getName(),
                tmp.resolve("docrag").toString(), folder.toString()))
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        boolean ended = child.waitFor(10, TimeUnit.MINUTES);
        if (!ended) {
            child.destroyForcibly().waitFor();
        }
        String out = Files.readString(output, StandardCharsets.UTF_8);
        assertThat(ended).as("the worker ended; %s%n%s", TestSeeds.describe(seed), tail(out)).isTrue();
        assertThat(child.exitValue()).as("the worker's exit status; %s%n%s", TestSeeds.describe(seed), tail(out)).isZero();
        Matcher m = Pattern.compile("REPORT added=(\\d+) failed=(\\d+) chunks=(\\d+) heap_max=(\\d+)").matcher(out);
        assertThat(m.find()).as(tail(out)).isTrue();
        assertThat(Integer.parseInt(m.group(1))).isEqualTo(FILES);
        assertThat(Integer.parseInt(m.group(2))).isZero();
        int chunks = Integer.parseInt(m.group(3));
        assertThat(Long.parseLong(m.group(4))).as("the child's heap is smaller than the corpus").isLessThan(bytes / 2 + 1);

        try (DocRag rag = DocRag.builder().directory(tmp.resolve("docrag")).embedder(new HashEmbedder(MAX_TOKENS)).build()) {
            assertThat(rag.documentCount()).isEqualTo(FILES);
            assertThat(rag.stats().chunks()).isEqualTo(chunks);
        }
    }

    /** {@link #FILES} text files of about {@link #FILE_BYTES} bytes each, random words in paragraphs. */
    private static long writeCorpus(Path folder, Random random) throws IOException {
        Files.createDirectories(folder);
        String[] words = new String[4000];
        for (int i = 0; i < words.length; i++) {
            StringBuilder w = new StringBuilder();
            for (int n = 3 + random.nextInt(8); n > 0; n--) {
                w.append((char) ('a' + random.nextInt(26)));
            }
            words[i] = w.toString();
        }
        long total = 0;
        for (int f = 0; f < FILES; f++) {
            Path file = folder.resolve(String.format("part-%03d.txt", f));
            long written = 0;
            try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                while (written < FILE_BYTES) {
                    int n = 40 + random.nextInt(120);
                    StringBuilder p = new StringBuilder();
                    for (int i = 0; i < n; i++) {
                        p.append(words[random.nextInt(words.length)]).append(i % 17 == 16 ? ". " : " ");
                    }
                    p.append("\n\n");
                    out.write(p.toString());
                    written += p.length();
                }
            }
            total += Files.size(file);
        }
        return total;
    }

    private static String tail(String s) {
        return s.length() <= 4000 ? s : s.substring(s.length() - 4000);
    }
}
