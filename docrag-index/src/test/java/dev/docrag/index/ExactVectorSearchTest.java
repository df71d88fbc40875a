package dev.docrag.index;

import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The exact scan DocRag falls back to when the HNSW search returns fewer chunks than are in
 * scope. Lucene rarely leaves it anything to do, so it is checked here directly against brute
 * force, over several segments with deletions.
 */
class ExactVectorSearchTest {
    @Test
    void scoresEveryLiveChunkInScopeAndKeepsTheBest() throws IOException {
        long seed = TestSeeds.seed();
        String why = TestSeeds.describe(seed);
        Random rnd = new Random(seed);
        List<float[]> vectors = new ArrayList<>();
        List<Boolean> inScope = new ArrayList<>();
        List<Boolean> deleted = new ArrayList<>();
        try (Directory dir = new ByteBuffersDirectory();
             IndexWriter w = new IndexWriter(dir, new IndexWriterConfig())) {
            for (int i = 0; i < 500; i++) {
                float[] v = HashEmbedder.embed("w" + rnd.nextInt(60) + " w" + rnd.nextInt(60));
                boolean scoped = rnd.nextInt(3) == 0;
                Document d = new Document();
                d.add(new StringField("id", "d" + i, Field.Store.NO));
                d.add(new StringField("scope", scoped ? "in" : "out", Field.Store.NO));
                d.add(new KnnFloatVectorField(ChunkIndex.VECTOR, v, ChunkIndex.SIMILARITY));
                w.addDocument(d);
                vectors.add(v);
                inScope.add(scoped);
                deleted.add(false);
                if (i % 100 == 99) {
                    w.commit(); // several segments
                }
            }
            for (int i = 0; i < 500; i += 7) {
                w.deleteDocuments(new Term("id", "d" + i));
                deleted.set(i, true);
            }
            w.commit();
            try (DirectoryReader reader = DirectoryReader.open(w)) {
                IndexSearcher s = new IndexSearcher(reader);
                float[] q = HashEmbedder.embed("w" + rnd.nextInt(60));
                for (Query scope : List.<Query>of(new TermQuery(new Term("scope", "in")), MatchAllDocsQuery.INSTANCE)) {
                    boolean all = scope instanceof MatchAllDocsQuery;
                    List<Double> expected = new ArrayList<>();
                    for (int i = 0; i < vectors.size(); i++) {
                        if (!deleted.get(i) && (all || inScope.get(i))) {
                            expected.add((double) ChunkIndex.SIMILARITY.compare(q, vectors.get(i)));
                        }
                    }
                    expected.sort(Comparator.reverseOrder());
                    for (int depth : new int[] {1, 10, 1000}) {
                        ScoreDoc[] got = ChunkIndex.exactVectorSearch(s, q, scope, depth);
                        assertThat(got).as("%s, depth %d, %s", scope, depth, why).hasSize(Math.min(depth, expected.size()));
                        for (int i = 0; i < got.length; i++) {
                            assertThat((double) got[i].score).as(why).isCloseTo(expected.get(i), within(1e-6));
                        }
                    }
                }
            }
        }
    }
}
