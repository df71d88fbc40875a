package dev.docrag.ops.backup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A backup target in a directory. Objects are files at their key's path; a write goes to a
 * temporary file beside it ({@code .tmp-*}), is fsynced, and is renamed into place atomically: a
 * crash leaves either the old state or the new object, plus perhaps a temporary file that
 * {@link #cleanUpInterrupted()} removes. The folders whose entries changed are synced by
 * {@link #sync()} (once per backup, before its manifest), not after every file. Links are refused: a key
 * whose path passes through or ends in a symbolic link is an error, never followed. Thread-safe.
 */
final class FileSystemTarget implements BackupTarget {
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*");
    private static final String TMP = ".tmp-";
    private final Path root;
    /** Folders with renamed-in or created entries not yet synced. */
    private final java.util.Set<Path> unsynced = java.util.concurrent.ConcurrentHashMap.newKeySet();

    FileSystemTarget(Path root) {
        this.root = Objects.requireNonNull(root, "directory").toAbsolutePath().normalize();
    }

    private Path path(String key) throws IOException {
        if (key == null || !KEY.matcher(key).matches()) {
            throw new BackupException(BackupException.Problem.UNSAFE_PATH, key, "not a repository key: '" + key + "'");
        }
        Path p = root.resolve(key).normalize();
        if (!p.startsWith(root)) {
            throw new BackupException(BackupException.Problem.UNSAFE_PATH, key, "key outside the repository: " + key);
        }
        for (Path q = p; q != null && !q.equals(root); q = q.getParent()) {
            if (Files.isSymbolicLink(q)) {
                throw new BackupException(BackupException.Problem.UNSAFE_PATH, key,
                        "refusing to follow the link " + q + " in the backup repository");
            }
        }
        return p;
    }

    @Override
    public void put(String key, Content content, long length) throws IOException {
        Path target = path(key);
        for (Path d = target.getParent(); !Files.isDirectory(d); d = d.getParent()) {
            unsynced.add(d.getParent()); // its new entry
        }
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling(TMP + UUID.randomUUID());
        try {
            long written;
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 OutputStream out = Channels.newOutputStream(ch);
                 InputStream in = content.open()) {
                byte[] buffer = new byte[1 << 20];
                written = 0;
                for (int n; (n = in.read(buffer)) > 0; ) {
                    out.write(buffer, 0, n);
                    written += n;
                }
                out.flush();
                ch.force(true);
            }
            if (written != length) {
                throw new IOException("expected " + length + " bytes for " + key + ", got " + written);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            unsynced.add(target.getParent());
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public void sync() {
        for (Path dir : List.copyOf(unsynced)) {
            syncDirectory(dir);
            unsynced.remove(dir);
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some filesystems cannot sync a directory; the rename is still atomic
        }
    }

    @Override
    public InputStream get(String key) throws IOException {
        Path p = path(key);
        return Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public OptionalLong size(String key) throws IOException {
        Path p = path(key);
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isRegularFile() ? OptionalLong.of(a.size()) : OptionalLong.empty();
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        List<String> keys = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return keys;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String key = root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
                if (!file.getFileName().toString().startsWith(TMP) && key.startsWith(prefix)) {
                    keys.add(key);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        keys.sort(null);
        return keys;
    }

    @Override
    public void delete(String key) throws IOException {
        Files.deleteIfExists(path(key));
    }

    @Override
    public void cleanUpInterrupted() throws IOException {
        if (!Files.isDirectory(root)) {
            return;
        }
        List<Path> stale = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (file.getFileName().toString().startsWith(TMP)) {
                    stale.add(file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        for (Path p : stale) {
            Files.deleteIfExists(p);
        }
    }

    @Override
    public String describe() {
        return root.toString();
    }
}
