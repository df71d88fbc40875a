package dev.docrag.core.load;

import dev.docrag.core.Document;

/**
 * Turns the decoded content of one file into a {@link Document}. Implementations are stateless
 * and thread-safe; a host may register its own for further file types with
 * {@link FileLoader.Builder#loader(String, DocumentLoader)}.
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
}
