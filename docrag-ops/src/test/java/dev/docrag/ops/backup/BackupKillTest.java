package dev.docrag.ops.backup;

import dev.docrag.index.DocRag;
import dev.docrag.ops.TestEmbedder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 during a backup (a separate JVM, {@link BackupKillWorker}): the repository stays
 * consistent — every backup whose manifest exists verifies, an interrupted one simply does not
 * exist — and the next backup succeeds, reuses what the killed one stored, and restores.
 * {@code -Dtests.seed=N} repeats the kill times; {@code -Ddocrag.backup.kills=N} sets the cycles (3).
 */
class BackupKillTest {
    private final TestEmbedder embedder = new TestEmbedder();

    @Test
    void killedBackupsLeaveAConsistentRepositoryAndTheNextBackupIsIncremental(@TempDir Path tmp) throws Exception {
        long seed = Long.getLong("tests.seed", System.nanoTime());
        Random random = new Random(seed);
        int cycles = Integer.getInteger("docrag.backup.kills", 3);
        Path live = tmp.resolve("live");
        Path repo = tmp.resolve("repo");
        try (DocRag rag = Corpus.open(live, embedder)) {
            for (int batch = 0; batch < 6; batch++) {
                List<dev.docrag.index.DocumentInput> docs = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    docs.add(Corpus.doc(1000 + batch * 10 + i, 1));
                }
                rag.upsert(docs);
            }
            // One segment, so that the workers' few small segments do not set off a merge that
            // would rewrite it: the backup after the kills then has files to reuse. (Whether it
            // has any depends on merges; that it reuses all the repository holds does not.)
            rag.forceMerge(1);
            // a complete backup first, so that the one after the kills has something to build on
            try (BackupManager m = BackupManager.builder(rag).target(BackupTarget.filesystem(repo)).build()) {
                m.backup();
            }
        }
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        int killedInside = 0;
        int manifests = 1; // the complete backup above
        for (int cycle = 0; cycle < cycles; cycle++) {
            Path out = tmp.resolve("worker-" + cycle + ".log");
            Process child = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), BackupKillWorker.class.getName(),
                    live.toString(), repo.toString(), Integer.toString(cycle * 10))
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(out).contains("START")) {
                assertThat(child.isAlive()).as("worker died: %s", Files.readString(out)).isTrue();
                assertThat(System.nanoTime()).as("worker never started a backup").isLessThan(deadline);
                Thread.sleep(5);
            }
            Thread.sleep(random.nextInt(400));
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(137);
            String log = Files.readString(out);
            long started = log.lines().filter(l -> l.equals("START")).count();
            long done = log.lines().filter(l -> l.startsWith("DONE")).count();
            if (started > done) {
                killedInside++;
            }
            // Every backup that has a manifest is whole. The killed one has none, unless the kill landed
            // after its manifest was published but before the worker printed DONE: then it is complete.
            try (BackupManager m = BackupManager.builder().target(BackupTarget.filesystem(repo)).embedder(embedder).build()) {
                List<Manifest> all = m.list();
                assertThat(all.size()).as("seed %d, cycle %d: %s", seed, cycle, all)
                        .isBetween(manifests + (int) done, manifests + (int) started);
                manifests = all.size();
                for (Manifest b : all) {
                    m.verify(b.id(), VerifyDepth.QUICK);
                }
            }
        }
        assertThat(killedInside).as("at least one kill landed inside a backup (seed %d)", seed).isPositive();
        // The next backup succeeds and reuses the files that are there; prune clears the leftovers.
        try (DocRag rag = Corpus.open(live, embedder);
             BackupManager m = BackupManager.builder(rag).target(BackupTarget.filesystem(repo)).build()) {
            Set<String> stored;
            try (var blobs = Files.walk(repo.resolve("blobs"))) {
                stored = blobs.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
                        .collect(Collectors.toSet());
            }
            BackupReport next = m.backup();
            long present = next.manifest().allFiles().stream().filter(f -> stored.contains(f.sha256())).count();
            // every file the repository held (from the first backup or from killed ones) was reused, and only those
            assertThat(next.filesReused()).as("incremental after the kills (seed %d)", seed).isEqualTo((int) present).isPositive();
            m.verify(next.id(), VerifyDepth.DEEP);
            m.prune();
            try (var files = Files.walk(repo)) {
                assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".tmp-"));
            }
            assertThat(next.manifest().documents()).isEqualTo(rag.documentCount());
        }
    }
}
