package dev.docrag.index;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The seed of a randomized test: {@code -Dtests.seed=N} (decimal, or hex with 0x) reproduces a
 * failure; otherwise a fresh one. Tests put {@link #describe(long)} in every assertion message.
 */
final class TestSeeds {
    private TestSeeds() {
    }

    static long seed() {
        String given = System.getProperty("tests.seed");
        return given == null || given.isBlank() ? ThreadLocalRandom.current().nextLong() : Long.decode(given.strip());
    }

    static String describe(long seed) {
        return "seed " + seed + " (reproduce with -Dtests.seed=" + seed + ")";
    }

    /** A test body that takes its seed. */
    @FunctionalInterface
    interface Seeded {
        void run(long seed) throws Exception;
    }

    /**
     * Runs {@code body} with this run's seed; an exception escaping it fails the test naming the
     * seed (assertions name it themselves).
     */
    static void run(Seeded body) {
        long seed = seed();
        try {
            body.run(seed);
        } catch (Exception e) {
            throw new AssertionError("failed with " + describe(seed) + ": " + e, e);
        }
    }
}
