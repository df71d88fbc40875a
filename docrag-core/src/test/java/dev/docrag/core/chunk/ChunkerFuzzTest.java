package dev.docrag.core.chunk;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.docrag.core.Chunk;
import dev.docrag.core.Document;
import dev.docrag.core.embed.OnnxEmbedder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * Fuzz targets for {@link Chunker}, written against its public API and documented guarantees
 * only, so that they hold whatever its internals become.
 *
 * <p>Two targets: one with the real MiniLM tokenizer (what hosts run, but slow per input), one
 * with a cheap deterministic counter (many more inputs per second). Both use small windows so
 * that short fuzz inputs already need splitting. {@code bin/mvn verify} replays the committed
 * inputs in {@code ChunkerFuzzTestInputs/<method>/}; {@code bin/fuzz} fuzzes each for a bounded time.
 */
class ChunkerFuzzTest {
    private static final int REAL_TARGET = 24;
    private static final int REAL_MAX = 32;
    private static final int CHEAP_TARGET = 12;
    private static final int CHEAP_MAX = 16;

    private static OnnxEmbedder embedder;
    private static Chunker real;
    private static final Chunker CHEAP = new Chunker(ChunkerFuzzTest::cheapTokens, CHEAP_TARGET, CHEAP_MAX);

    @BeforeAll
    static void loadModel() {
        embedder = OnnxEmbedder.allMiniLmL6V2();
        real = new Chunker(embedder::countTokens, REAL_TARGET, REAL_MAX);
    }

    @AfterAll
    static void closeModel() {
        if (embedder != null) {
            embedder.close();
        }
    }

    @FuzzTest
    void realTokenizer(byte[] input) {
        check(real, embedder::countTokens, text(input));
    }

    @FuzzTest
    void cheapCounter(byte[] input) {
        check(CHEAP, ChunkerFuzzTest::cheapTokens, text(input));
    }

    /**
     * A WordPiece-like count, cheap and not additive: two special tokens, a token per started 6
     * characters of a word, and one per punctuation mark, so that long words must be cut and
     * merged estimates can fall short of the real count.
     */
    static int cheapTokens(String s) {
        int tokens = 2;
        int word = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isWhitespace(cp) || isPunctuation(cp)) {
                tokens += (word + 5) / 6 + (isPunctuation(cp) ? 1 : 0);
                word = 0;
            } else {
                word++;
            }
        }
        return tokens + (word + 5) / 6;
    }

    private static boolean isPunctuation(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                    Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                    Character.OTHER_PUNCTUATION, Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL,
                    Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> true;
            default -> false;
        };
    }

    /** The chunker's guarantees, as precise assertions; a failure message names the chunk. */
    static void check(Chunker chunker, ToIntFunction<String> counter, String text) {
        Document doc = new Document("fuzz", "fuzz", "fuzz", text, Map.of());
        List<Chunk> chunks = chunker.chunk(doc);
        int previousEnd = 0;
        for (int i = 0; i < chunks.size(); i++) {
            Chunk c = chunks.get(i);
            String where = "chunk " + i + " [" + c.start() + ", " + c.end() + ") of " + chunks.size()
                    + " in a text of " + text.length() + " chars";
            require(c.ordinal() == i, where + ": ordinal " + c.ordinal());
            require(c.documentId().equals(doc.id()), where + ": document id " + c.documentId());
            require(c.start() >= previousEnd, where + ": overlaps or precedes the chunk before, which ends at " + previousEnd);
            require(c.end() > c.start() && c.end() <= text.length(), where + ": not a non-empty span of the text");
            require(c.text().equals(text.substring(c.start(), c.end())), where + ": text differs from doc.text().substring(start, end)");
            require(!c.text().isBlank(), where + ": blank");
            require(onlyWhitespace(text, previousEnd, c.start()), where + ": non-white-space text left out before it");
            require(!splitsSurrogatePair(text, c.start()) && !splitsSurrogatePair(text, c.end()),
                    where + ": cut inside a surrogate pair");
            require(c.tokens() <= chunker.maxTokens(), where + ": " + c.tokens() + " tokens > max " + chunker.maxTokens());
            int real = counter.applyAsInt(c.text());
            require(c.tokens() == real, where + ": says " + c.tokens() + " tokens, the counter says " + real);
            previousEnd = c.end();
        }
        require(onlyWhitespace(text, previousEnd, text.length()), "non-white-space text left out after the last chunk (at " + previousEnd + ")");
        require(chunks.isEmpty() == text.isBlank(), "no chunks for a non-blank text, or chunks for a blank one");
    }

    private static boolean onlyWhitespace(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Character.isWhitespace(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean splitsSurrogatePair(String text, int at) {
        return at > 0 && at < text.length()
                && Character.isHighSurrogate(text.charAt(at - 1)) && Character.isLowSurrogate(text.charAt(at));
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }

    /**
     * UTF-8, so that seeds are readable files; or, after a UTF-16BE byte-order mark, raw UTF-16 code
     * units, unpaired surrogates included: a host's {@code DocumentInput} text is any Java string,
     * not only what a decoder produces.
     */
    static String text(byte[] input) {
        if (input.length >= 2 && (input[0] & 0xff) == 0xfe && (input[1] & 0xff) == 0xff) {
            char[] chars = new char[(input.length - 2) / 2];
            for (int i = 0; i < chars.length; i++) {
                chars[i] = (char) ((input[2 + 2 * i] & 0xff) << 8 | input[3 + 2 * i] & 0xff);
            }
            return new String(chars);
        }
        return new String(input, StandardCharsets.UTF_8);
    }
}
