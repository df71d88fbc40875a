package dev.docrag.core;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One source document after extraction: the plain text that chunks are cut from, plus what is
 * known about its structure. Immutable.
 *
 * <p>Guarantees: sections, pages and blocks are each in text order, do not overlap and lie within
 * the text, so a chunk's breadcrumb and page number can be looked up from its offsets.
 *
 * @param id       stable identity; for files, the path relative to the ingested root with '/' as
 *                 separator, so re-ingesting the same folder addresses the same documents
 * @param source   where the document came from, as shown to users (a path or a URI)
 * @param title    a human title (the HTML title, the first Markdown heading, or the file name)
 * @param text     the extracted text; chunk offsets point into this string
 * @param metadata free-form string metadata (never null; copied)
 * @param sections the heading structure (empty for unstructured text; copied)
 * @param pages    the page spans of a paginated source (empty otherwise; copied)
 * @param blocks   spans to keep whole in one chunk when they fit, such as code blocks (copied)
 */
public record Document(String id, String source, String title, String text, Map<String, String> metadata,
        List<Section> sections, List<Page> pages, List<Block> blocks) {
    public Document {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(text, "text");
        if (id.isBlank()) {
            throw new IllegalArgumentException("document id must not be blank (source " + source + ")");
        }
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
        sections = sections == null ? List.of() : List.copyOf(sections);
        pages = pages == null ? List.of() : List.copyOf(pages);
        blocks = blocks == null ? List.of() : List.copyOf(blocks);
        int at = 0;
        for (Section s : sections) {
            if (s.start() < at || s.end() > text.length()) {
                throw new IllegalArgumentException("sections of " + source + " overlap, are out of order or exceed the text at "
                        + s.start() + ".." + s.end());
            }
            at = s.end();
        }
        at = 0;
        for (Page p : pages) {
            if (p.start() < at || p.end() > text.length()) {
                throw new IllegalArgumentException("pages of " + source + " overlap, are out of order or exceed the text at page "
                        + p.number());
            }
            at = p.end();
        }
        at = 0;
        for (Block b : blocks) {
            if (b.start() < at || b.end() > text.length()) {
                throw new IllegalArgumentException("blocks of " + source + " overlap, are out of order or exceed the text at "
                        + b.start() + ".." + b.end());
            }
            at = b.end();
        }
    }

    /** A document with structure but no blocks. */
    public Document(String id, String source, String title, String text, Map<String, String> metadata,
                    List<Section> sections, List<Page> pages) {
        this(id, source, title, text, metadata, sections, pages, List.of());
    }

    /** A document without known structure. */
    public Document(String id, String source, String title, String text, Map<String, String> metadata) {
        this(id, source, title, text, metadata, List.of(), List.of(), List.of());
    }

    /** This document with other metadata. */
    public Document withMetadata(Map<String, String> metadata) {
        return new Document(id, source, title, text, metadata, sections, pages, blocks);
    }
}
