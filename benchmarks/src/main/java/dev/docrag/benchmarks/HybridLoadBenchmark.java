package dev.docrag.benchmarks;

import dev.docrag.core.Chunk;
import dev.docrag.core.Document;
import dev.docrag.core.chunk.Chunker;
import dev.docrag.core.embed.Embedder;
import dev.docrag.core.embed.ModelInfo;
import dev.docrag.core.embed.OnnxEmbedder;
import dev.docrag.core.load.FileLoader;
import dev.docrag.core.load.LoadException;
import dev.docrag.index.DocRag;
import dev.docrag.index.DocumentInput;
import dev.docrag.index.IngestReport;
import dev.docrag.index.SearchRequest;
import dev.docrag.index.SearchResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Hybrid search latency under concurrent load on a large index: issue #6's goal "hybrid search at
 * 100k chunks with 8 concurrent clients: p99 &le; 20 ms". Run alone with {@code benchmarks/run
 * hybrid} (writes benchmarks/results/hybrid.json) or as part of {@code benchmarks/run search}
 * (option {@code --hybrid-chunks N}, 0 skips it), which puts {@code hybrid_p99_ms_8_clients} into
 * search.json.
 *
 * <p><b>Corpus.</b> N documents of one chunk each (default 100,000; {@code --quick}: 5,000), one
 * tenant, ingested through DocRag's public API ({@code DocRag.builder().directory(..).embedder(..)},
 * {@code upsert} in batches of 2,000, default {@code VectorIndexConfig}: float32 HNSW, M 16, beam
 * 100) and <em>not</em> force-merged: the index keeps the segments its merge policy left, as a live
 * index does, and the segment count is reported with every measurement. The texts are the real
 * Python 3.11 documentation's chunks (Debian package python3.11-doc, cut by the all-MiniLM-L6-v2
 * chunker as the other suites cut them), cycled to reach N; copies after the first end in a
 * {@code [copy n]} line, so that no two documents are identical. BM25 therefore searches real
 * prose with real term statistics.
 *
 * <p><b>Vectors are synthetic.</b> Embedding 100,000 chunks with the real model takes hours on the
 * 2-core benchmark machine, so the index is filled by a deterministic synthetic {@link Embedder}
 * of 384 dimensions (MiniLM's): a text's vector is a cluster centre (one of N/1000) plus Gaussian
 * noise, normalised, both drawn from a generator seeded with the text's hash, as
 * {@code SearchBenchmark.syntheticVectors} builds its clustered set. HNSW search cost depends on
 * the graph's size, dimension and the vectors' spread, not on what the vectors mean, so the
 * latency is representative; the hits' relevance is not, and is not measured here (see the
 * quality suite).
 *
 * <p><b>Load.</b> At least 1,000 distinct hybrid queries ({@code SearchRequest.hybrid(text)
 * .tenant(..).k(10)}): 3 to 8 consecutive words of random chunks (seeded), plus the 59 questions
 * of eval/pydocs-qa.tsv. {@code clients} threads (8) each run a closed loop — a thread sends its
 * next query when the previous one returns — for a warm-up (10 s, quick 3 s, and at least 1,000
 * requests) and then a measured period (30 s; quick 5 s); every latency of the measured period is
 * kept (System.nanoTime around {@code rag.searchResult}, which is what {@code rag.search} returns
 * the hits of). Two variants, alternated, each in every run ({@code --runs}, default 3, quick 1):
 * <ul>
 *   <li>{@code search_only}: the synthetic embedder embeds the query (microseconds), so the
 *       latency is DocRag's hybrid search itself: BM25 and HNSW retrieval, fusion, hit
 *       materialisation.</li>
 *   <li>{@code end_to_end}: the query embedder additionally runs the real all-MiniLM-L6-v2 fp32
 *       ONNX model on the query text (its result discarded; the synthetic vector is returned so
 *       that it matches the index). This is what a host's search costs with the real model: query
 *       embedding and search, all 8 clients contending for the same cores.</li>
 * </ul>
 * Then the index is merged to one segment ({@code DocRag.forceMerge(1)}, what a host does after a
 * bulk load) and both are measured again as {@code search_only_merged} and {@code end_to_end_merged}:
 * a query then searches one HNSW graph and one term dictionary instead of one per segment.
 * The headline {@code hybrid_p99_ms_8_clients} is the end-to-end variant's p99 on the index as
 * ingested, median over runs.
 * Each measurement also reports the CPU time spent per request (the whole JVM's and the client
 * threads' own): on a shared machine latency mostly measures the queue for the cores, while CPU
 * per request says what one search costs.
 *
 * <p>Options of the standalone run: {@code --quick}, {@code --chunks N}, {@code --clients C},
 * {@code --queries Q} (generated; default 2,000, quick 1,000), {@code --warmup S},
 * {@code --seconds S}, {@code --runs R}, {@code --docs DIR}, {@code --questions TSV},
 * {@code --out FILE}. A full run took about 6 minutes on the shared 2-core machine (ingest 91 s).
 */
final class HybridLoadBenchmark {
    static final int DIM = 384;
    static final int K = 10;
    static final String TENANT = "t";
    private static final int BATCH = 2_000;
    private static final long SEED = 42;
    /** The warm-up goes on until this many requests have been answered, however long it takes. */
    static final int MIN_WARMUP_REQUESTS = 1_000;

    private HybridLoadBenchmark() {
    }

    /**
     * What to run.
     *
     * @param chunks         documents (of one chunk each) in the index
     * @param clients        concurrent closed-loop client threads
     * @param queries        distinct generated queries (the eval questions come on top)
     * @param warmupSeconds  per variant and run, not measured
     * @param measureSeconds per variant and run
     * @param runs           repetitions of both variants
     * @param pageStride     every n-th documentation page supplies chunk texts
     */
    record Options(boolean quick, int chunks, int clients, int queries, int warmupSeconds, int measureSeconds,
                   int runs, int pageStride, Path docs, Path questions) {
        static Options defaults(boolean quick) {
            return quick
                    ? new Options(true, 5_000, 8, 1_000, 3, 5, 1, 3, PythonDocs.DEFAULT_ROOT, Path.of("eval/pydocs-qa.tsv"))
                    : new Options(false, 100_000, 8, 2_000, 10, 30, 3, 1, PythonDocs.DEFAULT_ROOT, Path.of("eval/pydocs-qa.tsv"));
        }

        /** For the search suite: its quick flag, chunk count, runs and documentation root. */
        static Options of(boolean quick, int chunks, int runs, Path docs) {
            Options d = defaults(quick);
            return new Options(quick, chunks, d.clients, d.queries, d.warmupSeconds, d.measureSeconds, runs, d.pageStride,
                    docs, d.questions);
        }
    }

    /** One variant's measured period. */
    record Measurement(String variant, int run, int segments, long chunks, long warmupRequests, double warmupSeconds,
                       long requests, long errors, long degraded,
                       double seconds, double qps, double p50, double p95, double p99, double max,
                       double processCpuMsPerRequest, double clientCpuMsPerRequest, String loadAverage) {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = Arrays.asList(args).contains("--quick");
        Options o = Options.defaults(quick);
        Path out = Path.of("benchmarks/results/hybrid.json");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> {
                }
                case "--chunks" -> o = new Options(o.quick, Integer.parseInt(args[++i]), o.clients, o.queries, o.warmupSeconds,
                        o.measureSeconds, o.runs, o.pageStride, o.docs, o.questions);
                case "--clients" -> o = new Options(o.quick, o.chunks, Integer.parseInt(args[++i]), o.queries, o.warmupSeconds,
                        o.measureSeconds, o.runs, o.pageStride, o.docs, o.questions);
                case "--queries" -> o = new Options(o.quick, o.chunks, o.clients, Integer.parseInt(args[++i]), o.warmupSeconds,
                        o.measureSeconds, o.runs, o.pageStride, o.docs, o.questions);
                case "--warmup" -> o = new Options(o.quick, o.chunks, o.clients, o.queries, Integer.parseInt(args[++i]),
                        o.measureSeconds, o.runs, o.pageStride, o.docs, o.questions);
                case "--seconds" -> o = new Options(o.quick, o.chunks, o.clients, o.queries, o.warmupSeconds,
                        Integer.parseInt(args[++i]), o.runs, o.pageStride, o.docs, o.questions);
                case "--runs" -> o = new Options(o.quick, o.chunks, o.clients, o.queries, o.warmupSeconds, o.measureSeconds,
                        Integer.parseInt(args[++i]), o.pageStride, o.docs, o.questions);
                case "--docs" -> o = new Options(o.quick, o.chunks, o.clients, o.queries, o.warmupSeconds, o.measureSeconds,
                        o.runs, o.pageStride, Path.of(args[++i]), o.questions);
                case "--questions" -> o = new Options(o.quick, o.chunks, o.clients, o.queries, o.warmupSeconds,
                        o.measureSeconds, o.runs, o.pageStride, o.docs, Path.of(args[++i]));
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; options: --quick --chunks N"
                        + " --clients C --queries Q --warmup S --seconds S --runs R --docs DIR --questions TSV --out FILE");
            }
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("suite", "hybrid");
        result.put("date", Instant.now().toString());
        result.put("machine", Runtime.getRuntime().availableProcessors() + " cores, shared; JDK " + Runtime.version());
        result.putAll(run(o));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, Json.write(result));
        System.out.println("wrote " + out);
    }

    /**
     * Builds the index, measures both variants and returns the keys for a result file:
     * {@code hybrid_p99_ms_<clients>_clients} (end to end, median over runs),
     * {@code hybrid_p99_ms_<clients>_clients_search_only} and {@code hybrid_load} (everything).
     */
    static Map<String, Object> run(Options o) throws IOException, InterruptedException {
        String loadBefore = loadAverage();
        System.out.printf("hybrid: %d chunks, %d clients, warm-up %d s + %d s measured per variant, %d run(s); load %s%n",
                o.chunks, o.clients, o.warmupSeconds, o.measureSeconds, o.runs, loadBefore);
        Path dir = Files.createTempDirectory("docrag-hybrid-bench-");
        try (OnnxEmbedder real = OnnxEmbedder.allMiniLmL6V2()) {
            // Corpus: the documentation's chunks, cut as the other suites cut them.
            long t0 = System.nanoTime();
            List<String[]> base = corpus(o.docs, o.pageStride, real); // {title, text}
            double chunkSeconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("hybrid: %d distinct chunk texts from 1 in %d pages of the docs in %.1f s%n",
                    base.size(), o.pageStride, chunkSeconds);

            SyntheticEmbedder synthetic = new SyntheticEmbedder(Math.max(10, o.chunks / 1000), SEED, null);
            t0 = System.nanoTime();
            long stored;
            int segmentsAfterIngest;
            try (DocRag rag = DocRag.builder().directory(dir).embedder(synthetic).build()) {
                List<DocumentInput> batch = new ArrayList<>(BATCH);
                for (int i = 0; i < o.chunks; i++) {
                    String[] c = base.get(i % base.size());
                    int copy = i / base.size();
                    String text = copy == 0 ? c[1] : c[1] + "\n\n[copy " + copy + "]";
                    batch.add(DocumentInput.builder(TENANT, "c" + i).title(c[0]).text(text).build());
                    if (batch.size() == BATCH || i == o.chunks - 1) {
                        IngestReport r = rag.upsert(batch);
                        if (!r.failures().isEmpty()) {
                            throw new IllegalStateException(r.failures().size() + " documents failed, first: "
                                    + r.failures().get(0).message());
                        }
                        batch.clear();
                        if ((i + 1) % 20_000 == 0 || i == o.chunks - 1) {
                            System.out.printf("hybrid: %d documents upserted, %.0f s%n", i + 1, (System.nanoTime() - t0) / 1e9);
                        }
                    }
                }
                stored = rag.stats().chunks();
                segmentsAfterIngest = rag.segmentCount();
            }
            double ingestSeconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("hybrid: ingested %d documents (%d chunks, %d segments) in %.1f s with the synthetic embedder"
                    + " (%.0f documents/s)%n", o.chunks, stored, segmentsAfterIngest, ingestSeconds, o.chunks / ingestSeconds);

            List<String> queries = queries(base, o.queries, o.questions);
            System.out.printf("hybrid: %d distinct queries (%d generated + eval questions)%n", queries.size(), o.queries);

            List<Measurement> all = new ArrayList<>();
            measureRuns(dir, synthetic, real, "", queries, o, all);
            // The same index merged to one segment (DocRag.forceMerge, what a host does after a bulk
            // load): one HNSW graph and one term dictionary per query instead of one per segment.
            t0 = System.nanoTime();
            try (DocRag rag = DocRag.builder().directory(dir).embedder(synthetic).build()) {
                rag.forceMerge(1);
            }
            double mergeSeconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("hybrid: merged to one segment in %.1f s%n", mergeSeconds);
            measureRuns(dir, synthetic, real, "_merged", queries, o, all);
            String loadAfter = loadAverage();
            return result(o, base.size(), stored, segmentsAfterIngest, chunkSeconds, ingestSeconds, mergeSeconds,
                    queries.size(), all, loadBefore, loadAfter);
        } finally {
            QualityBenchmark.deleteTree(dir);
        }
    }

    /** Both variants, alternated, {@code o.runs} times; {@code suffix} names the index state. */
    private static void measureRuns(Path dir, SyntheticEmbedder synthetic, OnnxEmbedder real, String suffix,
                                    List<String> queries, Options o, List<Measurement> all) throws IOException, InterruptedException {
            for (int run = 1; run <= o.runs; run++) {
                for (String base : List.of("search_only", "end_to_end")) {
                    String variant = base + suffix;
                    SyntheticEmbedder embedder = base.equals("end_to_end")
                            ? new SyntheticEmbedder(synthetic.clusters, SEED, real) : synthetic;
                    Measurement m = measure(dir, embedder, variant, run, queries, o);
                    all.add(m);
                    System.out.printf("hybrid %-11s run %d: %d clients, %d chunks, %d segments: %.0f QPS, p50 %.2f ms,"
                                    + " p95 %.2f ms, p99 %.2f ms, max %.2f ms (%d requests, %d errors, %d degraded);"
                                    + " CPU per request %.2f ms (process), %.2f ms (clients); warm-up %d requests in %.1f s;"
                                    + " load %s%n",
                            variant, run, o.clients, m.chunks, m.segments, m.qps, m.p50, m.p95, m.p99, m.max, m.requests,
                            m.errors, m.degraded, m.processCpuMsPerRequest, m.clientCpuMsPerRequest, m.warmupRequests,
                            m.warmupSeconds, m.loadAverage);
                }
            }
    }

    // ---------------------------------------------------------------- corpus and queries

    /** {title, chunk text} of every chunk of every {@code stride}-th documentation page. */
    private static List<String[]> corpus(Path root, int stride, OnnxEmbedder real) throws IOException {
        Chunker chunker = Chunker.builder(real).contextTokens(real.model().maxTokens() / 8).build();
        FileLoader loader = FileLoader.standard();
        List<String[]> out = new ArrayList<>();
        for (Path page : PythonDocs.everyNth(PythonDocs.pages(root), stride)) {
            try {
                Document doc = loader.load(root, page);
                for (Chunk c : chunker.chunk(doc)) {
                    if (!c.text().isBlank()) {
                        out.add(new String[] {doc.title(), c.text()});
                    }
                }
            } catch (LoadException e) {
                // an empty or odd page does not change the corpus' character
            }
        }
        if (out.isEmpty()) {
            throw new IOException("no chunks in " + root);
        }
        return out;
    }

    /**
     * {@code n} distinct queries of 3 to 8 consecutive words of random chunks (seeded), then the
     * eval questions, shuffled together (seeded) so that every client meets both kinds.
     */
    static List<String> queries(List<String[]> base, int n, Path questions) throws IOException {
        Random rnd = new Random(7);
        LinkedHashSet<String> out = new LinkedHashSet<>();
        int attempts = 0;
        while (out.size() < n && attempts++ < n * 100) {
            String[] words = base.get(rnd.nextInt(base.size()))[1].strip().split("\\s+");
            int len = 3 + rnd.nextInt(6);
            if (words.length < len) {
                continue;
            }
            int start = rnd.nextInt(words.length - len + 1);
            out.add(String.join(" ", Arrays.asList(words).subList(start, start + len)));
        }
        if (Files.exists(questions)) {
            for (QualityBenchmark.Question q : QualityBenchmark.questions(questions)) {
                out.add(q.text());
            }
        }
        List<String> list = new ArrayList<>(out);
        Collections.shuffle(list, new Random(11));
        return list;
    }

    // ---------------------------------------------------------------- load

    /** One client's latencies, written by its thread only and read after it has ended. */
    private static final class Recorder {
        double[] ms = new double[4096];
        int n;
        long lastEnd;
        long cpuFrom = -1; // the thread's CPU time when its first measured request started
        long cpuTo;

        void add(double v) {
            if (n == ms.length) {
                ms = Arrays.copyOf(ms, n * 2);
            }
            ms[n++] = v;
        }
    }

    /**
     * Opens the index with {@code embedder} and runs {@code clients} closed loops through the
     * warm-up and the measured period without a pause between them. The warm-up lasts
     * {@code warmupSeconds} and at least {@link #MIN_WARMUP_REQUESTS} requests (on a loaded machine
     * a few seconds may not be enough for the JIT to compile the search path); then the latencies
     * of the requests started in the next {@code measureSeconds} are kept (those still running at
     * its end are waited for).
     */
    private static Measurement measure(Path dir, Embedder embedder, String variant, int run, List<String> queries,
                                       Options o) throws InterruptedException {
        try (DocRag rag = DocRag.builder().directory(dir).embedder(embedder).build()) {
            int segments = rag.segmentCount();
            long chunks = rag.stats().chunks();
            long start = System.nanoTime();
            long warmEnd = start + o.warmupSeconds * 1_000_000_000L;
            long measureNanos = o.measureSeconds * 1_000_000_000L;
            AtomicLong measureFrom = new AtomicLong(Long.MAX_VALUE); // set by the request that ends the warm-up
            AtomicLong warmRequests = new AtomicLong();
            AtomicLong errors = new AtomicLong();
            AtomicLong degraded = new AtomicLong();
            AtomicReference<String> firstError = new AtomicReference<>();
            List<Recorder> recorders = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < o.clients; t++) {
                Recorder rec = new Recorder();
                recorders.add(rec);
                int first = t * (queries.size() / o.clients);
                threads.add(Thread.ofPlatform().name("client-" + t).start(() -> {
                    int q = first;
                    while (true) {
                        long from = measureFrom.get();
                        long s = System.nanoTime();
                        boolean measured = s >= from;
                        if (measured && s >= from + measureNanos) {
                            break;
                        }
                        if (measured && rec.cpuFrom < 0) {
                            rec.cpuFrom = THREADS.getCurrentThreadCpuTime();
                        }
                        SearchRequest request = SearchRequest.hybrid(queries.get(q++ % queries.size())).tenant(TENANT).k(K);
                        s = System.nanoTime();
                        try {
                            SearchResult r = rag.searchResult(request);
                            long e = System.nanoTime();
                            if (measured) {
                                rec.add((e - s) / 1e6);
                                rec.lastEnd = e;
                                if (r.degraded()) {
                                    degraded.incrementAndGet();
                                }
                            }
                        } catch (RuntimeException e) {
                            if (measured) {
                                errors.incrementAndGet();
                                rec.lastEnd = System.nanoTime();
                            }
                            firstError.compareAndSet(null, e.toString());
                        }
                        if (!measured && warmRequests.incrementAndGet() >= MIN_WARMUP_REQUESTS) {
                            long now = System.nanoTime();
                            if (now >= warmEnd) {
                                measureFrom.compareAndSet(Long.MAX_VALUE, now);
                            }
                        }
                    }
                    rec.cpuTo = THREADS.getCurrentThreadCpuTime();
                }));
            }
            while (measureFrom.get() == Long.MAX_VALUE && threads.stream().anyMatch(Thread::isAlive)) {
                Thread.sleep(5);
            }
            long processCpuFrom = processCpuNanos();
            for (Thread th : threads) {
                th.join();
            }
            long processCpu = processCpuNanos() - processCpuFrom;
            String load = loadAverage();
            if (firstError.get() != null) {
                System.out.println("hybrid " + variant + ": ERROR " + firstError.get());
            }
            long from = measureFrom.get();
            double warmSeconds = (from - start) / 1e9;
            double[] ms = recorders.stream().flatMapToDouble(r -> Arrays.stream(r.ms, 0, r.n)).toArray();
            long lastEnd = recorders.stream().mapToLong(r -> r.lastEnd).max().orElse(from + measureNanos);
            double seconds = (Math.max(lastEnd, from + measureNanos) - from) / 1e9;
            if (ms.length == 0) {
                return new Measurement(variant, run, segments, chunks, warmRequests.get(), warmSeconds, 0, errors.get(),
                        degraded.get(), seconds, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, load);
            }
            long clientCpu = recorders.stream().filter(r -> r.cpuFrom >= 0).mapToLong(r -> r.cpuTo - r.cpuFrom).sum();
            return new Measurement(variant, run, segments, chunks, warmRequests.get(), warmSeconds, ms.length, errors.get(),
                    degraded.get(), seconds, ms.length / seconds, Stats.quantile(ms, 0.50), Stats.quantile(ms, 0.95),
                    Stats.quantile(ms, 0.99), Stats.quantile(ms, 1.0),
                    processCpu < 0 ? Double.NaN : processCpu / 1e6 / ms.length, clientCpu / 1e6 / ms.length, load);
        }
    }

    // ---------------------------------------------------------------- results

    private static Map<String, Object> result(Options o, int distinctTexts, long stored, int segmentsAfterIngest,
                                              double chunkSeconds, double ingestSeconds, double mergeSeconds,
                                              int nQueries, List<Measurement> all, String loadBefore, String loadAfter) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("goal", "hybrid search at 100k chunks with 8 concurrent clients: p99 <= 20 ms (issue #6); absolute, no named peer");
        d.put("quick", o.quick);
        d.put("chunks", o.chunks);
        d.put("chunks_indexed", stored);
        d.put("segments_after_ingest", segmentsAfterIngest);
        d.put("force_merged", false);
        d.put("clients", o.clients);
        d.put("k", K);
        d.put("mode", "hybrid, default fusion, one tenant, no filters, default VectorIndexConfig (float32 HNSW)");
        d.put("corpus", distinctTexts + " distinct chunk texts of " + (o.pageStride == 1 ? "all pages" : "1 in " + o.pageStride + " pages")
                + " of the Python 3.11 docs (all-MiniLM-L6-v2 chunker), cycled to " + o.chunks + " documents of one chunk"
                + " each; copies end in a '[copy n]' line");
        d.put("vectors", "SYNTHETIC: 384-d unit vectors, a text's hash seeds its cluster (one of " + Math.max(10, o.chunks / 1000)
                + ") and noise; the real model would take hours to embed the corpus on this machine. Latency is"
                + " representative, relevance is not measured");
        Map<String, Object> variants = new LinkedHashMap<>();
        variants.put("search_only", "the synthetic embedder embeds the query (~0 cost): DocRag's hybrid search itself");
        variants.put("*_merged", "the same after DocRag.forceMerge(1): one segment, as a host leaves a bulk-loaded index");
        variants.put("end_to_end", "the query embedder also runs the real all-MiniLM-L6-v2 fp32 ONNX model on each query"
                + " (result discarded, synthetic vector returned to match the index): query embedding + search under"
                + " contention");
        d.put("variants", variants);
        d.put("queries", nQueries + " distinct: " + o.queries + " of 3-8 consecutive words of random chunks (seeded) + the"
                + " questions of " + o.questions);
        d.put("load_model", "closed loop: each client sends its next query when the previous returns; latency ="
                + " System.nanoTime around rag.searchResult (rag.search's hits); every measured request kept");
        d.put("cpu_note", "process_cpu_ms_per_request: the JVM's CPU time over the measured period (all threads: clients, GC,"
                + " JIT, ONNX Runtime) per request; client_threads_cpu_ms_per_request: the client threads' own CPU time per"
                + " request. Less sensitive to other load on the machine than latency; cores / that = the throughput the"
                + " CPU allows. Load averages count the 8 client threads too");
        d.put("warmup_seconds", o.warmupSeconds);
        d.put("warmup_min_requests", MIN_WARMUP_REQUESTS);
        d.put("measure_seconds", o.measureSeconds);
        d.put("runs", o.runs);
        d.put("chunking_seconds", chunkSeconds);
        d.put("ingest_seconds", ingestSeconds);
        d.put("force_merge_seconds", mergeSeconds);
        d.put("ingest_note", "upsert in batches of " + BATCH + " with the synthetic embedder, including close");
        d.put("load_average_before", loadBefore);
        d.put("load_average_after", loadAfter);
        Map<String, Object> summary = new LinkedHashMap<>();
        for (String variant : List.of("search_only", "end_to_end", "search_only_merged", "end_to_end_merged")) {
            List<Measurement> ms = all.stream().filter(m -> m.variant.equals(variant)).toList();
            Map<String, Object> s = new LinkedHashMap<>();
            Stats p99 = Stats.of(ms.stream().mapToDouble(Measurement::p99).toArray());
            s.put("p99_ms", p99.median());
            s.put("p99_ms_min", p99.min());
            s.put("p99_ms_max", p99.max());
            s.put("p50_ms", Stats.of(ms.stream().mapToDouble(Measurement::p50).toArray()).median());
            s.put("p95_ms", Stats.of(ms.stream().mapToDouble(Measurement::p95).toArray()).median());
            s.put("max_ms", Stats.of(ms.stream().mapToDouble(Measurement::max).toArray()).max());
            s.put("qps", Stats.of(ms.stream().mapToDouble(Measurement::qps).toArray()).median());
            s.put("process_cpu_ms_per_request", Stats.of(ms.stream().mapToDouble(Measurement::processCpuMsPerRequest).toArray()).median());
            s.put("client_threads_cpu_ms_per_request", Stats.of(ms.stream().mapToDouble(Measurement::clientCpuMsPerRequest).toArray()).median());
            s.put("errors", ms.stream().mapToLong(Measurement::errors).sum());
            s.put("degraded", ms.stream().mapToLong(Measurement::degraded).sum());
            List<Map<String, Object>> runs = new ArrayList<>();
            for (Measurement m : ms) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("run", m.run);
                r.put("clients", o.clients);
                r.put("chunks", m.chunks);
                r.put("segments", m.segments);
                r.put("warmup_requests", m.warmupRequests);
                r.put("warmup_seconds", m.warmupSeconds);
                r.put("requests", m.requests);
                r.put("errors", m.errors);
                r.put("degraded", m.degraded);
                r.put("seconds", m.seconds);
                r.put("qps", m.qps);
                r.put("p50_ms", m.p50);
                r.put("p95_ms", m.p95);
                r.put("p99_ms", m.p99);
                r.put("max_ms", m.max);
                r.put("process_cpu_ms_per_request", m.processCpuMsPerRequest);
                r.put("client_threads_cpu_ms_per_request", m.clientCpuMsPerRequest);
                r.put("load_average_after", m.loadAverage);
                runs.add(r);
            }
            s.put("per_run", runs);
            summary.put(variant, s);
            System.out.printf("hybrid %-11s: p99 %.2f ms (median of %d runs, %.2f-%.2f), p50 %.2f ms, %.0f QPS;"
                            + " %d clients, %d chunks, %d segments%n", variant, p99.median(), ms.size(), p99.min(), p99.max(),
                    s.get("p50_ms"), s.get("qps"), o.clients, stored, ms.get(0).segments);
        }
        summary.forEach(d::put);
        Map<String, Object> out = new LinkedHashMap<>();
        String key = "hybrid_p99_ms_" + o.clients + "_clients";
        out.put(key, ((Map<?, ?>) summary.get("end_to_end")).get("p99_ms"));
        out.put(key + "_search_only", ((Map<?, ?>) summary.get("search_only")).get("p99_ms"));
        out.put(key + "_merged", ((Map<?, ?>) summary.get("end_to_end_merged")).get("p99_ms"));
        out.put(key + "_search_only_merged", ((Map<?, ?>) summary.get("search_only_merged")).get("p99_ms"));
        out.put(key + "_note", "end to end (real MiniLM query embedding + hybrid search), median p99 of " + o.runs + " run(s) at "
                + o.chunks + " chunks" + (o.quick ? " (quick run, not the 100k goal)" : "")
                + "; index vectors synthetic, see hybrid_load");
        out.put("hybrid_load", d);
        return out;
    }

    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /** The JVM's CPU time in nanoseconds, all threads; -1 where the platform does not tell. */
    private static long processCpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException | RuntimeException e) {
            return String.format("%.2f", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    // ---------------------------------------------------------------- the synthetic embedder

    /**
     * A deterministic stand-in for an embedding model: a text's vector is one of {@code clusters}
     * centres plus Gaussian noise of norm about 0.7, normalised, drawn from a generator seeded
     * with the text's 64-bit hash (so equal texts get equal vectors, in any batch, on any thread).
     * With a {@code queryModel}, {@link #embedQuery} also runs that model on the text and discards
     * its vector: the real cost of embedding a query, with vectors that still match the index.
     */
    static final class SyntheticEmbedder implements Embedder {
        final int clusters;
        private final float[][] centres;
        private final Embedder queryModel; // null: none
        private final ModelInfo model;

        SyntheticEmbedder(int clusters, long seed, Embedder queryModel) {
            this.clusters = clusters;
            this.queryModel = queryModel;
            Random rnd = new Random(seed);
            this.centres = new float[clusters][];
            for (int c = 0; c < clusters; c++) {
                float[] v = new float[DIM];
                for (int d = 0; d < DIM; d++) {
                    v[d] = (float) rnd.nextGaussian();
                }
                centres[c] = SearchBenchmark.unit(v);
            }
            // The same identity with or without the query model: both open the same index.
            this.model = new ModelInfo("synthetic-clustered-" + DIM, "seed" + seed + "-c" + clusters, DIM, 256);
        }

        @Override
        public ModelInfo model() {
            return model;
        }

        @Override
        public List<float[]> embedDocuments(List<String> texts) {
            return texts.stream().map(SyntheticEmbedder.this::vector).toList();
        }

        @Override
        public float[] embedQuery(String text) {
            if (queryModel != null) {
                queryModel.embedQuery(text);
            }
            return vector(text);
        }

        private float[] vector(String text) {
            long h = 0xcbf29ce484222325L; // FNV-1a, 64 bits, over the UTF-16 code units
            for (int i = 0; i < text.length(); i++) {
                h ^= text.charAt(i);
                h *= 0x100000001b3L;
            }
            SplittableRandom rnd = new SplittableRandom(h);
            float[] c = centres[rnd.nextInt(clusters)];
            float sigma = 0.7f / (float) Math.sqrt(DIM);
            float[] v = new float[DIM];
            for (int d = 0; d < DIM; d++) {
                v[d] = c[d] + (float) rnd.nextGaussian() * sigma;
            }
            return SearchBenchmark.unit(v);
        }

        @Override
        public int countTokens(String text) {
            String t = text.strip();
            return (t.isEmpty() ? 0 : t.split("\\s+").length) + 2;
        }

        @Override
        public void close() {
            // the query model is the caller's to close
        }
    }
}
