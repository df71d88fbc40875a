package dev.docrag.ops.backup;

import dev.docrag.index.DocRag;
import dev.docrag.ops.TestEmbedder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * The process {@link BackupKillTest} kills: opens a DocRag, writes a few documents, and backs up
 * to a filesystem repository in a loop, printing {@code START} before and {@code DONE <id>} after
 * each backup. Every object stored is slowed down a little, so that a kill lands inside a backup.
 *
 * <p>Arguments: DocRag directory, repository directory, first document number.
 */
public final class BackupKillWorker {
    private BackupKillWorker() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        BackupTarget slow = new Slow(BackupTarget.filesystem(Path.of(args[1])));
        int first = Integer.parseInt(args[2]);
        try (DocRag rag = DocRag.builder().directory(dir).embedder(new TestEmbedder()).build();
             BackupManager backups = BackupManager.builder(rag).target(slow).build()) {
            rag.upsert(List.of(Corpus.doc(first, 1), Corpus.doc(first + 1, 1)));
            while (true) {
                System.out.println("START");
                System.out.flush();
                String id = backups.backup().id();
                System.out.println("DONE " + id);
                System.out.flush();
            }
        }
    }

    /** A target whose writes each take 15 ms longer, and are written in small pieces. */
    private record Slow(BackupTarget inner) implements BackupTarget {
        @Override
        public void put(String key, Content content, long length) throws IOException {
            try {
                Thread.sleep(15);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            inner.put(key, content, length);
        }

        @Override
        public boolean canStage() {
            return inner.canStage();
        }

        @Override
        public Staged stage(InputStream content, long length) throws IOException {
            try {
                Thread.sleep(15);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return inner.stage(content, length);
        }

        @Override
        public InputStream get(String key) throws IOException {
            return inner.get(key);
        }

        @Override
        public OptionalLong size(String key) throws IOException {
            return inner.size(key);
        }

        @Override
        public List<String> list(String prefix) throws IOException {
            return inner.list(prefix);
        }

        @Override
        public void delete(String key) throws IOException {
            inner.delete(key);
        }

        @Override
        public void sync() throws IOException {
            inner.sync();
        }

        @Override
        public void cleanUpInterrupted() throws IOException {
            inner.cleanUpInterrupted();
        }

        @Override
        public String describe() {
            return "slow " + inner.describe();
        }
    }
}
