package dev.docrag.ops.backup;

import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A backup target in an S3 bucket (or any S3-compatible store) through the AWS SDK v2, with the
 * host's {@link S3Client} (its credentials, region, endpoint, HTTP client; DocRag never closes it).
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Objects up to {@link Builder#multipartThreshold} are one {@code PutObject}; larger ones a
 *       multipart upload of {@link Builder#partSize} parts, completed only when every part is
 *       stored (aborted otherwise), so a reader never sees a partial object.</li>
 *   <li>Every request body is sent with its SHA-256 ({@code x-amz-checksum-sha256}), which the
 *       server checks before storing. A multipart object's checksum is a checksum of the parts'
 *       checksums, which cannot check a whole download, so {@link BackupManager} hashes every
 *       download itself against the manifest.</li>
 *   <li>Throttling, server errors (5xx, 429) and network failures are retried up to
 *       {@link Builder#attempts} times per request (per part for multipart uploads) with
 *       exponential backoff and full jitter; client errors (4xx) are not.</li>
 * </ul>
 */
public final class S3Target implements BackupTarget {
    private static final Logger LOG = LoggerFactory.getLogger(S3Target.class);

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final long multipartThreshold;
    private final int partSize;
    private final int attempts;
    private final Duration backoff;
    private final Duration maxBackoff;

    private S3Target(Builder b) {
        this.s3 = b.s3;
        this.bucket = b.bucket;
        this.prefix = b.prefix;
        this.multipartThreshold = b.multipartThreshold;
        this.partSize = b.partSize;
        this.attempts = b.attempts;
        this.backoff = b.backoff;
        this.maxBackoff = b.maxBackoff;
    }

    public static Builder builder(S3Client client, String bucket) {
        return new Builder(client, bucket);
    }

    @Override
    public void put(String key, Content content, long length) throws IOException {
        String k = prefix + key;
        if (length <= multipartThreshold) {
            retrying("PUT " + k, () -> {
                try (InputStream in = content.open()) {
                    byte[] body = in.readNBytes((int) length);
                    if (body.length != length || in.read() >= 0) {
                        throw new IOException("expected " + length + " bytes for " + key);
                    }
                    s3.putObject(PutObjectRequest.builder().bucket(bucket).key(k).contentLength(length)
                            .checksumAlgorithm(ChecksumAlgorithm.SHA256).build(), RequestBody.fromBytes(body));
                }
                return null;
            });
            return;
        }
        String uploadId = retrying("create multipart upload " + k, () -> s3.createMultipartUpload(CreateMultipartUploadRequest
                .builder().bucket(bucket).key(k).checksumAlgorithm(ChecksumAlgorithm.SHA256).build()).uploadId());
        try (InputStream in = content.open()) {
            List<CompletedPart> parts = new ArrayList<>();
            long sent = 0;
            for (int part = 1; sent < length; part++) {
                byte[] body = in.readNBytes((int) Math.min(partSize, length - sent));
                if (body.length == 0) {
                    throw new IOException("expected " + length + " bytes for " + key + ", got " + sent);
                }
                int n = part;
                UploadPartResponse r = retrying("upload part " + n + " of " + k, () -> s3.uploadPart(UploadPartRequest.builder()
                        .bucket(bucket).key(k).uploadId(uploadId).partNumber(n).contentLength((long) body.length)
                        .checksumAlgorithm(ChecksumAlgorithm.SHA256).build(), RequestBody.fromBytes(body)));
                parts.add(CompletedPart.builder().partNumber(n).eTag(r.eTag()).checksumSHA256(r.checksumSHA256()).build());
                sent += body.length;
            }
            if (in.read() >= 0) {
                throw new IOException("more than " + length + " bytes for " + key);
            }
            retrying("complete multipart upload " + k, () -> s3.completeMultipartUpload(CompleteMultipartUploadRequest.builder()
                    .bucket(bucket).key(k).uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()).build()));
        } catch (IOException | RuntimeException e) {
            try {
                s3.abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(bucket).key(k).uploadId(uploadId).build());
            } catch (RuntimeException abort) {
                e.addSuppressed(abort);
            }
            throw e;
        }
    }

    @Override
    public InputStream get(String key) throws IOException {
        String k = prefix + key;
        try {
            return retrying("GET " + k, () -> s3.getObject(GetObjectRequest.builder().bucket(bucket).key(k).build()));
        } catch (NoSuchKeyException e) {
            throw new NoSuchFileException(k);
        }
    }

    @Override
    public OptionalLong size(String key) throws IOException {
        String k = prefix + key;
        try {
            return OptionalLong.of(retrying("HEAD " + k, () -> s3.headObject(HeadObjectRequest.builder().bucket(bucket).key(k)
                    .build()).contentLength()));
        } catch (NoSuchKeyException e) {
            return OptionalLong.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return OptionalLong.empty();
            }
            throw e;
        }
    }

    @Override
    public List<String> list(String keyPrefix) throws IOException {
        return retrying("LIST " + prefix + keyPrefix, () -> {
            List<String> keys = new ArrayList<>();
            for (S3Object o : s3.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket)
                    .prefix(prefix + keyPrefix).build()).contents()) {
                keys.add(o.key().substring(prefix.length()));
            }
            keys.sort(null);
            return keys;
        });
    }

    @Override
    public void delete(String key) throws IOException {
        String k = prefix + key;
        retrying("DELETE " + k, () -> s3.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(k).build()));
    }

    @Override
    public String describe() {
        return "s3://" + bucket + "/" + prefix;
    }

    @FunctionalInterface
    private interface Call<T> {
        T run() throws IOException;
    }

    /**
     * Runs one S3 request under resilience4j's retry (the same library as the embedder's and the
     * webhook's): only {@link #retryable} failures are retried, up to {@code attempts} tries, each
     * wait drawn uniformly below an exponentially growing cap (full jitter, so that many clients
     * failing together do not retry together).
     */
    private <T> T retrying(String what, Call<T> call) throws IOException {
        Retry retry = Retry.of(what, RetryConfig.custom()
                .maxAttempts(attempts)
                .intervalBiFunction((attempt, outcome) -> fullJitter(attempt))
                .retryOnException(e -> e instanceof SdkException s && retryable(s))
                .build());
        retry.getEventPublisher().onRetry(event -> LOG.warn("{} failed (attempt {} of {}), retrying in {} ms: {}", what,
                event.getNumberOfRetryAttempts(), attempts, event.getWaitInterval().toMillis(),
                event.getLastThrowable() == null ? "" : event.getLastThrowable().getMessage()));
        try {
            return Retry.decorateCallable(retry, call::run).call();
        } catch (IOException | RuntimeException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new IOException("interrupted while retrying " + what, e);
            }
            throw e;
        } catch (Exception e) {
            throw new IOException(what + " failed: " + e.getMessage(), e);
        }
    }

    /** The wait before retry {@code attempt} (1 = the first retry): uniform in [0, min(max, backoff * 2^(attempt-1))]. */
    private long fullJitter(int attempt) {
        long cap = Math.min(maxBackoff.toMillis(), backoff.toMillis() << Math.min(attempt - 1, 20));
        return ThreadLocalRandom.current().nextLong(cap + 1);
    }

    private static boolean retryable(SdkException e) {
        if (e instanceof S3Exception s) {
            return s.statusCode() >= 500 || s.statusCode() == 429 || s.statusCode() == 408;
        }
        return e instanceof SdkClientException || e.retryable();
    }

    /**
     * Configures an {@link S3Target}. Defaults: no prefix, multipart above 16 MiB in 8 MiB parts
     * (S3's minimum part is 5 MiB), 4 attempts per request, backoff from 200 ms up to 5 s.
     */
    public static final class Builder {
        private final S3Client s3;
        private final String bucket;
        private String prefix = "";
        private long multipartThreshold = 16L << 20;
        private int partSize = 8 << 20;
        private int attempts = 4;
        private Duration backoff = Duration.ofMillis(200);
        private Duration maxBackoff = Duration.ofSeconds(5);

        private Builder(S3Client s3, String bucket) {
            this.s3 = Objects.requireNonNull(s3, "client");
            this.bucket = Objects.requireNonNull(bucket, "bucket");
        }

        /** A key prefix such as {@code docrag/}; a missing trailing slash is added. */
        public Builder prefix(String prefix) {
            Objects.requireNonNull(prefix, "prefix");
            this.prefix = prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/";
            return this;
        }

        /** Objects above this many bytes go as multipart uploads. */
        public Builder multipartThreshold(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("multipartThreshold must be positive: " + bytes);
            }
            this.multipartThreshold = bytes;
            return this;
        }

        /** The size of each multipart part in bytes; S3 requires at least 5 MiB (except the last). */
        public Builder partSize(int bytes) {
            if (bytes < 5 << 20) {
                throw new IllegalArgumentException("S3 parts must be at least 5 MiB, got " + bytes + " bytes");
            }
            this.partSize = bytes;
            return this;
        }

        /** How many times one request is tried before failing (at least 1). */
        public Builder attempts(int attempts) {
            if (attempts < 1) {
                throw new IllegalArgumentException("attempts must be at least 1: " + attempts);
            }
            this.attempts = attempts;
            return this;
        }

        /** The first retry's maximum wait and the cap of every later one (full jitter below them). */
        public Builder backoff(Duration first, Duration max) {
            this.backoff = Objects.requireNonNull(first, "first");
            this.maxBackoff = Objects.requireNonNull(max, "max");
            return this;
        }

        public S3Target build() {
            if (multipartThreshold < partSize) {
                multipartThreshold = partSize;
            }
            return new S3Target(this);
        }
    }
}
