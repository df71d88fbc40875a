package dev.docrag.examples.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.docrag.examples.cli.DocRagCli;
import dev.docrag.examples.cli.Env;
import dev.docrag.examples.service.DocRagServer;
import dev.docrag.examples.service.ServiceConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The container image tarball that Jib builds in the {@code image} profile
 * ({@code bin/mvn -Pimage -pl docrag-examples -am package -DskipTests}, run by .ci/run): its
 * configuration matches the application and deploy/Dockerfile, and, unpacked into a directory and
 * started under chroot as the image's user (no Docker daemon), it serves its probes and a search.
 * Not part of the ordinary test run (its name ends in IT): the profile runs it after the build.
 */
class ContainerImageIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static Path imageDir;
    static JsonNode config;

    @TempDir
    static Path work;

    @BeforeAll
    static void unpack() throws Exception {
        Path tar = Path.of(System.getProperty("docrag.image.tar", "target/docrag-service-image.tar"));
        assertThat(tar).as("the image tarball (build it with -Pimage)").isRegularFile();
        imageDir = Files.createDirectories(work.resolve("image"));
        Tools.run(work, List.of("tar", "--warning=no-unknown-keyword", "-xf", tar.toAbsolutePath().toString(), "-C", imageDir.toString()));
        JsonNode manifest = JSON.readTree(imageDir.resolve("manifest.json").toFile()).get(0);
        config = JSON.readTree(imageDir.resolve(manifest.get("Config").asText()).toFile()).get("config");
    }

    @Test
    void runsAsAnUnprivilegedNumericUser() {
        String user = config.path("User").asText();
        assertThat(user).matches("\\d+(:\\d+)?");
        assertThat(Integer.parseInt(user.split(":")[0])).as("uid").isNotZero();
    }

    @Test
    void exposesTheServicePortAndStartsTheCliServingOnAllInterfaces() {
        assertThat(config.path("ExposedPorts").has(ServiceConfig.DEFAULT_PORT + "/tcp")).as(config.toString()).isTrue();
        List<String> entrypoint = strings(config.path("Entrypoint"));
        List<String> cmd = strings(config.path("Cmd"));
        assertThat(entrypoint.getLast()).isEqualTo(DocRagCli.class.getName());
        assertThat(entrypoint).contains("-XX:MaxRAMPercentage=75", "jdk.incubator.vector");
        assertThat(cmd).containsSubsequence("serve", "--host", "0.0.0.0");
        assertThat(cmd.get(cmd.indexOf("--port") + 1)).isEqualTo(String.valueOf(ServiceConfig.DEFAULT_PORT));
    }

    @Test
    void runsTheSameCommandAsTheDockerfile() throws IOException {
        Dockerfile dockerfile = Dockerfile.parse(Path.of(System.getProperty("docrag.dockerfile", "deploy/Dockerfile")));
        assertThat(strings(config.path("Entrypoint"))).isEqualTo(dockerfile.finalStageJsonArray("ENTRYPOINT"));
        assertThat(strings(config.path("Cmd"))).isEqualTo(dockerfile.finalStageJsonArray("CMD"));
    }

    @Test
    void setsOnlyVariablesTheApplicationReadsAndKeepsTheIndexOnTheVolume() {
        Map<String, String> env = env();
        env.keySet().stream().filter(k -> k.startsWith("DOCRAG_") || k.startsWith("LOG_"))
                .forEach(k -> assertThat(Env.ALL).as("variable %s is read by the application", k).contains(k));
        String indexDir = env.get(Env.INDEX_DIR);
        assertThat(indexDir).isNotNull();
        List<String> volumes = new ArrayList<>();
        config.path("Volumes").fieldNames().forEachRemaining(volumes::add);
        assertThat(volumes).anySatisfy(v -> assertThat(indexDir).startsWith(v + "/"));
    }

    /**
     * The image's own files run the service: every layer is unpacked in order into a root
     * directory, which the entrypoint then runs under chroot as the image's user, with the image's
     * environment (and the sample handbook indexed, so the ONNX embedder's native code runs too).
     */
    @Test
    void unpackedImageServesProbesAndSearch() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "chroot needs root (CI runs as root)");
        Path rootfs = Files.createDirectories(work.resolve("rootfs"));
        JsonNode manifest = JSON.readTree(imageDir.resolve("manifest.json").toFile()).get(0);
        for (JsonNode layer : manifest.get("Layers")) {
            Tools.run(work, List.of("tar", "--warning=no-unknown-keyword", "-xf", imageDir.resolve(layer.asText()).toString(), "-C", rootfs.toString()));
        }
        Files.createDirectories(rootfs.resolve("proc"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(strings(config.path("Cmd")));
        cmd.set(cmd.indexOf("--port") + 1, String.valueOf(port));
        String writeKey = "image-test-write-key-0001";
        List<String> command = new ArrayList<>(List.of(Tools.which("unshare"), "--mount", "--fork", "--kill-child=SIGTERM",
                Tools.which("sh"), "-c", // In its own mount namespace (gone when it ends): the root directory bind-mounted
                // onto itself, so that it is a mount point as a container's root is (the disk
                // check looks its file store up), and /proc.
                "\"$0\" --bind \"$1\" \"$1\" && \"$0\" -t proc proc \"$1/proc\" && shift && exec \"$@\"",
                Tools.which("mount"), rootfs.toString(),
                Tools.which("chroot"), "--userspec=" + config.path("User").asText(), rootfs.toString()));
        command.addAll(strings(config.path("Entrypoint")));
        command.addAll(cmd);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve("server.log").toFile());
        pb.environment().clear();
        pb.environment().putAll(env());
        pb.environment().put(Env.USE_SAMPLE, "true");
        pb.environment().put(Env.WRITE_KEYS, writeKey);
        Process p = pb.start();
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        String base = "http://127.0.0.1:" + port;
        try {
            HttpResponse<String> ready = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (System.nanoTime() < deadline && p.isAlive()) {
                try {
                    ready = client.send(HttpRequest.newBuilder(URI.create(base + DocRagServer.READY_PATH)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (ready.statusCode() == 200) {
                        break;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(500);
            }
            assertThat(ready).as("readiness within 180 s; log:\n%s", log()).isNotNull();
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            assertThat(client.send(HttpRequest.newBuilder(URI.create(base + DocRagServer.HEALTH_PATH)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            assertThat(client.send(HttpRequest.newBuilder(URI.create(base + DocRagServer.METRICS_PATH)).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).contains("docrag_index_documents");
            HttpResponse<String> search = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/search"))
                    .header("Authorization", "Bearer " + writeKey)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"how long do we keep old logs?\", \"mode\": \"hybrid\", \"k\": 3}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(search.statusCode()).as(search.body()).isEqualTo(200);
            JsonNode hits = JSON.readTree(search.body()).get("hits");
            assertThat(hits).as(search.body()).isNotEmpty();
            assertThat(JSON.readTree(search.body()).path("degraded").asBoolean(false)).as("vector half ran").isFalse();
        } finally {
            // SIGTERM to the server itself (chroot's change of user clears unshare's parent-death
            // signal, so stopping unshare alone would leave it running); it drains and exits.
            List<ProcessHandle> tree = p.descendants().toList();
            tree.forEach(ProcessHandle::destroy);
            for (ProcessHandle h : tree) {
                try {
                    h.onExit().get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    h.destroyForcibly();
                }
            }
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        // The index the server wrote belongs to the image's user: it ran unprivileged.
        Path indexDir = rootfs.resolve(env().get(Env.INDEX_DIR).substring(1));
        try (var files = Files.list(indexDir)) {
            List<Path> written = files.toList();
            assertThat(written).as("index files in %s", indexDir).isNotEmpty();
            int uid = Integer.parseInt(config.path("User").asText().split(":")[0]);
            for (Path f : written) {
                assertThat(Files.getAttribute(f, "unix:uid")).as(f.toString()).isEqualTo(uid);
            }
        }
    }

    private static String log() throws IOException {
        Path log = work.resolve("server.log");
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    private static Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode kv : config.path("Env")) {
            String s = kv.asText();
            env.put(s.substring(0, s.indexOf('=')), s.substring(s.indexOf('=') + 1));
        }
        return env;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        if (out.isEmpty()) {
            fail("expected a non-empty array in the image config: " + config);
        }
        return out;
    }
}
