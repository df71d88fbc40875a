package dev.docrag.ops.backup;

import java.util.Objects;
import java.util.Optional;

/**
 * A search a restored backup must answer, run by deep verification: a hybrid search of
 * {@code tenant} for {@code text} must return at least one hit and, when {@code expectedDocumentId}
 * is given, that document among its first five.
 */
public record GoldenQuery(String tenant, String text, String expectedDocumentId) {
    public GoldenQuery {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(text, "text");
    }

    /** A query that must find something. */
    public static GoldenQuery of(String tenant, String text) {
        return new GoldenQuery(tenant, text, null);
    }

    /** A query that must find {@code documentId} among its first five hits. */
    public static GoldenQuery expecting(String tenant, String text, String documentId) {
        return new GoldenQuery(tenant, text, Objects.requireNonNull(documentId, "documentId"));
    }

    public Optional<String> expected() {
        return Optional.ofNullable(expectedDocumentId);
    }
}
