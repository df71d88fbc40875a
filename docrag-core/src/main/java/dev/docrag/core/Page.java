package dev.docrag.core;

/**
 * A page of a paginated source (a PDF): which span of the {@link Document}'s text it yielded.
 *
 * @param number the page number as printed by a viewer, from 1
 * @param start  offset of the page's first character in the document's text
 * @param end    offset after its last character
 */
public record Page(int number, int start, int end) {
    public Page {
        if (number < 1 || start < 0 || end < start) {
            throw new IllegalArgumentException("page " + number + " [" + start + ", " + end + ") is not a page span");
        }
    }
}
