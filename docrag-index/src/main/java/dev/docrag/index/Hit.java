package dev.docrag.index;

/**
 * One search result: a chunk of a document.
 *
 * @param documentId the document's id (for files: the path relative to the ingested folder)
 * @param source     where the document came from (a file path)
 * @param title      the document's title
 * @param ordinal    the chunk's position within its document, from 0
 * @param text       the chunk's text, exactly as cut from the document
 * @param score      higher is better; comparable only within one result list. Vector search: the
 *                   cosine similarity mapped to [0, 1] as {@code (1 + cos) / 2}; keyword search:
 *                   the BM25 score; hybrid: the reciprocal-rank-fusion score
 *                   {@code sum over retrievers of 1 / (60 + rank)}
 */
public record Hit(String documentId, String source, String title, int ordinal, String text, double score) {
}
