package dev.docrag.ops.backup;

import dev.docrag.core.embed.Embedder;
import dev.docrag.core.embed.ModelInfo;
import dev.docrag.index.DocRag;
import dev.docrag.index.DocumentInput;
import dev.docrag.ops.TestEmbedder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Backups to a directory of a real DocRag (Lucene index, H2 file catalog): take, verify, restore, prune. */
class BackupRestoreTest {
    private final TestEmbedder embedder = new TestEmbedder();

    @Test
    void backupIsIncrementalAndRestoresExactlyItsPointInTime(@TempDir Path tmp) throws Exception {
        Path live = tmp.resolve("live");
        BackupTarget repo = BackupTarget.filesystem(tmp.resolve("repo"));
        BackupReport first;
        BackupReport second;
        Map<Integer, Integer> atFirst = new HashMap<>();
        try (DocRag rag = Corpus.open(live, embedder);
             BackupManager backups = BackupManager.builder(rag).target(repo)
                     .goldenQueries(List.of(GoldenQuery.expecting(Corpus.TENANT, Corpus.marker(3, 1), "doc-3"))).build()) {
            // many segments, so that an update leaves most of them untouched
            for (int batch = 0; batch < 10; batch++) {
                List<DocumentInput> docs = new ArrayList<>();
                for (int i = batch * 10; i < batch * 10 + 10; i++) {
                    docs.add(Corpus.doc(i, 1));
                    atFirst.put(i, 1);
                }
                rag.upsert(docs);
            }
            first = backups.backup();
            assertThat(first.manifest().documents()).isEqualTo(100);
            assertThat(first.manifest().chunks()).isEqualTo(100);
            assertThat(first.manifest().modelId()).isEqualTo(embedder.model().id());
            assertThat(first.manifest().luceneVersion()).startsWith("10.");
            assertThat(first.manifest().catalog()).isNotNull();
            assertThat(first.filesReused()).isZero();
            assertThat(backups.lastSuccess()).isPresent();
            assertThat(backups.lastBytes()).hasValue(first.bytesStored());
            // each phase is timed, and together they fit in the whole (the rest is the manifest)
            assertThat(List.of(first.snapshotTook(), first.filesTook(), first.syncTook())).allMatch(d -> d.isPositive());
            assertThat(first.snapshotTook().plus(first.filesTook()).plus(first.syncTook())).isLessThanOrEqualTo(first.took());

            rag.upsert(Corpus.doc(5, 2));
            rag.delete(Corpus.TENANT, "doc-7");
            second = backups.backup();
            // unchanged segments are not stored again (at this tiny size a merge and the catalog
            // export dominate what changes; the benchmark measures the fraction at scale)
            assertThat(second.filesReused()).isPositive();
            assertThat(second.bytesStored()).isLessThan(first.bytesStored());
            assertThat(second.bytesStored() + reusedBytes(second, first)).isEqualTo(second.manifest().totalBytes());

            assertThat(backups.verify(first.id(), VerifyDepth.QUICK).files()).isEqualTo(first.manifest().allFiles().size());
            VerifyReport deep = backups.verify(second.id(), VerifyDepth.DEEP);
            assertThat(deep.checks()).anyMatch(c -> c.startsWith("CheckIndex"));
            assertThat(backups.lastVerification()).contains(deep.verifiedAt());
            assertThat(backups.lastVerificationFailed()).isFalse();
            assertThat(backups.list()).extracting(Manifest::id).containsExactly(first.id(), second.id());

            // the live DocRag is open: restoring over it is refused, nothing changes
            Map<String, String> before = Corpus.digest(live);
            assertThatThrownBy(() -> backups.restore(first.id(), live))
                    .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.problem()).isEqualTo(BackupException.Problem.IN_USE));
            assertThat(Corpus.digest(live)).isEqualTo(before);
            assertThat(rag.documentCount()).isEqualTo(99);
        }
        // restore the first backup over the (closed) live directory
        try (BackupManager restorer = BackupManager.builder().target(repo).embedder(embedder).build()) {
            RestoreReport r = restorer.restore(first.id(), live);
            assertThat(r.previous()).isPresent();
            assertThat(Files.isDirectory(r.previous().get())).isTrue();
            try (DocRag rag = Corpus.open(live, embedder)) {
                Corpus.assertHolds(rag, atFirst, 100);
            }
            // and the second into a directory that does not exist yet
            Path elsewhere = tmp.resolve("elsewhere");
            restorer.restore(second.id(), elsewhere);
            Map<Integer, Integer> atSecond = new HashMap<>(atFirst);
            atSecond.put(5, 2);
            atSecond.remove(7);
            try (DocRag rag = Corpus.open(elsewhere, embedder)) {
                Corpus.assertHolds(rag, atSecond, 100);
            }
        }
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".restore-"));
        }
    }

    @Test
    void backupWhileAnotherThreadIngestsAndDeletesRestoresTheSnapshotsWrite(@TempDir Path tmp) throws Exception {
        long seed = Long.getLong("tests.seed", System.nanoTime());
        Random random = new Random(seed);
        int universe = 30;
        Path live = tmp.resolve("live");
        BackupTarget repo = BackupTarget.filesystem(tmp.resolve("repo"));
        List<BackupReport> reports = new ArrayList<>();
        long seq0;
        // states.get(n) is the state after the n-th write call of the writer thread (0: before any)
        Map<Integer, Map<Integer, Integer>> states = new ConcurrentHashMap<>();
        try (DocRag rag = Corpus.open(live, embedder);
             BackupManager backups = BackupManager.builder(rag).target(repo).build()) {
            Corpus.fill(rag, universe);
            Map<Integer, Integer> state = new HashMap<>();
            for (int i = 0; i < universe; i++) {
                state.put(i, 1);
            }
            try (var snap = rag.snapshot()) {
                seq0 = snap.sequence();
            }
            states.put(0, Map.copyOf(state));
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long writerSeed = random.nextLong();
            Thread writer = new Thread(() -> {
                Random r = new Random(writerSeed);
                try {
                    for (int n = 1; !stop.get(); n++) {
                        int id = r.nextInt(universe);
                        if (r.nextInt(4) == 0) {
                            rag.delete(Corpus.TENANT, "doc-" + id);
                            state.remove(id);
                        } else {
                            int v = state.getOrDefault(id, 0) + 1;
                            rag.upsert(List.of(Corpus.doc(id, v)));
                            state.put(id, v);
                        }
                        states.put(n, Map.copyOf(state));
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "writer");
            writer.start();
            for (int i = 0; i < 4; i++) {
                Thread.sleep(random.nextInt(40));
                reports.add(backups.backup());
            }
            stop.set(true);
            writer.join();
            assertThat(failure.get()).as("writer failed (seed %d)", seed).isNull();
            assertThat(reports.get(3).manifest().sequence()).as("writes went on during backups").isGreaterThan(seq0);
        }
        try (BackupManager restorer = BackupManager.builder().target(repo).embedder(embedder).build()) {
            for (BackupReport b : reports) {
                Path dir = tmp.resolve("restored-" + b.id());
                restorer.restore(b.id(), dir);
                int n = (int) (b.manifest().sequence() - seq0);
                try (DocRag rag = Corpus.open(dir, embedder)) {
                    Corpus.assertHolds(rag, states.get(n), universe);
                }
            }
        }
    }

    @Test
    void restoreRefusesAnotherModelUnlessForcedAndNeverTouchesLiveData(@TempDir Path tmp) throws Exception {
        Path live = tmp.resolve("live");
        BackupTarget repo = BackupTarget.filesystem(tmp.resolve("repo"));
        String id;
        try (DocRag rag = Corpus.open(live, embedder); BackupManager b = BackupManager.builder(rag).target(repo).build()) {
            Corpus.fill(rag, 3);
            id = b.backup().id();
        }
        Map<String, String> before = Corpus.digest(live);
        Embedder other = new Embedder() {
            @Override
            public ModelInfo model() {
                return new ModelInfo("other-model", "x", 16, 64);
            }

            @Override
            public List<float[]> embedDocuments(List<String> texts) {
                return embedder.embedDocuments(texts);
            }

            @Override
            public float[] embedQuery(String text) {
                return embedder.embedQuery(text);
            }

            @Override
            public int countTokens(String text) {
                return embedder.countTokens(text);
            }

            @Override
            public void close() {
            }
        };
        try (BackupManager restorer = BackupManager.builder().target(repo).embedder(other).build()) {
            assertThatThrownBy(() -> restorer.restore(id, live))
                    .isInstanceOfSatisfying(BackupException.class, e -> {
                        assertThat(e.problem()).isEqualTo(BackupException.Problem.INCOMPATIBLE);
                        assertThat(e.getMessage()).contains("test-hash").contains("other-model");
                    });
        }
        assertThat(Corpus.digest(live)).isEqualTo(before);
        assertThatThrownBy(() -> BackupManager.builder().target(repo).embedder(embedder).build().restore("20990101T000000.000Z", live))
                .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.problem()).isEqualTo(BackupException.Problem.NOT_FOUND));
    }

    @Test
    void symbolicLinkLayoutSwapsGenerationsAtomically(@TempDir Path tmp) throws Exception {
        Path gen1 = Files.createDirectory(tmp.resolve("gen-1"));
        Path live = tmp.resolve("live");
        Files.createSymbolicLink(live, gen1.getFileName());
        BackupTarget repo = BackupTarget.filesystem(tmp.resolve("repo"));
        String id;
        try (DocRag rag = Corpus.open(live, embedder); BackupManager b = BackupManager.builder(rag).target(repo).build()) {
            Corpus.fill(rag, 4);
            id = b.backup().id();
            rag.delete(Corpus.TENANT, "doc-0");
        }
        try (BackupManager restorer = BackupManager.builder().target(repo).embedder(embedder).build()) {
            RestoreReport r = restorer.restore(id, live);
            assertThat(Files.isSymbolicLink(live)).isTrue();
            assertThat(live.toRealPath()).isEqualTo(r.generation().toRealPath());
            assertThat(r.previous()).contains(gen1);
        }
        try (DocRag rag = Corpus.open(live, embedder)) {
            assertThat(rag.documentCount()).isEqualTo(4);
        }
        try (DocRag old = Corpus.open(gen1, embedder)) {
            assertThat(old.documentCount()).isEqualTo(3); // the previous generation is kept as it was
        }
    }

    @Test
    void retentionAndDeleteNeverBreakTheBackupsThatRemain(@TempDir Path tmp) throws Exception {
        BackupTarget repo = BackupTarget.filesystem(tmp.resolve("repo"));
        MutableClock clock = new MutableClock(Instant.parse("2026-11-01T00:00:00Z"));
        List<String> ids = new ArrayList<>();
        try (DocRag rag = Corpus.open(tmp.resolve("live"), embedder);
             BackupManager backups = BackupManager.builder(rag).target(repo).clock(clock)
                     .retention(Retention.keepWithin(Duration.ofDays(7)).atLeast(2).atMost(3)).build()) {
            for (int i = 0; i < 5; i++) {
                rag.upsert(List.of(Corpus.doc(i, 1)));
                ids.add(backups.backup().id());
                Thread.sleep(2); // distinct ids
            }
            // all young: at most 3 kept
            PruneReport p = backups.prune();
            assertThat(p.deletedBackups()).containsExactly(ids.get(0), ids.get(1));
            assertThat(p.deletedFiles()).isPositive();
            for (String id : ids.subList(2, 5)) {
                backups.verify(id, VerifyDepth.QUICK);
            }
            // deleting the middle one keeps the others whole
            backups.delete(ids.get(3));
            backups.verify(ids.get(2), VerifyDepth.DEEP);
            backups.verify(ids.get(4), VerifyDepth.DEEP);
            // all old: at least 2 kept
            clock.now = Instant.now().plus(Duration.ofDays(30));
            assertThat(backups.prune().keptBackups()).containsExactlyInAnyOrder(ids.get(2), ids.get(4));
        }
        assertThatThrownBy(() -> Retention.keepWithin(Duration.ofDays(1)).atLeast(5).atMost(2))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void encryptedBackupsNeedTheirKey(@TempDir Path tmp) throws Exception {
        BackupTarget repo = BackupTarget.filesystem(tmp.resolve("repo"));
        byte[] k = new byte[32];
        new Random(1).nextBytes(k);
        BackupKey key = BackupKey.of(k);
        String id;
        try (DocRag rag = Corpus.open(tmp.resolve("live"), embedder);
             BackupManager backups = BackupManager.builder(rag).target(repo).encryptionKey(key).build()) {
            Corpus.fill(rag, 5);
            BackupReport r = backups.backup();
            id = r.id();
            assertThat(r.manifest().encryptionKeyId()).contains(key.id());
            backups.verify(id, VerifyDepth.DEEP);
        }
        // nothing readable at rest: the catalog export names the documents in clear text otherwise
        for (Path blob : Files.walk(tmp.resolve("repo/blobs")).filter(Files::isRegularFile).toList()) {
            assertThat(new String(Files.readAllBytes(blob), java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("doc-1");
        }
        byte[] wrong = k.clone();
        wrong[0] ^= 1;
        for (BackupManager m : List.of(BackupManager.builder().target(repo).embedder(embedder).encryptionKey(BackupKey.of(wrong)).build(),
                BackupManager.builder().target(repo).embedder(embedder).build())) {
            assertThatThrownBy(() -> m.verify(id, VerifyDepth.QUICK))
                    .isInstanceOfSatisfying(BackupException.class, e -> {
                        assertThat(e.problem()).isEqualTo(BackupException.Problem.WRONG_KEY);
                        assertThat(e.getMessage()).contains(key.id());
                    });
            assertThat(m.lastVerificationFailed()).isTrue();
        }
        Path restored = tmp.resolve("restored");
        BackupManager.builder().target(repo).embedder(embedder).encryptionKey(key).build().restore(id, restored);
        try (DocRag rag = Corpus.open(restored, embedder)) {
            assertThat(rag.documentCount()).isEqualTo(5);
        }
    }

    @Test
    void aSharedCatalogIsExportedAsRowsAndARestoreWithoutADatabaseImportsThemIntoH2(@TempDir Path tmp) throws Exception {
        // a shared catalog as a host would give it (H2 here, through the same JDBC path as PostgreSQL)
        String url = "jdbc:h2:file:" + tmp.resolve("shared").toAbsolutePath() + ";DB_CLOSE_ON_EXIT=FALSE";
        BackupTarget repo = BackupTarget.filesystem(tmp.resolve("repo"));
        Map<Integer, Integer> expected = new HashMap<>();
        String id;
        try (DocRag rag = DocRag.builder().directory(tmp.resolve("live")).embedder(embedder).catalogUrl(url, "sa", "").build();
             BackupManager b = BackupManager.builder(rag).target(repo).build()) {
            Corpus.fill(rag, 6);
            rag.delete(Corpus.TENANT, "doc-2");
            for (int i = 0; i < 6; i++) {
                if (i != 2) {
                    expected.put(i, 1);
                }
            }
            BackupReport r = b.backup();
            assertThat(r.manifest().catalog()).as("a logical export of the shared catalog").isNotNull();
            assertThat(r.manifest().catalog().name()).isEqualTo("catalog.rows.gz");
            assertThat(r.manifest().documents()).isEqualTo(5);
            id = r.id();
            b.verify(id, VerifyDepth.DEEP);
        }
        Path restored = tmp.resolve("restored");
        BackupManager.builder().target(repo).embedder(embedder).build().restore(id, restored);
        try (DocRag rag = Corpus.open(restored, embedder)) { // its own H2 catalog, imported from the rows
            Corpus.assertHolds(rag, expected, 6);
            assertThat(rag.metadataFields()).containsKey("version");
        }
        // the rows came back, the ingest-run history included (a rebuild from the index has none)
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:h2:file:" + restored.resolve("catalog").toAbsolutePath(), "sa", "");
             java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM ingest_runs")) {
            rs.next();
            assertThat(rs.getInt(1)).as("ingest runs restored").isPositive();
        }
    }

    @Test
    void aFailureBeforeTheSwapLeavesLiveUntouchedAndACrashBetweenTheRenamesIsCompletedByRecovery(@TempDir Path tmp) throws Exception {
        Path live = tmp.resolve("live");
        BackupTarget repo = BackupTarget.filesystem(tmp.resolve("repo"));
        String id;
        try (DocRag rag = Corpus.open(live, embedder); BackupManager b = BackupManager.builder(rag).target(repo).build()) {
            Corpus.fill(rag, 4);
            id = b.backup().id();
            rag.upsert(List.of(Corpus.doc(9, 1), Corpus.doc(0, 2))); // the live state differs from the backup
        }
        Map<String, String> before = Corpus.digest(live);

        // 1. a failure after the restored copy verified, before anything was swapped
        BackupManager failing = BackupManager.builder().target(repo).embedder(embedder).restoreHook(step -> {
            if (step.equals("verified")) {
                throw new java.io.IOException("injected failure at " + step);
            }
        }).build();
        assertThatThrownBy(() -> failing.restore(id, live)).hasMessageContaining("injected failure at verified");
        assertThat(Corpus.digest(live)).isEqualTo(before);
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("live", "repo");
        }

        // 2. a crash (nothing caught, nothing undone) between moving live aside and moving the copy in
        BackupManager crashing = BackupManager.builder().target(repo).embedder(embedder).restoreHook(step -> {
            if (step.equals("live-moved-aside")) {
                throw new IllegalStateException("simulated crash at " + step);
            }
        }).build();
        assertThatThrownBy(() -> crashing.restore(id, live)).hasMessageContaining("simulated crash");
        assertThat(live).doesNotExist();
        Path aside;
        try (Stream<Path> left = Files.list(tmp)) {
            aside = left.filter(p -> p.getFileName().toString().startsWith("live.before-restore-")).findFirst().orElseThrow();
        }
        assertThat(Corpus.digest(aside)).as("the live data, intact beside").isEqualTo(before);
        assertThat(tmp.resolve("live.restore-journal")).exists();
        // the next manager (or the next restore, which calls it first) completes the swap
        BackupManager next = BackupManager.builder().target(repo).embedder(embedder).build();
        assertThat(next.recoverInterruptedRestore(live)).isTrue();
        assertThat(tmp.resolve("live.restore-journal")).doesNotExist();
        try (DocRag rag = Corpus.open(live, embedder)) {
            Corpus.assertHolds(rag, Map.of(0, 1, 1, 1, 2, 1, 3, 1), 10);
        }
        assertThat(Corpus.digest(aside)).isEqualTo(before);
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("live.restore-"));
        }
    }

    @Test
    void theBuiltInSchedulerBacksUpAndPrunesUntilClosed(@TempDir Path tmp) throws Exception {
        BackupTarget repo = BackupTarget.filesystem(tmp.resolve("repo"));
        try (DocRag rag = Corpus.open(tmp.resolve("live"), embedder)) {
            Corpus.fill(rag, 2);
            BackupManager scheduled = BackupManager.builder(rag).target(repo).every(Duration.ofMillis(100))
                    .retention(Retention.keepWithin(Duration.ZERO).atLeast(2)).build();
            try (scheduled) {
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (scheduled.list().size() < 2 || scheduled.lastSuccess().isEmpty()) {
                    assertThat(System.nanoTime()).as("two scheduled backups within 30 s").isLessThan(deadline);
                    Thread.sleep(20);
                }
            }
            Thread.sleep(300); // closed: no more backups
            List<Manifest> after = BackupManager.builder().target(repo).build().list();
            Thread.sleep(300);
            assertThat(BackupManager.builder().target(repo).build().list()).hasSameSizeAs(after);
            assertThat(after.size()).isBetween(2, 3); // pruned to at least 2 after each run
        }
        assertThatThrownBy(() -> BackupManager.builder().target(repo).every(Duration.ofSeconds(1)).build())
                .isInstanceOf(IllegalStateException.class);
    }

    /** Bytes of {@code later}'s files that {@code earlier} already stored. */
    private static long reusedBytes(BackupReport later, BackupReport earlier) {
        var known = earlier.manifest().allFiles().stream().map(Manifest.FileEntry::sha256).collect(java.util.stream.Collectors.toSet());
        return later.manifest().allFiles().stream().filter(f -> known.contains(f.sha256())).mapToLong(Manifest.FileEntry::size).sum();
    }

    /** A clock a test moves. */
    static final class MutableClock extends Clock {
        volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
