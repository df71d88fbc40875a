package dev.docrag.benchmarks;

import dev.docrag.core.Chunk;
import dev.docrag.core.Document;
import dev.docrag.core.chunk.Chunker;
import dev.docrag.core.embed.OnnxEmbedder;
import dev.docrag.core.load.FileLoader;
import dev.docrag.core.load.LoadException;
import dev.docrag.index.DocRag;
import dev.docrag.index.DocumentInput;
import dev.docrag.index.Hit;
import dev.docrag.index.SearchRequest;
import dev.docrag.index.VectorIndexConfig;
import dev.docrag.index.VectorIndexConfig.Encoding;
import org.apache.lucene.util.VectorUtil;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * {@code benchmarks/run search}: vector search speed and recall, in one run on the same vectors —
 * exact brute force (the ground truth), DocRag's own vector search over Lucene HNSW in each
 * {@link Encoding}, and hnswlib and FAISS HNSW (Debian's python3-hnswlib and python3-faiss, driven
 * by benchmarks/python/ann_peers.py) with the same M and construction beam, search ef swept.
 * Reports recall@10 against exact, single-thread QPS, p50/p99 latency, build time, bytes on disk
 * and memory, and writes benchmarks/results/search.json.
 *
 * <p>Data sets: {@code real} — all-MiniLM-L6-v2 embeddings of the Python 3.11 docs' chunks (cached
 * under benchmarks/target/search-data keyed by model and corpus, shared with the Python peers; a
 * held-out sample of chunks are the queries); {@code synthetic} — clustered unit vectors of 384
 * dimensions (a centre plus noise, normalised; queries are perturbed data points).
 *
 * <p>Options: {@code --quick} (every 48th page, about 400 chunks to embed on a first run, 5,000
 * synthetic vectors, up to 200 queries, one run; about two minutes with the build), {@code --synthetic N} (default 1,000,000), {@code --queries Q}
 * (default 1000), {@code --runs R} (timed sweeps per engine, default 3), {@code --warm-up-ms W} (untimed
 * searches before each DocRag sweep, for the JIT; default 2000, quick 250), {@code --peers hnswlib,faiss}
 * (the Python engines to run), {@code --efs 10,20,...},
 * {@code --datasets real,synthetic}, {@code --encodings FLOAT32,INT8,...} (default all),
 * {@code --synthetic-encodings ...} (default as --encodings), {@code --out FILE}.
 */
public final class SearchBenchmark {
    private static final int K = 10;
    private static final int M = VectorIndexConfig.DEFAULT_MAX_CONNECTIONS;
    private static final int BEAM = VectorIndexConfig.DEFAULT_BEAM_WIDTH;
    private static final double TARGET = 0.95;
    private static final Path DATA = Path.of("benchmarks/target/search-data");

    private SearchBenchmark() {
    }

    /** One measured point of an ef sweep. */
    record Point(String engine, int ef, int run, double recall, double qps, double p50, double p99) {
    }

    /** What building an engine's index cost. */
    record Build(String engine, double seconds, long diskBytes, long memoryBytes, String memoryMeasure) {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        int synthetic = 1_000_000;
        int queries = 1000;
        int runs = 3;
        long warmUpMillis = 2000;
        int[] efs = {10, 16, 24, 32, 48, 64, 96, 128, 192, 256};
        List<String> datasets = List.of("real", "synthetic");
        List<Encoding> encodings = List.of(Encoding.values());
        List<Encoding> syntheticEncodings = null; // null: as encodings
        Path out = Path.of("benchmarks/results/search.json");
        Path docs = PythonDocs.DEFAULT_ROOT;
        String python = "/usr/bin/python3";
        String peers = "hnswlib,faiss";
        int hybridChunks = 100_000; // --hybrid-chunks: HybridLoadBenchmark's index size (quick 5,000); 0 skips it
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> {
                    quick = true;
                    synthetic = 5_000;
                    queries = 200;
                    runs = 1;
                    warmUpMillis = 250;
                    efs = new int[] {10, 20, 40, 80, 160};
                    hybridChunks = 5_000;
                }
                case "--hybrid-chunks" -> hybridChunks = Integer.parseInt(args[++i]);
                case "--synthetic" -> synthetic = Integer.parseInt(args[++i]);
                case "--queries" -> queries = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--warm-up-ms" -> warmUpMillis = Long.parseLong(args[++i]);
                case "--efs" -> efs = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--datasets" -> datasets = List.of(args[++i].split(","));
                case "--encodings" -> encodings = Arrays.stream(args[++i].split(",")).map(Encoding::valueOf).toList();
                case "--synthetic-encodings" -> syntheticEncodings = Arrays.stream(args[++i].split(",")).map(Encoding::valueOf).toList();
                case "--docs" -> docs = Path.of(args[++i]);
                case "--python" -> python = args[++i];
                case "--peers" -> peers = args[++i];
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("date", Instant.now().toString());
        result.put("machine", Runtime.getRuntime().availableProcessors() + " cores, shared; JDK "
                + Runtime.version() + ", --add-modules jdk.incubator.vector");
        result.put("quick", quick);
        result.put("k", K);
        result.put("hnsw_m", M);
        result.put("hnsw_beam_width", BEAM);
        result.put("runs", runs);
        Map<String, Object> perDataset = new LinkedHashMap<>();
        result.put("datasets", perDataset);
        for (String name : datasets) {
            float[][] all = switch (name) {
                case "real" -> realVectors(docs, quick ? 48 : 1);
                case "synthetic" -> syntheticVectors(synthetic, 384, 42);
                default -> throw new IllegalArgumentException("unknown data set " + name);
            };
            List<Encoding> these = name.equals("synthetic") && syntheticEncodings != null ? syntheticEncodings : encodings;
            perDataset.put(name, runDataset(name, all, Math.min(queries, all.length / 10), runs, efs, these, python, peers, warmUpMillis * 1_000_000));
        }
        summarise(result, perDataset);
        if (hybridChunks > 0) {
            result.remove("hybrid_p99_ms_8_clients_reason");
            result.putAll(HybridLoadBenchmark.run(HybridLoadBenchmark.Options.of(quick, hybridChunks, runs, docs)));
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, Json.write(result));
        System.out.println("wrote " + out);
    }

    // ---------------------------------------------------------------- data

    /** Embeddings of every {@code stride}-th page's chunks, from the cache when model and corpus match. */
    static float[][] realVectors(Path root, int stride) throws IOException {
        try (OnnxEmbedder embedder = OnnxEmbedder.allMiniLmL6V2()) {
            Chunker chunker = Chunker.builder(embedder).contextTokens(embedder.model().maxTokens() / 8).build();
            List<Path> pages = PythonDocs.everyNth(PythonDocs.pages(root), stride);
            MessageDigest key = sha256();
            key.update((embedder.model().id() + "|" + embedder.model().fingerprint() + "|" + chunker.contextTokens()).getBytes());
            for (Path p : pages) {
                key.update((root.relativize(p) + ":" + Files.size(p) + "\n").getBytes());
            }
            String hash = HexFormat.of().formatHex(key.digest()).substring(0, 16);
            Path cache = DATA.resolve("pydocs-" + hash + ".vectors");
            if (Files.exists(cache)) {
                float[][] v = readVectors(cache);
                System.out.printf("real: %d cached chunk vectors (%s)%n", v.length, cache);
                return v;
            }
            FileLoader loader = FileLoader.standard();
            List<String> texts = new ArrayList<>();
            for (Path page : pages) {
                try {
                    Document doc = loader.load(root, page);
                    for (Chunk c : chunker.chunk(doc)) {
                        texts.add(chunker.embeddingText(doc.title(), c));
                    }
                } catch (LoadException e) {
                    // an empty or odd page does not change the corpus' character
                }
            }
            System.out.printf("real: embedding %d chunks of %d pages with %s (cached afterwards in %s)%n",
                    texts.size(), pages.size(), embedder.model().id(), cache);
            long t0 = System.nanoTime();
            float[][] v = new float[texts.size()][];
            for (int i = 0; i < texts.size(); i += 256) {
                List<float[]> batch = embedder.embedDocuments(texts.subList(i, Math.min(texts.size(), i + 256)));
                for (int j = 0; j < batch.size(); j++) {
                    v[i + j] = batch.get(j);
                }
            }
            System.out.printf("real: embedded in %.0f s%n", (System.nanoTime() - t0) / 1e9);
            Files.createDirectories(DATA);
            Path tmp = DATA.resolve(cache.getFileName() + ".tmp");
            try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(tmp))) {
                o.writeInt(v.length);
                o.writeInt(v[0].length);
                for (float[] row : v) {
                    for (float x : row) {
                        o.writeFloat(x);
                    }
                }
            }
            Files.move(tmp, cache, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return v;
        }
    }

    private static float[][] readVectors(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            int n = in.readInt();
            int dim = in.readInt();
            float[][] v = new float[n][dim];
            for (float[] row : v) {
                for (int d = 0; d < dim; d++) {
                    row[d] = in.readFloat();
                }
            }
            return v;
        }
    }

    /**
     * {@code n} unit vectors around n/1000 (at least 10) random centres: centre plus Gaussian
     * noise of norm 0.7, normalised — neighbours are clearly closer than the rest, as with real
     * embeddings (uniform random 384-d vectors are nearly all equidistant).
     */
    static float[][] syntheticVectors(int n, int dim, long seed) {
        Random rnd = new Random(seed);
        int clusters = Math.max(10, n / 1000);
        float[][] centres = new float[clusters][];
        for (int c = 0; c < clusters; c++) {
            centres[c] = unit(gaussian(rnd, dim, 1f));
        }
        float[][] v = new float[n][];
        float sigma = 0.7f / (float) Math.sqrt(dim);
        for (int i = 0; i < n; i++) {
            float[] x = gaussian(rnd, dim, sigma);
            float[] c = centres[rnd.nextInt(clusters)];
            for (int d = 0; d < dim; d++) {
                x[d] += c[d];
            }
            v[i] = unit(x);
        }
        System.out.printf("synthetic: %d clustered unit vectors of %d dimensions, %d clusters%n", n, dim, clusters);
        return v;
    }

    private static float[] gaussian(Random rnd, int dim, float sigma) {
        float[] v = new float[dim];
        for (int d = 0; d < dim; d++) {
            v[d] = (float) rnd.nextGaussian() * sigma;
        }
        return v;
    }

    static float[] unit(float[] v) {
        double n = 0;
        for (float x : v) {
            n += x * x;
        }
        float inv = (float) (1 / Math.sqrt(n));
        for (int d = 0; d < v.length; d++) {
            v[d] *= inv;
        }
        return v;
    }

    // ---------------------------------------------------------------- one data set

    private static Map<String, Object> runDataset(String name, float[][] all, int nq, int runs, int[] efs,
                                                  List<Encoding> encodings, String python, String peers, long warmUpNanos) throws Exception {
        // Held-out queries: every (n/nq)-th vector; for synthetic data a perturbed copy of it, so
        // that the query is near the data but not in the index.
        int dim = all[0].length;
        int step = all.length / nq;
        boolean[] held = new boolean[all.length];
        float[][] queries = new float[nq][];
        Random rnd = new Random(7);
        for (int i = 0; i < nq; i++) {
            held[i * step] = true;
            float[] q = all[i * step].clone();
            if (name.equals("synthetic")) {
                float sigma = 0.7f / (float) Math.sqrt(dim);
                for (int d = 0; d < dim; d++) {
                    q[d] += (float) rnd.nextGaussian() * sigma;
                }
                unit(q);
            }
            queries[i] = q;
        }
        float[][] base = IntStream.range(0, all.length).filter(i -> !held[i]).mapToObj(i -> all[i]).toArray(float[][]::new);
        System.out.printf("%s: %d vectors indexed, %d queries, k=%d, M=%d, beam=%d, ef %s%n",
                name, base.length, nq, K, M, BEAM, Arrays.toString(efs));

        Path dir = DATA.resolve(name + "-" + base.length);
        Files.createDirectories(dir);
        writeFloats(dir.resolve("base.f32"), base);
        writeFloats(dir.resolve("queries.f32"), queries);

        // Exact brute force: the ground truth (both cores), then its single-thread speed.
        long t0 = System.nanoTime();
        int[][] truth = IntStream.range(0, nq).parallel().mapToObj(i -> exactTop(base, queries[i], K)).toArray(int[][]::new);
        System.out.printf("%s: ground truth in %.1f s%n", name, (System.nanoTime() - t0) / 1e9);
        writeInts(dir.resolve("gt.i32"), truth);
        List<Point> points = new ArrayList<>();
        List<Build> builds = new ArrayList<>();
        int exactQueries = Math.min(nq, Math.max(20, 2_000_000 / base.length));
        double[] lat = new double[exactQueries];
        long e0 = System.nanoTime();
        for (int i = 0; i < exactQueries; i++) {
            long s = System.nanoTime();
            exactTop(base, queries[i], K);
            lat[i] = (System.nanoTime() - s) / 1e6;
        }
        points.add(new Point("exact", 0, 1, 1.0, exactQueries / ((System.nanoTime() - e0) / 1e9),
                Stats.quantile(lat, 0.5), Stats.quantile(lat, 0.99)));
        builds.add(new Build("exact", 0, (long) base.length * dim * Float.BYTES, (long) base.length * dim * Float.BYTES,
                "float32 vectors in memory"));

        // DocRag: one index per encoding, built through upsert, merged to one segment, then swept.
        VectorTableEmbedder embedder = new VectorTableEmbedder(name, base);
        Map<Encoding, Path> indexes = new LinkedHashMap<>();
        for (Encoding encoding : encodings) {
            Path idx = Files.createTempDirectory("docrag-search-bench-");
            indexes.put(encoding, idx);
            builds.add(buildDocRag(encoding, idx, embedder, base.length));
        }
        for (int run = 1; run <= runs; run++) {
            for (Encoding encoding : encodings) {
                for (int ef : efs) {
                    points.add(sweepDocRag(encoding, indexes.get(encoding), embedder, queries, truth, ef, run, warmUpNanos));
                }
            }
        }
        for (Path idx : indexes.values()) {
            deleteTree(idx);
        }

        // The peers, right after, on the same files.
        Path tsv = dir.resolve("peers.tsv");
        List<String> cmd = List.of(python, "benchmarks/python/ann_peers.py", "--dir", dir.toString(), "--dim", Integer.toString(dim),
                "--k", Integer.toString(K), "--m", Integer.toString(M), "--ef-construction", Integer.toString(BEAM),
                "--efs", String.join(",", Arrays.stream(efs).mapToObj(Integer::toString).toList()),
                "--runs", Integer.toString(runs), "--engines", peers, "--out", tsv.toString());
        System.out.println("peers: " + String.join(" ", cmd));
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException("ann_peers.py failed with exit code " + p.exitValue());
        }
        try (BufferedReader r = Files.newBufferedReader(tsv)) {
            for (String line; (line = r.readLine()) != null; ) {
                String[] f = line.split("\t");
                if (f[0].equals("build")) {
                    builds.add(new Build(f[1], Double.parseDouble(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
                            "process RSS growth while building"));
                } else {
                    points.add(new Point(f[1], Integer.parseInt(f[2]), Integer.parseInt(f[3]), Double.parseDouble(f[4]),
                            Double.parseDouble(f[5]), Double.parseDouble(f[6]), Double.parseDouble(f[7])));
                }
            }
        }
        for (Point pt : points) {
            System.out.printf("%s %-16s ef=%4d run %d  recall %.4f  %9.0f QPS  p50 %.3f ms  p99 %.3f ms%n",
                    name, pt.engine, pt.ef, pt.run, pt.recall, pt.qps, pt.p50, pt.p99);
        }
        return datasetResult(name, base.length, nq, points, builds);
    }

    private static Build buildDocRag(Encoding encoding, Path dir, VectorTableEmbedder embedder, int n) throws IOException {
        VectorIndexConfig config = VectorIndexConfig.builder().encoding(encoding).build();
        long t0 = System.nanoTime();
        try (DocRag rag = DocRag.builder().directory(dir).embedder(embedder).vectorIndex(config).build()) {
            List<DocumentInput> batch = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                batch.add(DocumentInput.builder("t", Integer.toString(i)).text(VectorTableEmbedder.text(i)).build());
                if (batch.size() == 5000 || i == n - 1) {
                    rag.upsert(batch);
                    batch.clear();
                }
            }
            rag.forceMerge(1); // one graph, like the peers'
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Long> ext = bytesByExtension(dir);
        long all = ext.values().stream().mapToLong(Long::longValue).sum();
        long graph = ext.getOrDefault("vex", 0L);
        long hot = graph + (encoding.quantized() ? ext.getOrDefault("veq", 0L) : ext.getOrDefault("vec", 0L));
        System.out.printf("docrag_%s: built %d in %.1f s; files %s%n", encoding, n, seconds, ext);
        return new Build("docrag_" + encoding.name().toLowerCase(), seconds, all, hot,
                "graph (.vex) + vectors the graph search reads (.vec float32, or .veq quantized), file bytes");
    }

    private static Point sweepDocRag(Encoding encoding, Path dir, VectorTableEmbedder embedder, float[][] queries,
                                     int[][] truth, int ef, int run, long warmUpNanos) {
        VectorIndexConfig config = VectorIndexConfig.builder().encoding(encoding).searchCandidates(ef).build();
        try (DocRag rag = DocRag.builder().directory(dir).embedder(embedder).vectorIndex(config).build()) {
            int nq = queries.length;
            // The peers are native code and need no warm-up beyond their 200 queries; the JVM
            // needs its JIT to compile the search path (C2 takes thousands of calls and a second
            // or two), or the timed pass measures the interpreter. Same queries, untimed.
            long warmUntil = System.nanoTime() + warmUpNanos;
            for (int i = 0; i < 200 || System.nanoTime() < warmUntil; i++) {
                rag.search(SearchRequest.vector(queries[i % nq]).tenant("t").k(K));
            }
            double[] lat = new double[nq];
            int found = 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < nq; i++) {
                long s = System.nanoTime();
                List<Hit> hits = rag.search(SearchRequest.vector(queries[i]).tenant("t").k(K));
                lat[i] = (System.nanoTime() - s) / 1e6;
                for (Hit h : hits) {
                    int row = Integer.parseInt(h.documentId());
                    for (int t : truth[i]) {
                        if (t == row) {
                            found++;
                            break;
                        }
                    }
                }
            }
            double qps = nq / ((System.nanoTime() - t0) / 1e9);
            return new Point("docrag_" + encoding.name().toLowerCase(), ef, run, found / (double) (nq * K), qps,
                    Stats.quantile(lat, 0.5), Stats.quantile(lat, 0.99));
        }
    }

    static int[] exactTop(float[][] base, float[] q, int k) {
        int[] top = new int[k];
        float[] score = new float[k];
        Arrays.fill(score, Float.NEGATIVE_INFINITY);
        Arrays.fill(top, -1);
        for (int i = 0; i < base.length; i++) {
            float s = VectorUtil.dotProduct(q, base[i]);
            if (s > score[k - 1]) {
                int j = k - 1;
                while (j > 0 && score[j - 1] < s) {
                    score[j] = score[j - 1];
                    top[j] = top[j - 1];
                    j--;
                }
                score[j] = s;
                top[j] = i;
            }
        }
        return top;
    }

    // ---------------------------------------------------------------- summaries

    private static Map<String, Object> datasetResult(String name, int n, int nq, List<Point> points, List<Build> builds) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("vectors", n);
        r.put("queries", nq);
        Map<String, Object> engines = new LinkedHashMap<>();
        for (Build b : builds) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("build_seconds", b.seconds);
            e.put("disk_bytes", b.diskBytes);
            e.put("memory_bytes", b.memoryBytes);
            e.put("memory_measure", b.memoryMeasure);
            List<Map<String, Object>> sweep = new ArrayList<>();
            for (int ef : points.stream().filter(p -> p.engine.equals(b.engine)).mapToInt(Point::ef).distinct().sorted().toArray()) {
                List<Point> at = points.stream().filter(p -> p.engine.equals(b.engine) && p.ef == ef).toList();
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("ef", ef);
                s.put("recall", median(at.stream().mapToDouble(Point::recall).toArray()));
                Stats qps = Stats.of(at.stream().mapToDouble(Point::qps).toArray());
                s.put("qps", qps.median());
                s.put("qps_min", qps.min());
                s.put("qps_max", qps.max());
                s.put("p50_ms", median(at.stream().mapToDouble(Point::p50).toArray()));
                s.put("p99_ms", median(at.stream().mapToDouble(Point::p99).toArray()));
                s.put("runs", at.size());
                sweep.add(s);
            }
            e.put("sweep", sweep);
            e.put("at_recall_95", atRecall(sweep));
            engines.put(b.engine, e);
        }
        r.put("engines", engines);
        return r;
    }

    private static double median(double[] v) {
        return Stats.of(v).median();
    }

    /**
     * QPS and p50 at recall {@link #TARGET}, linearly interpolated between the two measured ef
     * points that bracket it; when the lowest ef measured already exceeds it, that point (a lower
     * bound on QPS at the target), and when no point reaches it, nothing.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> atRecall(List<Map<String, Object>> sweep) {
        Map<String, Object> r = new LinkedHashMap<>();
        if (sweep.isEmpty()) {
            return r;
        }
        Map<String, Object> first = sweep.get(0);
        if ((double) first.get("recall") >= TARGET) {
            r.put("qps", first.get("qps"));
            r.put("p50_ms", first.get("p50_ms"));
            r.put("how", "nearest measured point: the lowest ef swept (" + first.get("ef") + ") already has recall "
                    + String.format("%.4f", (double) first.get("recall")) + " (QPS at exactly 0.95 would be higher)");
            return r;
        }
        for (int i = 0; i + 1 < sweep.size(); i++) {
            Map<String, Object> a = sweep.get(i);
            Map<String, Object> b = sweep.get(i + 1);
            double ra = (double) a.get("recall");
            double rb = (double) b.get("recall");
            if (ra < TARGET && rb >= TARGET) {
                double f = (TARGET - ra) / (rb - ra);
                r.put("qps", (double) a.get("qps") + f * ((double) b.get("qps") - (double) a.get("qps")));
                r.put("p50_ms", (double) a.get("p50_ms") + f * ((double) b.get("p50_ms") - (double) a.get("p50_ms")));
                r.put("how", "linear interpolation between ef " + a.get("ef") + " (recall " + String.format("%.4f", ra)
                        + ") and ef " + b.get("ef") + " (recall " + String.format("%.4f", rb) + ")");
                return r;
            }
        }
        r.put("qps", null);
        r.put("how", "no swept ef reached recall 0.95");
        return r;
    }

    @SuppressWarnings("unchecked")
    private static void summarise(Map<String, Object> result, Map<String, Object> perDataset) {
        Map<String, Object> real = (Map<String, Object>) perDataset.get("real");
        Map<String, Object> syn = (Map<String, Object>) perDataset.get("synthetic");
        result.put("lucene_qps_at_recall95", qpsAt(real, "docrag_float32"));
        result.put("hnswlib_qps_at_recall95", qpsAt(real, "hnswlib"));
        result.put("faiss_qps_at_recall95", qpsAt(real, "faiss"));
        result.put("ratio_vs_hnswlib", ratio(qpsAt(real, "docrag_float32"), qpsAt(real, "hnswlib")));
        result.put("ratio_vs_faiss", ratio(qpsAt(real, "docrag_float32"), qpsAt(real, "faiss")));
        result.put("synthetic_vectors", syn == null ? null : syn.get("vectors"));
        result.put("ratio_vs_hnswlib_1m", ratio(qpsAt(syn, "docrag_float32"), qpsAt(syn, "hnswlib")));
        result.put("p50_ms_at_recall95_1m", at(syn, "docrag_float32", "p50_ms"));
        if (syn != null && (int) syn.get("vectors") + nQueries(syn) < 1_000_000) {
            result.put("synthetic_note", "the *_1m keys were measured on " + syn.get("vectors")
                    + " synthetic vectors, not 1,000,000: the largest size run (see README: Search speed)");
        }
        // The quantized encoding with the least memory that loses at most 2 recall points after
        // rescoring at the ef where float32 reaches 0.95 on the real vectors.
        Map<String, Object> q = quantizedChoice(real != null ? real : syn);
        result.putAll(q);
        result.put("hybrid_p99_ms_8_clients", null);
        result.put("hybrid_p99_ms_8_clients_reason", "not measured in this version of the suite (time budget); see README");
    }

    private static int nQueries(Map<String, Object> ds) {
        return (int) ds.get("queries");
    }

    @SuppressWarnings("unchecked")
    private static Object at(Map<String, Object> ds, String engine, String key) {
        if (ds == null) {
            return null;
        }
        Map<String, Object> e = (Map<String, Object>) ((Map<String, Object>) ds.get("engines")).get(engine);
        return e == null ? null : ((Map<String, Object>) e.get("at_recall_95")).get(key);
    }

    private static Object qpsAt(Map<String, Object> ds, String engine) {
        return at(ds, engine, "qps");
    }

    private static Object ratio(Object a, Object b) {
        return a instanceof Double x && b instanceof Double y && y > 0 ? x / y : null;
    }

    /**
     * For each quantized encoding: memory relative to float32 (graph + searched vectors) and recall
     * points lost against float32 at the same ef, taken at the smallest ef where float32 reaches
     * 0.95. Reports the smallest-memory encoding that loses at most 2 points, or the least lossy.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> quantizedChoice(Map<String, Object> ds) {
        Map<String, Object> r = new LinkedHashMap<>();
        if (ds == null) {
            return r;
        }
        Map<String, Object> engines = (Map<String, Object>) ds.get("engines");
        Map<String, Object> f32 = (Map<String, Object>) engines.get("docrag_float32");
        if (f32 == null) {
            return r;
        }
        List<Map<String, Object>> fs = (List<Map<String, Object>>) f32.get("sweep");
        Map<String, Object> ref = fs.stream().filter(s -> (double) s.get("recall") >= TARGET).findFirst().orElse(fs.get(fs.size() - 1));
        int ef = (int) ref.get("ef");
        Map<String, Object> detail = new LinkedHashMap<>();
        String best = null;
        double bestFraction = 2;
        String leastLossy = null;
        double leastLoss = 1e9;
        for (String name : List.of("docrag_int8", "docrag_int4", "docrag_binary")) {
            Map<String, Object> e = (Map<String, Object>) engines.get(name);
            if (e == null) {
                continue;
            }
            Map<String, Object> s = ((List<Map<String, Object>>) e.get("sweep")).stream().filter(x -> (int) x.get("ef") == ef).findFirst().orElseThrow();
            double fraction = (long) e.get("memory_bytes") / (double) (long) f32.get("memory_bytes");
            double loss = ((double) ref.get("recall") - (double) s.get("recall")) * 100;
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("memory_fraction", fraction);
            d.put("recall_loss_points", loss);
            d.put("recall", s.get("recall"));
            d.put("qps", s.get("qps"));
            d.put("qps_vs_float32", (double) s.get("qps") / (double) ref.get("qps"));
            detail.put(name, d);
            if (loss <= 2 && fraction < bestFraction) {
                best = name;
                bestFraction = fraction;
            }
            if (loss < leastLoss) {
                leastLoss = loss;
                leastLossy = name;
            }
        }
        String chosen = best != null ? best : leastLossy;
        if (chosen != null) {
            Map<String, Object> d = (Map<String, Object>) detail.get(chosen);
            r.put("quantized_encoding", chosen);
            r.put("quantized_memory_fraction", d.get("memory_fraction"));
            r.put("quantized_recall_loss_points", d.get("recall_loss_points"));
            r.put("quantized_compared_at_ef", ef);
            r.put("quantized_recall_loss_note", "float32's recall minus the encoding's after rescoring, both at that ef, in points;"
                    + " negative: the quantized search recalls more, since it collects oversample x ef candidates before rescoring");
            r.put("quantized_compared_on", ds.get("vectors") + " vectors (real embeddings when measured, else synthetic)");
            r.put("quantized_detail", detail);
        }
        return r;
    }

    // ---------------------------------------------------------------- files

    private static void writeFloats(Path file, float[][] rows) throws IOException {
        int dim = rows[0].length;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocate(dim * Float.BYTES * 1024).order(ByteOrder.LITTLE_ENDIAN);
            for (float[] row : rows) {
                if (buf.remaining() < dim * Float.BYTES) {
                    buf.flip();
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                    buf.clear();
                }
                buf.asFloatBuffer().put(row);
                buf.position(buf.position() + dim * Float.BYTES);
            }
            buf.flip();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }
    }

    private static void writeInts(Path file, int[][] rows) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(rows.length * rows[0].length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int[] row : rows) {
            for (int x : row) {
                buf.putInt(x);
            }
        }
        Files.write(file, buf.array());
    }

    private static Map<String, Long> bytesByExtension(Path dir) throws IOException {
        Map<String, Long> out = new java.util.TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(Files::isRegularFile).forEach(p -> {
                String name = p.getFileName().toString();
                int dot = name.lastIndexOf('.');
                String ext = dot < 0 ? name : name.substring(dot + 1);
                try {
                    out.merge(ext, Files.size(p), Long::sum);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return out;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
