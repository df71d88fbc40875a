package dev.docrag.index;

import java.time.Duration;
import java.util.Locale;

/**
 * Hears what a {@link DocRag} does, for metrics and audit adapters (docrag-ops holds the
 * Micrometer one). Register with {@link DocRag#addListener}; with none registered DocRag does no
 * timing work at all.
 *
 * <p>Guarantees: methods are called on the thread that did the work, after it finished (a slow
 * listener slows that call, so keep them cheap and non-blocking); a listener that throws is
 * logged and ignored, never failing the call; every public search, ingest, upsert and delete
 * call is reported exactly once through {@link #requestFinished}, whether it succeeded or threw.
 * Every value passed is low-cardinality (enums), never a tenant, document id or query.
 */
public interface DocRagListener {

    /** The kinds of call a host makes. */
    enum Operation {
        SEARCH, INGEST, UPSERT, DELETE;

        /** Lower-case name, for tags and observation keys. */
        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * How a call ended, by whose fault: {@link #CALLER_ERROR} for a bad argument (an
     * {@link IllegalArgumentException}, or a {@link NullPointerException} thrown by an argument
     * check ({@code Objects.requireNonNull}); other NPEs are DocRag's bugs), {@link #REJECTED} when
     * DocRag was not available to serve it (an {@link IllegalStateException} of a closed DocRag, or
     * a {@link WritesPausedException}),
     * {@link #FAILURE} for anything else thrown (DocRag, its embedder or its storage failed). A call
     * that returned is a {@link #SUCCESS} even if single documents of a batch failed; those are in
     * its {@link IngestReport}.
     */
    enum Outcome {
        SUCCESS, CALLER_ERROR, FAILURE, REJECTED;

        /** Lower-case name, for tags and observation keys. */
        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Outcome of(Throwable t, boolean closed) {
            if (t instanceof IllegalArgumentException || t instanceof NullPointerException npe && argumentCheck(npe)) {
                return CALLER_ERROR;
            }
            if (t instanceof IllegalStateException && closed || t instanceof WritesPausedException) {
                return REJECTED;
            }
            return FAILURE;
        }

        private static boolean argumentCheck(NullPointerException e) {
            StackTraceElement[] trace = e.getStackTrace();
            return trace.length > 0 && trace[0].getClassName().equals("java.util.Objects");
        }
    }

    /** What was embedded: a search query, or the chunks of documents being written. */
    enum EmbedKind {
        QUERY, DOCUMENTS;

        /** Lower-case name, for tags and observation keys. */
        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A public call finished after {@code took} (wall-clock, including waiting for the write lock). */
    default void requestFinished(Operation operation, Outcome outcome, Duration took) {
    }

    /** An ingest or upsert call committed {@code report}; called before {@link #requestFinished}. */
    default void documentsWritten(Operation operation, IngestReport report) {
    }

    /**
     * One embedder call finished.
     *
     * @param texts  how many texts were embedded
     * @param tokens the tokens of those texts as the chunker counted them, for {@link EmbedKind#DOCUMENTS};
     *               0 for queries, which are not tokenized twice just to count them
     * @param ok     false if the embedder threw
     */
    default void embedded(EmbedKind kind, int texts, long tokens, Duration took, boolean ok) {
    }

    /**
     * A HYBRID search was answered by the keyword retriever alone because its query could not be
     * embedded (see {@link SearchResult}); called before that search's {@link #requestFinished},
     * which still reports it as a success.
     */
    default void searchDegraded() {
    }
}
