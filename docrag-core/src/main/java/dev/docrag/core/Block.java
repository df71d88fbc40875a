package dev.docrag.core;

/**
 * A span of a {@link Document}'s text that reads only as a whole, such as a fenced code block or
 * an HTML {@code <pre>}: the chunker keeps it in one chunk whenever it fits in one, even across
 * the blank lines inside it.
 *
 * @param start offset of the block's first character in the document's text
 * @param end   offset after its last character
 */
public record Block(int start, int end) {
    public Block {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("block [" + start + ", " + end + ") is not a span");
        }
    }
}
