package dev.docrag.index;

import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FilterDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexOutput;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Lucene directory on a disk with {@link #freeSpace(long)} bytes left: a write past it fails
 * with the operating system's message, "No space left on device". Unlimited until told.
 */
final class DiskFullDirectory extends FilterDirectory {
    static final String NO_SPACE = "No space left on device";
    private final AtomicLong free = new AtomicLong(Long.MAX_VALUE);

    DiskFullDirectory(Directory in) {
        super(in);
    }

    void freeSpace(long bytes) {
        free.set(bytes);
    }

    @Override
    public IndexOutput createOutput(String name, IOContext context) throws IOException {
        take(1);
        return new Limited(super.createOutput(name, context));
    }

    @Override
    public IndexOutput createTempOutput(String prefix, String suffix, IOContext context) throws IOException {
        take(1);
        return new Limited(super.createTempOutput(prefix, suffix, context));
    }

    private void take(long bytes) throws IOException {
        if (free.addAndGet(-bytes) < 0) {
            free.set(-1); // stays full until space is freed
            throw new IOException(NO_SPACE);
        }
    }

    private final class Limited extends IndexOutput {
        private final IndexOutput out;

        Limited(IndexOutput out) {
            super("disk-full(" + out + ")", out.getName());
            this.out = out;
        }

        @Override
        public void writeByte(byte b) throws IOException {
            take(1);
            out.writeByte(b);
        }

        @Override
        public void writeBytes(byte[] b, int offset, int length) throws IOException {
            take(length);
            out.writeBytes(b, offset, length);
        }

        @Override
        public long getFilePointer() {
            return out.getFilePointer();
        }

        @Override
        public long getChecksum() throws IOException {
            return out.getChecksum();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
