package dev.docrag.benchmarks;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.docrag.core.Chunk;
import dev.docrag.core.chunk.Chunker;
import dev.docrag.core.embed.OnnxEmbedder;
import dev.docrag.core.embed.OnnxModel;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code benchmarks/run embed}: DocRag's ONNX embedder against LangChain4j's in-process models
 * (fp32 and int8 all-MiniLM-L6-v2) on the same real chunks of the Python 3.11 documentation, cut
 * to at most 128 tokens so that LangChain4j (which truncates at 128) embeds every token too.
 * Engines are interleaved round by round so that machine drift hits all of them alike; the table
 * shows medians with min-max spread, and ratios are DocRag over LangChain4j, same run.
 *
 * <p>Options: {@code --chunks N} (default 1000), {@code --rounds R} (5), {@code --quick} (200
 * chunks, 2 rounds), {@code --sweep} (also DocRag execution variants), {@code --docs DIR},
 * {@code --out FILE}.
 */
public final class EmbedBenchmark {
    private static final int WINDOW = 128;
    private static final List<String> QUERIES = List.of(
            "read a file line by line", "sort a list of dictionaries by a key", "parse command line arguments",
            "run code concurrently", "format a date as a string", "what is a generator", "open a network socket",
            "compare two floating point numbers", "remove duplicates from a list", "measure execution time");

    interface Engine extends AutoCloseable {
        String name();

        List<float[]> embed(List<String> texts);

        float[] query(String text);

        @Override
        void close();
    }

    record DocRagEngine(String name, OnnxEmbedder embedder) implements Engine {
        public List<float[]> embed(List<String> texts) {
            return embedder.embedDocuments(texts);
        }

        public float[] query(String text) {
            return embedder.embedQuery(text);
        }

        public void close() {
            embedder.close();
        }
    }

    record LangChain4jEngine(String name, EmbeddingModel model) implements Engine {
        public List<float[]> embed(List<String> texts) {
            List<Embedding> out = model.embedAll(texts.stream().map(TextSegment::from).toList()).content();
            return out.stream().map(Embedding::vector).toList();
        }

        public float[] query(String text) {
            return model.embed(text).content().vector();
        }

        public void close() {
        }
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        int chunkCount = 1000;
        int rounds = 5;
        boolean sweep = false;
        Path docs = PythonDocs.DEFAULT_ROOT;
        Path out = Path.of("benchmarks/results/embed.json");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--chunks" -> chunkCount = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--quick" -> {
                    chunkCount = 200;
                    rounds = 2;
                }
                case "--sweep" -> sweep = true;
                case "--docs" -> docs = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }

        List<Engine> engines = new ArrayList<>();
        OnnxEmbedder fp32 = OnnxEmbedder.allMiniLmL6V2();
        Chunker chunker = PythonDocs.chunker(fp32::countTokens, WINDOW, WINDOW);
        List<Chunk> all = PythonDocs.chunks(docs, chunker, chunkCount < 1000 ? 8 : 1);
        List<String> texts = PythonDocs.sample(all, chunkCount).stream().map(Chunk::text).toList();
        int[] lengths = texts.stream().mapToInt(fp32::countTokens).toArray();
        long tokens = 0;
        double flops = 0;
        for (int len : lengths) {
            tokens += len;
            flops += miniLmFlops(len);
        }
        System.out.printf(Locale.ROOT, "Corpus: %d chunks sampled evenly from %d chunks of the Python 3.11 docs, %d tokens, mean %.1f tokens/chunk%n",
                texts.size(), all.size(), tokens, (double) tokens / texts.size());

        engines.add(new LangChain4jEngine("langchain4j_fp32", new AllMiniLmL6V2EmbeddingModel()));
        engines.add(new LangChain4jEngine("langchain4j_int8", new AllMiniLmL6V2QuantizedEmbeddingModel()));
        engines.add(new DocRagEngine("docrag_fp32", fp32));
        engines.add(new DocRagEngine("docrag_int8", OnnxEmbedder.create(OnnxModel.allMiniLmL6V2Int8())));
        if (sweep) {
            for (int runs : new int[] {1, 2}) {
                for (int batch : new int[] {1, 4, 8, 16, 32}) {
                    engines.add(new DocRagEngine("sweep_fp32_runs" + runs + "_batch" + batch, OnnxEmbedder.builder(OnnxModel.allMiniLmL6V2())
                            .parallelRuns(runs).maxBatchSize(batch).build()));
                }
                engines.add(new DocRagEngine("sweep_int8_runs" + runs, OnnxEmbedder.builder(OnnxModel.allMiniLmL6V2Int8())
                        .parallelRuns(runs).build()));
            }
        }

        // Warm up every engine (JIT, ONNX Runtime's arena and kernels) on a slice of the corpus.
        List<String> warm = texts.subList(0, Math.min(64, texts.size()));
        for (Engine e : engines) {
            e.embed(warm);
        }
        Map<String, double[]> seconds = new LinkedHashMap<>();
        Map<String, List<float[]>> vectors = new LinkedHashMap<>();
        for (Engine e : engines) {
            seconds.put(e.name(), new double[rounds]);
        }
        for (int r = 0; r < rounds; r++) {
            for (Engine e : engines) {
                long t0 = System.nanoTime();
                List<float[]> v = e.embed(texts);
                seconds.get(e.name())[r] = (System.nanoTime() - t0) / 1e9;
                vectors.put(e.name(), v);
            }
            System.out.printf("round %d/%d done%n", r + 1, rounds);
        }

        Map<String, Object> results = new LinkedHashMap<>();
        Map<String, Object> perEngine = new LinkedHashMap<>();
        System.out.printf("%n%-28s %14s %20s %12s %10s %10s %9s %9s%n", "engine", "chunks/s", "(min-max)", "tokens/s",
                "GFLOP/s", "query p50", "p99 ms", "min cos");
        for (Engine e : engines) {
            Stats s = Stats.of(seconds.get(e.name()));
            double chunksPerS = texts.size() / s.median();
            double[] latencies = queryLatencies(e, 300);
            double p50 = Stats.quantile(latencies, 0.5);
            double p99 = Stats.quantile(latencies, 0.99);
            double determinism = batchIndependence(e, texts);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("chunks_per_s", chunksPerS);
            m.put("chunks_per_s_min", texts.size() / s.max());
            m.put("chunks_per_s_max", texts.size() / s.min());
            m.put("tokens_per_s", tokens / s.median());
            m.put("gflops", flops / s.median() / 1e9);
            m.put("query_p50_ms", p50);
            m.put("query_p99_ms", p99);
            m.put("min_cosine_solo_vs_batch", determinism);
            perEngine.put(e.name(), m);
            results.put(e.name() + "_chunks_per_s", chunksPerS);
            System.out.printf(Locale.ROOT, "%-28s %14.1f %20s %12.0f %10.1f %10.2f %9.2f %9.6f%n", e.name(), chunksPerS,
                    String.format(Locale.ROOT, "(%.1f-%.1f)", texts.size() / s.max(), texts.size() / s.min()),
                    tokens / s.median(), flops / s.median() / 1e9, p50, p99, determinism);
        }
        double ratioFp32 = ratio(seconds, "langchain4j_fp32", "docrag_fp32");
        double ratioInt8 = ratio(seconds, "langchain4j_int8", "docrag_int8");
        results.put("ratio_fp32", ratioFp32);
        results.put("ratio_int8", ratioInt8);
        results.put("ratio_fp32_per_round", perRound(seconds, "langchain4j_fp32", "docrag_fp32"));
        results.put("ratio_int8_per_round", perRound(seconds, "langchain4j_int8", "docrag_int8"));
        double[] parity = cosines(vectors.get("docrag_fp32"), vectors.get("langchain4j_fp32"));
        results.put("fp32_parity_min_cosine", Stats.of(parity).min());
        double[] int8VsFp32 = cosines(vectors.get("docrag_int8"), vectors.get("docrag_fp32"));
        results.put("int8_vs_fp32_mean_cosine", mean(int8VsFp32));
        results.put("tokenizer_share", tokenizerShare(fp32, texts, Stats.of(seconds.get("docrag_fp32")).median()));
        results.put("padding_overhead", paddingOverhead(lengths, 16, 4096));
        int cores = Runtime.getRuntime().availableProcessors();
        double peak = CpuPeak.fp32Gflops(cores);
        double docragShare = flops / Stats.of(seconds.get("docrag_fp32")).median() / 1e9 / peak;
        double peerShare = flops / Stats.of(seconds.get("langchain4j_fp32")).median() / 1e9 / peak;
        results.put("cpu_fp32_peak_gflops", peak);
        results.put("docrag_fp32_share_of_peak", docragShare);
        results.put("langchain4j_fp32_share_of_peak", peerShare);
        results.put("chunks", texts.size());
        results.put("tokens", tokens);
        results.put("rounds", rounds);
        results.put("date", LocalDate.now().toString());
        results.put("machine", machine());
        results.put("engines", perEngine);

        System.out.printf(Locale.ROOT, "%nDocRag / LangChain4j (median of per-round ratios): fp32 %.2fx, int8 %.2fx%n", ratioFp32, ratioInt8);
        System.out.printf(Locale.ROOT, "fp32 parity with LangChain4j: min cosine %.6f; int8 vs fp32: mean cosine %.4f%n",
                Stats.of(parity).min(), mean(int8VsFp32));
        System.out.printf(Locale.ROOT, "Profile (DocRag fp32): tokenizer %.1f%% of embedding time; padding adds %.1f%% tokens%n",
                100 * (double) results.get("tokenizer_share"), 100 * (double) results.get("padding_overhead"));
        System.out.printf(Locale.ROOT, "This CPU's fp32 FMA peak on %d threads: %.1f GFLOP/s; DocRag fp32 reaches %.0f%% of it, LangChain4j fp32 %.0f%%"
                + " (1.5x LangChain4j would be %.0f%%)%n", cores, peak, 100 * docragShare, 100 * peerShare, 150 * peerShare);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, Json.write(results));
        System.out.println("Wrote " + out);
        engines.forEach(Engine::close);
    }

    /** Median over rounds of (peer time / DocRag time): per round, so drift cancels. */
    private static double ratio(Map<String, double[]> seconds, String peer, String docrag) {
        return Stats.of(perRoundArray(seconds, peer, docrag)).median();
    }

    private static List<Double> perRound(Map<String, double[]> seconds, String peer, String docrag) {
        List<Double> out = new ArrayList<>();
        for (double r : perRoundArray(seconds, peer, docrag)) {
            out.add(r);
        }
        return out;
    }

    private static double[] perRoundArray(Map<String, double[]> seconds, String peer, String docrag) {
        double[] p = seconds.get(peer);
        double[] d = seconds.get(docrag);
        double[] r = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            r[i] = p[i] / d[i];
        }
        return r;
    }

    private static double[] queryLatencies(Engine e, int n) {
        for (int i = 0; i < 20; i++) {
            e.query(QUERIES.get(i % QUERIES.size()));
        }
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            e.query(QUERIES.get(i % QUERIES.size()));
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return ms;
    }

    /** The lowest cosine between a text embedded alone and the same text embedded among the corpus. */
    private static double batchIndependence(Engine e, List<String> texts) {
        List<float[]> together = e.embed(texts.subList(0, Math.min(64, texts.size())));
        double min = 1;
        for (int i = 0; i < together.size(); i += 8) {
            float[] alone = e.embed(List.of(texts.get(i))).get(0);
            min = Math.min(min, dot(alone, together.get(i)));
        }
        return min;
    }

    private static double tokenizerShare(OnnxEmbedder embedder, List<String> texts, double embedSeconds) throws IOException {
        try (InputStream json = EmbedBenchmark.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json");
             HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(json, Map.of("truncation", "false", "padding", "false"))) {
            tokenizer.batchEncode(texts);
            long t0 = System.nanoTime();
            for (int i = 0; i < 3; i++) {
                tokenizer.batchEncode(texts);
            }
            return (System.nanoTime() - t0) / 3e9 / embedSeconds;
        }
    }

    /** Extra tokens that batching by sorted length pads in, relative to the real tokens. */
    static double paddingOverhead(int[] lengths, int maxBatch, int batchTokens) {
        int[] sorted = lengths.clone();
        java.util.Arrays.sort(sorted);
        long real = 0;
        long padded = 0;
        int i = sorted.length - 1;
        while (i >= 0) {
            int longest = sorted[i];
            int size = Math.max(1, Math.min(maxBatch, batchTokens / longest));
            int n = Math.min(size, i + 1);
            for (int j = 0; j < n; j++) {
                real += sorted[i - j];
            }
            padded += (long) n * longest;
            i -= n;
        }
        return (double) (padded - real) / real;
    }

    /** Multiply-adds x2 of a 6-layer, 384-wide BERT over {@code len} tokens (projections, FFN, attention). */
    static double miniLmFlops(int len) {
        double d = 384;
        double perLayer = 2 * (4 * d * d + 2 * d * 1536) * len + 2 * 2 * (double) len * len * d;
        return 6 * perLayer;
    }

    private static double[] cosines(List<float[]> a, List<float[]> b) {
        double[] c = new double[a.size()];
        for (int i = 0; i < c.length; i++) {
            c[i] = dot(a.get(i), b.get(i)) / Math.sqrt(dot(a.get(i), a.get(i)) * dot(b.get(i), b.get(i)));
        }
        return c;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    static String machine() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).strip();
                    break;
                }
            }
        } catch (IOException e) {
            // not Linux: the JVM's view is enough
        }
        return String.format(Locale.ROOT, "%s, %d cores, Java %s", cpu, Runtime.getRuntime().availableProcessors(),
                Runtime.version().feature());
    }
}
