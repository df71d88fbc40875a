package dev.docrag.examples;

import dev.docrag.index.DocRag;
import dev.docrag.index.DocumentInput;
import dev.docrag.index.Filter;
import dev.docrag.index.Fusion;
import dev.docrag.index.Hit;
import dev.docrag.index.SearchRequest;

import java.time.Instant;
import java.util.List;

/**
 * The "Search API" examples of README.md, compiled and run by {@code SearchApiExampleTest}, which
 * also checks that README shows each marked region line for line.
 */
final class SearchApiExample {
    private SearchApiExample() {
    }

    static void write(DocRag rag) {
        // README:upsert:begin
        rag.upsert(DocumentInput.builder("acme", "runbooks/rotate-logs")      // tenant, id
                .title("Rotating logs")
                .text("Application logs are rotated nightly and kept for fourteen days.")
                .metadata("lang", "en")                                       // String
                .metadata("tags", List.of("ops", "logging"))                  // several Strings
                .metadata("year", 2024)                                       // long
                .metadata("published", Instant.parse("2024-03-01T00:00:00Z")) // instant
                .accessGroups("ops")                                          // who may see it
                .build());
        // README:upsert:end
    }

    static List<Hit> vector(DocRag rag) {
        // README:vector:begin
        List<Hit> hits = rag.search(SearchRequest.vector("how long do we keep old logs?")
                .tenant("acme")                      // required: tenant(...) or allTenants()
                .accessGroups("ops")                 // the caller's groups
                .k(5));
        // README:vector:end
        return hits;
    }

    static List<Hit> keyword(DocRag rag) {
        // README:keyword:begin
        List<Hit> hits = rag.search(SearchRequest.keyword("rotated nightly")
                .tenant("acme")
                .accessGroups("ops")
                .filter(Filter.and(Filter.eq("lang", "en"), Filter.range("year", 2023, 2025)))
                .k(5));
        for (Hit hit : hits) {
            System.out.println(hit.snippet().marked("[", "]"));  // Application logs are [rotated] [nightly] ...
        }
        // README:keyword:end
        return hits;
    }

    static List<Hit> hybrid(DocRag rag) {
        // README:hybrid:begin
        List<Hit> hits = rag.search(SearchRequest.hybrid("log retention")
                .tenant("acme")
                .accessGroups("ops")
                .filter(Filter.in("tags", "logging", "security"))
                .fusion(Fusion.rrf())                // default; or Fusion.convex(0.7)
                .maxChunksPerDocument(1)             // one hit per document
                .offset(0).k(10));                   // first page
        for (Hit hit : hits) {
            System.out.printf("%.4f vector #%d keyword #%d %s%n",
                    hit.score(), hit.vectorRank(), hit.keywordRank(), hit.documentId());
        }
        // README:hybrid:end
        return hits;
    }
}
