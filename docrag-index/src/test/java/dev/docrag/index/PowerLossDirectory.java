package dev.docrag.index;

import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FilterDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexOutput;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A Lucene directory that knows what a power loss would keep: a file survives only if its
 * content was fsynced ({@link #sync}) and its name was made durable by a later
 * {@link #syncMetaData} (a new or renamed file's directory entry is not durable before). Files
 * present when it was opened count as durable. Deleted files are not brought back, which is the
 * stricter case for the commit that must survive. {@link #image} copies what would survive; a
 * {@link Runnable} hook runs at every file system event, so that a test can take the image in the
 * middle of a commit.
 */
final class PowerLossDirectory extends FilterDirectory {
    private final Path path;
    private final Set<String> contentSynced = new HashSet<>();
    private final Set<String> nameSynced = new HashSet<>();
    private volatile Runnable onEvent = () -> { };

    PowerLossDirectory(Directory in, Path path) throws IOException {
        super(in);
        this.path = path;
        contentSynced.addAll(List.of(in.listAll()));
        nameSynced.addAll(List.of(in.listAll()));
    }

    void onEvent(Runnable hook) {
        this.onEvent = hook;
    }

    @Override
    public IndexOutput createOutput(String name, IOContext context) throws IOException {
        forget(name);
        onEvent.run();
        return super.createOutput(name, context);
    }

    @Override
    public IndexOutput createTempOutput(String prefix, String suffix, IOContext context) throws IOException {
        onEvent.run();
        IndexOutput out = super.createTempOutput(prefix, suffix, context);
        forget(out.getName());
        return out;
    }

    @Override
    public void sync(Collection<String> names) throws IOException {
        super.sync(names);
        synchronized (this) {
            contentSynced.addAll(names);
        }
        onEvent.run();
    }

    @Override
    public void rename(String source, String dest) throws IOException {
        super.rename(source, dest);
        synchronized (this) {
            boolean synced = contentSynced.remove(source);
            nameSynced.remove(source);
            forget(dest);
            if (synced) {
                contentSynced.add(dest);
            }
        }
        onEvent.run();
    }

    @Override
    public void syncMetaData() throws IOException {
        super.syncMetaData();
        synchronized (this) {
            nameSynced.addAll(List.of(in.listAll()));
        }
        onEvent.run();
    }

    @Override
    public void deleteFile(String name) throws IOException {
        super.deleteFile(name);
        forget(name);
        onEvent.run();
    }

    private synchronized void forget(String name) {
        contentSynced.remove(name);
        nameSynced.remove(name);
    }

    /** Copies the files a power loss now would leave into {@code target}. */
    synchronized void image(Path target) {
        try {
            Files.createDirectories(target);
            for (String name : in.listAll()) {
                if (contentSynced.contains(name) && nameSynced.contains(name) && !name.equals("write.lock")) {
                    Files.copy(path.resolve(name), target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
