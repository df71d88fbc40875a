package dev.docrag.examples;

import dev.docrag.index.DocRag;
import dev.docrag.index.Hit;
import dev.docrag.index.IngestReport;

import java.nio.file.Path;

/**
 * The "Use it as a library" example of README.md, compiled and run by {@code QuickStartExampleTest}
 * so that it cannot rot: the test also checks that README shows these exact lines.
 */
final class QuickStartExample {
    private QuickStartExample() {
    }

    static void run(Path docs, Path data) {
        // README:begin
        try (DocRag rag = DocRag.builder()
                .directory(data)                      // Lucene index + H2 catalog live here
                .build()) {                           // default model: all-MiniLM-L6-v2, from the classpath
            IngestReport report = rag.ingest(docs);   // only new or changed files are embedded
            System.out.println(report.added() + " added, " + report.failed() + " failed");
            for (Hit hit : rag.search("how do I rotate logs?", 5)) {
                System.out.printf("%.3f %s%n  %s%n", hit.score(), hit.source(), hit.text());
            }
        }
        // README:end
    }
}
