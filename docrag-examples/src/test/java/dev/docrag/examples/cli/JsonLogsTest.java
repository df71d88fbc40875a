package dev.docrag.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code LOG_FORMAT=json}: the CLI's logs are one JSON object a line on standard error (logging
 * is configured once per JVM, so each case is a process of its own), and a format logback does not
 * have is refused instead of silently dropping every log line.
 */
class JsonLogsTest {
    private static Process docrag(Path dir, String format, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                DocRagCli.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("LOG_FORMAT", format);
        pb.environment().put("LOG_LEVEL", "info");
        pb.redirectOutput(dir.resolve("stdout.log").toFile());
        pb.redirectError(dir.resolve("stderr.log").toFile());
        Process p = pb.start();
        assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
        return p;
    }

    @Test
    void everyLogLineIsAJsonObjectWithLevelLoggerAndMessage(@TempDir Path dir) throws Exception {
        Process p = docrag(dir, "json", "index", DocRagCliTest.SAMPLES.toString(), "--index-dir", dir.resolve("idx").toString(),
                "--progress", "off");
        String err = Files.readString(dir.resolve("stderr.log"), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(err).isZero();
        assertThat(Files.readString(dir.resolve("stdout.log"))).contains("8 added");
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> events = new ArrayList<>();
        // The JVM's own warnings (incubator module, native access) come before any logging exists.
        for (String line : err.lines().filter(l -> !l.isBlank() && !l.startsWith("WARNING: ")).toList()) {
            JsonNode event = json.readTree(line); // throws on a line that is not JSON
            assertThat(event.isObject()).as(line).isTrue();
            assertThat(event.has("level") && event.has("loggerName") && event.has("formattedMessage") && event.has("timestamp"))
                    .as(line).isTrue();
            events.add(event);
        }
        assertThat(events).anySatisfy(e -> {
            assertThat(e.get("loggerName").asText()).isEqualTo("dev.docrag.index.DocRag");
            assertThat(e.get("level").asText()).isEqualTo("INFO");
            assertThat(e.get("formattedMessage").asText()).contains("Ingested").contains("8 added");
        });
        // Lucene logs through java.util.logging: bridged, so in JSON too.
        assertThat(events).anySatisfy(e -> assertThat(e.get("loggerName").asText()).startsWith("org.apache.lucene"));
    }

    @Test
    void anUnknownFormatIsAUsageError(@TempDir Path dir) throws Exception {
        Process p = docrag(dir, "xml", "stats", "--index-dir", dir.resolve("idx").toString());
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(Files.readString(dir.resolve("stderr.log"))).contains("LOG_FORMAT must be one of [text, json], got 'xml'");
    }
}
