package dev.docrag.core.embed;

import dev.docrag.core.Chunk;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15.BgeSmallEnV15EmbeddingModel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DocRag's embedder gives the same vectors as the best-known Java peer, LangChain4j's in-process
 * models, on real text of at most 128 tokens (LangChain4j's tokenizer file truncates there, so
 * longer text would not be comparable).
 */
class LangChain4jParityTest {
    private static List<String> realTexts(Embedder counter) {
        List<String> texts = new ArrayList<>();
        for (Chunk c : RealText.chunks(RealText.SAMPLES, counter, 128)) {
            texts.add(c.text());
        }
        texts.addAll(List.of("short", "How do I rotate logs?", "Ünïcödé, emoji 🙂 and CJK 中文 text.",
                "def f(x):\n    return x ** 2  # code"));
        assertThat(texts).hasSizeGreaterThan(10);
        return texts;
    }

    private static void assertParity(OnnxEmbedder docrag, EmbeddingModel peer, double minCosine) {
        List<String> texts = realTexts(docrag);
        List<float[]> ours = docrag.embedDocuments(texts);
        List<Embedding> theirs = peer.embedAll(texts.stream().map(TextSegment::from).toList()).content();
        for (int i = 0; i < texts.size(); i++) {
            assertThat(docrag.countTokens(texts.get(i))).isLessThanOrEqualTo(128);
            assertThat(RealText.cosine(ours.get(i), theirs.get(i).vector()))
                    .as("cosine to LangChain4j for text %d: %s", i, texts.get(i))
                    .isGreaterThanOrEqualTo(minCosine);
        }
    }

    @Test
    void miniLmMatchesLangChain4j() {
        try (OnnxEmbedder docrag = OnnxEmbedder.allMiniLmL6V2()) {
            assertParity(docrag, new AllMiniLmL6V2EmbeddingModel(), 0.9999);
        }
    }

    @Test
    void bgeSmallMatchesLangChain4jIncludingClsPoolingAndTheQueryInstruction() {
        try (OnnxEmbedder docrag = OnnxEmbedder.create(OnnxModel.bgeSmallEnV15())) {
            BgeSmallEnV15EmbeddingModel peer = new BgeSmallEnV15EmbeddingModel();
            assertParity(docrag, peer, 0.9999);
            // LangChain4j leaves the query instruction to its caller: prepend it there by hand.
            String q = "how do I parse command line options";
            float[] theirs = peer.embed("Represent this sentence for searching relevant passages: " + q).content().vector();
            assertThat(RealText.cosine(docrag.embedQuery(q), theirs)).isGreaterThanOrEqualTo(0.9999);
            assertThat(RealText.cosine(docrag.embedQuery(q), docrag.embedDocuments(List.of(q)).get(0)))
                    .as("a BGE query is embedded with its instruction, a passage without").isLessThan(0.99);
        }
    }
}
