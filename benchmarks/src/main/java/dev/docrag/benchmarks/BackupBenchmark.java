package dev.docrag.benchmarks;

import dev.docrag.core.embed.Embedder;
import dev.docrag.core.embed.ModelInfo;
import dev.docrag.index.DocRag;
import dev.docrag.index.DocumentInput;
import dev.docrag.ops.backup.BackupManager;
import dev.docrag.ops.backup.BackupReport;
import dev.docrag.ops.backup.BackupTarget;
import dev.docrag.ops.backup.GoldenQuery;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * {@code benchmarks/run backup}: backups of a DocRag directory on local disk, against a plain
 * copy of the same files in the same run.
 * <ul>
 *   <li><b>Full backup vs copy:</b> a backup into an empty repository (hash, store, manifest)
 *       against {@code Files.copy} of every file of the index and the H2 catalog into an empty
 *       directory; alternating, median of the rounds. {@code full_vs_copy_ratio} = copy time /
 *       backup time (goal at least 0.8: a backup at 80% of copy speed).</li>
 *   <li><b>Incremental:</b> 1% of the documents are updated (one upsert call), then a backup into
 *       the repository that holds the full one; repeated {@code rounds + 2} times, because whether
 *       an update triggers a large Lucene merge (which rewrites segments that then must be stored)
 *       varies: {@code incremental_bytes_fraction} = the median of bytes stored / bytes the full
 *       backup stored (goal at most 0.05), with each value and the maximum beside it.</li>
 *   <li><b>Restore + deep verify:</b> restoring the incremental backup into a new directory, which
 *       writes every file, imports the catalog, runs CheckIndex, opens DocRag, checks the counts
 *       and runs a golden query.</li>
 * </ul>
 * The index is built with a deterministic 384-dimension hash embedder (what is measured is file
 * handling, not embedding), in batches of 500 documents so that it has several segments.
 *
 * <p>On a shared machine every timing is disturbed by other work; each round runs the copy, the
 * synced copy and the backup back to back (alternating which comes first), and the result keeps
 * every round's figures, medians and minima: {@code full_vs_copy_ratio} is the ratio of medians
 * (the measure), {@code full_vs_copy_ratio_best} the ratio of minima (each side at its
 * least disturbed). Also measured: the snapshot alone ({@code DocRag.snapshot()}: the pinned
 * commit and the H2 catalog export under the write lock, which every backup pays first), and
 * this CPU's single-thread SHA-256 throughput, the upper bound of hashing. Each full backup's
 * {@link BackupReport} phases (snapshot, files, sync) are kept, and {@code
 * full_vs_copy_ratio_ceiling} is the plain copy's time over the least any backup could take with
 * the same consistency point and durability: the snapshot and sync phases plus SHA-256 of every
 * stored byte on all cores, reading and writing counted as free.
 *
 * <p>Options: {@code --docs N} (default 60000: at 20,000 a plain copy takes 0.1 s, too short to time on a shared machine), {@code --rounds R} (default 5), {@code --quick}
 * (3000 documents, 2 rounds; under a minute), {@code --dir DIR} (scratch, default a temp dir),
 * {@code --out FILE}.
 */
public final class BackupBenchmark {
    private static final double GOAL_RATIO = 0.8;
    private static final double GOAL_INCREMENTAL = 0.05;
    private static final String TENANT = "bench";

    public static void main(String[] args) throws IOException {
        int docs = 60_000;
        int rounds = 5;
        Path scratch = null;
        Path out = Path.of("benchmarks/results/backup.json");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--docs" -> docs = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--quick" -> {
                    docs = 3000;
                    rounds = 2;
                }
                case "--dir" -> scratch = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path root = scratch != null ? Files.createDirectories(scratch) : Files.createTempDirectory("docrag-backup-bench-");
        Embedder embedder = new HashEmbedder384();
        Path live = root.resolve("live");
        deleteTree(live);
        Random random = new Random(42);
        long t0 = System.nanoTime();
        try (DocRag rag = DocRag.builder().directory(live).embedder(embedder).build()) {
            for (int start = 0; start < docs; start += 500) {
                List<DocumentInput> batch = new ArrayList<>();
                for (int i = start; i < Math.min(docs, start + 500); i++) {
                    batch.add(doc(i, 1, random));
                }
                rag.upsert(batch);
            }
            System.out.printf(Locale.ROOT, "built %d documents in %.1f s: %d segments, %.1f MB index%n", docs,
                    (System.nanoTime() - t0) / 1e9, rag.segmentCount(), rag.stats().indexBytes() / 1e6);

            double shaMbS = sha256Throughput();
            double[] snapshotS = new double[rounds];
            double[] backupS = new double[rounds];
            double[] copyS = new double[rounds];
            double[] syncedS = new double[rounds];
            double[] phaseSnapshotS = new double[rounds];
            double[] phaseFilesS = new double[rounds];
            double[] phaseSyncS = new double[rounds];
            long fullBytes = 0;
            long dirBytes = 0;
            Path repo = null;
            for (int r = 0; r < rounds; r++) {
                Path copy = root.resolve("copy-" + r);
                Path repoR = root.resolve("repo-" + r);
                deleteTree(copy);
                deleteTree(repoR);
                for (int order = 0; order < 2; order++) {
                    if ((order + r) % 2 == 0) {
                        long c0 = System.nanoTime();
                        dirBytes = copyTree(live, copy, false);
                        copyS[r] = (System.nanoTime() - c0) / 1e9;
                        Path synced = root.resolve("synced-" + r);
                        deleteTree(synced);
                        long s0 = System.nanoTime();
                        copyTree(live, synced, true);
                        syncedS[r] = (System.nanoTime() - s0) / 1e9;
                        deleteTree(synced);
                    } else {
                        try (BackupManager m = BackupManager.builder(rag).target(BackupTarget.filesystem(repoR)).build()) {
                            long b0 = System.nanoTime();
                            BackupReport full = m.backup();
                            backupS[r] = (System.nanoTime() - b0) / 1e9;
                            fullBytes = full.bytesStored();
                            phaseSnapshotS[r] = full.snapshotTook().toNanos() / 1e9;
                            phaseFilesS[r] = full.filesTook().toNanos() / 1e9;
                            phaseSyncS[r] = full.syncTook().toNanos() / 1e9;
                        }
                    }
                }
                long p0 = System.nanoTime();
                try (var snap = rag.snapshot()) {
                    snapshotS[r] = (System.nanoTime() - p0) / 1e9;
                }
                System.out.printf(Locale.ROOT, "round %d/%d: copy %.3f s, copy+fsync %.3f s, full backup %.3f s (its phases: snapshot %.3f s,"
                        + " files %.3f s, sync %.3f s; snapshot alone %.3f s)%n",
                        r + 1, rounds, copyS[r], syncedS[r], backupS[r], phaseSnapshotS[r], phaseFilesS[r], phaseSyncS[r], snapshotS[r]);
                deleteTree(copy);
                if (r < rounds - 1) {
                    deleteTree(repoR);
                } else {
                    repo = repoR;
                }
            }
            Stats backup = Stats.of(backupS);
            Stats copy = Stats.of(copyS);
            Stats synced = Stats.of(syncedS);
            Stats snapshot = Stats.of(snapshotS);
            double ratio = copy.median() / backup.median();
            double syncedRatio = synced.median() / backup.median();
            double bestRatio = copy.min() / backup.min();
            double bestSyncedRatio = synced.min() / backup.min();
            Stats phaseSnapshot = Stats.of(phaseSnapshotS);
            Stats phaseFiles = Stats.of(phaseFilesS);
            Stats phaseSync = Stats.of(phaseSyncS);
            // the part of a backup that does what a copy does (read, hash, write), without the
            // consistency point before it and the durability after it
            double filesRatio = copy.median() / phaseFiles.median();
            // the fastest any backup could be that keeps the same consistency point and durability:
            // this run's snapshot and sync phases plus SHA-256 of every stored byte on all cores,
            // with reading and writing free
            int cores = Runtime.getRuntime().availableProcessors();
            double floorS = phaseSnapshot.median() + phaseSync.median() + fullBytes / 1e6 / shaMbS / cores;

            // incremental: update 1% of the documents in one call, then back up; several times,
            // since whether an update triggers a large merge (which rewrites segments) varies
            int changed = Math.max(1, docs / 100);
            int updates = rounds + 2;
            double[] fractions = new double[updates];
            BackupReport incremental = null;
            for (int u = 0; u < updates; u++) {
                List<DocumentInput> batch = new ArrayList<>();
                for (int i = 0; i < changed; i++) {
                    batch.add(doc(random.nextInt(docs), 2 + u, random));
                }
                rag.upsert(batch);
                try (BackupManager m = BackupManager.builder(rag).target(BackupTarget.filesystem(repo)).build()) {
                    incremental = m.backup();
                }
                fractions[u] = (double) incremental.bytesStored() / fullBytes;
                System.out.printf(Locale.ROOT, "incremental %d/%d after updating %d documents: stored %d of %d bytes (%.2f%% of the"
                        + " full backup), %d files reused, %d stored, %d segments%n", u + 1, updates, changed,
                        incremental.bytesStored(), incremental.manifest().totalBytes(), 100 * fractions[u],
                        incremental.filesReused(), incremental.filesStored(), rag.segmentCount());
            }
            Stats inc = Stats.of(fractions);
            double fraction = inc.median();
            long catalogBytes = incremental.manifest().catalog() == null ? 0 : incremental.manifest().catalog().size();

            Path restored = root.resolve("restored");
            deleteTree(restored);
            double restoreS;
            try (BackupManager m = BackupManager.builder().target(BackupTarget.filesystem(repo)).embedder(embedder)
                    .goldenQueries(List.of(GoldenQuery.of(TENANT, "topic 7 notes"))).build()) {
                long r0 = System.nanoTime();
                m.restore(incremental.id(), restored);
                restoreS = (System.nanoTime() - r0) / 1e9;
            }
            System.out.printf(Locale.ROOT, "restore + deep verify: %.2f s%n", restoreS);

            Map<String, Object> result = new LinkedHashMap<>();
            result.put("suite", "backup");
            result.put("date", LocalDate.now().toString());
            result.put("documents", docs);
            result.put("rounds", rounds);
            result.put("directory_bytes", dirBytes);
            result.put("full_backup_bytes", fullBytes);
            result.put("full_backup_s", Map.of("median", backup.median(), "min", backup.min(), "max", backup.max()));
            result.put("plain_copy_s", Map.of("median", copy.median(), "min", copy.min(), "max", copy.max()));
            result.put("synced_copy_s", Map.of("median", synced.median(), "min", synced.min(), "max", synced.max()));
            result.put("snapshot_s", Map.of("median", snapshot.median(), "min", snapshot.min(), "max", snapshot.max()));
            result.put("full_backup_s_each", java.util.Arrays.stream(backupS).boxed().toList());
            result.put("plain_copy_s_each", java.util.Arrays.stream(copyS).boxed().toList());
            result.put("synced_copy_s_each", java.util.Arrays.stream(syncedS).boxed().toList());
            result.put("full_backup_mb_s", fullBytes / 1e6 / backup.median());
            result.put("plain_copy_mb_s", dirBytes / 1e6 / copy.median());
            result.put("backup_phase_snapshot_s", Map.of("median", phaseSnapshot.median(), "min", phaseSnapshot.min(), "max", phaseSnapshot.max()));
            result.put("backup_phase_files_s", Map.of("median", phaseFiles.median(), "min", phaseFiles.min(), "max", phaseFiles.max()));
            result.put("backup_phase_sync_s", Map.of("median", phaseSync.median(), "min", phaseSync.min(), "max", phaseSync.max()));
            result.put("backup_phase_files_mb_s", fullBytes / 1e6 / phaseFiles.median());
            result.put("files_phase_vs_copy_ratio", filesRatio);
            result.put("full_backup_floor_s", floorS);
            result.put("full_vs_copy_ratio_ceiling", copy.median() / floorS);
            result.put("sha256_mb_s", shaMbS);
            result.put("full_vs_copy_ratio", ratio);
            result.put("full_vs_synced_copy_ratio", syncedRatio);
            result.put("full_vs_copy_ratio_best", bestRatio);
            result.put("full_vs_synced_copy_ratio_best", bestSyncedRatio);
            result.put("full_vs_copy_goal", GOAL_RATIO);
            result.put("updated_documents", changed);
            result.put("incremental_updates", updates);
            result.put("incremental_bytes_fraction_each", java.util.Arrays.stream(fractions).boxed().toList());
            result.put("incremental_bytes_fraction_max", inc.max());
            result.put("incremental_catalog_bytes", catalogBytes);
            result.put("incremental_bytes_fraction", fraction);
            result.put("incremental_goal", GOAL_INCREMENTAL);
            result.put("restore_verify_s", restoreS);
            result.put("machine", Runtime.getRuntime().availableProcessors() + " cores, shared");
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, Json.write(result));
            System.out.printf(Locale.ROOT, "%n| measure | value | goal |%n|---|---|---|%n"
                            + "| full backup vs plain copy (speed ratio) | %.2f (backup %.2f s [%.2f-%.2f], copy %.2f s [%.2f-%.2f], median of %d; ratio of minima %.2f) | >= %.1f |%n"
                            + "| full backup vs copy with fsync per file | %.2f (copy+fsync %.2f s [%.2f-%.2f]; ratio of minima %.2f) | - |%n"
                            + "| backup phases (medians): snapshot / files (read, hash, store) / sync | %.2f / %.2f / %.2f s; files phase vs plain copy %.2f (%.0f vs %.0f MB/s) | - |%n"
                            + "| ceiling: snapshot + sync phases + SHA-256 of every byte on %d cores, copying free | %.2f s, so at best %.2f of the plain copy's speed | - |%n"
                            + "| snapshot alone (commit pinned, H2 catalog exported under the write lock) | %.2f s [%.2f-%.2f] | - |%n"
                            + "| SHA-256, one thread | %.0f MB/s | - |%n"
                            + "| incremental bytes after 1%% updated (median of %d) | %.2f%% (max %.2f%%; full %d bytes; catalog export %d) | <= %.0f%% |%n"
                            + "| restore + deep verify | %.2f s | - |%n",
                    ratio, backup.median(), backup.min(), backup.max(), copy.median(), copy.min(), copy.max(), rounds, bestRatio, GOAL_RATIO,
                    syncedRatio, synced.median(), synced.min(), synced.max(), bestSyncedRatio,
                    phaseSnapshot.median(), phaseFiles.median(), phaseSync.median(), filesRatio, fullBytes / 1e6 / phaseFiles.median(),
                    dirBytes / 1e6 / copy.median(), cores, floorS, copy.median() / floorS,
                    snapshot.median(), snapshot.min(), snapshot.max(), shaMbS, updates, 100 * fraction, 100 * inc.max(),
                    fullBytes, catalogBytes, 100 * GOAL_INCREMENTAL, restoreS);
            System.out.println("wrote " + out);
        } finally {
            if (scratch == null) {
                deleteTree(root);
            }
        }
    }

    /** MB/s of one thread hashing 1 MiB blocks from memory: the ceiling of a backup's hashing. */
    private static double sha256Throughput() {
        try {
            byte[] block = new byte[1 << 20];
            new Random(7).nextBytes(block);
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            for (int i = 0; i < 256; i++) { // warm-up: the intrinsic is compiled in
                md.update(block);
            }
            double best = 0;
            for (int rep = 0; rep < 3; rep++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < 256; i++) {
                    md.update(block);
                }
                md.digest();
                best = Math.max(best, 256 * 1.048576 / ((System.nanoTime() - t0) / 1e9));
            }
            return best;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static DocumentInput doc(int id, int version, Random random) {
        StringBuilder text = new StringBuilder("Notes on topic ").append(id).append(", revision ").append(version).append(". ");
        for (int w = 0; w < 60; w++) {
            text.append("word").append(random.nextInt(5000)).append(' ');
        }
        return DocumentInput.builder(TENANT, "doc-" + id).title("Document " + id).text(text.toString()).build();
    }

    /** Copies every file (not the lock); with {@code sync}, each file is fsynced as a durable copy must be. */
    private static long copyTree(Path from, Path to, boolean sync) throws IOException {
        long[] bytes = {0};
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir)));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (!file.getFileName().toString().equals("write.lock")) {
                    Path dest = to.resolve(from.relativize(file));
                    Files.copy(file, dest);
                    if (sync) {
                        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dest,
                                java.nio.file.StandardOpenOption.WRITE)) {
                            ch.force(true);
                        }
                    }
                    bytes[0] += attrs.size();
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return bytes[0];
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** 384 dimensions like MiniLM, from word hashes: deterministic and fast. */
    private static final class HashEmbedder384 implements Embedder {
        private static final int DIM = 384;
        private final ModelInfo model = new ModelInfo("bench-hash-384", "1", DIM, 256);

        @Override
        public ModelInfo model() {
            return model;
        }

        @Override
        public List<float[]> embedDocuments(List<String> texts) {
            return texts.stream().map(HashEmbedder384::embed).toList();
        }

        @Override
        public float[] embedQuery(String text) {
            return embed(text);
        }

        @Override
        public int countTokens(String text) {
            String t = text.strip();
            return (t.isEmpty() ? 0 : t.split("\\s+").length) + 2;
        }

        private static float[] embed(String text) {
            float[] v = new float[DIM];
            for (String w : text.strip().split("\\s+")) {
                int h = w.toLowerCase(Locale.ROOT).hashCode();
                v[Math.floorMod(h, DIM)] += 1f;
                v[Math.floorMod(h * 31 + 7, DIM)] += 0.5f;
            }
            v[0] += 0.1f;
            double norm = 0;
            for (float x : v) {
                norm += x * x;
            }
            for (int i = 0; i < v.length; i++) {
                v[i] /= (float) Math.sqrt(norm);
            }
            return v;
        }

        @Override
        public void close() {
        }
    }
}
