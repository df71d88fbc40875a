package dev.docrag.core;

import java.util.Objects;

/**
 * A contiguous span of a {@link Document}'s text that is embedded and indexed as a unit.
 * {@code text} equals {@code document.text().substring(start, end)}, so the exact span can be
 * shown to a user.
 *
 * @param documentId the owning document's id
 * @param ordinal    position of this chunk within its document, from 0
 * @param text       the chunk's text
 * @param start      offset of the first character in the document's text
 * @param end        offset after the last character in the document's text
 * @param tokens     length in the embedding model's tokens, special tokens included
 */
public record Chunk(String documentId, int ordinal, String text, int start, int end, int tokens) {
    public Chunk {
        Objects.requireNonNull(documentId, "documentId");
        Objects.requireNonNull(text, "text");
        if (ordinal < 0 || start < 0 || end < start || end - start != text.length()) {
            throw new IllegalArgumentException("inconsistent chunk " + documentId + "#" + ordinal
                    + ": start=" + start + " end=" + end + " length=" + text.length());
        }
    }
}
