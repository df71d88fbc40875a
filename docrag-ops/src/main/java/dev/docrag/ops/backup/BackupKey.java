package dev.docrag.ops.backup;

import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A host-supplied AES-256 key for encrypting backups at rest (AES-256-GCM). DocRag never stores
 * the key; each manifest records only its {@link #id()} (an HMAC of a fixed text under the key,
 * which reveals nothing about the key), so that restoring with another key fails with a message
 * saying so instead of producing garbage. Keep the key outside the backup repository: without it
 * the backups cannot be read.
 */
public final class BackupKey {
    private final SecretKey key;
    private final String id;

    private BackupKey(byte[] bytes) {
        if (bytes.length != 32) {
            throw new IllegalArgumentException("an AES-256 key has 32 bytes, got " + bytes.length);
        }
        this.key = new SecretKeySpec(bytes.clone(), "AES");
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(bytes, "HmacSHA256"));
            this.id = HexFormat.of().formatHex(Arrays.copyOf(mac.doFinal("docrag backup key id".getBytes(StandardCharsets.UTF_8)), 8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    /** A key of exactly 32 bytes (copied). */
    public static BackupKey of(byte[] bytes) {
        return new BackupKey(Objects.requireNonNull(bytes, "bytes"));
    }

    /** A 256-bit AES key, e.g. from a host's key store. */
    public static BackupKey of(SecretKey key) {
        Objects.requireNonNull(key, "key");
        return new BackupKey(key.getEncoded());
    }

    /** 16 hex digits that identify the key without revealing it; recorded in manifests. */
    public String id() {
        return id;
    }

    SecretKey secret() {
        return key;
    }

    @Override
    public String toString() {
        return "BackupKey[" + id + "]";
    }
}
