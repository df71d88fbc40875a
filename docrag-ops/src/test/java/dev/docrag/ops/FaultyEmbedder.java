package dev.docrag.ops;

import dev.docrag.core.embed.Embedder;
import dev.docrag.core.embed.ModelInfo;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A fault injector around a real embedder: while a fault is set, calls fail with it or hang; the
 * tokenizer methods always work (they are local). Counts the calls that reached it.
 */
public final class FaultyEmbedder implements Embedder {
    private final Embedder real;
    private final AtomicInteger calls = new AtomicInteger();
    private volatile Supplier<RuntimeException> failure;
    private volatile int failuresLeft = Integer.MAX_VALUE;
    private volatile Duration hang;
    private volatile CountDownLatch release = new CountDownLatch(0);

    public FaultyEmbedder(Embedder real) {
        this.real = real;
    }

    public FaultyEmbedder() {
        this(new TestEmbedder());
    }

    /** Every later call throws what {@code failure} supplies. */
    public FaultyEmbedder failWith(Supplier<RuntimeException> failure) {
        return failWith(failure, Integer.MAX_VALUE);
    }

    /** The next {@code times} calls throw, the ones after work. */
    public FaultyEmbedder failWith(Supplier<RuntimeException> failure, int times) {
        this.failuresLeft = times;
        this.failure = failure;
        return this;
    }

    /** Every later call waits up to {@code d} (or until {@link #heal()}) before answering. */
    public FaultyEmbedder hang(Duration d) {
        this.release = new CountDownLatch(1);
        this.hang = d;
        return this;
    }

    /** No more faults; hung calls return now. */
    public FaultyEmbedder heal() {
        failure = null;
        hang = null;
        release.countDown();
        return this;
    }

    public int calls() {
        return calls.get();
    }

    private void fault() {
        calls.incrementAndGet();
        Duration h = hang;
        if (h != null) {
            try {
                release.await(h.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Supplier<RuntimeException> f = failure;
        if (f != null) {
            synchronized (this) {
                if (failuresLeft-- > 0) {
                    throw f.get();
                }
            }
        }
    }

    @Override
    public ModelInfo model() {
        return real.model();
    }

    @Override
    public List<float[]> embedDocuments(List<String> texts) {
        fault();
        return real.embedDocuments(texts);
    }

    @Override
    public float[] embedQuery(String text) {
        fault();
        return real.embedQuery(text);
    }

    @Override
    public int countTokens(String text) {
        return real.countTokens(text);
    }

    @Override
    public void close() {
        heal();
        real.close();
    }
}
