package dev.docrag.ops.incident;

/**
 * Where the responder escalates what it cannot fix by itself: a chat channel, a pager. Must be
 * thread-safe and must not throw: a failed delivery is an outcome, not an exception.
 */
@FunctionalInterface
public interface Notifier {

    /** How one notification went. */
    enum Delivery {
        SENT, FAILED, RATE_LIMITED
    }

    /**
     * Delivers {@code text} about {@code event}.
     *
     * @return SENT, FAILED (after any retries), or RATE_LIMITED (not sent, too many lately)
     */
    Delivery notify(IncidentEvent event, String text);
}
