package dev.docrag.examples;

import dev.docrag.index.DocRag;
import dev.docrag.index.Hit;
import dev.docrag.index.IngestReport;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The README's first command: indexes a folder of documents (by default the sample handbook in
 * {@code samples/handbook}) and answers questions about it, printing ranked hits with their
 * sources.
 *
 * <pre>Demo [docs-folder [index-folder [question ...]]]</pre>
 */
public final class Demo {
    /** Questions worded unlike the handbook's own text, so that keyword overlap alone is not enough. */
    static final List<String> QUESTIONS = List.of(
            "How long do we hold on to old log archives?",
            "Someone paged me at 3am, what do I do first?",
            "How do I get the database back after a disk dies?",
            "How do I roll out a new version of our service?",
            "I can't remember my password, how do I get back in?",
            "When do the HTTPS certificates get replaced?",
            "How many days off do I get per year?");

    private Demo() {
    }

    public static void main(String[] args) {
        Path docs = Path.of(args.length > 0 ? args[0] : "samples/handbook");
        Path index = Path.of(args.length > 1 ? args[1] : "docrag-examples/target/demo-index");
        List<String> questions = args.length > 2 ? Arrays.asList(args).subList(2, args.length) : QUESTIONS;
        run(docs, index, questions, 3, System.out);
    }

    /** Ingests {@code docs} into {@code index}, then prints the top {@code k} hits for each question. */
    static void run(Path docs, Path index, List<String> questions, int k, PrintStream out) {
        try (DocRag rag = DocRag.builder().directory(index).build()) {
            IngestReport report = rag.ingest(docs);
            out.printf("Indexed %s into %s: %d added, %d updated, %d unchanged, %d deleted, %d failed, %d chunks (%d ms)%n",
                    docs, index, report.added(), report.updated(), report.unchanged(), report.deleted(), report.failed(),
                    report.chunks(), report.took().toMillis());
            report.failures().forEach(f -> out.printf("  skipped %s (%s): %s%n", f.source(), f.problem(), f.message()));
            out.printf("Model %s, %d documents%n", rag.model().id(), rag.documentCount());
            for (String question : questions) {
                out.printf("%nQ: %s%n", question);
                List<Hit> hits = rag.search(question, k);
                for (int i = 0; i < hits.size(); i++) {
                    Hit hit = hits.get(i);
                    out.printf("  %d. [%.4f] %s%s%n     %s%n", i + 1, hit.score(), docs.relativize(Path.of(hit.source())),
                            hit.ordinal() > 0 ? " (part " + (hit.ordinal() + 1) + ")" : "", snippet(hit.text()));
                }
            }
        }
    }

    private static String snippet(String text) {
        String flat = text.replaceAll("\\s+", " ").strip();
        return flat.length() <= 160 ? flat : flat.substring(0, 157) + "...";
    }
}
