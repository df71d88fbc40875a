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
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A backup target in a directory. Objects are files at their key's path; a write goes to a
 * temporary file beside it ({@code .tmp-*}), is fsynced, and is renamed into place atomically: a
 * crash leaves either the old state or the new object, plus perhaps a temporary file that
 * {@link #cleanUpInterrupted()} removes. The folders whose entries changed are synced by
 * {@link #sync()} (once per backup, before its manifest), not after every file. {@linkplain #stage Staged}
 * objects are written unsynced to {@code .tmp-*} files under {@code blobs/}; {@link #sync()} fsyncs
 * the published ones (several at a time), only then renames them to their keys, and syncs the
 * changed folders once: an object is never visible under its key before its bytes are durable, and
 * a crash leaves only {@code .tmp-*} files. Links are refused: a key
 * whose path passes through or ends in a symbolic link is an error, never followed. Thread-safe.
 */
final class FileSystemTarget implements BackupTarget {
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*");
    private static final String TMP = ".tmp-";
    private final Path root;
    /** Folders with renamed-in or created entries not yet synced. */
    private final java.util.Set<Path> unsynced = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Staged files published under a key, waiting for {@link #sync()}: temporary file to final path. */
    private final java.util.Map<Path, Path> published = new java.util.concurrent.ConcurrentHashMap<>();
    /** How many fsyncs {@link #sync()} runs at once: the disk queue takes several, and a VM disk gains from it. */
    private static final int SYNC_THREADS = 4;

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
    public boolean canStage() {
        return true;
    }

    @Override
    public Staged stage(InputStream content, long length) throws IOException {
        Path dir = root.resolve("blobs");
        if (!Files.isDirectory(dir)) {
            for (Path d = dir; !Files.isDirectory(d); d = d.getParent()) {
                unsynced.add(d.getParent());
            }
            Files.createDirectories(dir);
        }
        if (Files.isSymbolicLink(dir)) {
            throw new BackupException(BackupException.Problem.UNSAFE_PATH, "blobs", "refusing to follow the link " + dir
                    + " in the backup repository");
        }
        Path tmp = dir.resolve(TMP + UUID.randomUUID());
        boolean ok = false;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(1 << 20);
            long written = 0;
            for (int n; (n = content.read(buffer.array(), 0, buffer.capacity())) > 0; ) {
                buffer.limit(n).position(0);
                while (buffer.hasRemaining()) {
                    written += ch.write(buffer);
                }
                buffer.clear();
            }
            if (written != length) {
                throw new IOException("expected " + length + " bytes, got " + written);
            }
            ok = true;
        } finally {
            if (!ok) {
                Files.deleteIfExists(tmp);
            }
        }
        return new Staged() {
            private boolean done;

            @Override
            public void publish(String key) throws IOException {
                Path target = path(key);
                claim();
                published.put(tmp, target);
            }

            @Override
            public void discard() throws IOException {
                claim();
                Files.deleteIfExists(tmp);
            }

            private synchronized void claim() {
                if (done) {
                    throw new IllegalStateException("a staged object is published or discarded once");
                }
                done = true;
            }
        };
    }

    @Override
    public void sync() throws IOException {
        Map<Path, Path> batch = new java.util.HashMap<>(published);
        if (!batch.isEmpty()) {
            // 1. the bytes of every published file, several fsyncs in flight at once
            List<Path> tmps = List.copyOf(batch.keySet());
            ExecutorService pool = Executors.newFixedThreadPool(Math.min(SYNC_THREADS, tmps.size()), r -> {
                Thread t = new Thread(r, "docrag-backup-fsync");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<?>> syncs = new ArrayList<>();
                for (Path tmp : tmps) {
                    syncs.add(pool.submit(() -> {
                        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                            ch.force(true);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : syncs) {
                    try {
                        f.get();
                    } catch (ExecutionException e) {
                        throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted while syncing " + root);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            // 2. only then into place: a key never shows bytes that a crash could still lose
            for (Map.Entry<Path, Path> e : batch.entrySet()) {
                Path target = e.getValue();
                for (Path d = target.getParent(); !Files.isDirectory(d); d = d.getParent()) {
                    unsynced.add(d.getParent());
                }
                Files.createDirectories(target.getParent());
                try {
                    Files.move(e.getKey(), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException ex) {
                    Files.move(e.getKey(), target, StandardCopyOption.REPLACE_EXISTING);
                }
                unsynced.add(target.getParent());
                published.remove(e.getKey());
            }
        }
        // 3. the folders whose entries changed, once each
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
        // walk only the folder the prefix names (manifests/ is not under blobs/)
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? root : path(prefix.substring(0, slash));
        if (!Files.isDirectory(start, LinkOption.NOFOLLOW_LINKS)) {
            return keys;
        }
        Files.walkFileTree(start, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String key = root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
                if (!file.getFileName().toString().startsWith(TMP) && key.startsWith(prefix)) {
                    keys.add(key);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // a temporary file renamed or deleted meanwhile
                }
                throw e;
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
