package dev.docrag.benchmarks;

import java.util.Arrays;

/** Order statistics of repeated measurements. */
record Stats(double min, double median, double max) {
    static Stats of(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        return new Stats(v[0], median, v[n - 1]);
    }

    /** The value at quantile q (0..1), nearest rank. */
    static double quantile(double[] values, double q) {
        double[] v = values.clone();
        Arrays.sort(v);
        int rank = (int) Math.ceil(q * v.length);
        return v[Math.max(0, Math.min(v.length - 1, rank - 1))];
    }
}
