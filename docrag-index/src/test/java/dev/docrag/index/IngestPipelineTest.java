package dev.docrag.index;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The mechanics of {@link IngestPipeline}: memory bound, order, batching across documents,
 * failure attribution and shutdown. End to end (real index, real catalog) it is exercised by every
 * ingest test; {@link BoundedMemoryIngestTest} runs it on a corpus larger than the heap.
 */
class IngestPipelineTest {
    private static final UnaryOperator<Runnable> SAME_CONTEXT = r -> r;

    /** Document {@code d} has {@code n} texts "d:i"; its vectors encode d and i, so that a mix-up shows. */
    private static IngestPipeline.Prepared<Integer> doc(int d, int n) {
        return new IngestPipeline.Prepared<>(d, IntStream.range(0, n).mapToObj(i -> d + ":" + i).toList(), n);
    }

    private static List<float[]> vectors(List<String> texts) {
        return texts.stream().map(t -> {
            String[] p = t.split(":");
            return new float[]{Integer.parseInt(p[0]), Integer.parseInt(p[1])};
        }).toList();
    }

    @Test
    void keepsAtMostTheBudgetOfChunksInFlightWhileTheWriterIsSlow() {
        int budget = 50;
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        List<Integer> written = Collections.synchronizedList(new ArrayList<>());
        new IngestPipeline(budget, 20, 20, SAME_CONTEXT).run(200, d -> {
            maxInFlight.accumulateAndGet(inFlight.addAndGet(10), Math::max);
            return doc(d, 10);
        }, (texts, tokens) -> vectors(texts), (d, v) -> {
            sleep(1);
            written.add(d);
            inFlight.addAndGet(-10);
        }, (d, e) -> {
            throw new AssertionError("no embedding fails here", e);
        }, new AtomicBoolean());
        assertThat(written).containsExactlyElementsOf(IntStream.range(0, 200).boxed().toList());
        // Counted when prepared, before the document waits for permits: one document over the budget at most.
        assertThat(maxInFlight.get()).isBetween(budget, budget + 10);
    }

    @Test
    void aDocumentBiggerThanTheBudgetStillPassesAlone() {
        List<Integer> written = new ArrayList<>();
        new IngestPipeline(8, 4, 4, SAME_CONTEXT).run(3, d -> doc(d, d == 1 ? 100 : 3), (texts, tokens) -> vectors(texts),
                (d, v) -> {
                    assertThat(v).hasSize(d == 1 ? 100 : 3);
                    written.add(d);
                }, (d, e) -> {
                    throw new AssertionError(e);
                }, new AtomicBoolean());
        assertThat(written).containsExactly(0, 1, 2);
    }

    @Test
    void embedsSeveralDocumentsTogetherInSlicesSortedByLengthAndHandsEachItsOwnVectorsInOrder() {
        List<Integer> callSizes = Collections.synchronizedList(new ArrayList<>());
        List<Boolean> callsSorted = Collections.synchronizedList(new ArrayList<>());
        List<Integer> written = new ArrayList<>();
        IngestPipeline.Outcome outcome = new IngestPipeline(1000, 64, 16, SAME_CONTEXT).run(100,
                d -> d % 10 == 3 ? null : doc(d, 1 + d % 7), (texts, tokens) -> {
                    callSizes.add(texts.size());
                    boolean sorted = true;
                    for (int i = 1; i < texts.size(); i++) {
                        sorted &= texts.get(i - 1).length() <= texts.get(i).length();
                    }
                    callsSorted.add(sorted);
                    sleep(5); // a slow embedder: the prepare stage runs ahead, so groups fill up
                    return vectors(texts);
                }, (d, v) -> {
                    assertThat(v).hasSize(1 + d % 7);
                    for (int i = 0; i < v.size(); i++) {
                        assertThat(v.get(i)).containsExactly(d, i);
                    }
                    written.add(d);
                }, (d, e) -> {
                    throw new AssertionError(e);
                }, new AtomicBoolean());
        assertThat(written).containsExactlyElementsOf(IntStream.range(0, 100).filter(d -> d % 10 != 3).boxed().toList());
        assertThat(callSizes.stream().mapToInt(Integer::intValue).sum())
                .isEqualTo(IntStream.range(0, 100).filter(d -> d % 10 != 3).map(d -> 1 + d % 7).sum());
        assertThat(callSizes).allMatch(n -> n <= 16);
        assertThat(callSizes.stream().filter(n -> n == 16).count()).as("calls: %s", callSizes)
                .isGreaterThan(callSizes.size() / 2);
        assertThat(callsSorted).as("each call's texts are alike in length (sorted)").allMatch(b -> b);
        // Busy times: the embed stage slept 5 ms per call; the writer did next to nothing.
        assertThat(outcome.embedBusy().toMillis()).isGreaterThanOrEqualTo(5L * callSizes.size());
        assertThat(outcome.stopped()).isFalse();
    }

    @Test
    void aFailingCallIsRetriedPerDocumentAndOnlyTheCulpritFails() {
        List<Integer> written = new ArrayList<>();
        List<Integer> failed = Collections.synchronizedList(new ArrayList<>());
        new IngestPipeline(1000, 50, 50, SAME_CONTEXT).run(40, d -> doc(d, 5), (texts, tokens) -> {
            if (texts.contains("17:2")) {
                throw new IllegalStateException("cannot embed 17:2");
            }
            sleep(2);
            return vectors(texts);
        }, (d, v) -> written.add(d), (d, e) -> {
            assertThat(e).hasMessage("cannot embed 17:2");
            failed.add(d);
        }, new AtomicBoolean());
        assertThat(failed).containsExactly(17);
        assertThat(written).containsExactlyElementsOf(IntStream.range(0, 40).filter(d -> d != 17).boxed().toList());
    }

    @Test
    void anEmbedderReturningTooFewVectorsFailsTheDocumentNotTheCall() {
        List<Integer> written = new ArrayList<>();
        List<Integer> failed = new ArrayList<>();
        new IngestPipeline(1000, 1, 2, SAME_CONTEXT).run(3, d -> doc(d, 2),
                (texts, tokens) -> texts.contains("1:0") ? List.of(new float[2]) : vectors(texts),
                (d, v) -> written.add(d), (d, e) -> {
                    assertThat(e).hasMessageContaining("1 vectors for 2 texts");
                    failed.add(d);
                }, new AtomicBoolean());
        assertThat(written).containsExactly(0, 2);
        assertThat(failed).containsExactly(1);
    }

    @Test
    void aWriterFailureStopsTheOtherStagesAndIsRethrown() {
        AtomicInteger prepared = new AtomicInteger();
        RuntimeException disk = new IllegalStateException("no space left on device");
        assertThatThrownBy(() -> new IngestPipeline(20, 5, 5, SAME_CONTEXT).run(10_000, d -> {
            prepared.incrementAndGet();
            return doc(d, 5);
        }, (texts, tokens) -> vectors(texts), (d, v) -> {
            if (d == 7) {
                throw disk;
            }
        }, (d, e) -> {
        }, new AtomicBoolean())).isSameAs(disk);
        assertThat(prepared.get()).as("the prepare stage stopped early").isLessThan(100);
        assertNoStageThreadLeft();
    }

    @Test
    void aPrepareFailureIsRethrownAfterTheDocumentsBeforeItWereWritten() {
        List<Integer> written = Collections.synchronizedList(new ArrayList<>());
        RuntimeException catalogDown = new IllegalStateException("catalog unreachable");
        assertThatThrownBy(() -> new IngestPipeline(100, 10, 10, SAME_CONTEXT).run(50, d -> {
            if (d == 30) {
                throw catalogDown;
            }
            return doc(d, 2);
        }, (texts, tokens) -> vectors(texts), (d, v) -> written.add(d), (d, e) -> {
        }, new AtomicBoolean())).isSameAs(catalogDown);
        assertThat(written).isSubsetOf(IntStream.range(0, 30).boxed().toList());
        assertNoStageThreadLeft();
    }

    @Test
    void stagesRunInTheCallersContext() {
        ThreadLocal<String> context = new ThreadLocal<>();
        context.set("caller");
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        UnaryOperator<Runnable> carry = r -> () -> {
            context.set("caller");
            try {
                r.run();
            } finally {
                context.remove();
            }
        };
        new IngestPipeline(10, 5, 5, carry).run(3, d -> {
            seen.add("prepare:" + context.get());
            return doc(d, 1);
        }, (texts, tokens) -> {
            seen.add("embed:" + context.get());
            return vectors(texts);
        }, (d, v) -> seen.add("write:" + context.get()), (d, e) -> {
        }, new AtomicBoolean());
        assertThat(seen).allMatch(s -> s.endsWith(":caller")).anyMatch(s -> s.startsWith("embed:"))
                .anyMatch(s -> s.startsWith("write:"));
    }

    @Test
    void theStopFlagEndsTheRunEarlyWithWholeDocumentsInOrderAndNoStageInterrupted() {
        AtomicBoolean stop = new AtomicBoolean();
        List<Integer> written = new ArrayList<>();
        AtomicInteger stageInterrupts = new AtomicInteger();
        boolean stopped = new IngestPipeline(20, 5, 5, SAME_CONTEXT).run(10_000, d -> doc(d, 2), (texts, tokens) -> {
            sleep(2);
            stageInterrupts.addAndGet(Thread.currentThread().isInterrupted() ? 1 : 0);
            return vectors(texts);
        }, (d, v) -> {
            assertThat(v).hasSize(2);
            written.add(d);
            if (written.size() == 5) {
                stop.set(true);
            }
        }, (d, e) -> {
        }, stop).stopped();
        assertThat(stopped).isTrue();
        assertThat(written).containsExactly(0, 1, 2, 3, 4);
        assertThat(stageInterrupts.get()).isZero();
        assertNoStageThreadLeft();
    }

    @Test
    void aRunThatSettlesEveryDocumentDidNotStop() {
        AtomicBoolean stop = new AtomicBoolean();
        assertThat(new IngestPipeline(20, 5, 5, SAME_CONTEXT).run(0, d -> doc(d, 1), (texts, tokens) -> vectors(texts),
                (d, v) -> { }, (d, e) -> { }, stop).stopped()).isFalse();
        assertThat(new IngestPipeline(20, 5, 5, SAME_CONTEXT).run(30, d -> d % 2 == 0 ? null : doc(d, 1),
                (texts, tokens) -> vectors(texts), (d, v) -> { }, (d, e) -> { }, stop).stopped()).isFalse();
    }

    private static void assertNoStageThreadLeft() {
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("docrag-ingest-") && t.isAlive());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
