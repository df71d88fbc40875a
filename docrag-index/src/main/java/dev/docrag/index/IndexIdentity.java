package dev.docrag.index;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The identity of a DocRag directory: a random UUID in the file {@value #FILE}, created on the
 * first open. A catalog records the identity of the directory it belongs to, so that a shared
 * database never lets two directories (two Lucene indexes) write one set of document rows. A
 * copied directory keeps its identity and therefore counts as the same index.
 */
final class IndexIdentity {
    static final String FILE = "docrag.id";
    private static final Pattern UUID_TEXT = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private IndexIdentity() {
    }

    /** The directory's identity, created (written and synced before use) if it has none. */
    static String of(Path directory) throws IOException {
        Path file = directory.resolve(FILE);
        if (Files.exists(file)) {
            String id = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (!UUID_TEXT.matcher(id).matches()) {
                throw new IOException(file + " does not hold a DocRag index identity (a UUID); it holds '"
                        + (id.length() > 40 ? id.substring(0, 40) + "…" : id) + "'");
            }
            return id;
        }
        String id = UUID.randomUUID().toString();
        // Written aside and moved into place, so that a crash never leaves a half-written identity.
        Path tmp = Files.createTempFile(directory, FILE, ".tmp");
        try {
            Files.writeString(tmp, id + "\n", StandardCharsets.US_ASCII);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return id;
    }
}
