package dev.docrag.core;

import java.util.List;
import java.util.Objects;

/**
 * A span of a {@link Document}'s text under one heading path. A section starts at its heading's
 * own text (so a chunk that begins a section carries the heading with its first paragraph) and
 * ends where the next section starts. Text outside every section has no headings.
 *
 * @param headings the heading breadcrumb, outermost first (e.g. {@code [Tutorial, Errors,
 *                 Handling Exceptions]}); never null, copied
 * @param start    offset of the section's first character in the document's text
 * @param end      offset after its last character
 */
public record Section(List<String> headings, int start, int end) {
    public Section {
        headings = List.copyOf(Objects.requireNonNull(headings, "headings"));
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("section [" + start + ", " + end + ") is not a span");
        }
    }
}
