package dev.docrag.index;

import dev.docrag.core.embed.Embedder;
import dev.docrag.core.embed.ModelInfo;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An {@link Embedder} over a table of known unit vectors: a text containing {@code v<i>} embeds to
 * row {@code i}. Lets a test index vectors it chose (clustered, high-dimensional) through DocRag's
 * own API and check the answers against brute force. Queries are given as vectors.
 */
final class TableEmbedder implements Embedder {
    private static final Pattern ROW = Pattern.compile("\\bv(\\d+)\\b");
    private final float[][] rows;
    private final ModelInfo model;

    TableEmbedder(float[][] rows) {
        this.rows = rows;
        this.model = new ModelInfo("test-table", "t" + rows.length, rows[0].length, 64);
    }

    static String text(int row) {
        return "v" + row;
    }

    @Override
    public ModelInfo model() {
        return model;
    }

    @Override
    public List<float[]> embedDocuments(List<String> texts) {
        return texts.stream().map(this::embedQuery).toList();
    }

    @Override
    public float[] embedQuery(String text) {
        Matcher m = ROW.matcher(text);
        if (!m.find()) {
            throw new IllegalArgumentException("no row in '" + text + "'");
        }
        return rows[Integer.parseInt(m.group(1))].clone();
    }

    @Override
    public int countTokens(String text) {
        return text.strip().split("\\s+").length + 2;
    }

    @Override
    public void close() {
    }

    /**
     * {@code n} unit vectors of dimension {@code dim} around {@code clusters} random centres: a
     * centre plus Gaussian noise of norm about 0.7, normalised (like real embeddings, neighbours
     * are clearly closer than the rest; uniform random 384-d vectors are nearly all equidistant).
     */
    static float[][] clustered(java.util.Random rnd, int n, int dim, int clusters) {
        float[][] centres = new float[clusters][];
        for (int c = 0; c < clusters; c++) {
            centres[c] = unit(gaussian(rnd, dim, 1f));
        }
        float[][] v = new float[n][];
        for (int i = 0; i < n; i++) {
            float[] noise = gaussian(rnd, dim, 0.7f / (float) Math.sqrt(dim));
            float[] c = centres[rnd.nextInt(clusters)];
            for (int d = 0; d < dim; d++) {
                noise[d] += c[d];
            }
            v[i] = unit(noise);
        }
        return v;
    }

    /** {@code v} moved by Gaussian noise of norm about {@code norm}, normalised. */
    static float[] near(java.util.Random rnd, float[] v, float norm) {
        float[] q = gaussian(rnd, v.length, norm / (float) Math.sqrt(v.length));
        for (int d = 0; d < v.length; d++) {
            q[d] += v[d];
        }
        return unit(q);
    }

    private static float[] gaussian(java.util.Random rnd, int dim, float sigma) {
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
}
