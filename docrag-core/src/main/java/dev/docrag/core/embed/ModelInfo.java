package dev.docrag.core.embed;

import java.util.Objects;

/**
 * What an index must know about the model that filled it. Two models with equal {@link #id()}
 * produce interchangeable vectors; an index built with one refuses to open with another.
 *
 * @param name        a human name, e.g. {@code all-MiniLM-L6-v2}
 * @param fingerprint the first 16 hex digits of the SHA-256 of the model file, so that a
 *                    re-exported or quantized file under the same name is told apart
 * @param dimension   length of every vector
 * @param maxTokens   the longest input, in tokens including special tokens, that the model
 *                    embeds without truncation
 */
public record ModelInfo(String name, String fingerprint, int dimension, int maxTokens) {
    public ModelInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(fingerprint, "fingerprint");
        if (dimension <= 0 || maxTokens <= 2) {
            throw new IllegalArgumentException("bad model " + name + ": dimension=" + dimension + " maxTokens=" + maxTokens);
        }
    }

    /** {@code name@fingerprint}: what the index records and compares. */
    public String id() {
        return name + "@" + fingerprint;
    }
}
