package dev.docrag.ops.health;

/**
 * One health check, which a host may write for its own dependencies and add to a
 * {@link HealthRegistry}. It may block (the registry runs it on its own virtual thread and stops
 * waiting after the check's timeout) and may throw: an exception is reported as DOWN with the
 * exception's message.
 */
@FunctionalInterface
public interface HealthCheck {
    HealthResult check() throws Exception;
}
