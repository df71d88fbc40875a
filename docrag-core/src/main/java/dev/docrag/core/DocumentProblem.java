package dev.docrag.core;

/**
 * Why one document could not be ingested. Each value is a reason a user can act on; the
 * accompanying message names the file and the detail.
 */
public enum DocumentProblem {
    /** The file holds no text (zero bytes, or only white space after extraction). */
    EMPTY,
    /** The file has a text extension but binary content (NUL bytes). */
    BINARY,
    /**
     * The file could not be read: permissions, a vanished file, an I/O error, a file replaced by a
     * folder or a link. Also an entry the folder walk could not handle: a folder it could not
     * open, a symbolic-link loop, a dangling link.
     */
    UNREADABLE,
    /** No loader handles the file's type. */
    UNSUPPORTED,
    /** The file is of a known type but its content could not be parsed. */
    MALFORMED,
    /** The file is encrypted and cannot be read without its password (a PDF with a user password). */
    ENCRYPTED,
    /** The file is larger than the configured cap. */
    TOO_LARGE,
    /** The embedding model failed on the document's chunks. */
    EMBEDDING,
    /** The index or the catalog refused the document's write. */
    INDEXING
}
