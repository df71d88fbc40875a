package dev.docrag.examples.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code docrag index} as a real process, stopped with SIGINT (what Ctrl-C sends) while it
 * embeds: it exits with 130, says it stopped early, and keeps what it indexed, so that the next
 * run adds only the rest.
 */
class IndexInterruptTest {
    private static final int FILES = 120;

    @Test
    void ctrlCStopsCleanlyAndTheNextRunFinishes(@TempDir Path dir) throws Exception {
        Path docs = dir.resolve("docs");
        Files.createDirectories(docs);
        for (int f = 0; f < FILES; f++) {
            StringBuilder md = new StringBuilder("# Note " + f + "\n\n");
            for (int p = 0; p < 4; p++) {
                md.append("Paragraph ").append(p).append(" of note ").append(f).append(" explains how service ").append(f % 11)
                        .append(" rotates its logs, renews certificates and reports its health to the on-call engineer. ")
                        .append("It repeats itself so that every paragraph is a chunk of its own. ".repeat(6)).append("\n\n");
            }
            Files.writeString(docs.resolve(String.format("note-%03d.md", f)), md);
        }
        Path index = dir.resolve("index");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g",
                "-cp", classpath, DocRagCli.class.getName(), "index", docs.toString(), "--index-dir", index.toString(),
                "--progress-every", "0.5");
        pb.redirectOutput(dir.resolve("stdout.log").toFile());
        Process process = pb.start();
        try (BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            StringBuilder seen = new StringBuilder();
            // Wait until some documents are written: then the stop has something to keep.
            Pattern written = Pattern.compile("indexing: (\\d+)/" + FILES + " files");
            for (String line; (line = err.readLine()) != null; ) {
                seen.append(line).append('\n');
                Matcher m = written.matcher(line);
                if (m.find() && Integer.parseInt(m.group(1)) >= 10) {
                    break;
                }
            }
            assertThat(process.isAlive()).as("still indexing when the signal is sent; stderr:%n%s", seen).isTrue();
            new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start().waitFor();
            Thread drain = Thread.ofPlatform().start(() -> err.lines().forEach(l -> seen.append(l).append('\n')));
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("ended after SIGINT").isTrue();
            drain.join(10_000);
            String out = Files.readString(dir.resolve("stdout.log"));
            assertThat(process.exitValue()).as("exit code; stdout %s; stderr%n%s", out, seen).isEqualTo(130);
            assertThat(seen.toString()).contains("stopping, keeping what was indexed so far");
            Matcher m = Pattern.compile("stopped early, what was indexed is kept \\(run again to finish\\): (\\d+) added").matcher(out);
            assertThat(m.find()).as(out).isTrue();
            int first = Integer.parseInt(m.group(1));
            assertThat(first).isBetween(10, FILES - 1);

            DocRagCliTest.Run again = DocRagCliTest.run(Map.of(), "index", docs.toString(), "--index-dir", index.toString(),
                    "--progress", "off");
            assertThat(again.code()).as(again.err()).isZero();
            assertThat(again.out()).contains((FILES - first) + " added, 0 updated, " + first + " unchanged, 0 deleted, 0 failed");
        } finally {
            process.destroyForcibly();
        }
    }
}
