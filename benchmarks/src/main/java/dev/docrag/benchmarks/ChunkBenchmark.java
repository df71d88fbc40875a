package dev.docrag.benchmarks;

import dev.docrag.core.Chunk;
import dev.docrag.core.Document;
import dev.docrag.core.chunk.Chunker;
import dev.docrag.core.embed.OnnxEmbedder;
import dev.docrag.core.load.FileLoader;
import dev.docrag.core.load.LoadException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code benchmarks/run chunk}: extraction ({@link FileLoader#standard()}) plus chunking
 * ({@link Chunker#forEmbedder} with the real all-MiniLM-L6-v2 tokenizer) of the Python 3.11 HTML
 * documentation, on one thread, over several rounds (median, min-max). Reports files/s, MB/s of
 * input bytes, chunks/s, the chunk sizes in model tokens (recounted with the tokenizer), and the
 * ratio of chunks/s to the embedding throughput of the same embedder measured in the same run on
 * an even sample of the same chunks. Loading and chunking should never be what ingestion waits
 * for: the goal is a ratio of at least 20.
 *
 * <p>Options: {@code --rounds R} (default 5), {@code --quick} (2 rounds, every 8th page),
 * {@code --embed-sample N} (default 512 chunks), {@code --docs DIR}, {@code --out FILE}.
 */
public final class ChunkBenchmark {
    private static final double GOAL_RATIO = 20;

    private record Pass(int files, int failed, long bytes, List<Chunk> chunks) {
    }

    public static void main(String[] args) throws IOException {
        int rounds = 5;
        int stride = 1;
        int embedSample = 512;
        Path docs = PythonDocs.DEFAULT_ROOT;
        Path out = Path.of("benchmarks/results/chunk.json");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--quick" -> {
                    rounds = 2;
                    stride = 8;
                    embedSample = 128;
                }
                case "--embed-sample" -> embedSample = Integer.parseInt(args[++i]);
                case "--docs" -> docs = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }

        List<Path> all = PythonDocs.pages(docs);
        List<Path> pages = PythonDocs.everyNth(all, stride);
        FileLoader loader = FileLoader.standard();
        try (OnnxEmbedder embedder = OnnxEmbedder.allMiniLmL6V2()) {
            Chunker chunker = Chunker.forEmbedder(embedder);
            int modelMax = embedder.model().maxTokens();

            pass(docs, pages, loader, chunker); // warm-up: JIT, the tokenizer's native side, the page cache
            double[] seconds = new double[rounds];
            Pass last = null;
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                last = pass(docs, pages, loader, chunker);
                seconds[r] = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "round %d/%d: %.2f s%n", r + 1, rounds, seconds[r]);
            }
            Stats s = Stats.of(seconds);
            List<Chunk> chunks = last.chunks();
            // One pass that only loads, to show how the time splits between extraction and chunking.
            long l0 = System.nanoTime();
            pass(docs, pages, loader, null);
            double loadShare = (System.nanoTime() - l0) / 1e9 / s.median();

            double[] tokens = new double[chunks.size()];
            int over = 0;
            int mismatched = 0;
            for (int i = 0; i < tokens.length; i++) {
                int counted = embedder.countTokens(chunks.get(i).text());
                tokens[i] = counted;
                over += counted > modelMax ? 1 : 0;
                mismatched += counted != chunks.get(i).tokens() ? 1 : 0;
            }
            int maxChunkTokens = (int) Stats.quantile(tokens, 1.0);

            // Embedding throughput on an even sample of the same chunks, same embedder, same run.
            List<String> sample = PythonDocs.sample(chunks, embedSample).stream().map(Chunk::text).toList();
            embedder.embedDocuments(sample.subList(0, Math.min(64, sample.size())));
            int embedRounds = Math.max(2, rounds / 2);
            double[] embedSeconds = new double[embedRounds];
            for (int r = 0; r < embedRounds; r++) {
                long t0 = System.nanoTime();
                embedder.embedDocuments(sample);
                embedSeconds[r] = (System.nanoTime() - t0) / 1e9;
            }
            double embedPerS = sample.size() / Stats.of(embedSeconds).median();

            double files = last.files() + last.failed();
            double mb = last.bytes() / 1e6;
            double chunksPerS = chunks.size() / s.median();
            double ratio = chunksPerS / embedPerS;

            Map<String, Object> results = new LinkedHashMap<>();
            results.put("files_per_s", files / s.median());
            results.put("files_per_s_min", files / s.max());
            results.put("files_per_s_max", files / s.min());
            results.put("mb_per_s", mb / s.median());
            results.put("mb_per_s_min", mb / s.max());
            results.put("mb_per_s_max", mb / s.min());
            results.put("chunks_per_s", chunksPerS);
            results.put("chunks_per_s_min", chunks.size() / s.max());
            results.put("chunks_per_s_max", chunks.size() / s.min());
            results.put("chunk_tokens_min", (int) Stats.quantile(tokens, 0));
            results.put("chunk_tokens_p50", (int) Stats.quantile(tokens, 0.5));
            results.put("chunk_tokens_p90", (int) Stats.quantile(tokens, 0.9));
            results.put("chunk_tokens_p99", (int) Stats.quantile(tokens, 0.99));
            results.put("max_chunk_tokens", maxChunkTokens);
            results.put("model_max_tokens", modelMax);
            results.put("target_tokens", chunker.targetTokens());
            results.put("chunks_over_model_max", over);
            results.put("chunk_token_count_mismatches", mismatched);
            results.put("embedding_chunks_per_s", embedPerS);
            results.put("embedding_sample", sample.size());
            results.put("ratio_to_embedding", ratio);
            results.put("ratio_goal", GOAL_RATIO);
            results.put("load_share", loadShare);
            results.put("files", (int) files);
            results.put("files_failed", last.failed());
            results.put("input_bytes", last.bytes());
            results.put("chunks", chunks.size());
            results.put("rounds", rounds);
            results.put("stride", stride);
            results.put("threads", 1);
            results.put("date", LocalDate.now().toString());
            results.put("machine", EmbedBenchmark.machine());

            System.out.printf(Locale.ROOT, "%nCorpus: %d pages (every %d. of %d; %d failed to load), %.1f MB, %d chunks; %d rounds, 1 thread%n",
                    (int) files, stride, all.size(), last.failed(), mb, chunks.size(), rounds);
            System.out.printf(Locale.ROOT, "%n%-24s %12s %22s%n", "metric", "median", "(min-max)");
            row("files/s", files / s.median(), files / s.max(), files / s.min());
            row("MB/s (input)", mb / s.median(), mb / s.max(), mb / s.min());
            row("chunks/s", chunksPerS, chunks.size() / s.max(), chunks.size() / s.min());
            System.out.printf(Locale.ROOT, "%-24s %12.1f   (%d chunks, %d rounds)%n", "embedding chunks/s", embedPerS, sample.size(), embedRounds);
            System.out.printf(Locale.ROOT, "%-24s %12.1f   (goal >= %.0f: %s)%n", "ratio_to_embedding", ratio, GOAL_RATIO,
                    ratio >= GOAL_RATIO ? "met" : "NOT met");
            System.out.printf(Locale.ROOT, "%-24s %11.0f%%   (of load + chunk time; the rest is chunking)%n", "loading share", 100 * loadShare);
            System.out.printf(Locale.ROOT, "%nchunk tokens: min %d, p50 %d, p90 %d, p99 %d, max %d; model max %d, target %d; over max: %d; count mismatches: %d%n",
                    (int) Stats.quantile(tokens, 0), (int) Stats.quantile(tokens, 0.5), (int) Stats.quantile(tokens, 0.9),
                    (int) Stats.quantile(tokens, 0.99), maxChunkTokens, modelMax, chunker.targetTokens(), over, mismatched);
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, Json.write(results));
            System.out.println("Wrote " + out);
        }
    }

    private static void row(String name, double median, double min, double max) {
        System.out.printf(Locale.ROOT, "%-24s %12.1f %22s%n", name, median, String.format(Locale.ROOT, "(%.1f-%.1f)", min, max));
    }

    /** Loads and chunks (unless {@code chunker} is null) every page once; input bytes are the files' sizes. */
    private static Pass pass(Path root, List<Path> pages, FileLoader loader, Chunker chunker) throws IOException {
        List<Chunk> chunks = new ArrayList<>();
        long bytes = 0;
        int ok = 0;
        int failed = 0;
        for (Path page : pages) {
            bytes += Files.size(page);
            try {
                Document doc = loader.load(root, page);
                if (chunker != null) {
                    chunks.addAll(chunker.chunk(doc));
                }
                ok++;
            } catch (LoadException e) {
                failed++;
            }
        }
        return new Pass(ok, failed, bytes, chunks);
    }
}
