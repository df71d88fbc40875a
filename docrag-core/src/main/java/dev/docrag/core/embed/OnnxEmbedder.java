package dev.docrag.core.embed;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.docrag.core.DocRagException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs an {@link OnnxModel} locally with ONNX Runtime: tokenizes with the model's HuggingFace
 * tokenizer (truncation off), pools token vectors ({@link Pooling}) and L2-normalises. Nothing is
 * downloaded.
 *
 * <p>Execution: one ONNX Runtime session per embedder. Texts are tokenized once, sorted by length
 * and cut into batches bounded by a token budget, so padding goes only to each batch's longest
 * text; padded positions are masked out of the pooling. {@code parallelRuns} workers each run one
 * batch at a time with {@code threads / parallelRuns} intra-op threads and their own reused direct
 * buffers, into which ONNX Runtime also writes its output (no Java arrays on the hot path).
 * Quantized models compute one activation scale per input tensor, so a batch-mate would change a
 * text's vector: they always run one text per call, in parallel instead.
 *
 * <p>A query is one short text that a caller waits for, so when it runs alone it runs with
 * {@code queryThreads} intra-op threads (default: all {@code threads} for fp32 models), which needs
 * a second session when that differs from a batch run's threads; queries that overlap others run
 * single-threaded, which serves more of them per second. That session is opened at the first query (about
 * 0.2 s and 130 MB of native memory for fp32 MiniLM, measured), so an embedder that only ingests
 * never pays for it; it cuts a short query's latency by about 40% on 2 cores (README).
 *
 * <p>Guarantees: thread-safe; a text's vector does not depend on the other texts of a call (cosine
 * to its solo vector &ge; 0.99999); passages longer than the window are rejected, never
 * truncated; {@link #close()} waits for running calls, then stops the workers and frees the
 * native session and tokenizer (later calls fail with {@link IllegalStateException}). The
 * process-wide {@link OrtEnvironment} is ONNX Runtime's singleton and stays.
 */
public final class OnnxEmbedder implements Embedder {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxEmbedder.class);
    private static final Pattern PRE_TOKENIZER = Pattern.compile("\"pre_tokenizer\"\\s*:\\s*\\{\\s*\"type\"\\s*:\\s*\"(\\w+)\"");
    private static final Set<String> WHITESPACE_PRE_TOKENIZERS = Set.of("BertPreTokenizer", "Whitespace", "WhitespaceSplit");

    private final OnnxModel spec;
    private final ModelInfo model;
    private final OrtSession session;
    /** The session a query that runs alone uses: {@link #session} itself, or one of its own opened at the first query. */
    private volatile OrtSession querySession;
    private final Object queryOpening = new Object();
    private final AtomicInteger queriesRunning = new AtomicInteger();
    private final int queryThreads;
    private final HuggingFaceTokenizer tokenizer;
    private final boolean wantsTokenTypes;
    private final boolean splitsAtWhiteSpace;
    private final String outputName;
    private final boolean tokenLevelOutput;
    private final int maxBatch;
    private final int batchTokens;
    private final int parallelRuns;
    private final ExecutorService workers;
    private final BlockingQueue<Buffers> buffers;
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private OnnxEmbedder(Builder b) {
        this.spec = b.model;
        OrtSession s = null;
        HuggingFaceTokenizer t = null;
        try {
            byte[] modelBytes = spec.onClasspath() ? readResource(spec.modelLocation()) : null;
            if (modelBytes == null && !Files.isRegularFile(Path.of(spec.modelLocation()))) {
                throw new DocRagException("model file not found: " + spec.modelLocation());
            }
            s = openSession(modelBytes, Math.max(1, b.threads / b.parallelRuns));
            optOutOfDjlTracking();
            byte[] tokenizerJson;
            try (InputStream json = spec.onClasspath() ? openResource(spec.tokenizerLocation())
                    : Files.newInputStream(Path.of(spec.tokenizerLocation()))) {
                tokenizerJson = json.readAllBytes();
            }
            // Tokenizer files on Maven Central truncate (MiniLM's at 128): counting and embedding
            // must see every token, so truncation and padding are switched off here.
            t = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson), Map.of(
                    "addSpecialTokens", "true", "truncation", "false", "padding", "false"));
            this.splitsAtWhiteSpace = splitsAtWhiteSpace(new String(tokenizerJson, StandardCharsets.UTF_8));
            this.session = s;
            this.tokenizer = t;
            this.wantsTokenTypes = s.getInputNames().contains("token_type_ids");
            this.outputName = chooseOutput(s);
            long[] outShape = ((TensorInfo) s.getOutputInfo().get(outputName).getInfo()).getShape();
            this.tokenLevelOutput = outShape.length == 3;
            int dimension = (int) outShape[outShape.length - 1];
            if (dimension <= 0) {
                throw new DocRagException("output " + outputName + " has no fixed last dimension: " + Arrays.toString(outShape));
            }
            String fingerprint = modelBytes != null ? fingerprint(modelBytes) : fingerprint(Path.of(spec.modelLocation()));
            this.model = new ModelInfo(spec.name(), fingerprint, dimension, spec.maxTokens());
        } catch (OrtException | IOException | RuntimeException e) {
            closeQuietly(s, t);
            throw new DocRagException("cannot load embedding model " + spec.name() + " from " + spec.modelLocation()
                    + (spec.onClasspath() ? " (classpath)" : "") + ": " + e.getMessage(), e);
        }
        this.maxBatch = spec.quantized() ? 1 : b.maxBatch;
        int runThreads = Math.max(1, b.threads / b.parallelRuns);
        this.queryThreads = Math.min(b.threads, b.queryThreads > 0 ? b.queryThreads : spec.quantized() ? runThreads : b.threads);
        this.querySession = queryThreads == runThreads ? session : null;
        this.batchTokens = b.batchTokens;
        this.parallelRuns = b.parallelRuns;
        this.buffers = new ArrayBlockingQueue<>(parallelRuns + 1);
        AtomicInteger n = new AtomicInteger();
        ThreadFactory named = r -> {
            Thread th = new Thread(r, "docrag-embed-" + n.incrementAndGet());
            th.setDaemon(true);
            return th;
        };
        this.workers = parallelRuns > 1 ? Executors.newFixedThreadPool(parallelRuns, named) : null;
        LOG.info("Loaded embedding model {} (dimension {}, window {} tokens, {} pooling, {} parallel run(s) x {} thread(s), batches of <= {}, queries on {} thread(s))",
                model.id(), model.dimension(), model.maxTokens(), spec.pooling(), parallelRuns,
                Math.max(1, b.threads / parallelRuns), maxBatch, queryThreads);
    }

    /** A session of the model with {@code intraOpThreads}; from {@code modelBytes} when given, else the model file. */
    private OrtSession openSession(byte[] modelBytes, int intraOpThreads) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return modelBytes != null ? env.createSession(modelBytes, options) : env.createSession(spec.modelLocation(), options);
        }
    }

    /** The session for queries, opened on first use (the caller holds the lifecycle read lock). */
    private OrtSession querySession() {
        OrtSession q = querySession;
        if (q != null) {
            return q;
        }
        synchronized (queryOpening) {
            if (querySession == null) {
                try {
                    querySession = openSession(spec.onClasspath() ? readResource(spec.modelLocation()) : null, queryThreads);
                    LOG.info("Opened a query session of {} with {} intra-op thread(s)", model.id(), queryThreads);
                } catch (OrtException | IOException e) {
                    throw new DocRagException("cannot open the query session of " + spec.name() + ": " + e.getMessage(), e);
                }
            }
            return querySession;
        }
    }

    /** Loads {@code model} with default execution settings. */
    public static OnnxEmbedder create(OnnxModel model) {
        return builder(model).build();
    }

    /** all-MiniLM-L6-v2 (fp32) from the classpath; see {@link OnnxModel#allMiniLmL6V2()}. */
    public static OnnxEmbedder allMiniLmL6V2() {
        return create(OnnxModel.allMiniLmL6V2());
    }

    /** A sentence-transformers export in a directory; see {@link OnnxModel#fromDirectory(Path)}. */
    public static OnnxEmbedder fromDirectory(Path dir) {
        return create(OnnxModel.fromDirectory(dir));
    }

    public static Builder builder(OnnxModel model) {
        return new Builder(model);
    }

    /** The model description this embedder runs. */
    public OnnxModel spec() {
        return spec;
    }

    @Override
    public ModelInfo model() {
        return model;
    }

    @Override
    public int countTokens(String text) {
        Objects.requireNonNull(text, "text");
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            return tokenizer.encode(spec.documentPrefix() + text).getIds().length;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public boolean splitsAtWhiteSpace() {
        return splitsAtWhiteSpace;
    }

    @Override
    public int[] tokenSpans(String text) {
        Objects.requireNonNull(text, "text");
        if (!splitsAtWhiteSpace) {
            return Embedder.super.tokenSpans(text);
        }
        CharSpan[] spans;
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            spans = tokenizer.encode(text, false, false).getCharTokenSpans();
        } finally {
            lifecycle.readLock().unlock();
        }
        // The tokenizer counts Unicode scalar values; Java strings count UTF-16 chars.
        boolean surrogates = false;
        for (int i = 0; i < text.length() && !surrogates; i++) {
            surrogates = Character.isSurrogate(text.charAt(i));
        }
        int[] out = new int[spans.length * 2];
        int codePoint = 0;
        int index = 0;
        int previous = 0;
        for (int i = 0; i < spans.length; i++) {
            if (spans[i] == null) { // no offsets: an empty token where the previous one ended
                out[2 * i] = previous;
                out[2 * i + 1] = previous;
                continue;
            }
            int start = spans[i].getStart();
            int end = spans[i].getEnd();
            if (surrogates) {
                index = text.offsetByCodePoints(index, start - codePoint);
                codePoint = start;
                int startIndex = index;
                index = text.offsetByCodePoints(index, end - codePoint);
                codePoint = end;
                start = startIndex;
                end = index;
            }
            out[2 * i] = start;
            out[2 * i + 1] = end;
            previous = end;
        }
        return out;
    }

    /**
     * Whether the tokenizer file's pre-tokenizer splits at white space and punctuation before the
     * model's vocabulary is applied, so that token counts add up across white space. Only
     * pre-tokenizers known to do so qualify; byte-level BPE and SentencePiece do not (they fold
     * the space into the next token).
     */
    static boolean splitsAtWhiteSpace(String tokenizerJson) {
        Matcher m = PRE_TOKENIZER.matcher(tokenizerJson);
        return m.find() && WHITESPACE_PRE_TOKENIZERS.contains(m.group(1));
    }

    @Override
    public List<float[]> embedDocuments(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        if (texts.isEmpty()) {
            return List.of();
        }
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            long[][] ids = tokenize(texts, spec.documentPrefix());
            for (int i = 0; i < ids.length; i++) {
                if (ids[i].length > model.maxTokens()) {
                    throw new IllegalArgumentException("text " + i + " has " + ids[i].length + " tokens"
                            + (spec.documentPrefix().isEmpty() ? "" : " with its prefix") + "; " + model.name()
                            + " embeds at most " + model.maxTokens()
                            + " - split it first (the Chunker does), DocRag never truncates passages");
                }
            }
            float[][] out = new float[ids.length][];
            List<int[]> batches = plan(ids);
            if (workers == null || batches.size() == 1) {
                runBatches(ids, batches, new AtomicInteger(), out);
            } else {
                AtomicInteger next = new AtomicInteger();
                List<Future<?>> running = new ArrayList<>(parallelRuns);
                for (int w = 0; w < parallelRuns; w++) {
                    running.add(workers.submit(() -> runBatches(ids, batches, next, out)));
                }
                awaitAll(running);
            }
            return Arrays.asList(out);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public float[] embedQuery(String text) {
        Objects.requireNonNull(text, "text");
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            long[] ids = tokenizer.encode(spec.queryPrefix() + text).getIds();
            if (ids.length > model.maxTokens()) {
                LOG.warn("Query of {} tokens cut to the {}-token window of {}", ids.length, model.maxTokens(), model.name());
                long last = ids[ids.length - 1];
                ids = Arrays.copyOf(ids, model.maxTokens());
                ids[ids.length - 1] = last; // keep the closing special token
            }
            // Queries run on the caller's thread: a search must not queue behind an ingest batch.
            long[][] one = {ids};
            float[][] out = new float[1][];
            // Only a query that runs alone gets the threaded session: under concurrent queries, the
            // single-threaded runs do more per second (8 callers, measured: 525 vs 469-488 queries/s)
            boolean alone = queriesRunning.incrementAndGet() == 1;
            try {
                run(alone ? querySession() : session, one, new int[] {0}, out);
            } finally {
                queriesRunning.decrementAndGet();
            }
            return out[0];
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private long[][] tokenize(List<String> texts, String prefix) {
        List<String> input = prefix.isEmpty() ? texts : texts.stream().map(t -> prefix + t).toList();
        Encoding[] encodings = tokenizer.batchEncode(input);
        long[][] ids = new long[encodings.length][];
        for (int i = 0; i < encodings.length; i++) {
            ids[i] = encodings[i].getIds();
        }
        return ids;
    }

    /**
     * Batches of text indexes: texts sorted by length, each batch as long as its padded size
     * (count x longest) stays within the token budget; the longest batches first, so that parallel
     * workers finish together.
     */
    private List<int[]> plan(long[][] ids) {
        Integer[] order = new Integer[ids.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Integer.compare(ids[b].length, ids[a].length));
        List<int[]> batches = new ArrayList<>();
        int from = 0;
        while (from < order.length) {
            int longest = ids[order[from]].length;
            int size = Math.max(1, Math.min(maxBatch, batchTokens / Math.max(1, longest)));
            int to = Math.min(order.length, from + size);
            int[] batch = new int[to - from];
            for (int j = from; j < to; j++) {
                batch[j - from] = order[j];
            }
            batches.add(batch);
            from = to;
        }
        return batches;
    }

    private void runBatches(long[][] ids, List<int[]> batches, AtomicInteger next, float[][] out) {
        for (int b; (b = next.getAndIncrement()) < batches.size(); ) {
            run(session, ids, batches.get(b), out);
        }
    }

    /** One ONNX Runtime call for the texts {@code batch} (indexes into ids); writes unit vectors into out. */
    private void run(OrtSession on, long[][] ids, int[] batch, float[][] out) {
        int n = batch.length;
        int seq = 0;
        for (int i : batch) {
            seq = Math.max(seq, ids[i].length);
        }
        int dim = model.dimension();
        Buffers buf = takeBuffers(n * seq, tokenLevelOutput ? n * seq * dim : n * dim);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, OnnxTensor> inputs = new HashMap<>(4);
        OnnxTensor output = null;
        try {
            LongBuffer inputIds = buf.ids.clear().limit(n * seq);
            LongBuffer mask = buf.mask.clear().limit(n * seq);
            for (int i : batch) {
                long[] row = ids[i];
                inputIds.put(row);
                for (int t = row.length; t < seq; t++) {
                    inputIds.put(0L);
                }
                for (int t = 0; t < seq; t++) {
                    mask.put(t < row.length ? 1L : 0L);
                }
            }
            long[] shape = {n, seq};
            inputs.put("input_ids", OnnxTensor.createTensor(env, inputIds.flip(), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, mask.flip(), shape));
            if (wantsTokenTypes) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(env, buf.zeros.clear().limit(n * seq), shape));
            }
            FloatBuffer hidden = buf.out.clear().limit(tokenLevelOutput ? n * seq * dim : n * dim);
            output = OnnxTensor.createTensor(env, hidden, tokenLevelOutput ? new long[] {n, seq, dim} : new long[] {n, dim});
            Map<String, OnnxValue> pinned = Map.of(outputName, output);
            try (OrtSession.Result ignored = on.run(inputs, pinned)) {
                for (int j = 0; j < n; j++) {
                    out[batch[j]] = tokenLevelOutput ? pool(hidden, j, seq, ids[batch[j]].length, dim) : row(hidden, j, dim);
                }
            }
        } catch (OrtException e) {
            throw new DocRagException("ONNX Runtime failed to embed a batch of " + n + " texts with " + model.name() + ": " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
            if (output != null) {
                output.close();
            }
            buffers.offer(buf);
        }
    }

    private float[] pool(FloatBuffer hidden, int j, int seq, int len, int dim) {
        float[] v = new float[dim];
        int base = j * seq * dim;
        if (spec.pooling() == Pooling.CLS) {
            hidden.get(base, v);
        } else {
            float[] tmp = new float[dim];
            for (int t = 0; t < len; t++) {
                hidden.get(base + t * dim, tmp);
                for (int d = 0; d < dim; d++) {
                    v[d] += tmp[d];
                }
            }
        }
        return normalize(v);
    }

    private static float[] row(FloatBuffer values, int j, int dim) {
        float[] v = new float[dim];
        values.get(j * dim, v);
        return normalize(v);
    }

    /** Unit length (the mean's 1/len factor cancels here, so it is never applied). */
    private static float[] normalize(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        float inv = sum == 0 ? 0f : (float) (1.0 / Math.sqrt(sum));
        for (int d = 0; d < v.length; d++) {
            v[d] *= inv;
        }
        return v;
    }

    /** Reused direct buffers of one worker; grown (never shrunk) to the largest batch seen. */
    private static final class Buffers {
        LongBuffer ids = longs(0);
        LongBuffer mask = longs(0);
        LongBuffer zeros = longs(0);
        FloatBuffer out = floats(0);

        void ensure(int tokens, int outputs) {
            if (ids.capacity() < tokens) {
                int cap = Integer.highestOneBit(tokens - 1) << 1;
                ids = longs(cap);
                mask = longs(cap);
                zeros = longs(cap);
            }
            if (out.capacity() < outputs) {
                out = floats(Integer.highestOneBit(outputs - 1) << 1);
            }
        }

        private static LongBuffer longs(int n) {
            return ByteBuffer.allocateDirect(n * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
        }

        private static FloatBuffer floats(int n) {
            return ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        }
    }

    private Buffers takeBuffers(int tokens, int outputs) {
        Buffers b = buffers.poll();
        if (b == null) {
            b = new Buffers(); // more concurrent callers than pooled sets; the pool keeps a bounded number
        }
        b.ensure(tokens, outputs);
        return b;
    }

    private static void awaitAll(List<Future<?>> running) {
        RuntimeException failure = null;
        for (Future<?> f : running) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = new DocRagException("interrupted while embedding", e);
            } catch (ExecutionException e) {
                failure = e.getCause() instanceof RuntimeException r ? r : new DocRagException(e.getCause().getMessage(), e.getCause());
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** The token-level output to pool, or an already pooled sentence embedding. */
    private static String chooseOutput(OrtSession s) throws OrtException {
        for (String preferred : List.of("last_hidden_state", "token_embeddings", "sentence_embedding")) {
            if (s.getOutputNames().contains(preferred)) {
                return preferred;
            }
        }
        for (Map.Entry<String, NodeInfo> e : s.getOutputInfo().entrySet()) {
            if (e.getValue().getInfo() instanceof TensorInfo) {
                return e.getKey();
            }
        }
        throw new DocRagException("the model has no tensor output");
    }

    /**
     * DJL's tokenizer factories report usage once a day by querying the EC2 instance-metadata
     * endpoint (169.254.169.254) unless {@code OPT_OUT_TRACKING} is set. DocRag promises no network
     * access at run time, so it opts the JVM out, unless the host has decided either way itself.
     */
    private static void optOutOfDjlTracking() {
        if (System.getenv("OPT_OUT_TRACKING") == null && System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }

    private static String fingerprint(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes), 0, 8);
    }

    private static String fingerprint(Path file) throws IOException {
        MessageDigest digest = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] chunk = new byte[1 << 16];
            for (int r; (r = in.read(chunk)) > 0; ) {
                digest.update(chunk, 0, r);
            }
        }
        return HexFormat.of().formatHex(digest.digest(), 0, 8);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    private static byte[] readResource(String resource) throws IOException {
        try (InputStream in = openResource(resource)) {
            return in.readAllBytes();
        }
    }

    private static InputStream openResource(String resource) throws IOException {
        InputStream in = OnnxEmbedder.class.getClassLoader().getResourceAsStream(resource);
        if (in == null) {
            throw new IOException("classpath resource " + resource + " not found (is its model artifact on the classpath?)");
        }
        return in;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("embedder " + model.name() + " is closed");
        }
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                if (workers != null) {
                    workers.shutdownNow();
                }
                buffers.clear();
                closeQuietly(session, tokenizer);
                if (querySession != null && querySession != session) {
                    closeQuietly(querySession, null);
                }
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    private static void closeQuietly(OrtSession s, HuggingFaceTokenizer t) {
        if (t != null) {
            t.close();
        }
        if (s != null) {
            try {
                s.close();
            } catch (OrtException e) {
                LOG.warn("Closing the ONNX Runtime session failed", e);
            }
        }
    }

    /**
     * Execution settings for an {@link OnnxEmbedder}; the defaults were measured on a 2-core
     * machine (see README's embedding benchmark). {@link #build()} validates and loads the model.
     */
    public static final class Builder {
        private final OnnxModel model;
        private int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        private int parallelRuns = -1;
        private int maxBatch = 8;
        private int batchTokens = 4096;
        private int queryThreads = -1;

        private Builder(OnnxModel model) {
            this.model = Objects.requireNonNull(model, "model");
        }

        /** CPU threads ONNX Runtime may use in all; default: the available processors. */
        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /**
         * How many batches run at once, each with threads / parallelRuns intra-op threads. Default:
         * 2 for fp32 models (measured 1.1x one run of two threads on 2 cores: ONNX Runtime's
         * threads wait on each other less), one per thread for quantized models, which run one text
         * per call anyway.
         */
        public Builder parallelRuns(int runs) {
            if (runs < 1) {
                throw new IllegalArgumentException("parallelRuns must be at least 1, got " + runs);
            }
            this.parallelRuns = runs;
            return this;
        }

        /** The most texts in one ONNX Runtime call; default 8 (4 to 8 measured best). Quantized models always use 1. */
        public Builder maxBatchSize(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("maxBatchSize must be at least 1, got " + size);
            }
            this.maxBatch = size;
            return this;
        }

        /**
         * Intra-op threads of a query that runs alone (at most {@link #threads}; queries that overlap
         * others run on the batch runs' session). Default: all threads for
         * fp32 models (a short query on 2 cores: 2.2-2.7 ms instead of 3.5-4.1 ms with one thread,
         * measured), one for quantized models (1.27 vs 1.33 ms: no gain). When it differs from the
         * batch runs' threads per run, queries get a session of their own, opened at the first
         * query; 1 avoids that session's memory.
         */
        public Builder queryThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("queryThreads must be at least 1, got " + threads);
            }
            this.queryThreads = threads;
            return this;
        }

        /** The most padded tokens (texts x longest) in one call; default 4096. */
        public Builder batchTokens(int tokens) {
            if (tokens < 1) {
                throw new IllegalArgumentException("batchTokens must be at least 1, got " + tokens);
            }
            this.batchTokens = tokens;
            return this;
        }

        public OnnxEmbedder build() {
            if (parallelRuns < 0) {
                parallelRuns = model.quantized() ? threads : Math.min(2, threads);
            }
            if (parallelRuns > threads) {
                throw new IllegalStateException("parallelRuns (" + parallelRuns + ") cannot exceed threads (" + threads + ")");
            }
            return new OnnxEmbedder(this);
        }
    }
}
