package dev.docrag.ops.backup;

import dev.docrag.core.DocRagException;

import java.util.Optional;

/**
 * A backup, verification, restore or prune that failed, with what was wrong ({@link #problem()})
 * and, where one file is to blame, which ({@link #file()}: the name in the manifest, such as
 * {@code _0.cfs} or {@code catalog.sql}, or the repository key of a manifest). Whenever this is
 * thrown by a restore, the live DocRag directory has not been changed.
 */
public final class BackupException extends DocRagException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Problem {
        /** A file the manifest lists is not in the repository. */
        MISSING,
        /** A stored file's content does not match its SHA-256 (a flipped bit, a wrong key, an unreadable encryption frame). */
        CORRUPT,
        /** A stored file is shorter or longer than the manifest says. */
        TRUNCATED,
        /** A manifest that does not parse or whose own checksum does not match. */
        BAD_MANIFEST,
        /** An absolute path, a {@code ..} segment, a separator or a link where a plain file name must be. */
        UNSAFE_PATH,
        /** The backup was encrypted with another key than the one configured, or needs a key and none is. */
        WRONG_KEY,
        /** Written by a newer DocRag or with another embedding model; restore only with {@code force}. */
        INCOMPATIBLE,
        /** The backup target (a directory, S3) failed to store or return data. */
        TARGET_FAILED,
        /** The restored copy failed its checks (CheckIndex, catalog, counts, golden queries). */
        VERIFY_FAILED,
        /** No backup has that id. */
        NOT_FOUND,
        /** The live directory is in use (an open DocRag holds its index lock). */
        IN_USE,
        /** Reading the live index or catalog failed while taking the backup. */
        SOURCE_FAILED
    }

    private final Problem problem;
    private final String file;

    public BackupException(Problem problem, String file, String message, Throwable cause) {
        super(message, cause);
        this.problem = problem;
        this.file = file;
    }

    public BackupException(Problem problem, String file, String message) {
        this(problem, file, message, null);
    }

    public Problem problem() {
        return problem;
    }

    /** The file to blame, if one is. */
    public Optional<String> file() {
        return Optional.ofNullable(file);
    }
}
