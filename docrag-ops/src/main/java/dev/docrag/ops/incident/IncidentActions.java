package dev.docrag.ops.incident;

import dev.docrag.index.DocRag;
import dev.docrag.ops.resilience.ResilientEmbedder;

import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The built-in {@link IncidentAction}s. Each undoes on resolution only what is safe to undo
 * without a human: a breaker it forced open is reset, shed load is admitted again, paused writes
 * resume. Dropped caches simply refill.
 */
public final class IncidentActions {
    private IncidentActions() {
    }

    /**
     * Forces the embedder's breaker open: no more calls to a provider while errors are high, and
     * hybrid searches answer keyword-only (cheaper, and they succeed). Resets the breaker on
     * resolution if it is still forced open (a host's own forceOpen in between is indistinguishable).
     * While it is forced open the embedder check reports {@code circuit=FORCED_OPEN}, which the
     * responder neither raises nor resolves {@link Incident#PROVIDER_FAILURE} on; so do not attach
     * this action to PROVIDER_FAILURE raised by that check — nothing could then resolve it.
     */
    public static IncidentAction openBreaker(ResilientEmbedder embedder) {
        Objects.requireNonNull(embedder, "embedder");
        return IncidentAction.of("open_breaker", e -> embedder.forceOpen(), e -> {
            if (embedder.isForcedOpen()) {
                embedder.reset();
            }
        });
    }

    /** Closes {@code shedder} while the incident lasts (see {@link LoadShedder}). */
    public static IncidentAction shedLoad(LoadShedder shedder) {
        Objects.requireNonNull(shedder, "shedder");
        return IncidentAction.of("shed_load", e -> shedder.shed(e.incident().tag()), e -> shedder.restore());
    }

    /**
     * Runs each of the host's cache droppers (its result caches, a query-embedding cache, …);
     * they refill by themselves. All run even if one throws; the first failure is reported.
     */
    public static IncidentAction dropCaches(List<Runnable> droppers) {
        List<Runnable> all = List.copyOf(droppers);
        return IncidentAction.of("drop_caches", e -> {
            RuntimeException first = null;
            for (Runnable r : all) {
                try {
                    r.run();
                } catch (RuntimeException x) {
                    if (first == null) {
                        first = x;
                    } else {
                        first.addSuppressed(x);
                    }
                }
            }
            if (first != null) {
                throw first;
            }
        }, null);
    }

    /**
     * Asks the JVM for a full collection ({@link System#gc()}), as the original incident system did
     * on memory exhaustion. Used heap includes garbage, so a collection tells real pressure from a
     * lazy collector; it pauses the application, so attach it only to memory pressure.
     */
    public static IncidentAction collectGarbage() {
        return IncidentAction.of("collect_garbage", e -> System.gc(), null);
    }

    /**
     * Makes {@code rag} read-only ({@link DocRag#pauseWrites}) while any incident this action is
     * attached to lasts: attach the same instance to several incidents (memory pressure and an
     * unreachable catalog) and writes resume only when the last of them resolves.
     */
    public static IncidentAction pauseWrites(DocRag rag) {
        Objects.requireNonNull(rag, "rag");
        return new IncidentAction() {
            private final Set<Incident> holding = EnumSet.noneOf(Incident.class);

            @Override
            public String name() {
                return "pause_writes";
            }

            @Override
            public synchronized void start(IncidentEvent event) {
                holding.add(event.incident());
                rag.pauseWrites("incident " + holding);
            }

            @Override
            public synchronized void resolve(IncidentEvent event) {
                holding.remove(event.incident());
                if (holding.isEmpty()) {
                    rag.resumeWrites();
                } else {
                    rag.pauseWrites("incident " + holding);
                }
            }
        };
    }
}
