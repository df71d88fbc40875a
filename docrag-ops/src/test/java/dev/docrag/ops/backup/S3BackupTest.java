package dev.docrag.ops.backup;

import com.adobe.testing.s3mock.S3MockApplication;
import dev.docrag.index.DocRag;
import dev.docrag.ops.TestEmbedder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.core.sync.RequestBody;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The S3 target against a real S3-compatible server (Adobe's S3Mock) started in this JVM on a random port. */
class S3BackupTest {
    private static final String BUCKET = "docrag-backups";
    @TempDir
    static Path tmp;
    static S3MockApplication server;
    static S3Client s3;
    final TestEmbedder embedder = new TestEmbedder();

    @BeforeAll
    static void start() throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put(S3MockApplication.PROP_HTTP_PORT, S3MockApplication.RANDOM_PORT);
        props.put(S3MockApplication.PROP_HTTPS_PORT, S3MockApplication.RANDOM_PORT);
        props.put(S3MockApplication.PROP_INITIAL_BUCKETS, BUCKET);
        props.put(S3MockApplication.PROP_ROOT_DIRECTORY, Files.createDirectories(tmp.resolve("s3")).toString());
        props.put(S3MockApplication.PROP_SILENT, true);
        props.put("server.address", "127.0.0.1");
        server = S3MockApplication.start(props);
        s3 = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + server.getHttpPort()))
                .region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    @AfterAll
    static void stop() {
        if (s3 != null) {
            s3.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void backupVerifyRestoreAndPruneThroughS3(@TempDir Path dir) throws Exception {
        // every object goes as a multipart upload (threshold 1 byte) to exercise that path end to end
        BackupTarget target = S3Target.builder(s3, BUCKET).prefix("rag1").multipartThreshold(1).build();
        byte[] k = new byte[32];
        new Random(7).nextBytes(k);
        BackupKey key = BackupKey.of(k);
        Path live = dir.resolve("live");
        String first;
        String second;
        try (DocRag rag = Corpus.open(live, embedder);
             BackupManager backups = BackupManager.builder(rag).target(target).encryptionKey(key)
                     .retention(Retention.keepWithin(java.time.Duration.ZERO).atLeast(1)).build()) {
            Corpus.fill(rag, 10);
            first = backups.backup().id();
            rag.upsert(Corpus.doc(1, 2));
            BackupReport r = backups.backup();
            second = r.id();
            assertThat(r.filesReused()).isPositive();
            assertThat(backups.list()).extracting(Manifest::id).containsExactly(first, second);
            backups.verify(second, VerifyDepth.DEEP);
            assertThat(target.describe()).isEqualTo("s3://" + BUCKET + "/rag1/");
        }
        try (BackupManager restorer = BackupManager.builder().target(target).embedder(embedder).encryptionKey(key)
                .retention(Retention.keepWithin(java.time.Duration.ZERO).atLeast(1)).build()) {
            restorer.restore(first, live);
            try (DocRag rag = Corpus.open(live, embedder)) {
                Corpus.assertHolds(rag, java.util.stream.IntStream.range(0, 10).boxed()
                        .collect(java.util.stream.Collectors.toMap(i -> i, i -> 1)), 10);
            }
            PruneReport p = restorer.prune();
            assertThat(p.deletedBackups()).containsExactly(first);
            restorer.verify(second, VerifyDepth.QUICK);
        }
    }

    @Test
    void aCorruptedS3ObjectIsDetectedAndNamed(@TempDir Path dir) throws Exception {
        BackupTarget target = BackupTarget.s3(s3, BUCKET, "rag2/");
        Manifest m;
        try (DocRag rag = Corpus.open(dir.resolve("live"), embedder);
             BackupManager backups = BackupManager.builder(rag).target(target).build()) {
            Corpus.fill(rag, 3);
            m = backups.backup().manifest();
        }
        Manifest.FileEntry f = m.files().get(0);
        String objectKey = "rag2/" + BackupManager.blobKey(f.sha256(), null);
        byte[] bytes = s3.getObjectAsBytes(GetObjectRequest.builder().bucket(BUCKET).key(objectKey).build()).asByteArray();
        byte[] flipped = bytes.clone();
        flipped[flipped.length / 2] ^= 0x10;
        s3.putObject(PutObjectRequest.builder().bucket(BUCKET).key(objectKey).build(), RequestBody.fromBytes(flipped));
        try (BackupManager restorer = BackupManager.builder().target(target).embedder(embedder).build()) {
            Path elsewhere = dir.resolve("elsewhere");
            assertThatThrownBy(() -> restorer.restore(m.id(), elsewhere))
                    .isInstanceOfSatisfying(BackupException.class, e -> {
                        assertThat(e.problem()).isEqualTo(BackupException.Problem.CORRUPT);
                        assertThat(e.file()).contains(f.name());
                    });
            assertThat(elsewhere).doesNotExist();
        }
    }

    @Test
    void largeObjectsGoInSeveralVerifiedParts() throws Exception {
        S3Target target = S3Target.builder(s3, BUCKET).prefix("big").partSize(5 << 20).multipartThreshold(6 << 20).build();
        byte[] data = new byte[(12 << 20) + 12345]; // three parts
        new Random(3).nextBytes(data);
        target.put("blobs/xx/large", () -> new ByteArrayInputStream(data), data.length);
        assertThat(target.size("blobs/xx/large")).hasValue(data.length);
        try (InputStream in = target.get("blobs/xx/large")) {
            assertThat(Arrays.equals(in.readAllBytes(), data)).isTrue();
        }
        assertThat(target.list("blobs/")).containsExactly("blobs/xx/large");
        target.delete("blobs/xx/large");
        assertThat(target.size("blobs/xx/large")).isEmpty();
        assertThatThrownBy(() -> target.get("blobs/xx/large")).isInstanceOf(java.nio.file.NoSuchFileException.class);
        // a wrong length is refused, and nothing becomes visible
        assertThatThrownBy(() -> target.put("blobs/xx/short", () -> new ByteArrayInputStream(data), data.length + 1L))
                .isInstanceOf(java.io.IOException.class);
        assertThat(target.size("blobs/xx/short")).isEmpty();
    }

    @Test
    void anUnreachableTargetIsAClearTargetFailureAndTheLiveDataIsUnaffected(@TempDir Path dir) throws Exception {
        S3Client dead = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:9")) // discard port: refused
                .region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .httpClient(UrlConnectionHttpClient.create()).build();
        BackupTarget target = S3Target.builder(dead, BUCKET).attempts(2)
                .backoff(java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(5)).build();
        try (dead; DocRag rag = Corpus.open(dir.resolve("live"), embedder);
             BackupManager backups = BackupManager.builder(rag).target(target).build()) {
            Corpus.fill(rag, 2);
            assertThatThrownBy(backups::backup).isInstanceOfSatisfying(BackupException.class, e -> {
                assertThat(e.problem()).isEqualTo(BackupException.Problem.TARGET_FAILED);
                assertThat(e.getMessage()).contains("s3://" + BUCKET).contains("unaffected").contains("no manifest");
            });
            assertThat(backups.lastSuccess()).isEmpty();
            assertThat(rag.documentCount()).isEqualTo(2);
        }
    }

    @Test
    void aMirrorThatFailsIsReportedWhileTheLocalBackupStands(@TempDir Path dir) throws Exception {
        BackupTarget local = BackupTarget.filesystem(dir.resolve("repo"));
        BackupTarget remote = BackupTarget.s3(s3, BUCKET, "mirror");
        S3Client dead = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:9"))
                .region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .httpClient(UrlConnectionHttpClient.create()).build();
        try (dead; DocRag rag = Corpus.open(dir.resolve("live"), embedder)) {
            Corpus.fill(rag, 4);
            try (BackupManager m = BackupManager.builder(rag).target(local).mirror(remote).build()) {
                BackupReport r = m.backup();
                assertThat(r.mirrorFailure()).isEmpty();
                try (BackupManager fromMirror = BackupManager.builder().target(remote).embedder(embedder).build()) {
                    fromMirror.verify(r.id(), VerifyDepth.DEEP);
                }
            }
            BackupTarget unreachable = S3Target.builder(dead, BUCKET).attempts(1).build();
            try (BackupManager m = BackupManager.builder(rag).target(local).mirror(unreachable).build()) {
                rag.upsert(Corpus.doc(1, 2));
                BackupReport r = m.backup();
                assertThat(r.mirrorFailure()).hasValueSatisfying(why -> assertThat(why)
                        .contains("succeeded on " + local.describe()).contains("s3://" + BUCKET));
                assertThat(m.lastSuccess()).isPresent();
                m.verify(r.id(), VerifyDepth.QUICK);
            }
        }
    }
}
