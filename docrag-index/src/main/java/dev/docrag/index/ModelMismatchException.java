package dev.docrag.index;

import dev.docrag.core.DocRagException;

/**
 * An index was opened with an embedding model other than the one that built it. Its vectors
 * would be meaningless to the new model, so DocRag refuses to open it; the message names both
 * models. Use the original model, or ingest into a new directory.
 */
public final class ModelMismatchException extends DocRagException {
    private static final long serialVersionUID = 1L;

    ModelMismatchException(String message) {
        super(message);
    }
}
