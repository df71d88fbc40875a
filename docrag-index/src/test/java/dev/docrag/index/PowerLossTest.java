package dev.docrag.index;

import dev.docrag.index.RandomWrites.Version;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Invariant 1 under a simulated power loss. DocRag writes at random through a
 * {@link PowerLossDirectory}; at a random file system event of a random write (often in the
 * middle of a Lucene commit) the test takes the image a power loss would leave: only index
 * files that were fsynced under a durable name, and a catalog that lost some or all of its
 * latest transactions. H2 does not fsync a commit (DocRag's {@code WRITE_DELAY=0} writes it to
 * the file at once, but H2 syncs only on close and compaction), so the catalog image is one of:
 * the live file copied at that moment, the file as it was before an earlier write, or no catalog
 * at all. DocRag then opens
 * the image, and {@link ConsistencyCheck} requires every acknowledged write, the in-flight one
 * either whole or not at all, and the catalog rebuilt to agree with the index.
 */
class PowerLossTest {
    private static final Logger LOG = LoggerFactory.getLogger(PowerLossTest.class);

    /** What the catalog keeps through the power loss. */
    enum CatalogLoss { CURRENT_FILE, EARLIER_FILE, NOTHING }

    @Test
    void everyAcknowledgedWriteSurvivesAPowerLossWhateverTheCatalogLost(@TempDir Path tmp) {
        TestSeeds.run(seed -> run(tmp, seed));
    }

    private void run(Path tmp, long seed) throws Exception {
        int rounds = Integer.getInteger("docrag.powerloss.rounds", 15);
        Random random = new Random(seed);
        Map<CatalogLoss, Integer> losses = new EnumMap<>(CatalogLoss.class);
        int inFlightRounds = 0;
        int acknowledged = 0;
        for (int round = 0; round < rounds; round++) {
            String context = TestSeeds.describe(seed) + ", round " + round;
            Path live = tmp.resolve("live-" + round);
            Path image = tmp.resolve("image-" + round);
            CatalogLoss loss = CatalogLoss.values()[random.nextInt(CatalogLoss.values().length)];
            losses.merge(loss, 1, Integer::sum);
            int lossWrite = 2 + random.nextInt(20);
            int lossEvent = 1 + random.nextInt(40);
            int snapshotWrite = random.nextInt(lossWrite + 1);
            RandomWrites writes = new RandomWrites(new Random(random.nextLong()), tmp.resolve("files-" + round), Map.of());

            AtomicReference<PowerLossDirectory> directory = new AtomicReference<>();
            AtomicBoolean taken = new AtomicBoolean();
            AtomicInteger countdown = new AtomicInteger(-1);
            Path earlier = tmp.resolve("earlier-" + round + ".mv.db");
            Runnable powerLoss = () -> {
                if (taken.compareAndSet(false, true)) {
                    directory.get().image(image.resolve("index"));
                    copy(live.resolve(IndexIdentity.FILE), image.resolve(IndexIdentity.FILE));
                    switch (loss) {
                        case CURRENT_FILE -> copy(live.resolve("catalog.mv.db"), image.resolve("catalog.mv.db"));
                        case EARLIER_FILE -> copy(earlier, image.resolve("catalog.mv.db"));
                        case NOTHING -> { }
                    }
                }
            };
            Map<String, Version> inFlight = Map.of();
            try (DocRag rag = DocRag.builder().directory(live).embedder(new HashEmbedder()).indexDirectoryWrapper(d -> {
                try {
                    PowerLossDirectory p = new PowerLossDirectory(d, live.resolve("index"));
                    p.onEvent(() -> {
                        if (countdown.get() > 0 && countdown.decrementAndGet() == 0) {
                            powerLoss.run();
                        }
                    });
                    directory.set(p);
                    return p;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).build()) {
                for (int n = 0; ; n++) {
                    RandomWrites.Op op = writes.next();
                    if (n == snapshotWrite) {
                        copy(live.resolve("catalog.mv.db"), earlier);
                    }
                    if (n == lossWrite) {
                        countdown.set(lossEvent);
                    }
                    op.call().run(rag);
                    if (n == lossWrite) {
                        if (taken.get()) {
                            inFlight = op.effects();
                            inFlightRounds++;
                        } else {
                            writes.acknowledge(op);
                            acknowledged++;
                            powerLoss.run();
                        }
                        break;
                    }
                    writes.acknowledge(op);
                    acknowledged++;
                }
            }
            try (DocRag reopened = DocRag.builder().directory(image).embedder(new HashEmbedder()).build()) {
                reopened.documentCount();
            }
            ConsistencyCheck.verify(image, writes.model(), inFlight, context + ", catalog " + loss + ", power lost at event "
                    + lossEvent + " of write " + lossWrite);
        }
        LOG.info("{} power losses ({}), {} in the middle of a write, after {} acknowledged writes; {}", rounds, losses,
                inFlightRounds, acknowledged, TestSeeds.describe(seed));
    }

    private static void copy(Path from, Path to) {
        try {
            Files.createDirectories(to.getParent());
            Files.copy(from, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
