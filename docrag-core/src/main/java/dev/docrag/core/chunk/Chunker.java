package dev.docrag.core.chunk;

import dev.docrag.core.Chunk;
import dev.docrag.core.Document;
import dev.docrag.core.embed.Embedder;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.ToIntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cuts a document's text into chunks measured in the embedding model's own tokens.
 *
 * <p>Guarantees: no chunk is longer than {@code maxTokens} (special tokens included), so the
 * model never has to truncate one; chunk offsets point at the exact span in the document's text;
 * text is cut at the coarsest boundary that makes a piece fit — blank line, line, sentence, word,
 * and only for a single over-long word at characters (never inside a surrogate pair) — and
 * neighbouring pieces are merged up to {@code targetTokens}. Only white space (in the sense of
 * {@link Character#isWhitespace(char)}) between chunks is left out. No chunk is longer than 32
 * characters per token of {@code maxTokens} either: a WordPiece tokenizer counts a long run of
 * letters as one unknown token, and without this bound such a run would become one huge chunk
 * whose vector means nothing. Thread-safe if the token counter is.
 */
public final class Chunker {
    // \p{javaWhitespace} is Character.isWhitespace, the white space that strip() leaves out
    // (\s would miss e.g. the ideographic space U+3000 and cut such text at characters).
    private static final Pattern[] BOUNDARIES = {
        Pattern.compile("\\n\\p{javaWhitespace}*\\n"),         // paragraphs
        Pattern.compile("\\n"),                                // lines
        Pattern.compile("(?<=[.!?;:])\\p{javaWhitespace}+"),   // sentences
        Pattern.compile("\\p{javaWhitespace}+"),               // words
    };
    /** Tokens a sequence carries besides its text ([CLS] and [SEP] for BERT models). */
    private static final int SPECIAL_TOKENS = 2;
    /** Bounds a chunk's length in characters to this many times {@code maxTokens}. */
    private static final int MAX_CHARS_PER_TOKEN = 32;

    private final ToIntFunction<String> tokenCounter;
    private final int targetTokens;
    private final int maxTokens;
    private final int maxChars;

    /**
     * @param tokenCounter counts model tokens in a text, special tokens included
     * @param targetTokens the size pieces are merged up to
     * @param maxTokens    the hard limit; at most the model's window
     */
    public Chunker(ToIntFunction<String> tokenCounter, int targetTokens, int maxTokens) {
        this.tokenCounter = Objects.requireNonNull(tokenCounter, "tokenCounter");
        if (maxTokens <= SPECIAL_TOKENS + 1 || targetTokens <= SPECIAL_TOKENS || targetTokens > maxTokens) {
            throw new IllegalArgumentException("need " + SPECIAL_TOKENS + " < targetTokens <= maxTokens, got target="
                    + targetTokens + " max=" + maxTokens);
        }
        this.targetTokens = targetTokens;
        this.maxTokens = maxTokens;
        this.maxChars = (int) Math.min(Integer.MAX_VALUE, (long) maxTokens * MAX_CHARS_PER_TOKEN);
    }

    /** Chunks for {@code embedder}: the hard maximum is its window, the target three quarters of it. */
    public static Chunker forEmbedder(Embedder embedder) {
        int max = embedder.model().maxTokens();
        return new Chunker(embedder::countTokens, Math.max(SPECIAL_TOKENS + 1, max * 3 / 4), max);
    }

    public int targetTokens() {
        return targetTokens;
    }

    public int maxTokens() {
        return maxTokens;
    }

    /** The document's chunks in text order; empty only if its text is blank. */
    public List<Chunk> chunk(Document doc) {
        String text = doc.text();
        List<Piece> pieces = new ArrayList<>();
        split(text, 0, text.length(), 0, pieces);
        List<Chunk> chunks = new ArrayList<>();
        int i = 0;
        while (i < pieces.size()) {
            int estimate = pieces.get(i).tokens;
            int j = i + 1;
            while (j < pieces.size() && estimate + pieces.get(j).tokens - SPECIAL_TOKENS <= targetTokens
                    && pieces.get(j).end - pieces.get(i).start <= maxChars) {
                estimate += pieces.get(j).tokens - SPECIAL_TOKENS;
                j++;
            }
            // The estimate adds up pieces; tokenizers can join across a boundary differently, so
            // the real count decides, giving back pieces until it fits (one piece always does).
            while (true) {
                Span span = strip(text, pieces.get(i).start, pieces.get(j - 1).end);
                if (span.start == span.end) {
                    break;
                }
                String chunkText = text.substring(span.start, span.end);
                boolean counted = j - i == 1 && span.start == pieces.get(i).start && span.end == pieces.get(i).end;
                int tokens = counted ? pieces.get(i).tokens : tokenCounter.applyAsInt(chunkText);
                if (tokens <= maxTokens || j - i == 1) {
                    chunks.add(new Chunk(doc.id(), chunks.size(), chunkText, span.start, span.end, tokens));
                    break;
                }
                j--;
            }
            i = j;
        }
        return chunks;
    }

    /** Appends pieces of text[start, end) that each fit in maxTokens and maxChars. */
    private void split(String text, int start, int end, int level, List<Piece> out) {
        if (start >= end) {
            return;
        }
        // A span over maxChars is cut whatever its token count: not counting it saves tokenizing
        // every long document (and every long section) once more before its pieces are counted.
        int tokens = 0;
        if (end - start <= maxChars) {
            tokens = tokenCounter.applyAsInt(text.substring(start, end));
            if (tokens <= maxTokens) {
                out.add(new Piece(start, end, tokens));
                return;
            }
        }
        // A level without a boundary inside the span passes it on without counting it again.
        for (; level < BOUNDARIES.length; level++) {
            Matcher m = BOUNDARIES[level].matcher(text).region(start, end);
            int from = start;
            while (m.find()) {
                if (m.end() >= end || m.end() <= from) {
                    continue;
                }
                split(text, from, m.end(), level + 1, out); // the separator stays with the piece before it
                from = m.end();
            }
            if (from > start) {
                split(text, from, end, level + 1, out);
                return;
            }
        }
        splitCharacters(text, start, end, tokens, out);
    }

    /**
     * Cuts a span without any boundary (one over-long word, or a long run of white space) into
     * equal parts sized for the target, then splits each part again, since token density varies
     * along a word. Cutting straight to size counts the text about twice; halving would count it
     * once per halving. {@code tokens} is 0 when the span was too long in characters to be counted.
     */
    private void splitCharacters(String text, int start, int end, int tokens, List<Piece> out) {
        // A word keeps the white space after it; if the two do not fit together, cut between them.
        int word = end;
        while (word > start && Character.isWhitespace(text.charAt(word - 1))) {
            word--;
        }
        if (word > start && word < end) {
            split(text, start, word, BOUNDARIES.length, out);
            split(text, word, end, BOUNDARIES.length, out);
            return;
        }
        long byTokens = Math.ceilDiv(Math.max(1, tokens - SPECIAL_TOKENS), targetTokens - SPECIAL_TOKENS);
        long byChars = Math.ceilDiv(end - start, maxChars);
        int parts = (int) Math.min(end - start, Math.max(2, Math.max(byTokens, byChars)));
        int from = start;
        for (int p = 1; p < parts; p++) {
            int cut = start + (int) ((long) (end - start) * p / parts);
            if (Character.isLowSurrogate(text.charAt(cut)) && Character.isHighSurrogate(text.charAt(cut - 1))) {
                cut++;
            }
            if (cut <= from || cut >= end) {
                continue;
            }
            split(text, from, cut, BOUNDARIES.length, out);
            from = cut;
        }
        if (from == start) {
            throw new IllegalStateException("a single character is longer than " + maxTokens + " tokens: U+"
                    + Integer.toHexString(text.codePointAt(start)).toUpperCase(Locale.ROOT));
        }
        split(text, from, end, BOUNDARIES.length, out);
    }

    private static Span strip(String text, int start, int end) {
        while (start < end && Character.isWhitespace(text.charAt(start))) {
            start++;
        }
        while (end > start && Character.isWhitespace(text.charAt(end - 1))) {
            end--;
        }
        return new Span(start, end);
    }

    private record Piece(int start, int end, int tokens) {
    }

    private record Span(int start, int end) {
    }
}
