package dev.docrag.core.load;

import dev.docrag.core.DocRagException;
import dev.docrag.core.DocumentProblem;

import java.util.Objects;

/**
 * One document could not be turned into text. Names the source and carries a typed
 * {@link DocumentProblem}; ingestion records it for that document and moves on to the next.
 */
public final class LoadException extends DocRagException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final DocumentProblem problem;

    public LoadException(String source, DocumentProblem problem, String detail) {
        this(source, problem, detail, null);
    }

    public LoadException(String source, DocumentProblem problem, String detail, Throwable cause) {
        super(source + ": " + problem.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " - " + detail, cause);
        this.source = Objects.requireNonNull(source, "source");
        this.problem = Objects.requireNonNull(problem, "problem");
    }

    /** The document's source, as given to the loader. */
    public String source() {
        return source;
    }

    /** Why it failed. */
    public DocumentProblem problem() {
        return problem;
    }
}
