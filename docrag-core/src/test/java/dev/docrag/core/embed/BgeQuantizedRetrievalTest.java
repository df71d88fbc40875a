package dev.docrag.core.embed;

import dev.docrag.core.Chunk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #4 for BAAI bge-small-en-v1.5: does its int8 artifact return what its fp32 artifact
 * returns? Same measurement as {@link QuantizedEmbeddingTest#int8RetrievesWhatFp32Retrieves()}
 * (where all-MiniLM-L6-v2's int8 keeps 91.1% of its fp32's top-10 pages): the Python 3.11 docs,
 * every chunk of the pages eval/pydocs-qa.tsv names plus every 25th other page, cut into chunks of
 * at most 256 tokens (bge's window is 512, but the corpus is kept comparable with MiniLM's), counted
 * with bge's own tokenizer; the 59 questions embedded with {@link OnnxEmbedder#embedQuery(String)}
 * (which adds bge's query instruction), the chunks with {@link OnnxEmbedder#embedDocuments(List)}.
 *
 * <p>Measured here (59 questions, 3,889 chunks, the same corpus as MiniLM's; identical in two runs): bge's int8 returns
 * 92.7% of bge fp32's top-10 pages (92.0% of its top-10 chunks), so it too falls short of the 95%
 * issue #4 asks for, though by less than MiniLM's int8 (91.1% of pages, 89.7% of chunks). Both
 * answer 58 of 59 questions with a relevant page in the top 10. Mean cosine int8 vs fp32 is
 * 0.9973 over the chunks (min 0.9925) and 0.9966 over the queries. The assertions hold these
 * numbers with a margin (overlaps at least measured less 0.02, hit@10 within 3 of fp32's).
 *
 * <p>Slow (6 to 6.5 minutes on 2 cores: fp32 embeds the corpus in 260-280 s, int8 in 90-100 s), so it
 * runs only with {@code -Ddocrag.slowTests=true}.
 */
class BgeQuantizedRetrievalTest {

    @Test
    @EnabledIfSystemProperty(named = "docrag.slowTests", matches = "true")
    void bgeInt8RetrievesWhatBgeFp32Retrieves() throws IOException {
        long start = System.nanoTime();
        RetrievalEval.Questions eval = RetrievalEval.questions();
        List<String> questions = eval.texts();
        List<Set<String>> answers = eval.answers();
        try (OnnxEmbedder fp32 = OnnxEmbedder.create(OnnxModel.bgeSmallEnV15());
             OnnxEmbedder int8 = OnnxEmbedder.create(OnnxModel.bgeSmallEnV15Int8())) {
            // The corpus of QuantizedEmbeddingTest, chunked with bge's tokenizer.
            List<Chunk> chunks = RetrievalEval.corpus(eval, fp32::countTokens);
            List<String> texts = chunks.stream().map(Chunk::text).toList();
            long t0 = System.nanoTime();
            List<float[]> docsFp32 = fp32.embedDocuments(texts);
            long t1 = System.nanoTime();
            List<float[]> docsInt8 = int8.embedDocuments(texts);
            long t2 = System.nanoTime();
            List<float[]> queriesFp32 = questions.stream().map(fp32::embedQuery).toList();
            List<float[]> queriesInt8 = questions.stream().map(int8::embedQuery).toList();
            RetrievalEval.Retrieval fp32Self = RetrievalEval.retrieval(docsFp32, queriesFp32, docsFp32, queriesFp32, chunks, answers);
            RetrievalEval.Retrieval bgeInt8 = RetrievalEval.retrieval(docsFp32, queriesFp32, docsInt8, queriesInt8, chunks, answers);
            double cosineChunks = IntStream.range(0, texts.size())
                    .mapToDouble(i -> RealText.cosine(docsFp32.get(i), docsInt8.get(i))).average().orElseThrow();
            double minCosineChunks = IntStream.range(0, texts.size())
                    .mapToDouble(i -> RealText.cosine(docsFp32.get(i), docsInt8.get(i))).min().orElseThrow();
            double cosineQueries = IntStream.range(0, questions.size())
                    .mapToDouble(n -> RealText.cosine(queriesFp32.get(n), queriesInt8.get(n))).average().orElseThrow();

            String measured = String.format(Locale.ROOT,
                    "bge-small-en-v1.5, %d questions, %d chunks: int8 vs fp32 page overlap %.3f, chunk overlap %.3f;"
                            + " hit@10 fp32 %d, int8 %d; cosine int8 vs fp32 mean over chunks %.4f (min %.4f), over queries %.4f;"
                            + " embedding fp32 %.0f s, int8 %.0f s, test %.0f s",
                    questions.size(), texts.size(), bgeInt8.pages(), bgeInt8.chunks(), fp32Self.hits(), bgeInt8.hits(),
                    cosineChunks, minCosineChunks, cosineQueries,
                    (t1 - t0) / 1e9, (t2 - t1) / 1e9, (System.nanoTime() - start) / 1e9);
            System.out.println(measured);
            assertThat(questions).hasSize(59);
            assertThat(fp32Self.hits()).as("fp32 itself answers most questions; " + measured).isGreaterThan(40);
            assertThat(bgeInt8.pages()).as("share of fp32's top-10 pages that int8 also returns; " + measured)
                    .isGreaterThanOrEqualTo(0.907);
            assertThat(bgeInt8.chunks()).as("share of fp32's top-10 chunks that int8 also returns; " + measured)
                    .isGreaterThanOrEqualTo(0.900);
            assertThat(cosineChunks).as("mean cosine int8 vs fp32 over the chunks; " + measured).isGreaterThanOrEqualTo(0.99);
            assertThat(bgeInt8.hits()).as("questions answered in the top 10 pages; " + measured)
                    .isGreaterThanOrEqualTo(fp32Self.hits() - 3);
        }
    }
}
