package dev.docrag.benchmarks;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * This CPU's fp32 multiply-add peak as Java can reach it: each thread runs twelve independent
 * chains of vector fused multiply-adds in registers (the widest vectors the JIT offers; no memory
 * traffic), so the figure is the ceiling any fp32 matrix multiplication can approach here. It
 * turns an engine's achieved GFLOP/s into a share of what the machine can do.
 */
final class CpuPeak {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int CHAINS = 12;

    private CpuPeak() {
    }

    /** GFLOP/s of {@code threads} threads together, best of three runs after a warm-up. */
    static double fp32Gflops(int threads) throws InterruptedException {
        DoubleAdder sink = new DoubleAdder();
        for (int w = 0; w < 3; w++) {
            sink.add(chains(5_000_000L));
        }
        long iterations = 40_000_000L;
        double best = 0;
        for (int rep = 0; rep < 3; rep++) {
            List<Thread> running = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                Thread th = new Thread(() -> sink.add(chains(iterations)), "cpu-peak-" + t);
                th.start();
                running.add(th);
            }
            for (Thread th : running) {
                th.join();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            best = Math.max(best, (double) threads * iterations * CHAINS * SPECIES.length() * 2 / seconds / 1e9);
        }
        if (Double.isNaN(sink.sum())) { // keeps the work observable, so it cannot be optimised away
            throw new AssertionError();
        }
        return best;
    }

    private static float chains(long iterations) {
        FloatVector a = FloatVector.broadcast(SPECIES, 1.0000001f);
        FloatVector b = FloatVector.broadcast(SPECIES, 0.9999999f);
        FloatVector c0 = FloatVector.zero(SPECIES), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        FloatVector c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (long i = 0; i < iterations; i++) {
            c0 = a.fma(b, c0);
            c1 = a.fma(b, c1);
            c2 = a.fma(b, c2);
            c3 = a.fma(b, c3);
            c4 = a.fma(b, c4);
            c5 = a.fma(b, c5);
            c6 = a.fma(b, c6);
            c7 = a.fma(b, c7);
            c8 = a.fma(b, c8);
            c9 = a.fma(b, c9);
            c10 = a.fma(b, c10);
            c11 = a.fma(b, c11);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }
}
