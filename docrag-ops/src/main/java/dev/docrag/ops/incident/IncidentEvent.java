package dev.docrag.ops.incident;

import java.time.Instant;
import java.util.Objects;

/**
 * One transition of an incident: it started (its first source fired) or resolved (its last
 * source cleared). Immutable.
 *
 * @param incident what kind
 * @param phase    started or resolved
 * @param source   what triggered this transition, e.g. {@code health:catalog} or
 *                 {@code alertmanager:HighErrorRate}
 * @param summary  a line for an operator (a check's error, an alert's summary); never a secret
 * @param at       when, by the responder's clock
 */
public record IncidentEvent(Incident incident, Phase phase, String source, String summary, Instant at) {
    /** Whether an incident began or ended. */
    public enum Phase {
        STARTED, RESOLVED;

        /** Lower-case name, the {@code phase} tag. */
        public String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public IncidentEvent {
        Objects.requireNonNull(incident, "incident");
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(summary, "summary");
        Objects.requireNonNull(at, "at");
    }
}
