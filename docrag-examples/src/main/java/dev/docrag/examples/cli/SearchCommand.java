package dev.docrag.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.docrag.index.DocRag;
import dev.docrag.index.Filter;
import dev.docrag.index.MetadataType;
import dev.docrag.index.Hit;
import dev.docrag.index.SearchRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code docrag search "<question>"}: ranked hits as text, or JSON with {@code --json}. */
@Command(name = "search", description = "Search the index.")
final class SearchCommand implements Callable<Integer> {
    @ParentCommand
    DocRagCli cli;

    @Parameters(index = "0", paramLabel = "QUESTION", description = "What to search for.")
    String question;

    @Option(names = "--mode", defaultValue = "hybrid", description = "vector, keyword or hybrid (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "-k", defaultValue = "5", description = "How many hits (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--tenant", defaultValue = DocRag.DEFAULT_TENANT, description = "Tenant to search (default: ${DEFAULT-VALUE}).")
    String tenant;

    @Option(names = "--json", description = "Print the hits as JSON.")
    boolean json;

    @Option(names = "--filter", paramLabel = "FIELD=VALUE",
            description = "Only documents whose metadata FIELD equals VALUE (a whole number is compared as a number); repeat to require several.")
    List<String> filters = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        SearchRequest.Mode m;
        try {
            m = SearchRequest.Mode.valueOf(mode.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            cli.err.println("docrag search: --mode must be vector, keyword or hybrid, got '" + mode + "'");
            return DocRagCli.USAGE;
        }
        if (k < 1 || k > 100) {
            cli.err.println("docrag search: -k must be 1..100, got " + k);
            return DocRagCli.USAGE;
        }
        for (String f : filters) {
            if (f.indexOf('=') <= 0) {
                cli.err.println("docrag search: --filter must be FIELD=VALUE, got '" + f + "'");
                return DocRagCli.USAGE;
            }
        }
        try (DocRag rag = cli.open()) {
            SearchRequest request = switch (m) {
                case VECTOR -> SearchRequest.vector(question).tenant(tenant);
                case KEYWORD -> SearchRequest.keyword(question).tenant(tenant);
                case HYBRID -> SearchRequest.hybrid(question).tenant(tenant);
            };
            request = request.k(k);
            List<Filter> conditions = new ArrayList<>();
            Map<String, MetadataType> types = rag.metadataFields();
            for (String f : filters) {
                int eq = f.indexOf('=');
                conditions.add(Filter.eq(f.substring(0, eq), typed(types.get(f.substring(0, eq)), f.substring(eq + 1), f)));
            }
            if (!conditions.isEmpty()) {
                request = request.filter(conditions.size() == 1 ? conditions.get(0) : new Filter.And(conditions));
            }
            List<Hit> hits = rag.search(request);
            if (json) {
                List<Map<String, Object>> list = new ArrayList<>();
                for (Hit h : hits) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("id", h.documentId());
                    o.put("source", h.source());
                    o.put("title", h.title());
                    o.put("breadcrumb", h.headings());
                    o.put("page", h.page() == 0 ? null : h.page());
                    o.put("score", h.score());
                    o.put("snippet", h.snippet().text());
                    list.add(o);
                }
                cli.out.println(new ObjectMapper().writeValueAsString(Map.of("hits", list)));
            } else if (hits.isEmpty()) {
                cli.out.println("no hits");
            } else {
                int rank = 1;
                for (Hit h : hits) {
                    String where = h.headings().isEmpty() ? "" : " > " + String.join(" > ", h.headings());
                    cli.out.printf("%d. [%.3f] %s%s%n   %s%n", rank++, h.score(), h.source(), where,
                            h.snippet().marked("*", "*").replaceAll("\\s+", " "));
                }
            }
            return DocRagCli.OK;
        }
    }

    /** The value as the index typed the field (a field no document has stays a string). */
    private static Object typed(MetadataType type, String value, String option) {
        try {
            if (type == MetadataType.LONG) {
                return Long.parseLong(value);
            }
            if (type == MetadataType.DOUBLE) {
                return Double.parseDouble(value);
            }
            if (type == MetadataType.INSTANT) {
                return java.time.Instant.parse(value);
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--filter " + option + ": '" + value + "' is not a " + type.name().toLowerCase(Locale.ROOT), e);
        }
        return value;
    }
}
