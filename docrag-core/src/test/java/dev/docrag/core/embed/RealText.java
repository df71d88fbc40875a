package dev.docrag.core.embed;

import dev.docrag.core.Chunk;
import dev.docrag.core.Document;
import dev.docrag.core.chunk.Chunker;
import dev.docrag.core.load.FileLoader;
import dev.docrag.core.load.LoadException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Real text for embedding tests: the sample handbook in the repository and the Python 3.11 docs. */
final class RealText {
    static final Path SAMPLES = Path.of(System.getProperty("docrag.samples", "../samples/handbook"));
    static final Path PYTHON_DOCS = Path.of(System.getProperty("docrag.pythondocs", "/usr/share/doc/python3.11/html"));

    private RealText() {
    }

    /** Chunks of every loadable document under {@code root}, cut for {@code embedder} with a window of {@code max}. */
    static List<Chunk> chunks(Path root, Embedder embedder, int max) {
        FileLoader loader = FileLoader.standard();
        Chunker chunker = new Chunker(embedder::countTokens, max, max);
        List<Chunk> out = new ArrayList<>();
        try {
            for (Path file : loader.list(root).files()) {
                try {
                    Document doc = loader.load(root, file);
                    out.addAll(chunker.chunk(doc));
                } catch (LoadException e) {
                    // skipped pages do not matter for a corpus
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The Python docs root, or a failure that says how to install it (CI installs it). */
    static Path pythonDocs() {
        if (!Files.isDirectory(PYTHON_DOCS.resolve("library"))) {
            throw new AssertionError("the Python 3.11 docs are missing at " + PYTHON_DOCS
                    + ": apt-get install python3.11-doc (.ci/run does)");
        }
        return PYTHON_DOCS;
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
