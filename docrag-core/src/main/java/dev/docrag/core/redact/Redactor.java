package dev.docrag.core.redact;

import dev.docrag.core.Block;
import dev.docrag.core.Document;
import dev.docrag.core.Page;
import dev.docrag.core.Section;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Replaces secrets (see {@link SecretRule}) with {@code [REDACTED:<kind>]} before text is
 * embedded or stored.
 *
 * <pre>{@code
 * Redactor redactor = Redactor.standard();                                // every rule
 * Redactor keysOnly = Redactor.builder().only(SecretRule.PRIVATE_KEY, SecretRule.AWS_ACCESS_KEY).build();
 * Redaction r = redactor.redact(document);
 * r.document();  // text, title, source and metadata values redacted; sections, pages and blocks remapped
 * r.counts();    // {AWS_ACCESS_KEY=1, JWT=2}
 * }</pre>
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Immutable and thread-safe; one instance may serve any number of threads.</li>
 *   <li>Each replacement is exactly {@link SecretRule#replacement()}; text outside the replaced
 *       spans is unchanged. Where rules match overlapping text, the rule listed first in
 *       {@link SecretRule} wins and the other match is dropped, so no character is replaced
 *       twice.</li>
 *   <li>Redaction is idempotent: redacting a redacted text finds nothing more.</li>
 *   <li>Time is linear in the length of the text (no pattern backtracks catastrophically).</li>
 *   <li>In a {@link Document}, the id is kept as given (it is the document's identity; rewriting
 *       it would merge or orphan documents); source, title, text, metadata values and section
 *       headings are redacted, and every section and page offset is moved so that it covers the
 *       redacted form of the text it covered. An offset strictly inside a secret moves to the
 *       end of its replacement: the replacement belongs to the span in which the secret
 *       starts.</li>
 * </ul>
 */
public final class Redactor {
    private final Set<SecretRule> rules;

    private Redactor(Set<SecretRule> rules) {
        this.rules = Collections.unmodifiableSet(EnumSet.copyOf(rules));
    }

    /** A redactor with every {@link SecretRule}. */
    public static Redactor standard() {
        return builder().build();
    }

    /** Starts a configuration with every rule enabled. */
    public static Builder builder() {
        return new Builder();
    }

    /** The rules this redactor applies, in priority order. */
    public Set<SecretRule> rules() {
        return rules;
    }

    /** Redacts one string. */
    public RedactedText redact(String text) {
        Objects.requireNonNull(text, "text");
        Spans spans = find(text);
        return new RedactedText(spans.apply(text), spans.counts());
    }

    /**
     * Redacts a document's source, title, text, metadata values and section headings, and moves
     * section and page offsets into the redacted text.
     */
    public Redaction redact(Document doc) {
        Objects.requireNonNull(doc, "doc");
        Map<SecretRule, Integer> counts = new EnumMap<>(SecretRule.class);
        String source = count(redact(doc.source()), counts);
        String title = count(redact(doc.title()), counts);
        Spans spans = find(doc.text());
        String text = spans.apply(doc.text());
        spans.counts().forEach((rule, n) -> counts.merge(rule, n, Integer::sum));
        Map<String, String> metadata = new LinkedHashMap<>();
        doc.metadata().forEach((name, value) -> metadata.put(name, count(redact(value), counts)));
        List<Section> sections = new ArrayList<>(doc.sections().size());
        for (Section s : doc.sections()) {
            List<String> headings = s.headings().stream().map(h -> redact(h).text()).toList();
            sections.add(new Section(headings, spans.map(s.start()), spans.map(s.end())));
        }
        List<Page> pages = new ArrayList<>(doc.pages().size());
        for (Page p : doc.pages()) {
            pages.add(new Page(p.number(), spans.map(p.start()), spans.map(p.end())));
        }
        List<Block> blocks = new ArrayList<>(doc.blocks().size());
        for (Block b : doc.blocks()) {
            blocks.add(new Block(spans.map(b.start()), spans.map(b.end())));
        }
        return new Redaction(new Document(doc.id(), source, title, text, metadata, sections, pages, blocks), counts);
    }

    private static String count(RedactedText r, Map<SecretRule, Integer> counts) {
        r.counts().forEach((rule, n) -> counts.merge(rule, n, Integer::sum));
        return r.text();
    }

    /** Runs every rule, highest priority first; a span overlapping one already claimed is dropped. */
    private Spans find(String text) {
        TreeMap<Integer, int[]> claimed = new TreeMap<>(); // start -> {end, rule ordinal}
        for (SecretRule rule : rules) {
            rule.find(text, (start, end) -> {
                Map.Entry<Integer, int[]> before = claimed.floorEntry(start);
                Map.Entry<Integer, int[]> after = claimed.ceilingEntry(start);
                boolean overlaps = (before != null && before.getValue()[0] > start) || (after != null && after.getKey() < end);
                if (!overlaps && end > start) {
                    claimed.put(start, new int[] {end, rule.ordinal()});
                }
                return 0;
            });
        }
        return new Spans(claimed);
    }

    @Override
    public String toString() {
        return "Redactor" + rules.stream().map(SecretRule::kind).toList();
    }

    /** Non-overlapping replaced spans of one text, in order, and the offset arithmetic over them. */
    private static final class Spans {
        private static final SecretRule[] RULES = SecretRule.values();
        private final int[] starts;
        private final int[] ends;
        private final SecretRule[] rules;
        /** shift[i]: how far an offset after span i-1 and at or before span i moves. */
        private final int[] shift;

        Spans(TreeMap<Integer, int[]> claimed) {
            int n = claimed.size();
            starts = new int[n];
            ends = new int[n];
            rules = new SecretRule[n];
            shift = new int[n + 1];
            int i = 0;
            for (Map.Entry<Integer, int[]> e : claimed.entrySet()) {
                starts[i] = e.getKey();
                ends[i] = e.getValue()[0];
                rules[i] = RULES[e.getValue()[1]];
                shift[i + 1] = shift[i] + rules[i].replacement().length() - (ends[i] - starts[i]);
                i++;
            }
        }

        String apply(String text) {
            if (starts.length == 0) {
                return text;
            }
            StringBuilder out = new StringBuilder(text.length() + 32 * starts.length);
            int at = 0;
            for (int i = 0; i < starts.length; i++) {
                out.append(text, at, starts[i]).append(rules[i].replacement());
                at = ends[i];
            }
            return out.append(text, at, text.length()).toString();
        }

        Map<SecretRule, Integer> counts() {
            Map<SecretRule, Integer> counts = new EnumMap<>(SecretRule.class);
            for (SecretRule r : rules) {
                counts.merge(r, 1, Integer::sum);
            }
            return counts;
        }

        /** Where offset {@code p} of the original text lies in the redacted text. */
        int map(int p) {
            // i = number of spans ending at or before p
            int i = Arrays.binarySearch(ends, p);
            if (i >= 0) {
                i++;
            } else {
                i = -i - 1;
            }
            if (i < starts.length && starts[i] < p) { // strictly inside span i: to the end of its replacement
                return starts[i] + shift[i] + rules[i].replacement().length();
            }
            return p + shift[i];
        }
    }

    /** Chooses the rules of a {@link Redactor}; starts with all of them. Not thread-safe. */
    public static final class Builder {
        private final EnumSet<SecretRule> rules = EnumSet.allOf(SecretRule.class);

        private Builder() {
        }

        /** Applies only the given rules. */
        public Builder only(SecretRule... only) {
            rules.clear();
            return enable(only);
        }

        /** Adds rules. */
        public Builder enable(SecretRule... enable) {
            for (SecretRule r : enable) {
                rules.add(Objects.requireNonNull(r, "rule"));
            }
            return this;
        }

        /** Removes rules, e.g. {@link SecretRule#HIGH_ENTROPY_ASSIGNMENT} for corpora full of sample keys. */
        public Builder disable(SecretRule... disable) {
            for (SecretRule r : disable) {
                rules.remove(Objects.requireNonNull(r, "rule"));
            }
            return this;
        }

        /**
         * @throws IllegalStateException if no rule is enabled (such a redactor would do nothing;
         *                               configure none instead)
         */
        public Redactor build() {
            if (rules.isEmpty()) {
                throw new IllegalStateException("a Redactor needs at least one rule; to redact nothing, configure no Redactor");
            }
            return new Redactor(rules);
        }
    }
}
