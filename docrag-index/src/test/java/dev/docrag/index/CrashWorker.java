package dev.docrag.index;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/**
 * The process {@link CrashConsistencyTest} kills: opens a DocRag (test embedder, default H2
 * catalog) and writes at random until killed. Before each call it appends {@code B <n> <effects>}
 * to the log, after the call returned {@code A <n>}, each forced to disk before going on, so the
 * log holds every acknowledged write and at most one in flight.
 *
 * <p>Arguments: DocRag directory, ingest folder, state file (the model the test verified), log
 * file, seed. Prints {@code READY} once DocRag is open.
 */
public final class CrashWorker {
    private CrashWorker() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Path folder = Path.of(args[1]);
        Path state = Path.of(args[2]);
        Path log = Path.of(args[3]);
        long seed = Long.parseLong(args[4]);
        RandomWrites writes = new RandomWrites(new Random(seed), folder, RandomWrites.readState(state));
        try (FileChannel out = FileChannel.open(log, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
             DocRag rag = DocRag.builder().directory(dir).embedder(new HashEmbedder()).build()) {
            System.out.println("READY");
            System.out.flush();
            for (long n = 0; ; n++) {
                RandomWrites.Op op = writes.next();
                append(out, "B\t" + n + RandomWrites.encode(op.effects()));
                op.call().run(rag);
                append(out, "A\t" + n);
                writes.acknowledge(op);
            }
        }
    }

    private static void append(FileChannel out, String line) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
        out.force(false);
    }
}
