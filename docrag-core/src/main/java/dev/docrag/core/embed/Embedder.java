package dev.docrag.core.embed;

import java.util.List;

/**
 * Turns text into unit-length vectors (so that a dot product is the cosine similarity).
 * This is the seam where a host plugs in another model runtime; DocRag's own is
 * {@link OnnxEmbedder}.
 *
 * <p>Implementations must be thread-safe, and a text's vector must not depend on which other
 * texts are embedded with it. Closing releases native memory; using a closed embedder fails.
 */
public interface Embedder extends AutoCloseable {
    /** The model's identity, dimension and input limit. */
    ModelInfo model();

    /**
     * Embeds document passages, one vector per text, in order.
     *
     * @throws IllegalArgumentException if a text is longer than {@link ModelInfo#maxTokens()}:
     *         passages are never silently truncated (cut them with the chunker first)
     */
    List<float[]> embedDocuments(List<String> texts);

    /**
     * Embeds a search query. A query longer than the model's window is cut to the window, and a
     * warning is logged, since a query has no tail worth failing a search for.
     */
    float[] embedQuery(String text);

    /** The number of model tokens in {@code text}, special tokens included, without truncation. */
    int countTokens(String text);

    /**
     * Whether {@link #tokenSpans} is available: the tokenizer splits text at white space before it
     * looks at words (as BERT's WordPiece does), so a span of text that no token crosses has as many
     * tokens of its own as the tokens lying inside it. The chunker then tokenizes a text once
     * instead of once per candidate chunk. False unless an implementation knows better.
     */
    default boolean splitsAtWhiteSpace() {
        return false;
    }

    /**
     * The character offsets of {@code text}'s model tokens, special tokens and any passage prefix
     * excluded, as {@code {start0, end0, start1, end1, ...}} in text order, in {@code char}s of
     * the Java string.
     *
     * @throws UnsupportedOperationException unless {@link #splitsAtWhiteSpace()}
     */
    default int[] tokenSpans(String text) {
        throw new UnsupportedOperationException(model().name() + " does not report token spans");
    }

    @Override
    void close();
}
