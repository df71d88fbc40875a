package dev.docrag.benchmarks;

import dev.docrag.core.load.FileLoader;
import dev.docrag.index.DocRag;
import dev.docrag.index.Fusion;
import dev.docrag.index.Hit;
import dev.docrag.index.IngestReport;
import dev.docrag.index.SearchRequest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * {@code benchmarks/run quality}: retrieval quality of DocRag against a named naive pipeline
 * ({@link NaivePipeline}), both built in the same run over the same pages and asked the same
 * questions. DocRag ingests the pages with {@link DocRag#ingest} (default settings) and answers
 * each question in every mode — keyword (BM25), vector (dense), hybrid with reciprocal rank
 * fusion, hybrid with the convex combination — with one hit per document
 * ({@code maxChunksPerDocument(1)}), so that the ten hits are ten pages ranked by their best chunk.
 * Scores per mode: page hit@1, hit@5, MRR@10 and nDCG@10 (binary relevance), as eval/README.md
 * defines them; and DocRag's figures as ratios to the peer's in the same run.
 *
 * <p>Options: {@code --docs DIR} (a folder of HTML docs; default the Python 3.11 docs),
 * {@code --questions FILE} (TSV: question, comma-separated relevant pages relative to the docs
 * root without {@code .html}), {@code --out FILE}, {@code --quick} (every third question, only
 * their relevant pages plus {@value #QUICK_OTHERS} others evenly spaced: a CI smoke run),
 * {@code --subset N} (every question, but only their relevant pages plus N others evenly spaced),
 * {@code --index DIR} (keep DocRag's index there and re-use it on the next run: unchanged pages
 * are not embedded again; default a fresh folder under target/ deleted first), {@code --no-peer},
 * {@code --sweep} (also fusion settings and BM25 field boosts on the same index, see
 * {@link QualitySweep}).
 */
public final class QualityBenchmark {
    static final int K = 10;
    static final int QUICK_OTHERS = 30;
    /** The convex fusion weight reported as hybrid_convex (vector share). */
    static final double CONVEX_WEIGHT = 0.5;

    /** One evaluation question and the pages that answer it. */
    record Question(String text, Set<String> relevant) {
    }

    /** Page-level scores averaged over questions. */
    record Metrics(double hit1, double hit5, double mrr10, double ndcg10) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("hit1", hit1);
            m.put("hit5", hit5);
            m.put("mrr10", mrr10);
            m.put("ndcg10", ndcg10);
            return m;
        }
    }

    static final List<String> MODES = List.of("bm25", "dense", "hybrid_rrf", "hybrid_convex");

    public static void main(String[] args) throws IOException {
        Path docs = PythonDocs.DEFAULT_ROOT;
        Path questionsFile = Path.of("eval/pydocs-qa.tsv");
        Path out = Path.of("benchmarks/results/quality.json");
        Path indexDir = null;
        boolean quick = false;
        int subset = -1;
        boolean peer = true;
        boolean sweep = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--docs" -> docs = Path.of(args[++i]);
                case "--questions" -> questionsFile = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--index" -> indexDir = Path.of(args[++i]);
                case "--quick" -> quick = true;
                case "--subset" -> subset = Integer.parseInt(args[++i]);
                case "--no-peer" -> peer = false;
                case "--sweep" -> sweep = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        long started = System.nanoTime();
        List<Question> questions = questions(questionsFile);
        List<Path> all = PythonDocs.pages(docs);
        List<Path> pages = all;
        if (quick) {
            List<Question> some = new ArrayList<>();
            for (int i = 0; i < questions.size(); i += 3) {
                some.add(questions.get(i));
            }
            questions = some;
            pages = subsetPages(docs, all, questions, QUICK_OTHERS);
        } else if (subset >= 0) {
            pages = subsetPages(docs, all, questions, subset);
        }
        checkRelevantPagesExist(docs, pages, questions);
        System.out.printf(Locale.ROOT, "Corpus: %d pages of %s%s; %d questions from %s%n", pages.size(), docs,
                pages.size() < all.size() ? " (subset: the questions' relevant pages and " + (quick ? QUICK_OTHERS : subset) + " others)" : "", questions.size(), questionsFile);

        boolean fresh = indexDir == null;
        Path dir = fresh ? Path.of("benchmarks/target/quality-index") : indexDir;
        if (fresh) {
            deleteTree(dir);
        }
        // --index names where the index is kept; it is re-used only if an earlier run left one there
        boolean reused = !fresh && Files.isDirectory(dir.resolve("index"));
        Path root = docs;
        // The peer is built on its own thread while DocRag ingests: on a shared machine the two
        // together finish sooner than one after the other, and neither's quality depends on it.
        List<Path> peerPages = pages;
        CompletableFuture<NaivePipeline> peerBuild = peer ? CompletableFuture.supplyAsync(() -> {
            try {
                return new NaivePipeline(root, peerPages);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, command -> new Thread(command, "peer").start()) : null;
        Map<String, Object> results = new LinkedHashMap<>();
        Map<String, Metrics> docrag = new LinkedHashMap<>();
        Map<String, Object> sweepResults = null;
        double ingestSeconds;
        int chunks;
        FileLoader loader = FileLoader.builder().include(pages.stream().map(p -> FileLoader.documentId(root, p)).toArray(String[]::new)).build();
        try (DocRag rag = DocRag.builder().directory(dir).fileLoader(loader).build()) {
            long t0 = System.nanoTime();
            IngestReport report = rag.ingest(docs);
            ingestSeconds = (System.nanoTime() - t0) / 1e9;
            chunks = 0;
            for (Path p : pages) {
                chunks += rag.chunkCount(DocRag.DEFAULT_TENANT, FileLoader.documentId(docs, p));
            }
            System.out.printf(Locale.ROOT, "DocRag: %d added, %d unchanged, %d failed, %d chunks in the index; ingest %.1f s%n",
                    report.added() + report.updated(), report.unchanged(), report.failed(), chunks, ingestSeconds);
            for (String mode : MODES) {
                List<List<String>> rankings = new ArrayList<>();
                for (Question q : questions) {
                    rankings.add(pageIds(rag.search(request(mode, q.text()))));
                }
                docrag.put(mode, score(questions, rankings));
            }
            if (sweep) {
                sweepResults = QualitySweep.run(rag, dir, questions);
            }
        }

        Map<String, Metrics> naive = new LinkedHashMap<>();
        double peerSeconds = Double.NaN;
        int peerChunks = 0;
        if (peer) {
            try (NaivePipeline p = peerBuild.join()) {
                peerChunks = p.chunkCount();
                List<List<String>> bm25 = new ArrayList<>();
                List<List<String>> dense = new ArrayList<>();
                List<List<String>> hybrid = new ArrayList<>();
                for (Question q : questions) {
                    int[] k = p.keyword(q.text());
                    int[] d = p.dense(q.text());
                    bm25.add(p.pages(k));
                    dense.add(p.pages(d));
                    hybrid.add(p.pages(NaivePipeline.rrf(k, d)));
                }
                naive.put("bm25", score(questions, bm25));
                naive.put("dense", score(questions, dense));
                naive.put("hybrid_rrf", score(questions, hybrid));
                peerSeconds = p.buildSeconds;
                System.out.printf(Locale.ROOT, "Peer: %d chunks of %d words; built in %.1f s (embedding %.1f s), alongside DocRag's ingest%n",
                        peerChunks, NaivePipeline.WORDS_PER_CHUNK, peerSeconds, p.embedSeconds);
            }
        }

        Map<String, Object> modes = new LinkedHashMap<>();
        docrag.forEach((mode, m) -> modes.put(mode, m.json()));
        results.put("modes", modes);
        Map<String, Object> peerModes = new LinkedHashMap<>();
        naive.forEach((mode, m) -> peerModes.put(mode, m.json()));
        results.put("peer", Map.of("name", "naive: jsoup body text, 200-word chunks, LangChain4j all-MiniLM-L6-v2 "
                + "(truncates at 128 tokens), Lucene BM25 English analyzer, RRF k=60", "modes", peerModes));
        Map<String, Object> ratios = new LinkedHashMap<>();
        for (String mode : MODES) {
            Metrics ours = docrag.get(mode);
            // the peer has one hybrid (RRF): both of DocRag's hybrids are compared with it
            Metrics theirs = naive.get(mode.startsWith("hybrid") ? "hybrid_rrf" : mode);
            if (theirs != null) {
                ratios.put(mode, new Metrics(ours.hit1 / theirs.hit1, ours.hit5 / theirs.hit5,
                        ours.mrr10 / theirs.mrr10, ours.ndcg10 / theirs.ndcg10).json());
            }
        }
        results.put("ratios_vs_peer", ratios);
        results.put("goal", Map.of("hybrid_mrr10", 0.85, "hybrid_hit1", 0.75));
        results.put("questions", questions.size());
        results.put("questions_file", questionsFile.toString());
        results.put("docs", docs.toString());
        results.put("pages", pages.size());
        results.put("quick", quick);
        results.put("subset_others", quick ? QUICK_OTHERS : subset);
        results.put("docrag_chunks", chunks);
        results.put("docrag_ingest_seconds", ingestSeconds);
        results.put("docrag_index_reused", reused);
        results.put("peer_chunks", peerChunks);
        results.put("peer_build_seconds", peerSeconds);
        results.put("convex_weight", CONVEX_WEIGHT);
        results.put("rrf_k", Fusion.DEFAULT_RRF_K);
        if (sweepResults != null) {
            results.put("sweep", sweepResults);
        }
        results.put("total_seconds", (System.nanoTime() - started) / 1e9);
        results.put("date", LocalDate.now().toString());
        results.put("machine", EmbedBenchmark.machine());

        System.out.printf(Locale.ROOT, "%n%-22s %7s %7s %7s %7s   %s%n", "mode", "hit@1", "hit@5", "MRR@10", "nDCG@10", "MRR ratio to peer");
        for (String mode : MODES) {
            Metrics m = docrag.get(mode);
            Metrics theirs = naive.get(mode.startsWith("hybrid") ? "hybrid_rrf" : mode);
            System.out.printf(Locale.ROOT, "%-22s %7.3f %7.3f %7.3f %7.3f   %s%n", "DocRag " + mode, m.hit1, m.hit5, m.mrr10, m.ndcg10,
                    theirs == null ? "" : String.format(Locale.ROOT, "%.2fx", m.mrr10 / theirs.mrr10));
        }
        naive.forEach((mode, m) -> System.out.printf(Locale.ROOT, "%-22s %7.3f %7.3f %7.3f %7.3f%n", "peer " + mode,
                m.hit1, m.hit5, m.mrr10, m.ndcg10));
        Metrics h = docrag.get("hybrid_rrf");
        System.out.printf(Locale.ROOT, "%nGoal hybrid MRR@10 >= 0.85 and hit@1 >= 0.75, hybrid above both single retrievers: %s%n",
                h.mrr10 >= 0.85 && h.hit1 >= 0.75 && h.mrr10 > docrag.get("bm25").mrr10 && h.mrr10 > docrag.get("dense").mrr10
                        ? "met" : "NOT met");
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, Json.write(results));
        System.out.println("Wrote " + out);
    }

    static SearchRequest request(String mode, String question) {
        SearchRequest.Unscoped draft = switch (mode) {
            case "bm25" -> SearchRequest.keyword(question);
            case "dense" -> SearchRequest.vector(question);
            default -> SearchRequest.hybrid(question);
        };
        SearchRequest r = draft.tenant(DocRag.DEFAULT_TENANT).k(K).maxChunksPerDocument(1);
        return mode.equals("hybrid_convex") ? r.fusion(Fusion.convex(CONVEX_WEIGHT)) : r;
    }

    /** The hits' pages in order, first occurrence only. */
    static List<String> pageIds(List<Hit> hits) {
        LinkedHashSet<String> ids = new LinkedHashSet<>();
        for (Hit h : hits) {
            ids.add(stripHtml(h.documentId()));
        }
        return new ArrayList<>(ids);
    }

    static String pageId(Path root, Path page) {
        return stripHtml(FileLoader.documentId(root, page));
    }

    private static String stripHtml(String id) {
        return id.endsWith(".html") ? id.substring(0, id.length() - 5) : id.endsWith(".htm") ? id.substring(0, id.length() - 4) : id;
    }

    /** hit@1, hit@5, MRR@10 and nDCG@10 over ranked page lists, one per question. */
    static Metrics score(List<Question> questions, List<List<String>> rankings) {
        double hit1 = 0;
        double hit5 = 0;
        double mrr = 0;
        double ndcg = 0;
        for (int q = 0; q < questions.size(); q++) {
            Set<String> relevant = questions.get(q).relevant();
            List<String> ranked = rankings.get(q);
            int first = 0;
            double dcg = 0;
            for (int i = 0; i < Math.min(K, ranked.size()); i++) {
                if (relevant.contains(ranked.get(i))) {
                    first = first == 0 ? i + 1 : first;
                    dcg += 1 / log2(i + 2);
                }
            }
            double ideal = 0;
            for (int i = 0; i < Math.min(K, relevant.size()); i++) {
                ideal += 1 / log2(i + 2);
            }
            hit1 += first == 1 ? 1 : 0;
            hit5 += first >= 1 && first <= 5 ? 1 : 0;
            mrr += first == 0 ? 0 : 1.0 / first;
            ndcg += dcg / ideal;
        }
        int n = questions.size();
        return new Metrics(hit1 / n, hit5 / n, mrr / n, ndcg / n);
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }

    static List<Question> questions(Path file) throws IOException {
        List<Question> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] cols = line.split("\t");
            if (cols.length < 2) {
                throw new IllegalArgumentException(file + ": expected question<TAB>pages, got: " + line);
            }
            Set<String> relevant = new LinkedHashSet<>();
            for (String p : cols[1].split(",")) {
                if (!p.isBlank()) {
                    relevant.add(p.strip());
                }
            }
            out.add(new Question(cols[0].strip(), relevant));
        }
        return out;
    }

    /** The questions' relevant pages and {@code others} more spread evenly over the rest. */
    private static List<Path> subsetPages(Path root, List<Path> all, List<Question> questions, int others) {
        Set<String> relevant = new java.util.HashSet<>();
        questions.forEach(q -> relevant.addAll(q.relevant()));
        List<Path> chosen = new ArrayList<>();
        List<Path> rest = new ArrayList<>();
        for (Path p : all) {
            (relevant.contains(pageId(root, p)) ? chosen : rest).add(p);
        }
        double step = Math.max(1.0, (double) rest.size() / Math.max(1, others));
        for (int i = 0; i < others && (int) (i * step) < rest.size(); i++) {
            chosen.add(rest.get((int) (i * step)));
        }
        chosen.sort(Comparator.naturalOrder());
        return chosen;
    }

    private static void checkRelevantPagesExist(Path root, List<Path> pages, List<Question> questions) {
        Set<String> ids = new java.util.HashSet<>();
        pages.forEach(p -> ids.add(pageId(root, p)));
        Map<String, String> missing = new HashMap<>();
        for (Question q : questions) {
            q.relevant().stream().filter(r -> !ids.contains(r)).forEach(r -> missing.put(r, q.text()));
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("relevant pages not among the indexed pages of " + root + ": " + missing);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
