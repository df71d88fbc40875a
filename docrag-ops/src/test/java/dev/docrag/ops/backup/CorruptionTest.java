package dev.docrag.ops.backup;

import dev.docrag.index.DocRag;
import dev.docrag.ops.TestEmbedder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Damage to any stored file of a small backup — one flipped byte, a truncation, a deletion — is
 * detected by verification and by restore, named, and nothing is restored: the live directory
 * stays exactly as it was. Manifests and file names that would escape the restore directory
 * (absolute paths, {@code ..}, separators, links) are refused.
 */
class CorruptionTest {
    @TempDir
    static Path tmp;
    static final TestEmbedder EMBEDDER = new TestEmbedder();
    static Path repoDir;
    static Path live;
    static Manifest manifest;
    static Map<String, String> liveDigest;

    @BeforeAll
    static void backup() throws Exception {
        repoDir = tmp.resolve("repo");
        live = tmp.resolve("live");
        try (DocRag rag = Corpus.open(live, EMBEDDER);
             BackupManager b = BackupManager.builder(rag).target(BackupTarget.filesystem(repoDir)).build()) {
            Corpus.fill(rag, 3);
            manifest = b.backup().manifest();
            rag.delete(Corpus.TENANT, "doc-0"); // live differs from the backup
        }
        liveDigest = Corpus.digest(live);
    }

    private static BackupManager manager() {
        return BackupManager.builder().target(BackupTarget.filesystem(repoDir)).embedder(EMBEDDER).build();
    }

    private static Path blob(Manifest.FileEntry f) {
        return repoDir.resolve(BackupManager.blobKey(f.sha256(), null));
    }

    enum Damage { FLIP, TRUNCATE, DELETE }

    private static void damage(Path file, Damage d, Random random) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        switch (d) {
            case FLIP -> {
                int at = random.nextInt(bytes.length);
                bytes[at] ^= (byte) (1 << random.nextInt(8));
                Files.write(file, bytes);
            }
            case TRUNCATE -> Files.write(file, java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length)));
            case DELETE -> Files.delete(file);
        }
    }

    @Test
    void everyDamagedFileIsDetectedNamedAndNothingIsRestored() throws Exception {
        long seed = Long.getLong("tests.seed", System.nanoTime());
        Random random = new Random(seed);
        List<Manifest.FileEntry> files = manifest.allFiles();
        assertThat(files).hasSizeGreaterThanOrEqualTo(5); // a compound segment, its segments_N, the catalog export
        int cases = 0;
        for (Manifest.FileEntry f : files) {
            if (f.size() == 0) {
                continue; // an empty file cannot be flipped or truncated; it is still checked for presence
            }
            for (Damage d : Damage.values()) {
                Path blob = blob(f);
                byte[] original = Files.readAllBytes(blob);
                damage(blob, d, random);
                BackupException.Problem expected = switch (d) {
                    case FLIP -> BackupException.Problem.CORRUPT;
                    case TRUNCATE -> BackupException.Problem.TRUNCATED;
                    case DELETE -> BackupException.Problem.MISSING;
                };
                String context = d + " of " + f.name() + " (seed " + seed + ")";
                try (BackupManager m = manager()) {
                    assertThatThrownBy(() -> m.verify(manifest.id(), VerifyDepth.QUICK)).as(context)
                            .isInstanceOfSatisfying(BackupException.class, e -> {
                                assertThat(e.problem()).as(context).isEqualTo(expected);
                                assertThat(e.file()).as(context).contains(f.name());
                                assertThat(e.getMessage()).as(context).contains(f.name());
                            });
                    assertThat(m.lastVerificationFailed()).isTrue();
                    assertThatThrownBy(() -> m.restore(manifest.id(), live)).as(context)
                            .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.file()).contains(f.name()));
                }
                assertThat(Corpus.digest(live)).as("live untouched after " + context).isEqualTo(liveDigest);
                assertNoLeftovers();
                Files.write(blob, original);
                cases++;
            }
        }
        assertThat(cases).isGreaterThanOrEqualTo(15);
        try (BackupManager m = manager()) {
            m.verify(manifest.id(), VerifyDepth.DEEP); // whole again
        }
    }

    @Test
    void aDamagedManifestIsDetected() throws Exception {
        Path file = repoDir.resolve(BackupManager.manifestKey(manifest.id()));
        byte[] original = Files.readAllBytes(file);
        Random random = new Random(Long.getLong("tests.seed", System.nanoTime()));
        try {
            for (Damage d : Damage.values()) {
                damage(file, d, random);
                try (BackupManager m = manager()) {
                    assertThatThrownBy(() -> m.restore(manifest.id(), live)).as(d.name())
                            .isInstanceOfSatisfying(BackupException.class, e -> {
                                assertThat(e.problem()).isIn(BackupException.Problem.BAD_MANIFEST, BackupException.Problem.NOT_FOUND);
                                assertThat(e.file().orElseThrow()).contains(manifest.id());
                            });
                }
                Files.write(file, original);
            }
        } finally {
            Files.write(file, original);
        }
        assertThat(Corpus.digest(live)).isEqualTo(liveDigest);
    }

    @Test
    void aDamagedBackupCanBeDeletedAndBlocksGarbageCollectionUntilItIs(@TempDir Path other) throws Exception {
        Path repo = other.resolve("repo");
        BackupTarget target = BackupTarget.filesystem(repo);
        String damaged;
        String whole;
        try (DocRag rag = Corpus.open(other.resolve("live"), EMBEDDER);
             BackupManager b = BackupManager.builder(rag).target(target)
                     .retention(Retention.keepWithin(java.time.Duration.ZERO).atLeast(1)).build()) {
            Corpus.fill(rag, 2);
            damaged = b.backup().id();
            Thread.sleep(2);
            rag.upsert(Corpus.doc(0, 2));
            whole = b.backup().id();
            Path file = repo.resolve(BackupManager.manifestKey(damaged));
            byte[] bytes = Files.readAllBytes(file);
            bytes[bytes.length / 2] ^= 1;
            Files.write(file, bytes);
            // the damaged manifest might list files: nothing is collected while it cannot be read
            PruneReport p = b.prune();
            assertThat(p.deletedFiles()).isZero();
            PruneReport d = b.delete(damaged);
            assertThat(d.deletedFiles()).as("its files, now unreferenced, are collected").isPositive();
            assertThat(b.list()).extracting(Manifest::id).containsExactly(whole);
            b.verify(whole, VerifyDepth.DEEP);
        }
    }

    @Test
    void unsafeNamesInAManifestAreRefusedBeforeAnythingIsWritten() throws Exception {
        for (String name : List.of("../escape", "/etc/passwd", "a/b", "..", ".hidden", "x\\..\\y", "")) {
            String text = new String(manifest.toBytes(), StandardCharsets.UTF_8);
            String first = manifest.files().get(0).name();
            String body = text.substring(0, text.lastIndexOf("end "))
                    .replace(" " + first + "\n", " " + name + "\n");
            byte[] forged = (body + "end " + Manifest.sha256(body.getBytes(StandardCharsets.UTF_8)) + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> Manifest.parse(forged, "forged")).as(name)
                    .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.problem())
                            .isIn(BackupException.Problem.UNSAFE_PATH, BackupException.Problem.BAD_MANIFEST));
        }
        assertThatThrownBy(() -> Manifest.checkName("../x")).isInstanceOfSatisfying(BackupException.class,
                e -> assertThat(e.problem()).isEqualTo(BackupException.Problem.UNSAFE_PATH));
        assertThatThrownBy(() -> manager().verify("../../etc/passwd", VerifyDepth.QUICK)).isInstanceOfSatisfying(
                BackupException.class, e -> assertThat(e.problem()).isEqualTo(BackupException.Problem.UNSAFE_PATH));
    }

    @Test
    void linksInTheRepositoryAreNotFollowed() throws Exception {
        Manifest.FileEntry f = manifest.files().get(0);
        Path blob = blob(f);
        Path outside = tmp.resolve("outside-" + f.sha256());
        Files.move(blob, outside);
        Files.createSymbolicLink(blob, outside); // same content, but through a link
        try (BackupManager m = manager()) {
            assertThatThrownBy(() -> m.restore(manifest.id(), live))
                    .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.problem()).isEqualTo(BackupException.Problem.UNSAFE_PATH));
        } finally {
            Files.delete(blob);
            Files.move(outside, blob);
        }
        // a linked folder of blobs likewise
        Path folder = blob.getParent();
        Path movedFolder = tmp.resolve("folder-" + folder.getFileName());
        Files.move(folder, movedFolder);
        Files.createSymbolicLink(folder, movedFolder);
        try (BackupManager m = manager()) {
            assertThatThrownBy(() -> m.verify(manifest.id(), VerifyDepth.QUICK))
                    .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.problem()).isEqualTo(BackupException.Problem.UNSAFE_PATH));
        } finally {
            Files.delete(folder);
            Files.move(movedFolder, folder);
        }
        assertThat(Corpus.digest(live)).isEqualTo(liveDigest);
    }

    private static void assertNoLeftovers() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            List<String> names = new ArrayList<>(s.map(p -> p.getFileName().toString()).toList());
            assertThat(names).noneMatch(n -> n.contains(".restore-") || n.contains(".before-restore-"));
        }
    }
}
