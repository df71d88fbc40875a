package dev.docrag.benchmarks;

import dev.docrag.core.Chunk;
import dev.docrag.core.Document;
import dev.docrag.core.chunk.Chunker;
import dev.docrag.core.load.FileLoader;
import dev.docrag.core.load.LoadException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/** The Python 3.11 HTML documentation (Debian package python3.11-doc), the shared benchmark corpus. */
final class PythonDocs {
    static final Path DEFAULT_ROOT = Path.of("/usr/share/doc/python3.11/html");

    private PythonDocs() {
    }

    /** The pages the evaluation README says to index: all .html except indexes, search and assets. */
    static List<Path> pages(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException(root + " not found: install the Debian package python3.11-doc");
        }
        List<Path> pages = new ArrayList<>();
        for (Path p : FileLoader.standard().list(root).files()) {
            String rel = FileLoader.documentId(root, p);
            String name = p.getFileName().toString();
            if (!name.endsWith(".html") || name.startsWith("genindex") || name.equals("search.html")
                    || name.equals("py-modindex.html") || rel.startsWith("_")) {
                continue;
            }
            pages.add(p);
        }
        return pages;
    }

    /** Every {@code stride}-th page (a quick run need not go through the whole documentation). */
    static List<Path> everyNth(List<Path> pages, int stride) {
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < pages.size(); i += stride) {
            out.add(pages.get(i));
        }
        return out;
    }

    /** Chunks of every page, cut by {@code chunker}; pages that fail to load are skipped. */
    static List<Chunk> chunks(Path root, Chunker chunker) throws IOException {
        return chunks(root, chunker, 1);
    }

    /** Chunks of every {@code stride}-th page (a quick run need not chunk the whole documentation). */
    static List<Chunk> chunks(Path root, Chunker chunker, int stride) throws IOException {
        FileLoader loader = FileLoader.standard();
        List<Chunk> chunks = new ArrayList<>();
        List<Path> pages = pages(root);
        for (int i = 0; i < pages.size(); i += stride) {
            Path page = pages.get(i);
            try {
                Document doc = loader.load(root, page);
                chunks.addAll(chunker.chunk(doc));
            } catch (LoadException e) {
                // an empty or odd page does not change the corpus' character
            }
        }
        return chunks;
    }

    /** Every {@code n/size}-th chunk, so that a sample spans the whole documentation. */
    static List<Chunk> sample(List<Chunk> chunks, int size) {
        if (chunks.size() <= size) {
            return chunks;
        }
        List<Chunk> out = new ArrayList<>(size);
        double step = (double) chunks.size() / size;
        for (int i = 0; i < size; i++) {
            out.add(chunks.get((int) (i * step)));
        }
        return out;
    }

    static Chunker chunker(ToIntFunction<String> counter, int target, int max) {
        return new Chunker(counter, target, max);
    }
}
