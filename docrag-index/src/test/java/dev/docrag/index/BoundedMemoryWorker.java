package dev.docrag.index;

import java.nio.file.Path;

/**
 * The child JVM of {@link BoundedMemoryIngestTest}: ingests a folder with a heap smaller than the
 * folder and prints the report. An {@code OutOfMemoryError} ends it with a non-zero status.
 */
public final class BoundedMemoryWorker {
    private BoundedMemoryWorker() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        Path folder = Path.of(args[1]);
        try (DocRag rag = DocRag.builder().directory(dir).embedder(new HashEmbedder(BoundedMemoryIngestTest.MAX_TOKENS)).build()) {
            IngestReport report = rag.ingest(folder);
            System.out.println("REPORT added=" + report.added() + " failed=" + report.failed() + " chunks=" + report.chunks()
                    + " heap_max=" + Runtime.getRuntime().maxMemory() + " took_ms=" + report.took().toMillis());
        }
    }
}
