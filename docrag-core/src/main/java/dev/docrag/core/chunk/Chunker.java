package dev.docrag.core.chunk;

import dev.docrag.core.Chunk;
import dev.docrag.core.Document;
import dev.docrag.core.embed.Embedder;

import java.util.ArrayList;
import java.util.List;
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
 * and only for a single over-long word at characters — and neighbouring pieces are merged up to
 * {@code targetTokens}. Only white space between chunks is left out. Thread-safe if the token
 * counter is.
 */
public final class Chunker {
    private static final Pattern[] BOUNDARIES = {
        Pattern.compile("\\n\\s*\\n"),            // paragraphs
        Pattern.compile("\\n"),                   // lines
        Pattern.compile("(?<=[.!?;:])\\s+"),      // sentences
        Pattern.compile("\\s+"),                  // words
    };
    /** Tokens a sequence carries besides its text ([CLS] and [SEP] for BERT models). */
    private static final int SPECIAL_TOKENS = 2;

    private final ToIntFunction<String> tokenCounter;
    private final int targetTokens;
    private final int maxTokens;

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
            while (j < pieces.size() && estimate + pieces.get(j).tokens - SPECIAL_TOKENS <= targetTokens) {
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
                int tokens = tokenCounter.applyAsInt(chunkText);
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

    /** Appends pieces of text[start, end) that each fit in maxTokens. */
    private void split(String text, int start, int end, int level, List<Piece> out) {
        if (start >= end) {
            return;
        }
        int tokens = tokenCounter.applyAsInt(text.substring(start, end));
        if (tokens <= maxTokens) {
            out.add(new Piece(start, end, tokens));
            return;
        }
        if (level >= BOUNDARIES.length) {
            int mid = start + (end - start) / 2;
            if (Character.isLowSurrogate(text.charAt(mid))) {
                mid++;
            }
            if (mid <= start || mid >= end) {
                throw new IllegalStateException("a single character is longer than " + maxTokens + " tokens");
            }
            split(text, start, mid, level, out);
            split(text, mid, end, level, out);
            return;
        }
        Matcher m = BOUNDARIES[level].matcher(text).region(start, end);
        int from = start;
        while (m.find()) {
            if (m.end() >= end || m.end() <= from) {
                continue;
            }
            split(text, from, m.end(), level + 1, out); // the separator stays with the piece before it
            from = m.end();
        }
        split(text, from, end, level + 1, out);
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
