package dev.docrag.core;

import java.util.List;
import java.util.Map;
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
 * @param headings   the heading breadcrumb in force where the chunk starts, outermost first
 *                   (empty when the document has no headings there; copied)
 * @param page       the page the chunk starts on, from 1; 0 when the source has no pages
 * @param metadata   the document's metadata (copied)
 */
public record Chunk(String documentId, int ordinal, String text, int start, int end, int tokens,
        List<String> headings, int page, Map<String, String> metadata) {
    public Chunk {
        Objects.requireNonNull(documentId, "documentId");
        Objects.requireNonNull(text, "text");
        if (ordinal < 0 || start < 0 || end < start || end - start != text.length() || page < 0) {
            throw new IllegalArgumentException("inconsistent chunk " + documentId + "#" + ordinal
                    + ": start=" + start + " end=" + end + " length=" + text.length() + " page=" + page);
        }
        headings = headings == null ? List.of() : List.copyOf(headings);
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    /** A chunk of a document without structure or metadata. */
    public Chunk(String documentId, int ordinal, String text, int start, int end, int tokens) {
        this(documentId, ordinal, text, start, end, tokens, List.of(), 0, Map.of());
    }

    /** The breadcrumb as shown to users: headings joined by {@code " > "}, empty if none. */
    public String breadcrumb() {
        return String.join(" > ", headings);
    }
}
