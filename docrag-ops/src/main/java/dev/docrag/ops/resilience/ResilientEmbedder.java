package dev.docrag.ops.resilience;

import dev.docrag.core.embed.Embedder;
import dev.docrag.core.embed.EmbedderException;
import dev.docrag.core.embed.ModelInfo;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An {@link Embedder} that guards another one with resilience4j: a <b>retry</b> with exponential
 * backoff for transient failures only, a <b>circuit breaker</b> that stops calling a provider
 * that keeps failing, a <b>bulkhead</b> that bounds concurrent calls, and a <b>time limit</b> per
 * call. It matters most for remote providers and for a local runtime whose session hangs.
 *
 * <pre>{@code
 * ResilientEmbedder embedder = ResilientEmbedder.builder(remoteProvider)
 *         .queryTimeout(Duration.ofSeconds(2)).maxAttempts(3).build();
 * DocRag rag = DocRag.builder().directory(dir).embedder(embedder).build();
 * HealthRegistry health = HealthChecks.standard(rag);           // sees the breaker: DEGRADED while open
 * DocRagMetrics.of(rag).withCircuitBreaker(embedder).bindTo(registry);
 * }</pre>
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Order: retry ( circuit breaker ( bulkhead + time limit ( call ) ) ). Each attempt is one
 *       call the breaker records; a call the open breaker refuses, or the full bulkhead sheds, is
 *       not retried.</li>
 *   <li>Only failures the {@link FailureClassifier} calls transient are retried; a permanent one
 *       (a rejected credential) fails at once, and is still recorded by the breaker.</li>
 *   <li>Every failure surfaces as an {@link EmbedderException} (its cause is the original one,
 *       {@link CallNotPermittedException} while the breaker is open) except
 *       {@link IllegalArgumentException} — a text too long for the model is the caller's error: it
 *       passes through unchanged, is not retried and does not count against the breaker.</li>
 *   <li>A call past its time limit fails then, on the caller's thread; the delegate's call is not
 *       interrupted (interrupting a native session or a socket read can break it for good) and
 *       keeps its bulkhead slot until it really returns, so a hung provider cannot pile up
 *       threads: at most {@code maxConcurrentCalls} of them ever wait on it.</li>
 *   <li>{@link #countTokens}, {@link #tokenSpans} and {@link #model()} call the delegate directly:
 *       they are local tokenizer work that the chunker needs during ingestion.</li>
 *   <li>Thread-safe. {@link #close()} stops the call threads and closes the delegate.</li>
 * </ul>
 */
public final class ResilientEmbedder implements Embedder, CircuitBreakerState {
    private static final Logger LOG = LoggerFactory.getLogger(ResilientEmbedder.class);

    private final Embedder delegate;
    private final String name;
    private final FailureClassifier classifier;
    private final CircuitBreaker breaker;
    private final Retry retry;
    private final Bulkhead bulkhead;
    private final TimeLimiter queryLimit;
    private final TimeLimiter documentsLimit;
    private final ExecutorService calls;

    private ResilientEmbedder(Builder b) {
        this.delegate = b.delegate;
        this.name = b.name;
        this.classifier = b.classifier;
        this.breaker = CircuitBreaker.of(name, CircuitBreakerConfig.custom()
                .failureRateThreshold(b.failureRateThreshold)
                .slidingWindow(b.slidingWindowSize, b.minimumCalls, CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .waitDurationInOpenState(b.openFor)
                .permittedNumberOfCallsInHalfOpenState(b.halfOpenCalls)
                // caller errors and load shedding say nothing about the provider's health
                .recordException(e -> !(e instanceof IllegalArgumentException) && !(e instanceof BulkheadFullException))
                .clock(b.clock)
                .build());
        this.retry = Retry.of(name, RetryConfig.custom()
                .maxAttempts(b.maxAttempts)
                .intervalFunction(IntervalFunction.ofExponentialBackoff(b.backoff, 2.0, b.maxBackoff))
                .retryOnException(e -> !(e instanceof CallNotPermittedException) && !(e instanceof BulkheadFullException)
                        && !(e instanceof IllegalArgumentException) && classifier.isTransient(e))
                .build());
        this.bulkhead = Bulkhead.of(name, BulkheadConfig.custom()
                .maxConcurrentCalls(b.maxConcurrentCalls).maxWaitDuration(b.maxWait).build());
        this.queryLimit = TimeLimiter.of(name + "-query", TimeLimiterConfig.custom()
                .timeoutDuration(b.queryTimeout).cancelRunningFuture(false).build());
        this.documentsLimit = TimeLimiter.of(name + "-documents", TimeLimiterConfig.custom()
                .timeoutDuration(b.documentsTimeout).cancelRunningFuture(false).build());
        // Platform threads: a native embedding call would pin a virtual thread's carrier anyway.
        // Unbounded here, bounded in effect by the bulkhead's permits.
        AtomicInteger n = new AtomicInteger();
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, "docrag-embed-" + name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.calls = Executors.newCachedThreadPool(threads);
        breaker.getEventPublisher().onStateTransition(e ->
                LOG.warn("Embedder circuit breaker '{}': {}", name, e.getStateTransition()));
    }

    /** A builder around {@code delegate}, whose defaults suit a remote provider (see each setter). */
    public static Builder builder(Embedder delegate) {
        return new Builder(delegate);
    }

    @Override
    public ModelInfo model() {
        return delegate.model();
    }

    @Override
    public List<float[]> embedDocuments(List<String> texts) {
        return call(documentsLimit, () -> delegate.embedDocuments(texts));
    }

    @Override
    public float[] embedQuery(String text) {
        return call(queryLimit, () -> delegate.embedQuery(text));
    }

    @Override
    public int countTokens(String text) {
        return delegate.countTokens(text);
    }

    @Override
    public boolean splitsAtWhiteSpace() {
        return delegate.splitsAtWhiteSpace();
    }

    @Override
    public int[] tokenSpans(String text) {
        return delegate.tokenSpans(text);
    }

    /** The breaker's name, the {@code name} tag of {@code docrag.circuit.state}. */
    @Override
    public String name() {
        return name;
    }

    /** The breaker's state; forced open counts as OPEN, disabled and metrics-only as CLOSED. */
    @Override
    public State state() {
        return switch (breaker.getState()) {
            case OPEN, FORCED_OPEN -> State.OPEN;
            case HALF_OPEN -> State.HALF_OPEN;
            case CLOSED, DISABLED, METRICS_ONLY -> State.CLOSED;
        };
    }

    /**
     * Opens the breaker until {@link #reset()}, whatever calls would say: for an operator or an
     * incident handler that sheds load from a provider (searches then degrade to keyword-only).
     */
    public void forceOpen() {
        breaker.transitionToForcedOpenState();
    }

    /** Closes the breaker and forgets the failures it counted. */
    public void reset() {
        breaker.transitionToClosedState();
    }

    /** Whether the breaker was {@link #forceOpen() forced open}. */
    @Override
    public boolean isForcedOpen() {
        return breaker.getState() == CircuitBreaker.State.FORCED_OPEN;
    }

    /**
     * The resilience4j breaker itself, for a host that binds its events or resilience4j's own
     * Micrometer metrics. Changing its state here has the same effect as {@link #forceOpen()}.
     */
    public CircuitBreaker circuitBreaker() {
        return breaker;
    }

    private <T> T call(TimeLimiter limit, Callable<T> work) {
        Callable<T> limited = () -> limited(limit, work);
        Callable<T> guarded = Retry.decorateCallable(retry, CircuitBreaker.decorateCallable(breaker, limited));
        try {
            return guarded.call();
        } catch (IllegalArgumentException | EmbedderException e) {
            throw e;
        } catch (CallNotPermittedException e) {
            throw EmbedderException.transientFailure("the embedder's circuit breaker '" + name + "' is open; not calling it", e);
        } catch (BulkheadFullException e) {
            throw EmbedderException.transientFailure("embedder '" + name + "' is at its limit of "
                    + bulkhead.getBulkheadConfig().getMaxConcurrentCalls() + " concurrent calls; this one was shed", e);
        } catch (TimeoutException e) {
            throw EmbedderException.transientFailure("embedder '" + name + "' did not answer within "
                    + limit.getTimeLimiterConfig().getTimeoutDuration().toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EmbedderException.transientFailure("interrupted while waiting for embedder '" + name + "'", e);
        } catch (Exception e) {
            throw new EmbedderException("embedder '" + name + "' failed: " + e.getMessage(), classifier.isTransient(e), e);
        }
    }

    /** One attempt: a bulkhead slot held until the delegate really returns, and a time limit on waiting for it. */
    private <T> T limited(TimeLimiter limit, Callable<T> work) throws Exception {
        if (!bulkhead.tryAcquirePermission()) {
            throw BulkheadFullException.createBulkheadFullException(bulkhead);
        }
        CompletableFuture<T> future = new CompletableFuture<>();
        try {
            calls.execute(() -> {
                try {
                    future.complete(work.call());
                } catch (Throwable t) {
                    future.completeExceptionally(t);
                } finally {
                    bulkhead.onComplete();
                }
            });
        } catch (RejectedExecutionException e) {
            bulkhead.releasePermission();
            throw new IllegalStateException("embedder '" + name + "' is closed", e);
        }
        return limit.executeFutureSupplier(() -> future);
    }

    @Override
    public void close() {
        calls.shutdownNow();
        delegate.close();
    }

    @Override
    public String toString() {
        return "ResilientEmbedder[" + name + ", " + breaker.getState() + ", " + delegate.model().id() + "]";
    }

    /**
     * Configures a {@link ResilientEmbedder}. Setters reject bad values at once; {@link #build()}
     * rejects bad combinations.
     */
    public static final class Builder {
        private final Embedder delegate;
        private String name = "embedder";
        private FailureClassifier classifier = FailureClassifier.defaults();
        private Duration queryTimeout = Duration.ofSeconds(2);
        private Duration documentsTimeout = Duration.ofSeconds(60);
        private int maxAttempts = 3;
        private Duration backoff = Duration.ofMillis(100);
        private Duration maxBackoff = Duration.ofSeconds(5);
        private int maxConcurrentCalls = 16;
        private Duration maxWait = Duration.ofMillis(100);
        private float failureRateThreshold = 50;
        private int slidingWindowSize = 20;
        private int minimumCalls = 10;
        private Duration openFor = Duration.ofSeconds(30);
        private int halfOpenCalls = 3;
        private Clock clock = Clock.systemUTC();

        private Builder(Embedder delegate) {
            this.delegate = Objects.requireNonNull(delegate, "delegate");
        }

        /** The breaker's name and metric tag; default {@code embedder}. Keep it short and fixed. */
        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            if (!name.matches("[a-z0-9_.-]{1,40}")) {
                throw new IllegalArgumentException("name must be 1-40 of [a-z0-9_.-] (it becomes a metric tag), got " + name);
            }
            this.name = name;
            return this;
        }

        /** Which failures are retried; default {@link FailureClassifier#defaults()}. */
        public Builder classifier(FailureClassifier classifier) {
            this.classifier = Objects.requireNonNull(classifier, "classifier");
            return this;
        }

        /**
         * How long a search waits for its query's embedding, per attempt; default 2 s — below the
         * embedder health check's 5 s, so that the check sees the time limit, not its own timeout.
         */
        public Builder queryTimeout(Duration timeout) {
            this.queryTimeout = positive("queryTimeout", timeout);
            return this;
        }

        /** How long one batch of document chunks may take to embed, per attempt; default 60 s. */
        public Builder documentsTimeout(Duration timeout) {
            this.documentsTimeout = positive("documentsTimeout", timeout);
            return this;
        }

        /** Attempts per call, the first included, 1..10; default 3. 1 turns retries off. */
        public Builder maxAttempts(int attempts) {
            if (attempts < 1 || attempts > 10) {
                throw new IllegalArgumentException("maxAttempts must be 1..10, got " + attempts);
            }
            this.maxAttempts = attempts;
            return this;
        }

        /** The wait before the second attempt, doubled for each later one up to {@code max}; default 100 ms, 5 s. */
        public Builder backoff(Duration initial, Duration max) {
            this.backoff = positive("backoff", initial);
            this.maxBackoff = positive("maxBackoff", max);
            return this;
        }

        /**
         * The bulkhead: at most {@code calls} concurrent calls to the delegate; a call that finds
         * none free within {@code maxWait} is shed. Default 16 and 100 ms.
         */
        public Builder maxConcurrentCalls(int calls, Duration maxWait) {
            if (calls < 1) {
                throw new IllegalArgumentException("maxConcurrentCalls must be at least 1, got " + calls);
            }
            Objects.requireNonNull(maxWait, "maxWait");
            if (maxWait.isNegative()) {
                throw new IllegalArgumentException("maxWait must not be negative, got " + maxWait);
            }
            this.maxConcurrentCalls = calls;
            this.maxWait = maxWait;
            return this;
        }

        /**
         * The breaker opens when at least {@code percent} of the last {@code window} calls failed,
         * once {@code minimumCalls} were recorded; it stays open for {@code openFor}, then lets
         * {@code halfOpenCalls} trial calls decide. Defaults: 50 %, 20, 10, 30 s, 3.
         */
        public Builder circuitBreaker(float percent, int window, int minimumCalls, Duration openFor, int halfOpenCalls) {
            if (!(percent > 0 && percent <= 100)) {
                throw new IllegalArgumentException("failure rate threshold must be in (0, 100], got " + percent);
            }
            if (window < 1 || minimumCalls < 1 || halfOpenCalls < 1) {
                throw new IllegalArgumentException("window, minimumCalls and halfOpenCalls must be at least 1");
            }
            this.failureRateThreshold = percent;
            this.slidingWindowSize = window;
            this.minimumCalls = minimumCalls;
            this.openFor = positive("openFor", openFor);
            this.halfOpenCalls = halfOpenCalls;
            return this;
        }

        /** The clock the breaker measures {@code openFor} with; tests pass a fake one. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        private static Duration positive(String what, Duration d) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, got " + d);
            }
            return d;
        }

        /** The embedder; it owns the delegate from now on (closing it closes the delegate). */
        public ResilientEmbedder build() {
            if (minimumCalls > slidingWindowSize) {
                throw new IllegalArgumentException("minimumCalls (" + minimumCalls + ") must not exceed the window ("
                        + slidingWindowSize + "): the breaker could never open");
            }
            if (maxBackoff.compareTo(backoff) < 0) {
                throw new IllegalArgumentException("maxBackoff " + maxBackoff + " is below the initial backoff " + backoff);
            }
            return new ResilientEmbedder(this);
        }
    }
}
