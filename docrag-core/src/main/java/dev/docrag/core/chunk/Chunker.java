package dev.docrag.core.chunk;

import dev.docrag.core.Block;
import dev.docrag.core.Chunk;
import dev.docrag.core.Document;
import dev.docrag.core.Page;
import dev.docrag.core.Section;
import dev.docrag.core.embed.Embedder;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cuts a document's text into chunks measured in the embedding model's own tokens.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>No chunk is longer than {@code maxTokens} (special tokens included), so the model never
 *       has to truncate one; each chunk's {@code tokens} is the tokenizer's exact count of its
 *       text. No chunk is longer than 32 characters per token of {@code maxTokens} either: a
 *       WordPiece tokenizer counts a long run of letters as one unknown token, and without this
 *       bound such a run would become one huge chunk whose vector means nothing.</li>
 *   <li>Chunk offsets point at the exact span in the document's text. Without overlap, only white
 *       space (in the sense of {@link Character#isWhitespace(char)}) between chunks is left out;
 *       with {@code overlapTokens}, a chunk also repeats whole words from the end of the previous
 *       chunk of its section, up to that many tokens.</li>
 *   <li>A chunk never spans two of the document's {@link Section}s or {@link Page}s. It carries
 *       the page it is on and the breadcrumb of the section its last character is in. A section
 *       holding nothing but its heading is joined to the next one, so a title is not a chunk by
 *       itself when it fits with what follows.</li>
 *   <li>Text is cut at the coarsest boundary that makes a piece fit — section or page, blank line,
 *       line, sentence, word, and only for a single over-long word at characters (never inside a
 *       surrogate pair) — and neighbouring pieces are merged up to {@code targetTokens}, except
 *       that a section's heading is merged with what follows it up to {@code maxTokens}, so a
 *       heading stays with its first paragraph whenever the two fit in a chunk. A {@link Block}
 *       (a code block) that fits in a chunk is never cut.</li>
 * </ul>
 * Thread-safe if the token counter is.
 *
 * <p>Speed: given token spans ({@link Builder#tokenSpans}), each region of up to 64 Ki characters
 * is tokenized once and every span inside it is counted from those offsets; without them every
 * candidate span is tokenized on its own, which costs about three tokenizations of the text.
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
    private static final Pattern SETEXT_UNDERLINE = Pattern.compile("[ \\t]*(=+|-+)[ \\t]*");
    /** Tokens a sequence carries besides its text ([CLS] and [SEP] for BERT models). */
    private static final int SPECIAL_TOKENS = 2;
    /** Bounds a chunk's length in characters to this many times {@code maxTokens}. */
    private static final int MAX_CHARS_PER_TOKEN = 32;
    /** Text tokenized in one call; bounds the offsets held in memory for a huge document. */
    private static final int REGION_CHARS = 64 * 1024;

    private final ToIntFunction<String> tokenCounter;
    private final Function<String, int[]> tokenSpans;
    private final int targetTokens;
    private final int maxTokens;
    private final int overlapTokens;
    /** The window the embedder has; {@code maxTokens} plus {@code contextTokens}. */
    private final int windowTokens;
    private final int contextTokens;
    private final int maxChars;
    /** What the counter adds to a text's own tokens: special tokens and any passage prefix. */
    private final int overhead;

    /**
     * @param tokenCounter counts model tokens in a text, special tokens included
     * @param targetTokens the size pieces are merged up to
     * @param maxTokens    the hard limit; at most the model's window
     */
    public Chunker(ToIntFunction<String> tokenCounter, int targetTokens, int maxTokens) {
        this(builder(tokenCounter).targetTokens(targetTokens).maxTokens(maxTokens));
    }

    private Chunker(Builder b) {
        this.tokenCounter = Objects.requireNonNull(b.tokenCounter, "tokenCounter");
        if (b.contextTokens < 0 || b.contextTokens >= b.maxTokens) {
            throw new IllegalArgumentException("need 0 <= contextTokens < maxTokens, got context=" + b.contextTokens
                    + " max=" + b.maxTokens);
        }
        // The context line takes its share of the window from the text, never the other way round;
        // a target the window allows but the text's share does not is lowered to that share.
        int max = b.maxTokens - b.contextTokens;
        int target = b.contextTokens > 0 && b.targetTokens <= b.maxTokens ? Math.min(b.targetTokens, max) : b.targetTokens;
        if (max <= SPECIAL_TOKENS + 1 || target <= SPECIAL_TOKENS || target > max) {
            throw new IllegalArgumentException("need " + SPECIAL_TOKENS + " < targetTokens <= maxTokens, got target="
                    + target + " max=" + max);
        }
        if (b.overlapTokens < 0 || b.overlapTokens > max - target) {
            throw new IllegalArgumentException("need 0 <= overlapTokens <= maxTokens - targetTokens, got overlap="
                    + b.overlapTokens + " target=" + target + " max=" + max);
        }
        this.tokenSpans = b.tokenSpans;
        this.targetTokens = target;
        this.maxTokens = max;
        this.overlapTokens = b.overlapTokens;
        this.windowTokens = b.maxTokens;
        this.contextTokens = b.contextTokens;
        this.maxChars = (int) Math.min(Integer.MAX_VALUE, (long) max * MAX_CHARS_PER_TOKEN);
        this.overhead = tokenSpans == null ? SPECIAL_TOKENS : tokenCounter.applyAsInt("");
    }

    /** Chunks for {@code embedder}: the hard maximum is its window, the target three quarters of it. */
    public static Chunker forEmbedder(Embedder embedder) {
        return builder(embedder).build();
    }

    /** A builder counting with {@code tokenCounter}; set at least the target and maximum. */
    public static Builder builder(ToIntFunction<String> tokenCounter) {
        return new Builder(Objects.requireNonNull(tokenCounter, "tokenCounter"));
    }

    /**
     * A builder for {@code embedder}'s tokenizer, with its token spans when it has them: the
     * maximum is the model's window, the target three quarters of it, no overlap.
     */
    public static Builder builder(Embedder embedder) {
        int max = embedder.model().maxTokens();
        Builder b = new Builder(embedder::countTokens).maxTokens(max).targetTokens(Math.max(SPECIAL_TOKENS + 1, max * 3 / 4));
        b.window = max;
        if (embedder.splitsAtWhiteSpace()) {
            b.tokenSpans(embedder::tokenSpans);
        }
        return b;
    }

    public int targetTokens() {
        return targetTokens;
    }

    public int maxTokens() {
        return maxTokens;
    }

    public int overlapTokens() {
        return overlapTokens;
    }

    /** Tokens of the window kept for the context line of {@link #embeddingText}; 0 if none. */
    public int contextTokens() {
        return contextTokens;
    }

    /**
     * What the embedder is given for {@code chunk}: a context line naming where the chunk is —
     * the document title and the chunk's heading breadcrumb, joined by {@code " > "} — then a
     * blank line and the chunk's text. A passage like "Examples" or a code sample means little to
     * an embedding model without the page and section it belongs to; the keyword index sees the
     * title and headings as fields of their own.
     *
     * <p>The title is left out when the first heading begins it (a page titled "argparse — … —
     * Python 3.11 documentation" whose first heading is "argparse — …"): the heading says the
     * same without the site name. The line is fitted into {@code contextTokens}: outer headings
     * after the first part are dropped first, then the first part, then words from the end, so
     * the whole text always fits the window and the chunk's own text is never cut. Without a
     * context budget, or without anything to say, it is the chunk's text alone.
     */
    public String embeddingText(String title, Chunk chunk) {
        if (contextTokens == 0) {
            return chunk.text();
        }
        List<String> parts = new ArrayList<>();
        List<String> headings = chunk.headings();
        String t = title == null ? "" : title.strip();
        if (!t.isEmpty() && (headings.isEmpty() || !t.startsWith(headings.get(0).strip()))) {
            parts.add(t);
        }
        for (String h : headings) {
            if (!h.isBlank()) {
                parts.add(h.strip());
            }
        }
        // The whole must fit the window; the chunk's count already includes the special tokens.
        int budget = Math.min(contextTokens, windowTokens - chunk.tokens());
        while (!parts.isEmpty()) {
            String context = String.join(" > ", parts);
            String text = context + "\n\n" + chunk.text();
            // With a tokenizer that splits at white space (tokenSpans set), the blank line parts
            // context and chunk cleanly, so the text's count is the sum of theirs, which the budget
            // already bounds by the window: counting the whole text again was a third of ingest's
            // tokenizing (profiled on the Python docs). Other counters are asked.
            if (tokenCounter.applyAsInt(context) - overhead < budget
                    && (tokenSpans != null || tokenCounter.applyAsInt(text) <= windowTokens)) {
                return text;
            }
            if (parts.size() > 2) {
                parts.remove(1);
            } else if (parts.size() == 2) {
                parts.remove(0);
            } else {
                String only = parts.get(0);
                int space = only.lastIndexOf(' ');
                parts.set(0, only.substring(0, Math.max(0, space)).strip());
                if (parts.get(0).isEmpty()) {
                    parts.clear();
                }
            }
        }
        return chunk.text();
    }

    /** The document's chunks in text order; empty only if its text is blank. */
    public List<Chunk> chunk(Document doc) {
        String text = doc.text();
        List<Chunk> chunks = new ArrayList<>();
        Blocks blocks = new Blocks(doc.blocks());
        for (Unit unit : units(doc)) {
            List<Piece> pieces = new ArrayList<>();
            split(text, unit.start, unit.end, 0, null, blocks, pieces);
            int first = chunks.size();
            merge(doc, unit, pieces, chunks);
            if (overlapTokens > 0) {
                overlap(doc, chunks, first);
            }
        }
        return chunks;
    }

    /** Greedily merges a unit's pieces into chunks. */
    private void merge(Document doc, Unit unit, List<Piece> pieces, List<Chunk> chunks) {
        String text = doc.text();
        int i = 0;
        while (i < pieces.size()) {
            int estimate = pieces.get(i).tokens;
            int j = i + 1;
            // a heading opens its unit: it may take what follows up to the hard maximum
            boolean heading = i == 0 && unit.opensSection;
            int limit = heading ? maxTokens : targetTokens;
            while (j < pieces.size() && chunkLength(text, pieces.get(i).start, pieces.get(j).end) <= maxChars
                    && (estimate + pieces.get(j).tokens - overhead <= limit
                        || (heading && j == i + 1 && fitsStripped(text, pieces.get(i).start, pieces.get(j).end)))) {
                estimate += pieces.get(j).tokens - overhead;
                j++;
                limit = targetTokens;
            }
            // The estimate adds up pieces; tokenizers can join across a boundary differently, so
            // the real count decides, giving back pieces until it fits (one piece always does).
            while (true) {
                Span span = strip(text, pieces.get(i).start, pieces.get(j - 1).end);
                if (span.start == span.end) {
                    break;
                }
                // a single piece was counted without its surrounding white space already
                int tokens = j - i == 1 ? pieces.get(i).tokens : count(text, span.start, span.end, sharedMap(pieces, i, j));
                if (tokens <= maxTokens || j - i == 1) {
                    chunks.add(chunk(doc, chunks.size(), span.start, span.end, tokens, headingsAt(doc.sections(), span.end - 1)));
                    break;
                }
                j--;
            }
            i = j;
        }
    }

    /**
     * Whether text[start, end) without its surrounding white space fits: piece counts include the
     * white space between paragraphs, which some tokenizers count, so for a heading and its first
     * paragraph the estimate is checked against the exact count before they are parted.
     */
    private boolean fitsStripped(String text, int start, int end) {
        Span span = strip(text, start, end);
        return count(text, span.start, span.end, null) <= maxTokens;
    }

    /**
     * Extends each chunk after the first of its unit backwards over whole words of the previous
     * chunk, up to {@code overlapTokens} of them, within the maximum.
     */
    private void overlap(Document doc, List<Chunk> chunks, int first) {
        String text = doc.text();
        for (int k = chunks.size() - 1; k > first; k--) {
            Chunk prev = chunks.get(k - 1);
            Chunk c = chunks.get(k);
            TokenMap map = tokenSpans == null || c.end() - prev.start() > REGION_CHARS ? null
                    : region(text, prev.start(), c.end());
            int best = c.start();
            int bestTokens = c.tokens();
            int at = prev.end();
            while (at > prev.start()) {
                // back to the start of the previous word
                while (at > prev.start() && Character.isWhitespace(text.charAt(at - 1))) {
                    at--;
                }
                while (at > prev.start() && !Character.isWhitespace(text.charAt(at - 1))) {
                    at--;
                }
                if (c.end() - at > maxChars || count(text, at, prev.end(), map) - overhead > overlapTokens) {
                    break;
                }
                int tokens = count(text, at, c.end(), map);
                if (tokens > maxTokens) {
                    break;
                }
                best = at;
                bestTokens = tokens;
            }
            if (best < c.start()) {
                chunks.set(k, chunk(doc, c.ordinal(), best, c.end(), bestTokens, c.headings()));
            }
        }
    }

    private static Chunk chunk(Document doc, int ordinal, int start, int end, int tokens, List<String> headings) {
        return new Chunk(doc.id(), ordinal, doc.text().substring(start, end), start, end, tokens, headings,
                page(doc.pages(), start), doc.metadata());
    }

    /**
     * The breadcrumb of the section holding offset {@code at}: a chunk's breadcrumb is that of its
     * last character, so that a chunk opening with the headings of sections joined to it carries
     * the path of the section its content belongs to.
     */
    private static List<String> headingsAt(List<Section> sections, int at) {
        int lo = firstEndingAfter(sections, Section::end, at);
        return lo < sections.size() && sections.get(lo).start() <= at ? sections.get(lo).headings() : List.of();
    }

    /** The index of the first span in {@code spans} (ordered, not overlapping) ending after {@code at}, or its size. */
    private static <T> int firstEndingAfter(List<T> spans, ToIntFunction<T> end, int at) {
        int lo = 0;
        int hi = spans.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (end.applyAsInt(spans.get(mid)) > at) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /** The page holding offset {@code at}, or the next page if it falls between pages; 0 if none. */
    private static int page(List<Page> pages, int at) {
        int lo = firstEndingAfter(pages, Page::end, at);
        return lo < pages.size() ? pages.get(lo).number() : pages.isEmpty() ? 0 : pages.get(pages.size() - 1).number();
    }

    /**
     * The spans chunks are cut from, covering the text: each section, and the text outside
     * sections; a section whose body is blank is joined to the next span. Pages cut them further,
     * so that a chunk's page is the page all of it is on.
     */
    private static List<Unit> units(Document doc) {
        String text = doc.text();
        List<Unit> units = new ArrayList<>();
        int at = 0;
        int pendingStart = -1; // the start of heading-only sections waiting for a body
        for (Section s : doc.sections()) {
            if (s.start() > at) {
                addUnit(units, pendingStart, at, s.start(), false);
                pendingStart = -1;
            }
            if (s.end() > s.start()) {
                if (!s.headings().isEmpty() && headingOnly(text, s.start(), s.end())) {
                    pendingStart = pendingStart < 0 ? s.start() : pendingStart;
                } else {
                    addUnit(units, pendingStart, s.start(), s.end(), !s.headings().isEmpty());
                    pendingStart = -1;
                }
            }
            at = s.end();
        }
        addUnit(units, pendingStart, at, text.length(), pendingStart >= 0);
        if (doc.pages().size() < 2) {
            return units;
        }
        List<Unit> cut = new ArrayList<>(units.size() + doc.pages().size());
        int p = 0;
        for (Unit u : units) {
            int start = u.start;
            boolean opens = u.opensSection;
            while (p < doc.pages().size() && doc.pages().get(p).start() <= start) {
                p++;
            }
            while (p < doc.pages().size() && doc.pages().get(p).start() < u.end) {
                int pageStart = doc.pages().get(p).start();
                cut.add(new Unit(start, pageStart, opens));
                start = pageStart;
                opens = false;
                p++;
            }
            cut.add(new Unit(start, u.end, opens));
        }
        return cut;
    }

    private static void addUnit(List<Unit> units, int pendingStart, int start, int end, boolean opensSection) {
        int from = pendingStart >= 0 ? pendingStart : start;
        if (end > from) {
            units.add(new Unit(from, end, opensSection || pendingStart >= 0));
        }
    }

    /** Whether [start, end) holds nothing but a heading line (and a setext underline). */
    private static boolean headingOnly(String text, int start, int end) {
        int eol = text.indexOf('\n', start);
        if (eol < 0 || eol >= end) {
            return true;
        }
        int next = eol + 1;
        int nextEol = text.indexOf('\n', next);
        int lineEnd = nextEol < 0 || nextEol > end ? end : nextEol;
        if (SETEXT_UNDERLINE.matcher(text.substring(next, lineEnd)).matches()) {
            next = lineEnd;
        }
        return text.substring(next, end).isBlank();
    }

    /** Appends pieces of text[start, end) that each fit in maxTokens and maxChars. */
    private void split(String text, int start, int end, int level, TokenMap map, Blocks blocks, List<Piece> out) {
        if (start >= end) {
            return;
        }
        if (map == null && tokenSpans != null && end - start <= REGION_CHARS) {
            map = region(text, start, end);
        }
        // A span over maxChars is cut whatever its token count: not counting it saves tokenizing
        // every long document (and every long section) once more before its pieces are counted.
        // The limit applies to the text a chunk would hold, without the surrounding white space: a
        // paragraph followed by a long run of blank lines is still one paragraph.
        int tokens = 0;
        Span core = strip(text, start, end);
        if (core.end - core.start <= maxChars) {
            // the piece's own text, as a chunk would hold it: some counters count white space
            tokens = core.start == core.end ? overhead : count(text, core.start, core.end, map);
            if (tokens <= maxTokens) {
                out.add(new Piece(start, end, tokens, map));
                return;
            }
        }
        // A level without a boundary inside the span passes it on without counting it again.
        for (; level < BOUNDARIES.length; level++) {
            Matcher m = BOUNDARIES[level].matcher(text).region(start, end);
            int from = start;
            while (m.find()) {
                if (m.end() >= end || m.end() <= from || !blocks.mayCutAt(text, m.end(), map)) {
                    continue;
                }
                split(text, from, m.end(), level + 1, map, blocks, out); // the separator stays with the piece before it
                from = m.end();
            }
            if (from > start) {
                split(text, from, end, level + 1, map, blocks, out);
                return;
            }
        }
        splitCharacters(text, start, end, tokens, map, blocks, out);
    }

    /**
     * Cuts a span without any boundary (one over-long word, or a long run of white space) into
     * equal parts sized for the target, then splits each part again, since token density varies
     * along a word. Cutting straight to size counts the text about twice; halving would count it
     * once per halving. {@code tokens} is 0 when the span was too long in characters to be counted.
     */
    private void splitCharacters(String text, int start, int end, int tokens, TokenMap map, Blocks blocks, List<Piece> out) {
        // A word keeps the white space after it; if the two do not fit together, cut between them.
        int word = end;
        while (word > start && Character.isWhitespace(text.charAt(word - 1))) {
            word--;
        }
        if (word > start && word < end) {
            split(text, start, word, BOUNDARIES.length, map, blocks, out);
            split(text, word, end, BOUNDARIES.length, map, blocks, out);
            return;
        }
        long byTokens = Math.ceilDiv(Math.max(1, tokens - overhead), Math.max(1, targetTokens - overhead));
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
            split(text, from, cut, BOUNDARIES.length, map, blocks, out);
            from = cut;
        }
        if (from == start) {
            throw new IllegalStateException("a single character is longer than " + maxTokens + " tokens: U+"
                    + Integer.toHexString(text.codePointAt(start)).toUpperCase(Locale.ROOT));
        }
        split(text, from, end, BOUNDARIES.length, map, blocks, out);
    }

    /** The document's blocks, and which of them fit in a chunk (decided when first asked). */
    private final class Blocks {
        private final List<Block> list;
        private final byte[] fits; // 0 unknown, 1 fits, 2 does not

        Blocks(List<Block> list) {
            this.list = list;
            this.fits = new byte[list.size()];
        }

        /** Whether a boundary at {@code at} may be cut: not strictly inside a block that fits. */
        boolean mayCutAt(String text, int at, TokenMap map) {
            int lo = firstEndingAfter(list, Block::end, at);
            if (lo == list.size() || list.get(lo).start() >= at) {
                return true;
            }
            Block b = list.get(lo);
            if (fits[lo] == 0) {
                boolean ok = b.end() - b.start() <= maxChars && count(text, b.start(), b.end(), map) <= maxTokens;
                fits[lo] = (byte) (ok ? 1 : 2);
            }
            return fits[lo] == 2;
        }
    }

    /** Tokenizes text[start, end) once. */
    private TokenMap region(String text, int start, int end) {
        return TokenMap.of(start, end, tokenSpans.apply(text.substring(start, end)));
    }

    /**
     * The tokenizer's count for text[start, end): read from the map when both ends separate
     * tokens cleanly, so that the span's own tokenization would give the same tokens; tokenized
     * otherwise.
     */
    private int count(String text, int start, int end, TokenMap map) {
        if (map != null && map.covers(start, end) && separates(text, start, map) && separates(text, end, map)) {
            return overhead + map.inside(start, end);
        }
        return tokenCounter.applyAsInt(text.substring(start, end));
    }

    /**
     * Whether the tokens on either side of {@code at} are those each side has on its own: at the
     * map's own edge, or at white space that no token crosses. Inside a word a cut can fall
     * between two tokens and still change them ("##def" alone is "def"), so it never qualifies.
     */
    private static boolean separates(String text, int at, TokenMap map) {
        if (map.isEdge(at)) {
            return true;
        }
        boolean whiteSpace = at == 0 || at == text.length()
                || separatesWords(text.charAt(at - 1)) || separatesWords(text.charAt(at));
        return whiteSpace && map.cleanAt(at);
    }

    /**
     * White space to Java and to BERT's normalizer alike. Control characters that Java calls white
     * space (U+000B, U+000C, U+001C..U+001F) are deleted by the normalizer, which thereby joins the
     * words around them into one.
     */
    private static boolean separatesWords(char c) {
        return c == '\t' || c == '\n' || c == '\r'
                || (Character.isWhitespace(c) && Character.getType(c) != Character.CONTROL);
    }

    /** The map pieces i..j-1 were all counted with, or null if they differ. */
    private static TokenMap sharedMap(List<Piece> pieces, int i, int j) {
        TokenMap map = pieces.get(i).map;
        for (int k = i + 1; k < j && map != null; k++) {
            if (pieces.get(k).map != map) {
                return null;
            }
        }
        return map;
    }

    /** The length of the chunk text[start, end) makes: without its surrounding white space. */
    private static int chunkLength(String text, int start, int end) {
        Span span = strip(text, start, end);
        return span.end - span.start;
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

    /** A span of text and the token count of the span without its surrounding white space. */
    private record Piece(int start, int end, int tokens, TokenMap map) {
    }

    private record Span(int start, int end) {
    }

    /** A span chunks are cut from; {@code opensSection} when it starts with a section's heading. */
    private record Unit(int start, int end, boolean opensSection) {
    }

    /** Configures a {@link Chunker}. */
    public static final class Builder {
        private final ToIntFunction<String> tokenCounter;
        private Function<String, int[]> tokenSpans;
        private int targetTokens;
        private int maxTokens;
        private int overlapTokens;
        private int window = Integer.MAX_VALUE; // the model's, when built for an embedder
        private int contextTokens;

        private Builder(ToIntFunction<String> tokenCounter) {
            this.tokenCounter = tokenCounter;
        }

        /** The size pieces are merged up to. */
        public Builder targetTokens(int tokens) {
            this.targetTokens = tokens;
            return this;
        }

        /** The hard limit; at most the model's window. */
        public Builder maxTokens(int tokens) {
            this.maxTokens = tokens;
            return this;
        }

        /**
         * Tokens of the previous chunk's end that a chunk repeats, in whole words, so that a
         * sentence cut between two chunks is found from either; at most {@code maxTokens -
         * targetTokens}. Default 0.
         */
        public Builder overlapTokens(int tokens) {
            this.overlapTokens = tokens;
            return this;
        }

        /**
         * Tokens of the window ({@code maxTokens}) kept free for the context line that
         * {@link #embeddingText} puts before each chunk's text: chunks are cut to at most
         * {@code maxTokens - contextTokens} (the target shrinks with it if it must). Default 0.
         */
        public Builder contextTokens(int tokens) {
            this.contextTokens = tokens;
            return this;
        }

        /**
         * The token spans of a text as {@code {start0, end0, start1, end1, ...}} (special tokens
         * and prefixes excluded), from a tokenizer that splits at white space before it looks at
         * words (see {@link Embedder#splitsAtWhiteSpace()}). Makes chunking about three times
         * faster; counts stay exact.
         */
        public Builder tokenSpans(Function<String, int[]> spans) {
            this.tokenSpans = Objects.requireNonNull(spans, "spans");
            return this;
        }

        /** @throws IllegalArgumentException if the limits are inconsistent or exceed the model's window */
        public Chunker build() {
            if (maxTokens > window) {
                throw new IllegalArgumentException("maxTokens " + maxTokens + " is over the model's window of " + window
                        + " tokens: the model would have to truncate chunks");
            }
            return new Chunker(this);
        }
    }
}
