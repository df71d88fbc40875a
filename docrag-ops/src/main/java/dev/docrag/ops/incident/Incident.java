package dev.docrag.ops.incident;

import java.util.Locale;

/**
 * The kinds of incident DocRag's responder knows, each with the reaction it is meant for (see
 * {@link IncidentActions} and the README's "Degraded modes and incident response").
 */
public enum Incident {
    /** Many requests fail (Alertmanager's {@code HighErrorRate}): open the embedder breaker, shed load. */
    HIGH_ERROR_RATE,
    /** The heap is nearly full (the {@code heap} check, {@code HighMemoryUsage}): drop caches, pause ingestion. */
    MEMORY_PRESSURE,
    /** The catalog does not answer (the {@code catalog} check): read-only mode until it does. */
    CATALOG_UNREACHABLE,
    /** The embedding provider fails (the {@code embedder} check, the breaker alert): keyword-only fallback. */
    PROVIDER_FAILURE;

    /** Lower-case name, the {@code incident} tag. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
