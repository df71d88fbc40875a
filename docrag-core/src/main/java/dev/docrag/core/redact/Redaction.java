package dev.docrag.core.redact;

import dev.docrag.core.Document;

import java.util.Map;
import java.util.Objects;

/**
 * A {@link Document} after {@link Redactor#redact(Document)}, and how many secrets of each kind
 * were replaced in it. Immutable.
 *
 * @param document the redacted document: same id, redacted source, title, text and metadata
 *                 values, section and page offsets moved to the redacted text
 * @param counts   replacements per rule, in rule order; only rules that matched, each at least 1.
 *                 Secrets in section headings are replaced but not counted, since a heading's
 *                 text is also in the document text, where it was counted.
 */
public record Redaction(Document document, Map<SecretRule, Integer> counts) {
    public Redaction {
        Objects.requireNonNull(document, "document");
        counts = RedactedText.copyCounts(counts);
    }

    /** The number of secrets replaced. */
    public int total() {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }
}
