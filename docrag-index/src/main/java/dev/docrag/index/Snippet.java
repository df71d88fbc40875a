package dev.docrag.index;

import java.util.List;
import java.util.Objects;

/**
 * The part of a hit's chunk worth showing, with the spans that matched the query's words.
 * A match is a word of the chunk whose analysed form (lower case, English stemming, stop words
 * dropped) equals one of the query's; so "rotating" in a chunk matches the query "rotate".
 * When nothing matches (a hit found by meaning alone), the snippet is the chunk's beginning and
 * has no highlights.
 *
 * @param text       a contiguous excerpt of the chunk text, at most about 240 characters, cut at
 *                   white space where possible
 * @param start      where {@code text} begins in the chunk's text
 * @param highlights the matched words, as offsets into {@code text}, in order, not overlapping
 */
public record Snippet(String text, int start, List<Span> highlights) {
    public Snippet {
        Objects.requireNonNull(text, "text");
        highlights = List.copyOf(highlights);
    }

    /**
     * A matched span: {@code text.substring(start, end)}.
     *
     * @param start first character, inclusive
     * @param end   after the last character
     */
    public record Span(int start, int end) {
        public Span {
            if (start < 0 || end < start) {
                throw new IllegalArgumentException("bad span " + start + ".." + end);
            }
        }
    }

    /** The snippet with every highlight wrapped in {@code open} and {@code close}, e.g. {@code <b>} and {@code </b>}. */
    public String marked(String open, String close) {
        StringBuilder out = new StringBuilder(text.length() + highlights.size() * (open.length() + close.length()));
        int at = 0;
        for (Span s : highlights) {
            out.append(text, at, s.start()).append(open).append(text, s.start(), s.end()).append(close);
            at = s.end();
        }
        return out.append(text, at, text.length()).toString();
    }
}
