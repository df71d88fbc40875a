package dev.docrag.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Checks that README.md shows, line for line, the code between {@code // README:<name>begin} and {@code end} markers of a source file. */
final class ReadmeSnippets {
    static final Path README = Path.of(System.getProperty("docrag.readme", "../README.md"));

    private ReadmeSnippets() {
    }

    /** {@code name} is the marker infix: "" for {@code // README:begin}, "vector:" for {@code // README:vector:begin}. */
    static void assertReadmeShows(Path source, String name) throws IOException {
        List<String> lines = Files.readAllLines(source);
        List<String> snippet = lines.subList(indexOf(lines, "// README:" + name + "begin", source) + 1,
                indexOf(lines, "// README:" + name + "end", source)).stream().map(String::strip).toList();
        assertThat(snippet).as("snippet '%s' of %s", name, source).hasSizeGreaterThan(2);
        String readme = String.join("\n", Files.readAllLines(README).stream().map(String::strip).toList());
        assertThat(readme).as("README.md must contain the '%s' example of %s, line for line", name, source)
                .contains(String.join("\n", snippet));
    }

    private static int indexOf(List<String> lines, String marker, Path source) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(marker)) {
                return i;
            }
        }
        throw new AssertionError(marker + " not found in " + source);
    }
}
