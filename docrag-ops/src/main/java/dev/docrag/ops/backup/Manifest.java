package dev.docrag.ops.backup;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What one backup holds: every Lucene file of the commit (name, size, SHA-256), the catalog export,
 * and what the index was at that point (write sequence number, Lucene version, DocRag index
 * format, embedding model, document and chunk counts), plus when the backup was made and whether
 * and with which key its files are encrypted. Files are stored in the repository under their
 * SHA-256, so the manifest is the whole backup: deleting it deletes the backup, and files no
 * manifest lists are garbage.
 *
 * <p>Stored as UTF-8 text, one {@code key value} per line, ending with a line
 * {@code end <SHA-256 of every byte before it>}: a manifest that is cut short or changed by one
 * bit fails to parse. Every file name is checked to be a plain name ({@link #checkName}): no
 * separators, no {@code ..}, nothing absolute, so that a manifest cannot place a file outside the
 * directory it is restored into.
 *
 * @param id            the backup's id: its creation time, sortable ({@code 20261128T001500.123Z})
 * @param format        the backup format ({@link #FORMAT}); a newer one is refused
 * @param created       when the snapshot was taken
 * @param sequence      the write sequence number of the commit
 * @param luceneVersion the Lucene version that wrote the commit
 * @param indexFormat   the DocRag index format of the commit
 * @param modelId       the embedding model the index was built with
 * @param dimension     its vector dimension
 * @param documents     documents in the catalog
 * @param chunks        live chunks in the index
 * @param identity      the DocRag directory's identity
 * @param keyId         the id of the encryption key ({@link BackupKey#id()}), or null when not encrypted
 * @param catalog       the catalog export: an H2 script ({@code catalog.sql.gz}) or a shared catalog's
 *                      logical export ({@code catalog.rows.gz}); null in backups of a shared catalog
 *                      made before such exports existed
 * @param files         the index files, by name
 */
public record Manifest(String id, int format, Instant created, long sequence, String luceneVersion, int indexFormat,
                       String modelId, int dimension, int documents, long chunks, String identity, String keyId,
                       FileEntry catalog, List<FileEntry> files) {

    /** The backup format this version writes; it reads this one and older ones. */
    public static final int FORMAT = 1;
    /** The name of an uncompressed catalog export (H2 SQL script) in a manifest and in messages. */
    public static final String CATALOG_NAME = "catalog.sql";
    /** The name of a gzipped catalog export, which this version writes. */
    public static final String CATALOG_GZ_NAME = "catalog.sql.gz";
    /**
     * The name of a shared catalog's logical export (PostgreSQL: DocRag's tables, read in one
     * snapshot transaction), gzipped as {@code catalog.rows.gz}.
     */
    public static final String CATALOG_ROWS_NAME = "catalog.rows";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}");
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern ID = Pattern.compile("[0-9]{8}T[0-9]{6}\\.[0-9]{3}Z(-[0-9]+)?");
    private static final String MAGIC = "docrag-backup";

    /** One stored file: its name in the index directory, size in bytes and SHA-256 (hex) of its content. */
    public record FileEntry(String name, long size, String sha256) {
        public FileEntry {
            checkName(name);
            if (size < 0) {
                throw new IllegalArgumentException("negative size of " + name);
            }
            if (!SHA.matcher(sha256).matches()) {
                throw new IllegalArgumentException("not a SHA-256 for " + name + ": " + sha256);
            }
        }
    }

    public Manifest {
        checkId(id);
        files = List.copyOf(files);
        if (modelId.contains("\n") || luceneVersion.contains("\n") || identity.contains("\n")) {
            throw new IllegalArgumentException("manifest values must be single lines");
        }
    }

    /** Bytes of every file together (index files and catalog export), before encryption. */
    public long totalBytes() {
        return files.stream().mapToLong(FileEntry::size).sum() + (catalog == null ? 0 : catalog.size());
    }

    /** Every file, the catalog export (if any) last. */
    public List<FileEntry> allFiles() {
        List<FileEntry> all = new ArrayList<>(files);
        if (catalog != null) {
            all.add(catalog);
        }
        return all;
    }

    public Optional<String> encryptionKeyId() {
        return Optional.ofNullable(keyId);
    }

    /**
     * Checks that {@code name} is a plain file name: letters, digits, {@code _ . -}, not starting
     * with a dot (so neither {@code .} nor {@code ..}), no separator, at most 200 characters.
     *
     * @throws BackupException ({@link BackupException.Problem#UNSAFE_PATH}) otherwise
     */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new BackupException(BackupException.Problem.UNSAFE_PATH, name,
                    "refusing the file name '" + name + "': only plain names (letters, digits, _ . -) are allowed,"
                            + " no path separators, '..' or absolute paths");
        }
        return name;
    }

    /** Checks a backup id (a timestamp); ids become repository keys. */
    public static String checkId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new BackupException(BackupException.Problem.UNSAFE_PATH, id, "not a backup id: '" + id + "'");
        }
        return id;
    }

    /** The manifest as stored. */
    public byte[] toBytes() {
        StringBuilder sb = new StringBuilder();
        sb.append(MAGIC).append(' ').append(format).append('\n');
        line(sb, "id", id);
        line(sb, "created", created.toString());
        line(sb, "sequence", Long.toString(sequence));
        line(sb, "lucene", luceneVersion);
        line(sb, "index-format", Integer.toString(indexFormat));
        line(sb, "model", modelId);
        line(sb, "dimension", Integer.toString(dimension));
        line(sb, "documents", Integer.toString(documents));
        line(sb, "chunks", Long.toString(chunks));
        line(sb, "identity", identity);
        line(sb, "encryption", keyId == null ? "none" : "aes-256-gcm " + keyId);
        if (catalog != null) {
            line(sb, "catalog", catalog.sha256() + " " + catalog.size() + " " + catalog.name());
        }
        for (FileEntry f : files) {
            line(sb, "file", f.sha256() + " " + f.size() + " " + f.name());
        }
        String checksum = sha256(sb.toString().getBytes(StandardCharsets.UTF_8));
        sb.append("end ").append(checksum).append('\n');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void line(StringBuilder sb, String key, String value) {
        sb.append(key).append(' ').append(value).append('\n');
    }

    /**
     * Parses a stored manifest; {@code key} names it in errors.
     *
     * @throws BackupException BAD_MANIFEST if it is cut short, changed or malformed; UNSAFE_PATH if
     *                         it names a file that is not a plain name; INCOMPATIBLE if its format
     *                         is newer than {@link #FORMAT}
     */
    public static Manifest parse(byte[] bytes, String key) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int end = text.lastIndexOf("end ");
        if (end < 0 || !text.endsWith("\n") || (end > 0 && text.charAt(end - 1) != '\n')) {
            throw bad(key, "it has no end line (cut short?)");
        }
        String body = text.substring(0, end);
        String recorded = text.substring(end + 4, text.length() - 1);
        if (!recorded.equals(sha256(body.getBytes(StandardCharsets.UTF_8)))) {
            throw bad(key, "its checksum does not match its content (changed or damaged)");
        }
        String[] lines = body.split("\n");
        if (!lines[0].startsWith(MAGIC + " ")) {
            throw bad(key, "it does not start with '" + MAGIC + "'");
        }
        Map<String, String> values = new LinkedHashMap<>();
        List<FileEntry> files = new ArrayList<>();
        FileEntry catalog = null;
        try {
            int format = Integer.parseInt(lines[0].substring(MAGIC.length() + 1));
            if (format > FORMAT) {
                throw new BackupException(BackupException.Problem.INCOMPATIBLE, key, "backup " + key + " has backup format "
                        + format + "; this DocRag reads up to " + FORMAT + ": restore it with a newer DocRag");
            }
            for (int i = 1; i < lines.length; i++) {
                int space = lines[i].indexOf(' ');
                if (space < 0) {
                    throw bad(key, "line " + (i + 1) + " has no value");
                }
                String k = lines[i].substring(0, space);
                String v = lines[i].substring(space + 1);
                switch (k) {
                    case "file" -> files.add(entry(v));
                    case "catalog" -> catalog = entry(v);
                    default -> values.put(k, v);
                }
            }
            String encryption = req(values, "encryption", key);
            String keyId = encryption.equals("none") ? null : encryption.substring("aes-256-gcm ".length());
            return new Manifest(req(values, "id", key), format, Instant.parse(req(values, "created", key)),
                    Long.parseLong(req(values, "sequence", key)), req(values, "lucene", key),
                    Integer.parseInt(req(values, "index-format", key)), req(values, "model", key),
                    Integer.parseInt(req(values, "dimension", key)), Integer.parseInt(req(values, "documents", key)),
                    Long.parseLong(req(values, "chunks", key)), req(values, "identity", key), keyId, catalog, files);
        } catch (NumberFormatException | DateTimeParseException | IndexOutOfBoundsException e) {
            throw bad(key, e.getMessage());
        } catch (IllegalArgumentException e) {
            throw bad(key, e.getMessage());
        }
    }

    private static FileEntry entry(String v) {
        String[] parts = v.split(" ", 3);
        if (parts.length != 3) {
            throw new IllegalArgumentException("a file line needs sha256, size and name: " + v);
        }
        return new FileEntry(parts[2], Long.parseLong(parts[1]), parts[0]);
    }

    private static String req(Map<String, String> values, String k, String key) {
        String v = values.get(k);
        if (v == null) {
            throw bad(key, "it has no '" + k + "'");
        }
        return v;
    }

    private static BackupException bad(String key, String why) {
        return new BackupException(BackupException.Problem.BAD_MANIFEST, key, "the manifest " + key + " is unusable: " + why);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
