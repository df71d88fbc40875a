package dev.docrag.ops.health;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Named health checks in two groups, as Kubernetes probes them: <b>liveness</b> (is the process
 * itself healthy? never an external dependency, so that a database outage does not restart every
 * instance) and <b>readiness</b> (can this instance serve now: index open, catalog reachable,
 * embedder working).
 *
 * <p>Guarantees:
 * <ul>
 *   <li>A group's checks run concurrently, each on its own virtual thread; {@link #liveness()}
 *       and {@link #readiness()} return within the longest timeout of the group (plus scheduling
 *       noise), however long a check hangs. A check still running at its timeout is reported
 *       DOWN with {@code error=timed out after …}.</li>
 *   <li>A check is never run twice at once: while an earlier run of it still hangs, later calls
 *       report it DOWN ({@code still running}) without starting another, so a hung dependency
 *       cannot pile up threads.</li>
 *   <li>A check that throws is DOWN with the exception's message; nothing a check does escapes.</li>
 *   <li>Thread-safe; immutable once built.</li>
 * </ul>
 */
public final class HealthRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(HealthRegistry.class);

    /** The two probe groups. */
    public enum Group { LIVENESS, READINESS }

    private final Map<Group, List<Entry>> groups;

    private HealthRegistry(Map<Group, List<Entry>> groups) {
        this.groups = groups;
    }

    /** An empty builder; {@link HealthChecks#builder} starts from the standard checks instead. */
    public static Builder builder() {
        return new Builder();
    }

    /** Runs the liveness checks. */
    public HealthReport liveness() {
        return check(Group.LIVENESS);
    }

    /** Runs the readiness checks. */
    public HealthReport readiness() {
        return check(Group.READINESS);
    }

    /** The check names of a group, in registration order. */
    public List<String> names(Group group) {
        return groups.get(group).stream().map(Entry::name).toList();
    }

    /** Runs one group's checks concurrently and waits at most each check's timeout for it. */
    public HealthReport check(Group group) {
        List<Entry> entries = groups.get(group);
        long started = System.nanoTime();
        List<CompletableFuture<HealthResult>> running = new ArrayList<>();
        for (Entry e : entries) {
            running.add(e.start());
        }
        Map<String, HealthResult> results = new LinkedHashMap<>();
        HealthStatus status = HealthStatus.UP;
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            long left = e.timeout.toNanos() - (System.nanoTime() - started);
            HealthResult r;
            try {
                r = running.get(i).get(Math.max(0, left), TimeUnit.NANOSECONDS);
            } catch (TimeoutException t) {
                r = HealthResult.down("timed out after " + e.timeout.toMillis() + " ms")
                        .took(Duration.ofNanos(System.nanoTime() - started));
                LOG.warn("Health check {} timed out after {} ms", e.name, e.timeout.toMillis());
            } catch (ExecutionException x) {
                r = HealthResult.down(String.valueOf(x.getCause()));
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                r = HealthResult.down("interrupted while waiting");
            }
            results.put(e.name, r);
            status = status.worst(r.status());
        }
        return new HealthReport(status, results);
    }

    /** One registered check and the run of it that may still be going. */
    private static final class Entry {
        final String name;
        final HealthCheck check;
        final Duration timeout;
        final AtomicReference<CompletableFuture<HealthResult>> inFlight = new AtomicReference<>();

        Entry(String name, HealthCheck check, Duration timeout) {
            this.name = name;
            this.check = check;
            this.timeout = timeout;
        }

        CompletableFuture<HealthResult> start() {
            CompletableFuture<HealthResult> previous = inFlight.get();
            if (previous != null && !previous.isDone()) {
                return CompletableFuture.completedFuture(HealthResult.down("still running since an earlier call"));
            }
            CompletableFuture<HealthResult> future = new CompletableFuture<>();
            if (!inFlight.compareAndSet(previous, future)) {
                return inFlight.get(); // a concurrent call just started a run: share it
            }
            Thread.ofVirtual().name("docrag-health-" + name).start(() -> {
                long t0 = System.nanoTime();
                HealthResult r;
                try {
                    r = Objects.requireNonNull(check.check(), "the check returned null");
                } catch (Exception | Error e) {
                    String message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
                    r = HealthResult.down(message);
                }
                future.complete(r.took(Duration.ofNanos(System.nanoTime() - t0)));
            });
            return future;
        }

        String name() {
            return name;
        }
    }

    /**
     * Configures a {@link HealthRegistry}. Names are unique within a group (adding a second check
     * of a name fails at once); timeouts must be positive.
     */
    public static final class Builder {
        private final Map<Group, LinkedHashMap<String, Entry>> groups = new LinkedHashMap<>();
        private Duration defaultTimeout = Duration.ofSeconds(2);

        private Builder() {
            for (Group g : Group.values()) {
                groups.put(g, new LinkedHashMap<>());
            }
        }

        /** The timeout of checks added without one; default 2 seconds. */
        public Builder defaultTimeout(Duration timeout) {
            this.defaultTimeout = positive(timeout);
            return this;
        }

        /** Adds a liveness check with the default timeout: it must not touch external dependencies. */
        public Builder liveness(String name, HealthCheck check) {
            return add(Group.LIVENESS, name, check, null);
        }

        /** Adds a liveness check that is reported DOWN when it runs longer than {@code timeout}. */
        public Builder liveness(String name, HealthCheck check, Duration timeout) {
            return add(Group.LIVENESS, name, check, positive(timeout));
        }

        /** Adds a readiness check with the default timeout. */
        public Builder readiness(String name, HealthCheck check) {
            return add(Group.READINESS, name, check, null);
        }

        /** Adds a readiness check that is reported DOWN when it runs longer than {@code timeout}. */
        public Builder readiness(String name, HealthCheck check, Duration timeout) {
            return add(Group.READINESS, name, check, positive(timeout));
        }

        /** Removes a check, e.g. a standard one a host replaces; no effect if absent. */
        public Builder remove(Group group, String name) {
            groups.get(group).remove(name);
            return this;
        }

        private Builder add(Group group, String name, HealthCheck check, Duration timeout) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(check, "check");
            if (groups.get(group).containsKey(name)) {
                throw new IllegalArgumentException(group + " already has a check named " + name);
            }
            // a null timeout means "the default at build()", so defaultTimeout may come later
            groups.get(group).put(name, new Entry(name, check, timeout));
            return this;
        }

        private static Duration positive(Duration d) {
            Objects.requireNonNull(d, "timeout");
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("a timeout must be positive, got " + d);
            }
            return d;
        }

        /** An immutable registry of the checks added so far; checks without a timeout get the default. */
        public HealthRegistry build() {
            Map<Group, List<Entry>> built = new LinkedHashMap<>();
            groups.forEach((g, entries) -> built.put(g, entries.values().stream()
                    .map(e -> new Entry(e.name, e.check, e.timeout != null ? e.timeout : defaultTimeout))
                    .toList()));
            return new HealthRegistry(built);
        }
    }
}
