package dev.docrag.index;

import dev.docrag.core.DocRagException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/**
 * One write call's documents, moved through three stages that overlap: <em>prepare</em> (load,
 * redact, hash, skip if unchanged, chunk; its own thread), <em>embed</em> (its own thread) and
 * <em>write</em> (into the index, on the calling thread: DocRag's write thread).
 * Embedding is nearly all of an ingest's work; the other stages run while the embedder works, so
 * that they add little to the call's time (see {@code benchmarks/run ingest}).
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>Bounded memory.</b> A document holds permits for its chunks (at most the whole budget)
 *       from the moment it is prepared until it is written or has failed, so at most
 *       {@code budgetChunks} chunks (or one document bigger than that) are in flight between the
 *       stages whatever the corpus' size.</li>
 *   <li><b>Order.</b> Documents are written in input order: a document given twice ends at its
 *       last version, as if the stages ran one after the other.</li>
 *   <li><b>Batching across documents.</b> The embed stage gathers the chunks of several
 *       documents (at least {@code groupChunks} when that many are ready; it never waits for more
 *       while the embedder could work), sorts their texts by length and gives them to the embedder
 *       in slices of {@code sliceChunks}: texts alike in length pad less (measured: groups of 256
 *       chunks in one call each embedded about 8% slower than one sorted call over 2,099 chunks), and
 *       a stop waits for one slice at most. When a call fails, each of its documents is embedded
 *       again on its own, so that a failure is attributed to the document that causes it and the
 *       others proceed.</li>
 *   <li><b>Failure.</b> A stage that throws (a catalog or index failure, not a document's fault)
 *       stops the others; {@link #run} rethrows it on the calling thread once both helper threads
 *       have ended, so nothing of the call keeps running after it returns.</li>
 *   <li><b>Stopping.</b> The caller's stop flag ends the run early, whole documents only.</li>
 * </ul>
 */
final class IngestPipeline {
    private static final Logger LOG = LoggerFactory.getLogger(IngestPipeline.class);
    /** Marks the end of a stage's output. */
    private static final Object END = new Object();
    /** How often a waiting stage looks whether it should stop. */
    private static final long WAKE_MILLIS = 50;

    /**
     * A document ready to embed: what the write stage needs, the texts that stand for its chunks,
     * and the chunks' own token count (for the embedder's observation).
     */
    record Prepared<D>(D document, List<String> texts, long tokens) {
        Prepared {
            Objects.requireNonNull(document, "document");
            texts = List.copyOf(texts);
        }
    }

    /** Embeds texts that stand for chunks of {@code tokens} tokens. */
    @FunctionalInterface
    interface Embedding {
        List<float[]> embed(List<String> texts, long tokens);
    }

    /** Writes one embedded document into the index (or records why it could not). */
    @FunctionalInterface
    interface Writer<D> {
        void write(D document, List<float[]> vectors);
    }

    /** Records a document whose embedding failed on its own. */
    @FunctionalInterface
    interface EmbeddingFailure<D> {
        void failed(D document, RuntimeException cause);
    }

    /**
     * How a run ended, and how long each stage was busy (not waiting): where an ingest's time goes.
     *
     * @param stopped whether the run stopped before every document was settled
     */
    record Outcome(boolean stopped, Duration prepareBusy, Duration embedBusy, Duration writeBusy) {
    }

    private final int budgetChunks;
    private final int groupChunks;
    private final int sliceChunks;
    private final UnaryOperator<Runnable> context;

    /**
     * @param budgetChunks chunks allowed in flight between the stages
     * @param groupChunks  chunks the embed stage gathers into one group when that many are ready
     * @param sliceChunks  chunks per embedder call within a group (sorted by length first)
     * @param context      wraps each helper thread's work, so that it runs in the caller's context
     *                     (its observation), as it did when every stage ran on the caller's thread
     */
    IngestPipeline(int budgetChunks, int groupChunks, int sliceChunks, UnaryOperator<Runnable> context) {
        if (budgetChunks < 1 || groupChunks < 1 || sliceChunks < 1) {
            throw new IllegalArgumentException("budget, group and slice must be positive: " + budgetChunks + ", "
                    + groupChunks + ", " + sliceChunks);
        }
        this.sliceChunks = sliceChunks;
        this.budgetChunks = budgetChunks;
        this.groupChunks = groupChunks;
        this.context = Objects.requireNonNull(context, "context");
    }

    /**
     * Runs {@code items} documents through the stages: {@code prepare.apply(i)} for i in
     * {@code 0..items-1}, in order, on the prepare thread (null: nothing to embed, e.g. unchanged
     * or failed, which the preparer records itself); {@code embed} on the embed thread;
     * {@code writer} on the calling thread. Returns when every document has been written or has
     * failed, or soon after {@code stop} was set: then nothing more is prepared or written, the
     * document being written is finished (each is written whole), and the stages end within one
     * embedder call. No stage is ever interrupted: an interrupt inside Lucene's or a file's I/O
     * would close the channel it was using.
     *
     * @return whether the run stopped before every document was settled, and the stages' busy times
     * @throws RuntimeException what a stage threw; the call's other documents are then not all
     *                          written, and the caller must discard what was staged
     */
    <D> Outcome run(int items, IntFunction<Prepared<D>> prepare, Embedding embed, Writer<D> writer,
                    EmbeddingFailure<D> embeddingFailed, AtomicBoolean stop) {
        Semaphore budget = new Semaphore(budgetChunks);
        BlockingQueue<Object> prepared = new LinkedBlockingQueue<>();
        BlockingQueue<Object> embedded = new LinkedBlockingQueue<>();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        // The stages stop on the caller's request or on a failure; the caller's flag is its own.
        AtomicBoolean halt = new AtomicBoolean();

        // Set by a stage that leaves work undone (stopped or halted): the run did not settle every document.
        AtomicBoolean cut = new AtomicBoolean();
        AtomicLong prepareNanos = new AtomicLong();
        AtomicLong embedNanos = new AtomicLong();
        long writeNanos = 0;

        Thread preparer = Thread.ofPlatform().name("docrag-ingest-prepare").daemon().unstarted(context.apply(() -> {
            try {
                for (int i = 0; i < items; i++) {
                    if (halted(stop, halt)) {
                        cut.set(true);
                        return;
                    }
                    long t0 = System.nanoTime();
                    Prepared<D> p = prepare.apply(i);
                    prepareNanos.addAndGet(System.nanoTime() - t0);
                    if (p == null) {
                        continue;
                    }
                    while (!budget.tryAcquire(permits(p), WAKE_MILLIS, TimeUnit.MILLISECONDS)) {
                        if (halted(stop, halt)) {
                            cut.set(true);
                            return;
                        }
                    }
                    prepared.add(p);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // not expected: no one interrupts the stages
            } catch (RuntimeException | Error e) {
                fail(failure, halt, e);
            } finally {
                prepared.add(END);
            }
        }));
        Thread embedder = Thread.ofPlatform().name("docrag-ingest-embed").daemon().unstarted(context.apply(() -> {
            try {
                if (!embedStage(prepared, embedded, budget, timed(embed, embedNanos), embeddingFailed, stop, halt)) {
                    cut.set(true);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException | Error e) {
                fail(failure, halt, e);
            } finally {
                embedded.add(END);
            }
        }));
        preparer.start();
        embedder.start();
        try {
            while (true) {
                if (halted(stop, halt)) {
                    cut.set(true);
                    break;
                }
                Object next = embedded.poll(WAKE_MILLIS, TimeUnit.MILLISECONDS);
                if (next == END) {
                    break;
                }
                if (next == null) {
                    continue;
                }
                @SuppressWarnings("unchecked")
                Done<D> done = (Done<D>) next;
                long t0 = System.nanoTime();
                try {
                    writer.write(done.prepared().document(), done.vectors());
                } finally {
                    writeNanos += System.nanoTime() - t0;
                    budget.release(permits(done.prepared()));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(failure, halt, new DocRagException("the ingest's write stage was interrupted", e));
        } catch (RuntimeException | Error e) {
            fail(failure, halt, e);
        } finally {
            halt.set(true); // ends the other stages if the writer stopped first; harmless after END
            joinQuietly(embedder);
            joinQuietly(preparer);
        }
        RuntimeException e = failure.get();
        if (e != null) {
            throw e;
        }
        return new Outcome(cut.get(), Duration.ofNanos(prepareNanos.get()), Duration.ofNanos(embedNanos.get()),
                Duration.ofNanos(writeNanos));
    }

    private static Embedding timed(Embedding embed, AtomicLong nanos) {
        return (texts, tokens) -> {
            long t0 = System.nanoTime();
            try {
                return embed.embed(texts, tokens);
            } finally {
                nanos.addAndGet(System.nanoTime() - t0);
            }
        };
    }

    private static boolean halted(AtomicBoolean stop, AtomicBoolean halt) {
        return stop.get() || halt.get();
    }

    private record Done<D>(Prepared<D> prepared, List<float[]> vectors) {
    }

    /** @return true if it ended with every prepared document embedded or failed; false if stopped first */
    private <D> boolean embedStage(BlockingQueue<Object> in, BlockingQueue<Object> out, Semaphore budget,
                                Embedding embed, EmbeddingFailure<D> embeddingFailed,
                                AtomicBoolean stop, AtomicBoolean halt) throws InterruptedException {
        List<Prepared<D>> group = new ArrayList<>();
        int chunks = 0;
        boolean ended = false;
        while (!ended && !halted(stop, halt)) {
            // Wait only when there is nothing to embed; otherwise take what is ready, up to a group.
            Object next = group.isEmpty() ? in.poll(WAKE_MILLIS, TimeUnit.MILLISECONDS) : in.poll();
            if (next == END) {
                ended = true;
            } else if (next == null && group.isEmpty()) {
                continue;
            } else if (next != null) {
                @SuppressWarnings("unchecked")
                Prepared<D> p = (Prepared<D>) next;
                group.add(p);
                chunks += p.texts().size();
                if (chunks < groupChunks) {
                    continue;
                }
            }
            if (!group.isEmpty()) {
                if (!embedGroup(group, out, budget, embed, embeddingFailed, stop, halt)) {
                    return false;
                }
                group = new ArrayList<>();
                chunks = 0;
            }
        }
        return ended;
    }

    /**
     * Embeds a group's chunks: all their texts sorted by length, then given to the embedder in
     * slices of {@code sliceChunks}, so that each call's texts are alike in length (little padding,
     * as in one call over the whole group) while a stop waits for one slice at most. Emits each
     * document with its vectors in group order.
     *
     * @return false if the run was stopped before the group was done (its documents are dropped)
     */
    private <D> boolean embedGroup(List<Prepared<D>> group, BlockingQueue<Object> out, Semaphore budget,
                                   Embedding embed, EmbeddingFailure<D> embeddingFailed, AtomicBoolean stop, AtomicBoolean halt) {
        int n = 0;
        for (Prepared<D> p : group) {
            n += p.texts().size();
        }
        String[] texts = new String[n];
        long[] tokens = new long[n];
        int at = 0;
        for (Prepared<D> p : group) {
            int size = p.texts().size();
            for (int i = 0; i < size; i++) {
                texts[at + i] = p.texts().get(i);
                // The document's token count spread over its texts, exactly: for the embedder's observation.
                tokens[at + i] = p.tokens() / size + (i < p.tokens() % size ? 1 : 0);
            }
            at += size;
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> texts[i].length()));
        float[][] vectors = new float[n][];
        try {
            for (int from = 0; from < n; from += sliceChunks) {
                if (halted(stop, halt)) {
                    for (Prepared<D> p : group) {
                        budget.release(permits(p));
                    }
                    return false;
                }
                int to = Math.min(n, from + sliceChunks);
                List<String> slice = new ArrayList<>(to - from);
                long sliceTokens = 0;
                for (int k = from; k < to; k++) {
                    slice.add(texts[order[k]]);
                    sliceTokens += tokens[order[k]];
                }
                List<float[]> v = embed.embed(slice, sliceTokens);
                checkCount(v, slice.size());
                for (int k = from; k < to; k++) {
                    vectors[order[k]] = v.get(k - from);
                }
            }
        } catch (RuntimeException e) {
            if (group.size() == 1) {
                failed(group.get(0), e, budget, embeddingFailed);
                return true;
            }
            LOG.info("Embedding {} chunks of {} documents failed ({}); embedding each document on its own", n,
                    group.size(), e.getMessage());
            for (Prepared<D> p : group) {
                try {
                    List<float[]> own = embed.embed(p.texts(), p.tokens());
                    checkCount(own, p.texts().size());
                    out.add(new Done<>(p, own));
                } catch (RuntimeException single) {
                    failed(p, single, budget, embeddingFailed);
                }
            }
            return true;
        }
        at = 0;
        for (Prepared<D> p : group) {
            int size = p.texts().size();
            out.add(new Done<>(p, List.of(Arrays.copyOfRange(vectors, at, at + size))));
            at += size;
        }
        return true;
    }

    private <D> void failed(Prepared<D> p, RuntimeException e, Semaphore budget, EmbeddingFailure<D> embeddingFailed) {
        try {
            embeddingFailed.failed(p.document(), e);
        } finally {
            budget.release(permits(p));
        }
    }

    private static void checkCount(List<float[]> vectors, int texts) {
        if (vectors.size() != texts) {
            throw new IllegalStateException("the embedder returned " + vectors.size() + " vectors for " + texts + " texts");
        }
    }

    private int permits(Prepared<?> p) {
        return Math.max(1, Math.min(budgetChunks, p.texts().size()));
    }

    private static void fail(AtomicReference<RuntimeException> failure, AtomicBoolean halt, Throwable e) {
        RuntimeException r = e instanceof RuntimeException re ? re : new DocRagException("ingest stage failed: " + e, e);
        if (!failure.compareAndSet(null, r) && failure.get() != r) {
            failure.get().addSuppressed(e);
        }
        halt.set(true);
    }

    private static void joinQuietly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the stages must end before the caller's lock is released
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
