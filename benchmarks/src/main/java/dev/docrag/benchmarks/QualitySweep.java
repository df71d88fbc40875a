package dev.docrag.benchmarks;

import dev.docrag.benchmarks.QualityBenchmark.Metrics;
import dev.docrag.benchmarks.QualityBenchmark.Question;
import dev.docrag.index.DocRag;
import dev.docrag.index.Hit;
import dev.docrag.index.SearchRequest;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.QueryBuilder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Search-time levers measured on one built index without re-embedding: BM25 field boosts (title,
 * headings, text) and fusion settings (RRF k, convex weight). Vector candidates come from DocRag
 * itself; keyword candidates from the same Lucene index read directly with boosted field queries
 * (the same analyzer and fields as DocRag's keyword query); fusion and page collapsing are redone
 * here exactly as DocRag does them (100 candidates per retriever, a page ranked by its best
 * chunk). The row with boosts 1/1/1 and RRF k = 60 reproduces DocRag's own hybrid_rrf.
 */
final class QualitySweep {
    private static final int DEPTH = 100;
    // DocRag's Lucene field names (package-private in docrag-index)
    private static final String TEXT = "text";
    private static final String TITLE = "title";
    private static final String HEADINGS = "headings";

    private record Cand(String page, String key, double score) {
    }

    private QualitySweep() {
    }

    static Map<String, Object> run(DocRag rag, Path dir, List<Question> questions) throws IOException {
        List<List<Cand>> vector = new ArrayList<>();
        for (Question q : questions) {
            List<Cand> list = new ArrayList<>();
            for (Hit h : rag.search(SearchRequest.vector(q.text()).tenant(DocRag.DEFAULT_TENANT).k(DEPTH))) {
                list.add(new Cand(page(h.documentId()), h.documentId() + "#" + h.ordinal(), h.vectorScore()));
            }
            vector.add(list);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        double[][] boosts = {{1, 1, 1}, {1, 2, 1}, {1, 1, 2}, {1, 2, 2}, {1, 3, 3}, {1, 0.5, 0.5}, {1, 0, 0}, {1, 0, 2}, {1, 2, 0}};
        System.out.printf(Locale.ROOT, "%nSweep (MRR@10 / hit@1; boosts text/title/headings)%n%-12s %-13s %-13s %-13s %-13s %-13s %-13s %-13s %-13s %-13s%n",
                "boosts", "bm25", "rrf k=10", "rrf k=30", "rrf k=60", "cvx w=0.3", "cvx w=0.4", "cvx w=0.5", "cvx w=0.6", "cvx w=0.7");
        try (FSDirectory fs = FSDirectory.open(dir.resolve("index")); DirectoryReader reader = DirectoryReader.open(fs)) {
            IndexSearcher searcher = new IndexSearcher(reader);
            EnglishAnalyzer analyzer = new EnglishAnalyzer();
            for (double[] b : boosts) {
                List<List<Cand>> keyword = new ArrayList<>();
                for (Question q : questions) {
                    keyword.add(keyword(searcher, analyzer, q.text(), b));
                }
                String name = String.format(Locale.ROOT, "%s/%s/%s", fmt(b[0]), fmt(b[1]), fmt(b[2]));
                Map<String, Object> row = new LinkedHashMap<>();
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-12s", name));
                Metrics bm25 = QualityBenchmark.score(questions, keyword.stream().map(QualitySweep::pages).toList());
                row.put("bm25", bm25.json());
                line.append(cell(bm25));
                for (int k : new int[] {10, 30, 60}) {
                    List<List<String>> ranked = new ArrayList<>();
                    for (int i = 0; i < questions.size(); i++) {
                        ranked.add(pages(rrf(vector.get(i), keyword.get(i), k)));
                    }
                    Metrics m = QualityBenchmark.score(questions, ranked);
                    row.put("rrf_k" + k, m.json());
                    line.append(cell(m));
                }
                for (double w : new double[] {0.3, 0.4, 0.5, 0.6, 0.7}) {
                    List<List<String>> ranked = new ArrayList<>();
                    for (int i = 0; i < questions.size(); i++) {
                        ranked.add(pages(convex(vector.get(i), keyword.get(i), w)));
                    }
                    Metrics m = QualityBenchmark.score(questions, ranked);
                    row.put("convex_w" + w, m.json());
                    line.append(cell(m));
                }
                System.out.println(line);
                out.put("boosts_" + name, row);
            }
        }
        Metrics dense = QualityBenchmark.score(questions, vector.stream().map(QualitySweep::pages).toList());
        System.out.printf(Locale.ROOT, "dense (same candidates): %s%n", cell(dense));
        out.put("dense", dense.json());
        return out;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Integer.toString((int) d) : Double.toString(d);
    }

    private static String cell(Metrics m) {
        return String.format(Locale.ROOT, " %.3f/%.3f  ", m.mrr10(), m.hit1());
    }

    private static List<Cand> keyword(IndexSearcher s, EnglishAnalyzer analyzer, String text, double[] boosts) throws IOException {
        QueryBuilder builder = new QueryBuilder(analyzer);
        BooleanQuery.Builder q = new BooleanQuery.Builder();
        String[] fields = {TEXT, TITLE, HEADINGS};
        for (int f = 0; f < fields.length; f++) {
            Query fq = builder.createBooleanQuery(fields[f], text);
            if (fq != null && boosts[f] > 0) {
                q.add(boosts[f] == 1 ? fq : new BoostQuery(fq, (float) boosts[f]), Occur.SHOULD);
            }
        }
        List<Cand> out = new ArrayList<>();
        for (ScoreDoc sd : s.search(q.build(), DEPTH).scoreDocs) {
            var d = s.storedFields().document(sd.doc, Set.of("doc_id", "ordinal"));
            String id = d.get("doc_id");
            out.add(new Cand(page(id), id + "#" + d.getField("ordinal").numericValue().intValue(), sd.score));
        }
        return out;
    }

    private static List<Cand> rrf(List<Cand> v, List<Cand> w, int k) {
        Map<String, double[]> score = new LinkedHashMap<>(); // score, best rank
        Map<String, String> pageOf = new HashMap<>();
        for (List<Cand> list : List.of(v, w)) {
            for (int r = 0; r < list.size(); r++) {
                Cand c = list.get(r);
                double[] s = score.computeIfAbsent(c.key, x -> new double[] {0, Integer.MAX_VALUE});
                s[0] += 1.0 / (k + r + 1);
                s[1] = Math.min(s[1], r + 1);
                pageOf.put(c.key, c.page);
            }
        }
        return sorted(score, pageOf);
    }

    private static List<Cand> convex(List<Cand> v, List<Cand> w, double weight) {
        Map<String, double[]> score = new LinkedHashMap<>();
        Map<String, String> pageOf = new HashMap<>();
        add(v, weight, score, pageOf);
        add(w, 1 - weight, score, pageOf);
        return sorted(score, pageOf);
    }

    private static void add(List<Cand> list, double weight, Map<String, double[]> score, Map<String, String> pageOf) {
        double min = list.stream().mapToDouble(Cand::score).min().orElse(0);
        double max = list.stream().mapToDouble(Cand::score).max().orElse(0);
        for (int r = 0; r < list.size(); r++) {
            Cand c = list.get(r);
            double n = max > min ? (c.score - min) / (max - min) : 1;
            double[] s = score.computeIfAbsent(c.key, x -> new double[] {0, Integer.MAX_VALUE});
            s[0] += weight * n;
            s[1] = Math.min(s[1], r + 1);
            pageOf.put(c.key, c.page);
        }
    }

    private static List<Cand> sorted(Map<String, double[]> score, Map<String, String> pageOf) {
        List<Map.Entry<String, double[]>> e = new ArrayList<>(score.entrySet());
        e.sort((a, b) -> a.getValue()[0] != b.getValue()[0] ? Double.compare(b.getValue()[0], a.getValue()[0])
                : Double.compare(a.getValue()[1], b.getValue()[1]));
        return e.stream().map(x -> new Cand(pageOf.get(x.getKey()), x.getKey(), x.getValue()[0])).toList();
    }

    private static List<String> pages(List<Cand> ranked) {
        LinkedHashSet<String> seen = new LinkedHashSet<>();
        for (Cand c : ranked) {
            seen.add(c.page);
            if (seen.size() == QualityBenchmark.K) {
                break;
            }
        }
        return new ArrayList<>(seen);
    }

    private static String page(String documentId) {
        return documentId.endsWith(".html") ? documentId.substring(0, documentId.length() - 5) : documentId;
    }
}
