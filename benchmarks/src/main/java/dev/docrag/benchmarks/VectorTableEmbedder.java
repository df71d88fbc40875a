package dev.docrag.benchmarks;

import dev.docrag.core.embed.Embedder;
import dev.docrag.core.embed.ModelInfo;

import java.util.List;

/**
 * An {@link Embedder} over vectors computed beforehand: the text {@code v<i>} embeds to row
 * {@code i}. The search benchmark indexes its shared vector file through DocRag's own API with it,
 * so that DocRag, hnswlib and FAISS search exactly the same vectors. Queries are given as vectors.
 */
final class VectorTableEmbedder implements Embedder {
    private final float[][] rows;
    private final ModelInfo model;

    VectorTableEmbedder(String name, float[][] rows) {
        this.rows = rows;
        this.model = new ModelInfo("table-" + name, "n" + rows.length, rows[0].length, 64);
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
        String t = text.strip();
        int at = t.lastIndexOf('v'); // a context line may come first
        return rows[Integer.parseInt(t.substring(at + 1))];
    }

    @Override
    public int countTokens(String text) {
        return text.strip().split("\\s+").length + 2;
    }

    @Override
    public void close() {
    }
}
