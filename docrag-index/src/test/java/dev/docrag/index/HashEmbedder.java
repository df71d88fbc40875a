package dev.docrag.index;

import dev.docrag.core.embed.Embedder;
import dev.docrag.core.embed.ModelInfo;

import java.util.List;
import java.util.Locale;

/**
 * A tiny deterministic {@link Embedder} for large randomized tests: a word is a token, and a
 * text's vector is the normalised sum of two hashed buckets per word, plus a constant component
 * so that no vector is zero. Texts sharing words are close; it knows nothing of meaning. The real
 * model is used by the end-to-end tests.
 */
final class HashEmbedder implements Embedder {
    static final int DIMENSION = 32;
    private final ModelInfo model;

    HashEmbedder(int maxTokens) {
        this.model = new ModelInfo("test-hash", "0123456789abcdef", DIMENSION, maxTokens);
    }

    HashEmbedder() {
        this(64);
    }

    @Override
    public ModelInfo model() {
        return model;
    }

    @Override
    public List<float[]> embedDocuments(List<String> texts) {
        for (String t : texts) {
            if (countTokens(t) > model.maxTokens()) {
                throw new IllegalArgumentException("text of " + countTokens(t) + " tokens exceeds " + model.maxTokens());
            }
        }
        return texts.stream().map(HashEmbedder::embed).toList();
    }

    @Override
    public float[] embedQuery(String text) {
        return embed(text);
    }

    @Override
    public int countTokens(String text) {
        return words(text).length + 2;
    }

    private static String[] words(String text) {
        String t = text.strip();
        return t.isEmpty() ? new String[0] : t.split("\\s+");
    }

    static float[] embed(String text) {
        float[] v = new float[DIMENSION];
        for (String w : words(text)) {
            int h = w.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]", "").hashCode();
            v[Math.floorMod(h, DIMENSION - 1)] += 1f;
            v[Math.floorMod(h * 31 + 7, DIMENSION - 1)] += 0.5f;
        }
        v[DIMENSION - 1] = 0.3f;
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        float inv = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < v.length; i++) {
            v[i] *= inv;
        }
        return v;
    }

    @Override
    public void close() {
    }
}
