package dev.docrag.ops;

import dev.docrag.core.embed.Embedder;
import dev.docrag.core.embed.ModelInfo;

import java.util.List;
import java.util.Locale;

/**
 * A tiny deterministic {@link Embedder} so ops tests run real DocRag operations without loading
 * an ONNX model: a word is a token; a text's vector is the normalised sum of hashed buckets.
 */
public final class TestEmbedder implements Embedder {
    static final int DIMENSION = 16;
    private final ModelInfo model = new ModelInfo("test-hash", "0123456789abcdef", DIMENSION, 64);
    /** When set, every call fails as a broken model or runtime would. */
    volatile boolean broken;

    @Override
    public ModelInfo model() {
        return model;
    }

    @Override
    public List<float[]> embedDocuments(List<String> texts) {
        failIfBroken();
        return texts.stream().map(TestEmbedder::embed).toList();
    }

    @Override
    public float[] embedQuery(String text) {
        failIfBroken();
        return embed(text);
    }

    private void failIfBroken() {
        if (broken) {
            throw new IllegalStateException("the model session is gone");
        }
    }

    @Override
    public int countTokens(String text) {
        String t = text.strip();
        return (t.isEmpty() ? 0 : t.split("\\s+").length) + 2;
    }

    private static float[] embed(String text) {
        float[] v = new float[DIMENSION];
        for (String w : text.strip().split("\\s+")) {
            v[Math.floorMod(w.toLowerCase(Locale.ROOT).hashCode(), DIMENSION - 1)] += 1f;
        }
        v[DIMENSION - 1] = 0.3f;
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    @Override
    public void close() {
    }
}
