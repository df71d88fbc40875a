package dev.docrag.index;

import dev.docrag.core.DocRagException;

/**
 * An index was opened with a {@link VectorIndexConfig.Encoding} other than the one it was created
 * with. DocRag refuses rather than mixing encodings: segments written under the old encoding would
 * be searched without the rescoring the new one expects (or with it where it is not needed), and
 * recall would depend on merge history. The message names both encodings. Open the index with the
 * encoding that created it, or ingest into a new directory with the new one.
 */
public final class VectorEncodingMismatchException extends DocRagException {
    private static final long serialVersionUID = 1L;

    private final VectorIndexConfig.Encoding indexEncoding;
    private final VectorIndexConfig.Encoding requestedEncoding;

    VectorEncodingMismatchException(String message, VectorIndexConfig.Encoding indexEncoding,
                                    VectorIndexConfig.Encoding requestedEncoding) {
        super(message);
        this.indexEncoding = indexEncoding;
        this.requestedEncoding = requestedEncoding;
    }

    /** The encoding the index was created with. */
    public VectorIndexConfig.Encoding indexEncoding() {
        return indexEncoding;
    }

    /** The encoding it was being opened with. */
    public VectorIndexConfig.Encoding requestedEncoding() {
        return requestedEncoding;
    }
}
