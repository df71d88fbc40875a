package dev.docrag.index;

import dev.docrag.core.Chunk;
import dev.docrag.core.embed.Embedder;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * DocRag's observation points: one Micrometer {@link Observation} and one listener notification
 * per public call and per embedder call. With the NOOP registry and no listener it only calls
 * through, so instrumentation costs nothing for a host that uses none.
 */
final class Instrumentation {
    private static final Logger LOG = LoggerFactory.getLogger(Instrumentation.class);

    /** Observation names; their low-cardinality keys are {@code operation}, {@code mode}, {@code kind}, {@code outcome}. */
    static final String REQUEST_PREFIX = "docrag.";
    static final String EMBED = "docrag.embed";

    private final ObservationRegistry observations;
    private final BooleanSupplier closed;
    private final List<DocRagListener> listeners = new CopyOnWriteArrayList<>();
    /** Checked at the start of every public call, inside its observation, so that a refused write is counted. */
    private final WriteGate writeGate = new WriteGate();

    /** {@code closed} tells a call rejected by a closed DocRag from one that failed. */
    Instrumentation(ObservationRegistry observations, BooleanSupplier closed) {
        this.observations = observations;
        this.closed = closed;
    }

    void add(DocRagListener listener) {
        listeners.add(listener);
    }

    void remove(DocRagListener listener) {
        listeners.remove(listener);
    }

    private boolean off() {
        return listeners.isEmpty() && observations.isNoop();
    }

    /**
     * Runs one public call: observation {@code docrag.<operation>} (search calls carry {@code mode}),
     * then {@link DocRagListener#requestFinished}.
     */
    <T> T request(DocRagListener.Operation operation, String mode, Supplier<T> work) {
        Supplier<T> call = () -> {
            writeGate.check(operation);
            return work.get();
        };
        if (off()) {
            return call.get();
        }
        long started = System.nanoTime();
        Observation obs = Observation.createNotStarted(REQUEST_PREFIX + operation.tag(), observations)
                .lowCardinalityKeyValue("operation", operation.tag());
        if (mode != null) {
            obs.lowCardinalityKeyValue("mode", mode);
        }
        obs.start();
        DocRagListener.Outcome outcome = DocRagListener.Outcome.SUCCESS;
        try (Observation.Scope ignored = obs.openScope()) {
            T result = call.get();
            if (result instanceof IngestReport report) {
                for (DocRagListener l : listeners) {
                    safely(() -> l.documentsWritten(operation, report));
                }
            }
            return result;
        } catch (RuntimeException | Error e) {
            outcome = DocRagListener.Outcome.of(e, closed.getAsBoolean());
            obs.error(e);
            throw e;
        } finally {
            obs.lowCardinalityKeyValue("outcome", outcome.tag());
            obs.stop();
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            DocRagListener.Outcome o = outcome;
            for (DocRagListener l : listeners) {
                safely(() -> l.requestFinished(operation, o, took));
            }
        }
    }

    /**
     * Wraps work that another thread does for the current call, so that its observations (the
     * ingest's embedder calls) have the call's observation as parent there too.
     */
    Runnable inCurrentObservation(Runnable work) {
        Observation parent = off() ? null : observations.getCurrentObservation();
        if (parent == null) {
            return work;
        }
        return () -> {
            try (Observation.Scope ignored = parent.openScope()) {
                work.run();
            }
        };
    }

    /** {@link #inCurrentObservation(Runnable)} for work that returns a value. */
    <T> Callable<T> callInCurrentObservation(Callable<T> work) {
        Observation parent = off() ? null : observations.getCurrentObservation();
        if (parent == null) {
            return work;
        }
        return () -> {
            try (Observation.Scope ignored = parent.openScope()) {
                return work.call();
            }
        };
    }

    WriteGate writeGate() {
        return writeGate;
    }

    /** Tells listeners that a search was answered degraded (see {@link DocRagListener#searchDegraded}). */
    void searchDegraded() {
        for (DocRagListener l : listeners) {
            safely(l::searchDegraded);
        }
    }

    float[] embedQuery(Embedder embedder, String text) {
        return embed(DocRagListener.EmbedKind.QUERY, 1, 0, () -> embedder.embedQuery(text));
    }

    /** Embeds what stands for the chunks ({@code texts}); {@code tokens} is the chunks' own token count. */
    List<float[]> embedDocuments(Embedder embedder, List<String> texts, long tokens) {
        if (off()) {
            return embedder.embedDocuments(texts);
        }
        return embed(DocRagListener.EmbedKind.DOCUMENTS, texts.size(), tokens, () -> embedder.embedDocuments(texts));
    }

    private <T> T embed(DocRagListener.EmbedKind kind, int texts, long tokens, Supplier<T> call) {
        if (off()) {
            return call.get();
        }
        long started = System.nanoTime();
        Observation obs = Observation.createNotStarted(EMBED, observations)
                .lowCardinalityKeyValue("kind", kind.tag());
        obs.start();
        boolean ok = false;
        try (Observation.Scope ignored = obs.openScope()) {
            T result = call.get();
            ok = true;
            return result;
        } catch (RuntimeException | Error e) {
            obs.error(e);
            throw e;
        } finally {
            obs.lowCardinalityKeyValue("outcome", ok ? "success" : "failure");
            obs.stop();
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            boolean success = ok;
            for (DocRagListener l : listeners) {
                safely(() -> l.embedded(kind, texts, tokens, took, success));
            }
        }
    }

    private static void safely(Runnable notification) {
        try {
            notification.run();
        } catch (RuntimeException e) {
            LOG.warn("A DocRagListener failed; the call it observed is not affected", e);
        }
    }
}
