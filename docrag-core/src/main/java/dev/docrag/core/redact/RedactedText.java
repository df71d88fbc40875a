package dev.docrag.core.redact;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * A string after {@link Redactor#redact(String)}: every secret found replaced by
 * {@code [REDACTED:<kind>]}, and how many of each kind were replaced. Immutable.
 *
 * @param text   the redacted string (the input itself when nothing was found)
 * @param counts replacements per rule, in rule order; only rules that matched, each at least 1
 */
public record RedactedText(String text, Map<SecretRule, Integer> counts) {
    public RedactedText {
        Objects.requireNonNull(text, "text");
        counts = copyCounts(counts);
    }

    /** The number of secrets replaced. */
    public int total() {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    static Map<SecretRule, Integer> copyCounts(Map<SecretRule, Integer> counts) {
        EnumMap<SecretRule, Integer> copy = new EnumMap<>(SecretRule.class);
        counts.forEach((rule, n) -> {
            if (n == null || n < 1) {
                throw new IllegalArgumentException("count of " + rule + " must be at least 1, got " + n);
            }
            copy.put(Objects.requireNonNull(rule, "rule"), n);
        });
        return Collections.unmodifiableMap(copy);
    }
}
