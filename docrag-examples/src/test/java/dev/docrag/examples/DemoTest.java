package dev.docrag.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The demo the README's first command runs, on the sample handbook shipped in the repository. */
class DemoTest {
    static final Path SAMPLES = Path.of(System.getProperty("docrag.samples", "../samples/handbook"));

    /** Which handbook page answers each of the demo's questions. */
    static final Map<String, String> ANSWERS = new LinkedHashMap<>();

    static {
        List<String> pages = List.of("operations/logging.md", "operations/on-call.md", "operations/backups.txt",
                "operations/deploying.md", "security/access.html", "security/tls.md", "people/time-off.txt");
        for (int i = 0; i < Demo.QUESTIONS.size(); i++) {
            ANSWERS.put(Demo.QUESTIONS.get(i), pages.get(i));
        }
    }

    @Test
    void everyDemoQuestionIsAnsweredByTheRightPageFirst(@TempDir Path index) {
        String first = runDemo(index);
        assertThat(first).contains("8 added, 0 updated, 0 unchanged, 0 deleted, 0 failed");
        for (Map.Entry<String, String> qa : ANSWERS.entrySet()) {
            int at = first.indexOf("Q: " + qa.getKey());
            assertThat(at).as("question printed: %s", qa.getKey()).isNotNegative();
            String firstHit = first.substring(at).lines().skip(1).findFirst().orElseThrow();
            assertThat(firstHit).as("first hit for '%s'", qa.getKey()).startsWith("  1. [").contains(qa.getValue());
        }

        String second = runDemo(index);
        assertThat(second).as("a second run re-embeds nothing").contains("0 added, 0 updated, 8 unchanged, 0 deleted, 0 failed, 0 chunks");
    }

    private static String runDemo(Path index) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            Demo.run(SAMPLES, index, Demo.QUESTIONS, 3, out);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
