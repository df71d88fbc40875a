package dev.docrag.core.chunk;

import java.util.Arrays;

/**
 * The model tokens of one region of a text, tokenized once, so that the chunker can count the
 * tokens of any span inside it by binary search instead of tokenizing the span again.
 *
 * <p>A span's count read here equals the tokenizer's count of the span's substring only when each
 * end is an edge of the region or white space that no token crosses ({@link #cleanAt}); the
 * chunker checks that and tokenizes the substring otherwise. That equality also needs a tokenizer that splits words at white space
 * before it looks at them (BERT's WordPiece does), which {@code Embedder#splitsAtWhiteSpace()}
 * promises.
 */
final class TokenMap {
    private final int regionStart;
    private final int regionEnd;
    private final int[] starts;
    private final int[] ends;

    private TokenMap(int regionStart, int regionEnd, int[] starts, int[] ends) {
        this.regionStart = regionStart;
        this.regionEnd = regionEnd;
        this.starts = starts;
        this.ends = ends;
    }

    /**
     * @param spans the region's token spans relative to {@code regionStart}, as
     *              {@code {start0, end0, start1, end1, ...}} in text order
     */
    static TokenMap of(int regionStart, int regionEnd, int[] spans) {
        if (spans.length % 2 != 0) {
            throw new IllegalArgumentException("token spans come in pairs, got " + spans.length + " offsets");
        }
        int n = spans.length / 2;
        int[] starts = new int[n];
        int[] ends = new int[n];
        int last = 0;
        int lastStart = 0;
        for (int i = 0; i < n; i++) {
            int s = spans[2 * i];
            int e = spans[2 * i + 1];
            // Ends must be ordered for the binary search; a tokenizer that reports otherwise is not
            // one whose spans can be trusted, so refuse rather than miscount.
            if (s < lastStart || e < s || e > regionEnd - regionStart || e < last) {
                throw new IllegalStateException("token spans are not in text order at token " + i + ": [" + s + ", " + e + ")");
            }
            last = e;
            lastStart = s;
            starts[i] = regionStart + s;
            ends[i] = regionStart + e;
        }
        return new TokenMap(regionStart, regionEnd, starts, ends);
    }

    boolean covers(int start, int end) {
        return regionStart <= start && end <= regionEnd;
    }

    /** Whether {@code at} is where the tokenized region starts or ends. */
    boolean isEdge(int at) {
        return at == regionStart || at == regionEnd;
    }

    /**
     * Whether no token starts before {@code at} and ends after it, and no empty token sits at
     * {@code at} (it would be counted on both sides).
     */
    boolean cleanAt(int at) {
        int i = firstEndingAfter(at);
        if (i > 0 && ends[i - 1] == at && starts[i - 1] == at) {
            return false;
        }
        return i == ends.length || starts[i] >= at;
    }

    /** The number of tokens lying wholly inside [start, end). */
    int inside(int start, int end) {
        int a = Arrays.binarySearch(starts, start);
        if (a < 0) {
            a = -a - 1;
        } else {
            while (a > 0 && starts[a - 1] == start) { // empty tokens may share a start
                a--;
            }
        }
        int b = firstEndingAfter(end);
        return Math.max(0, b - a);
    }

    /** The first token whose end is after {@code at}, or the token count. */
    private int firstEndingAfter(int at) {
        int lo = 0;
        int hi = ends.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (ends[mid] > at) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }
}
