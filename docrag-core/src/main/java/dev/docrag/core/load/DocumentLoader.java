package dev.docrag.core.load;

import dev.docrag.core.Document;

/**
 * Turns the decoded content of one file into a {@link Document}. Implementations are stateless
 * and thread-safe; a host may register its own for further file types with
 * {@link FileLoader.Builder#loader(String, DocumentLoader)}. The standard ones are available
 * for content that does not come from files ({@link #markdown()}, {@link #html()}, {@link #text()}).
 */
@FunctionalInterface
public interface DocumentLoader {
    /**
     * @param id      the document id to use
     * @param source  the source to name in the document and in errors
     * @param name    the file name, a fallback title
     * @param content the file's decoded text, never blank
     * @throws LoadException when the content cannot be parsed
     */
    Document load(String id, String source, String name, String content);

    /** The standard plain-text loader: the content is the text, the name the title. */
    static DocumentLoader text() {
        return new TextLoader();
    }

    /**
     * The standard Markdown loader: front matter becomes metadata, top-level headings become
     * {@link Document#sections() sections} (see {@code FileLoader}'s documentation of Markdown).
     */
    static DocumentLoader markdown() {
        return new MarkdownLoader();
    }

    /** The standard HTML loader: the main content's text, with headings as sections. */
    static DocumentLoader html() {
        return new HtmlLoader();
    }
}
