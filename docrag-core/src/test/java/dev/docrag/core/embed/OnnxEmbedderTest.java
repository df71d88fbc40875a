package dev.docrag.core.embed;

import dev.docrag.core.DocRagException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class OnnxEmbedderTest {
    private static OnnxEmbedder embedder;

    @BeforeAll
    static void load() {
        embedder = OnnxEmbedder.allMiniLmL6V2();
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Test
    void describesTheModel() {
        ModelInfo m = embedder.model();
        assertThat(m.name()).isEqualTo("all-MiniLM-L6-v2");
        assertThat(m.dimension()).isEqualTo(384);
        assertThat(m.maxTokens()).isEqualTo(256);
        assertThat(m.fingerprint()).matches("[0-9a-f]{16}");
        assertThat(m.id()).isEqualTo("all-MiniLM-L6-v2@" + m.fingerprint());
    }

    @Test
    void vectorsAreUnitLengthAndCarryMeaning() {
        List<float[]> v = embedder.embedDocuments(List.of(
                "The cat sat on the mat.",
                "A kitten was resting on the rug.",
                "Quarterly revenue grew by eight percent."));
        for (float[] x : v) {
            assertThat(x).hasSize(384);
            assertThat(dot(x, x)).isCloseTo(1.0, within(1e-5));
        }
        assertThat(dot(v.get(0), v.get(1))).isGreaterThan(dot(v.get(0), v.get(2)) + 0.3);
    }

    @Test
    void queryAndPassageOfSameTextAgree() {
        float[] q = embedder.embedQuery("how do I reset my password");
        float[] d = embedder.embedDocuments(List.of("how do I reset my password")).get(0);
        assertThat(dot(q, d)).isGreaterThan(0.99999);
    }

    @Test
    void aVectorDoesNotDependOnItsBatch() {
        String text = "Log files are rotated every night and kept for two weeks.";
        float[] alone = embedder.embedDocuments(List.of(text)).get(0);
        List<String> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            batch.add(i == 7 ? text : ("filler sentence number " + i + " ").repeat(1 + i % 9));
        }
        float[] inBatch = embedder.embedDocuments(batch).get(7);
        assertThat(dot(alone, inBatch)).isGreaterThan(0.99999);
    }

    @Test
    void countsEveryTokenPastTheTokenizerFilesTruncation() {
        String text = "word ".repeat(300);
        // 300 words + [CLS] + [SEP]; the shipped tokenizer.json would stop at 128
        assertThat(embedder.countTokens(text)).isEqualTo(302);
        assertThat(embedder.countTokens("")).isEqualTo(2);
    }

    @Test
    void refusesToTruncateAPassage() {
        String tooLong = "token ".repeat(400);
        assertThatThrownBy(() -> embedder.embedDocuments(List.of("short", tooLong)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("text 1 has 402 tokens")
                .hasMessageContaining("at most 256");
    }

    @Test
    void cutsAnOverlongQueryToTheWindow() {
        float[] v = embedder.embedQuery("retention policy ".repeat(300));
        assertThat(v).hasSize(384);
        assertThat(dot(v, v)).isCloseTo(1.0, within(1e-5));
    }

    @Test
    void loadsTheSameModelFromADirectory(@TempDir Path dir) throws IOException {
        copyResource("all-minilm-l6-v2.onnx", dir.resolve("model.onnx"));
        copyResource("all-minilm-l6-v2-tokenizer.json", dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("sentence_bert_config.json"), "{\"max_seq_length\": 256, \"do_lower_case\": false}");
        try (OnnxEmbedder fromDir = OnnxEmbedder.fromDirectory(dir)) {
            assertThat(fromDir.model().fingerprint()).isEqualTo(embedder.model().fingerprint());
            assertThat(fromDir.model().maxTokens()).isEqualTo(256);
            assertThat(fromDir.model().name()).isEqualTo(dir.getFileName().toString());
            String text = "Backups are verified by restoring them.";
            assertThat(dot(fromDir.embedQuery(text), embedder.embedQuery(text))).isGreaterThan(0.99999);
        }
    }

    @Test
    void aMissingModelIsNamed(@TempDir Path dir) {
        assertThatThrownBy(() -> OnnxEmbedder.fromDirectory(dir))
                .isInstanceOf(DocRagException.class)
                .hasMessageContaining(dir.resolve("model.onnx").toString());
    }

    @Test
    void aClosedEmbedderRefusesWork() {
        OnnxEmbedder other = OnnxEmbedder.allMiniLmL6V2();
        other.close();
        other.close(); // idempotent
        assertThatThrownBy(() -> other.embedQuery("x")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    private static void copyResource(String name, Path target) throws IOException {
        try (InputStream in = OnnxEmbedderTest.class.getClassLoader().getResourceAsStream(name)) {
            Files.copy(in, target);
        }
    }
}
