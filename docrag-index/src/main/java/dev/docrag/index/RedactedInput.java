package dev.docrag.index;

import dev.docrag.core.Document;
import dev.docrag.core.redact.RedactedText;
import dev.docrag.core.redact.Redaction;
import dev.docrag.core.redact.Redactor;
import dev.docrag.core.redact.SecretRule;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link DocumentInput} with every secret replaced in what DocRag stores of it: source, title,
 * text, and string metadata values (list elements included). Tenant, id and access groups are
 * identities, not content, and stay as given; numbers and instants cannot hold a secret. Section
 * and page offsets are moved with the text, and section headings are redacted too.
 *
 * @param input  the redacted input (the given one when nothing was found)
 * @param counts replacements per rule over all those fields, in rule order
 */
record RedactedInput(DocumentInput input, Map<SecretRule, Integer> counts) {
    RedactedInput {
        counts = Collections.unmodifiableMap(counts.isEmpty() ? new EnumMap<>(SecretRule.class) : new EnumMap<>(counts));
    }

    /** Redacts {@code doc} with {@code redactor}; a null redactor means redaction is off. */
    static RedactedInput of(Redactor redactor, DocumentInput doc) {
        Map<SecretRule, Integer> counts = new EnumMap<>(SecretRule.class);
        if (redactor == null) {
            return new RedactedInput(doc, counts);
        }
        // Source, title and text through the Document form, which moves section and page offsets
        // (and redacts headings) along with the text.
        Redaction redacted = redactor.redact(doc.toDocument());
        redacted.counts().forEach((rule, n) -> counts.merge(rule, n, Integer::sum));
        Document d = redacted.document();
        Map<String, Object> metadata = new LinkedHashMap<>();
        doc.metadata().forEach((name, value) -> metadata.put(name, switch (value) {
            case String s -> take(redactor.redact(s), counts);
            case List<?> list -> list.stream().map(s -> take(redactor.redact((String) s), counts)).toList();
            default -> value;
        }));
        if (counts.isEmpty()) {
            return new RedactedInput(doc, counts);
        }
        return new RedactedInput(new DocumentInput(doc.tenant(), doc.id(), d.source(), d.title(), d.text(), metadata,
                doc.accessGroups(), d.sections(), d.pages(), d.blocks()), counts);
    }

    private static String take(RedactedText r, Map<SecretRule, Integer> counts) {
        r.counts().forEach((rule, n) -> counts.merge(rule, n, Integer::sum));
        return r.text();
    }

    /** One notice per kind of secret found, kind {@code redacted:<kind>}, naming the (redacted) source. */
    List<IngestReport.Notice> notices() {
        List<IngestReport.Notice> notices = new ArrayList<>(counts.size());
        counts.forEach((rule, n) -> notices.add(new IngestReport.Notice(input.source(), "redacted:" + rule.kind(), n,
                input.source() + ": " + n + (n == 1 ? " secret" : " secrets") + " of kind " + rule.kind() + " redacted")));
        return notices;
    }
}
