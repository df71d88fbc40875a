package dev.docrag.examples.cli;

import java.util.List;

/**
 * The environment variables the {@code docrag} command line and service read: one place to name
 * them, so that deployment files (docrag-examples/deploy) can be checked against the code.
 */
public final class Env {
    /** Where the index and the embedded catalog live; default {@value #DEFAULT_INDEX_DIR}. */
    public static final String INDEX_DIR = "DOCRAG_INDEX_DIR";
    public static final String DEFAULT_INDEX_DIR = "data/docrag";
    /** JDBC URL of a PostgreSQL catalog instead of the embedded H2 one. */
    public static final String DB_URL = "DOCRAG_DB_URL";
    public static final String DB_USER = "DOCRAG_DB_USER";
    public static final String DB_PASSWORD = "DOCRAG_DB_PASSWORD";
    /** {@code key,key}: bearer keys that may write, search any tenant and read stats. */
    public static final String WRITE_KEYS = "DOCRAG_WRITE_KEYS";
    /** {@code key:tenant,key:tenant}: bearer keys that may search their own tenant only. */
    public static final String READ_KEYS = "DOCRAG_READ_KEYS";
    /** {@code true}: {@code serve} ingests the sample handbook at start. */
    public static final String USE_SAMPLE = "DOCRAG_USE_SAMPLE";
    /** Folder of the sample handbook for {@link #USE_SAMPLE}. */
    public static final String SAMPLES = "DOCRAG_SAMPLES";
    /** Backup repository: a folder or {@code s3://bucket/prefix}. */
    public static final String BACKUP_REPO = "DOCRAG_BACKUP_REPO";
    /** Base64 of 32 bytes: encrypts backups. */
    public static final String BACKUP_KEY = "DOCRAG_BACKUP_KEY";
    /** Endpoint of an S3-compatible server (path-style addressing). */
    public static final String S3_ENDPOINT = "DOCRAG_S3_ENDPOINT";
    /** Region of the S3 client; default us-east-1. */
    public static final String AWS_REGION = "AWS_REGION";
    /** {@code text} (default) or {@code json}. */
    public static final String LOG_FORMAT = "LOG_FORMAT";
    /** {@code error}, {@code warn} (default), {@code info}, {@code debug}, {@code trace}. */
    public static final String LOG_LEVEL = "LOG_LEVEL";

    /** Every variable above, for checks that a deployment sets nothing the application ignores. */
    public static final List<String> ALL = List.of(INDEX_DIR, DB_URL, DB_USER, DB_PASSWORD, WRITE_KEYS, READ_KEYS,
            USE_SAMPLE, SAMPLES, BACKUP_REPO, BACKUP_KEY, S3_ENDPOINT, AWS_REGION, LOG_FORMAT, LOG_LEVEL);

    private Env() {
    }
}
