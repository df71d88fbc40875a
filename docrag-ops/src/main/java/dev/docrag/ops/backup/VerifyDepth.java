package dev.docrag.ops.backup;

/** How thoroughly {@link BackupManager#verify} checks a backup. */
public enum VerifyDepth {
    /** The manifest parses and its checksum holds; every file is present, of its size, and reads back to its SHA-256 (decrypting it if encrypted). */
    QUICK,
    /**
     * QUICK, then a restore into a scratch directory: Lucene's CheckIndex, the catalog agrees with
     * the index's write, a DocRag opens on it with the document and chunk counts of the manifest,
     * and every golden query finds what it expects. Recorded as {@link BackupStatus#lastVerification()}.
     */
    DEEP
}
