package dev.docrag.core;

import java.util.Map;
import java.util.Objects;

/**
 * One source document after extraction: the plain text that chunks are cut from, plus what is
 * known about it. Immutable.
 *
 * @param id       stable identity; for files, the path relative to the ingested root with '/' as
 *                 separator, so re-ingesting the same folder addresses the same documents
 * @param source   where the document came from, as shown to users (a path or a URI)
 * @param title    a human title (the HTML title, the first Markdown heading, or the file name)
 * @param text     the extracted text; chunk offsets point into this string
 * @param metadata free-form string metadata (never null; copied)
 */
public record Document(String id, String source, String title, String text, Map<String, String> metadata) {
    public Document {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(text, "text");
        if (id.isBlank()) {
            throw new IllegalArgumentException("document id must not be blank (source " + source + ")");
        }
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }
}
