package dev.docrag.ops.backup;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * Where backups are stored: a flat store of objects under keys such as {@code blobs/ab/ab12…}
 * and {@code manifests/20261128T001500.123Z.manifest}. Keys are made by {@link BackupManager}
 * from hex digests and backup ids and use only {@code [a-z0-9/._-]}.
 *
 * <p>What an implementation must guarantee:
 * <ul>
 *   <li>{@link #put} is all or nothing: a reader never sees a partly written object under its key,
 *       even if the process dies during the write (a filesystem target writes aside and renames,
 *       S3 makes an object visible when its upload completes).</li>
 *   <li>{@link #put} checks what it stored: the bytes it received are the bytes it stored (a
 *       digest computed while writing, or the server's check of a SHA-256 the client sends), and
 *       fails with an {@code IOException} otherwise.</li>
 *   <li>Thread-safe.</li>
 * </ul>
 * Content is verified again by {@link BackupManager} on every read against the manifest's SHA-256,
 * so a target need not be trusted to return what it stored.
 */
public interface BackupTarget extends AutoCloseable {

    /** The bytes to store: opened once per attempt, so a target may retry. */
    @FunctionalInterface
    interface Content {
        InputStream open() throws IOException;
    }

    /**
     * Stores exactly {@code length} bytes from {@code content} under {@code key}, replacing any;
     * a target may open the content again to retry.
     */
    void put(String key, Content content, long length) throws IOException;

    /**
     * Opens the object under {@code key}.
     *
     * @throws java.nio.file.NoSuchFileException if there is none
     */
    InputStream get(String key) throws IOException;

    /** The size of the object under {@code key}, or empty if there is none. */
    OptionalLong size(String key) throws IOException;

    /** Every key that starts with {@code prefix}, sorted. */
    List<String> list(String prefix) throws IOException;

    /** Deletes the object under {@code key}; no effect if there is none. */
    void delete(String key) throws IOException;

    /**
     * Makes every object {@link #put} so far durable (a filesystem target syncs the folders whose
     * entries changed), and makes every {@link Staged#publish published} staged object durable and
     * visible under its key. {@link BackupManager} calls it before writing a manifest, so a manifest
     * never survives a crash that its files did not. No-op where {@code put} is durable on return.
     */
    default void sync() throws IOException {
    }

    /**
     * Whether {@link #stage} is supported: content-addressed storing in one pass over the source
     * (the key is a digest of the content, known only once it has been read). The filesystem
     * target stages; S3 does not (its key must be known when the upload starts).
     */
    default boolean canStage() {
        return false;
    }

    /**
     * Writes exactly {@code length} bytes from {@code content} aside: not visible under any key,
     * not yet durable. The caller then {@link Staged#publish publishes} it under a key (it becomes
     * visible, durably, by the next {@link #sync()}) or {@link Staged#discard discards} it. Staged
     * objects never published are leftovers for {@link #cleanUpInterrupted()}.
     *
     * @throws UnsupportedOperationException if {@link #canStage()} is false
     */
    default Staged stage(InputStream content, long length) throws IOException {
        throw new UnsupportedOperationException(describe() + " cannot stage objects");
    }

    /** An object written by {@link #stage}, waiting for its key. */
    interface Staged {
        /**
         * Makes the object visible under {@code key} (replacing any) as part of the next
         * {@link BackupTarget#sync()}, which makes it durable first and then renames it into place;
         * until then it is invisible. A staged object is published or discarded once.
         */
        void publish(String key) throws IOException;

        /** Drops the object. */
        void discard() throws IOException;
    }

    /** Removes leftovers of writes interrupted by a crash (temporary files); called by prune. */
    default void cleanUpInterrupted() throws IOException {
    }

    /** Where this target stores, for messages and logs (never credentials). */
    String describe();

    @Override
    default void close() throws IOException {
    }

    /** A directory on a local or mounted filesystem; created if missing. */
    static BackupTarget filesystem(Path directory) {
        return new FileSystemTarget(directory);
    }

    /**
     * An S3 bucket (or an S3-compatible store) through the host's AWS SDK v2 client, under
     * {@code prefix} (may be empty; {@code docrag/} style); see {@link S3Target}.
     */
    static BackupTarget s3(software.amazon.awssdk.services.s3.S3Client client, String bucket, String prefix) {
        return S3Target.builder(client, bucket).prefix(prefix).build();
    }
}
