package dev.docrag.core.embed;

import dev.docrag.core.Chunk;
import dev.docrag.core.chunk.Chunker;
import dev.docrag.core.load.FileLoader;
import dev.docrag.core.load.LoadException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToIntFunction;
import java.util.stream.IntStream;

/**
 * The retrieval eval the int8 tests share: the questions of eval/pydocs-qa.tsv, a corpus of the
 * Python docs around them, and how much of one model's top 10 another model returns. Pages are
 * scored as eval/README.md scores retrieval: chunk hits mapped to their page, first occurrence kept.
 */
final class RetrievalEval {
    private static final Path QUESTIONS = Path.of(System.getProperty("docrag.eval", "../eval/pydocs-qa.tsv"));

    /** The questions, each one's answering pages ("x.html"), and every answering page's name without ".html". */
    record Questions(List<String> texts, List<Set<String>> answers, Set<String> relevantPages) {
    }

    /** Page and chunk overlap of a ranking with the reference's top 10, and questions answered in its top 10 pages. */
    record Retrieval(double pages, double chunks, int hits) {
    }

    private RetrievalEval() {
    }

    static Questions questions() throws IOException {
        List<String> texts = new ArrayList<>();
        List<Set<String>> answers = new ArrayList<>();
        Set<String> relevantPages = new HashSet<>();
        for (String line : Files.readAllLines(QUESTIONS)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] cols = line.split("\t");
            texts.add(cols[0]);
            Set<String> pages = new HashSet<>();
            for (String page : cols[1].split(",")) {
                pages.add(page + ".html");
            }
            answers.add(pages);
            relevantPages.addAll(List.of(cols[1].split(",")));
        }
        return new Questions(texts, answers, relevantPages);
    }

    /**
     * Chunks of 256 tokens (counted by {@code tokens}) of only what the eval needs: the answering
     * pages and every 25th other page, about 3,900 chunks.
     */
    static List<Chunk> corpus(Questions questions, ToIntFunction<String> tokens) throws IOException {
        Path root = RealText.pythonDocs();
        FileLoader loader = FileLoader.standard();
        Chunker chunker = new Chunker(tokens, 256, 256);
        List<Chunk> chunks = new ArrayList<>();
        int other = 0;
        for (Path page : loader.list(root).files()) {
            String id = FileLoader.documentId(root, page);
            boolean relevant = questions.relevantPages().contains(id.replaceFirst("\\.html$", ""));
            if (id.startsWith("_") || id.startsWith("genindex") || !(relevant || other++ % 25 == 0)) {
                continue;
            }
            try {
                chunks.addAll(chunker.chunk(loader.load(root, page)));
            } catch (LoadException e) {
                // an odd page does not change the corpus
            }
        }
        return chunks;
    }

    /** How much of the reference's (refDocs, refQueries) top 10 the other vectors (docs, queries) return. */
    static Retrieval retrieval(List<float[]> refDocs, List<float[]> refQueries, List<float[]> docs, List<float[]> queries,
                               List<Chunk> chunks, List<Set<String>> answers) {
        double pagesFound = 0;
        double chunksFound = 0;
        int hits = 0;
        for (int n = 0; n < queries.size(); n++) {
            List<Integer> rankedRef = ranked(refQueries.get(n), refDocs);
            List<Integer> rankedHere = ranked(queries.get(n), docs);
            Set<String> refPages = topPages(rankedRef, chunks);
            Set<String> pages = topPages(rankedHere, chunks);
            hits += pages.stream().anyMatch(answers.get(n)::contains) ? 1 : 0;
            pages.retainAll(refPages);
            pagesFound += (double) pages.size() / refPages.size();
            Set<Integer> top = new HashSet<>(rankedRef.subList(0, 10));
            top.retainAll(rankedHere.subList(0, 10));
            chunksFound += top.size() / 10.0;
        }
        return new Retrieval(pagesFound / queries.size(), chunksFound / queries.size(), hits);
    }

    private static List<Integer> ranked(float[] q, List<float[]> docs) {
        double[] scores = docs.stream().mapToDouble(d -> RealText.cosine(q, d)).toArray();
        return IntStream.range(0, docs.size()).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> -scores[i]))
                .limit(200).toList();
    }

    private static Set<String> topPages(List<Integer> ranked, List<Chunk> chunks) {
        Set<String> pages = new LinkedHashSet<>();
        for (int i : ranked) {
            pages.add(chunks.get(i).documentId());
            if (pages.size() == 10) {
                break;
            }
        }
        return pages;
    }
}
