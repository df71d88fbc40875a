package dev.docrag.examples.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.docrag.examples.cli.CliArgs;
import dev.docrag.examples.cli.DocRagCli;
import dev.docrag.examples.cli.Env;
import dev.docrag.examples.service.DocRagServer;
import dev.docrag.examples.service.ServiceConfig;
import dev.docrag.ops.OpsAsset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The deployment kit in docrag-examples/deploy, read by the parsers of the tools that read it
 * (YAML, TOML) and, where the tool is installed, checked by that tool (promtool, amtool): paths,
 * ports, environment variables and commands must match the application's own constants
 * ({@link DocRagServer#HEALTH_PATH}, {@link ServiceConfig#DEFAULT_PORT}, {@link Env}...), and every
 * file a deployment file points at must exist. The image itself: {@link ContainerImageIT}.
 */
class DeployKitTest {
    static final Path ROOT = DeployFiles.ROOT;
    static final Path DEPLOY = DeployFiles.DEPLOY;
    static final YAMLMapper YAML = new YAMLMapper();
    static final ObjectMapper JSON = new ObjectMapper();
    static final int PORT = ServiceConfig.DEFAULT_PORT;

    // ---- Dockerfile ----

    @Test
    void dockerfileIsMultiStageNonRootWithHealthCheckAndContainerAwareJvm() throws IOException {
        Dockerfile d = Dockerfile.parse(DEPLOY.resolve("Dockerfile"));
        assertThat(d.stages()).hasSizeGreaterThanOrEqualTo(2);
        d.stages().subList(0, d.stages().size() - 1)
                .forEach(s -> assertThat(s.getFirst().arguments()).as("build stages are named").containsPattern("(?i) AS \\w+"));
        String user = d.last("USER").arguments();
        assertThat(user).matches("\\d+(:\\d+)?");
        assertThat(Integer.parseInt(user.split(":")[0])).isNotZero();
        assertThat(d.last("EXPOSE").arguments()).isEqualTo(String.valueOf(PORT));
        assertThat(d.last("HEALTHCHECK").arguments()).contains("http://127.0.0.1:" + PORT + DocRagServer.HEALTH_PATH + "\"");
        List<String> entrypoint = d.finalStageJsonArray("ENTRYPOINT");
        assertThat(entrypoint.getLast()).isEqualTo(DocRagCli.class.getName());
        assertThat(entrypoint).anyMatch(a -> a.startsWith("-XX:MaxRAMPercentage=")).contains("-XX:+ExitOnOutOfMemoryError");
        assertThat(entrypoint).doesNotContain("-Xmx").noneMatch(a -> a.startsWith("-Xmx"));
        List<String> cmd = d.finalStageJsonArray("CMD");
        assertThat(cmd).containsSubsequence("serve", "--host", "0.0.0.0");
        assertThat(cmd.get(cmd.indexOf("--port") + 1)).isEqualTo(String.valueOf(PORT));
        // Every variable it sets for DocRag is one DocRag reads; every file it copies exists.
        for (Dockerfile.Instruction env : d.finalStage().stream().filter(i -> i.keyword().equals("ENV")).toList()) {
            Matcher m = Pattern.compile("((?:DOCRAG|LOG)_[A-Z_]+)=").matcher(env.arguments());
            while (m.find()) {
                assertThat(Env.ALL).as("ENV %s", m.group(1)).contains(m.group(1));
            }
        }
        for (List<Dockerfile.Instruction> stage : d.stages()) {
            for (Dockerfile.Instruction copy : stage.stream().filter(i -> i.keyword().equals("COPY")).toList()) {
                if (!copy.arguments().startsWith("--from")) {
                    String[] parts = copy.arguments().split("\\s+");
                    for (int i = 0; i < parts.length - 1; i++) {
                        assertThat(ROOT.resolve(parts[i])).as("COPY source, line %d", copy.line()).exists();
                    }
                }
            }
        }
    }

    // ---- Kubernetes ----

    static Map<String, JsonNode> kubernetes() throws IOException {
        Map<String, JsonNode> byKindAndName = new HashMap<>();
        try (Stream<Path> files = Files.list(DEPLOY.resolve("kubernetes"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                try (var parser = new YAMLFactory().createParser(f.toFile())) {
                    for (JsonNode doc : YAML.readValues(parser, JsonNode.class).readAll()) {
                        if (doc != null && !doc.isEmpty()) {
                            String key = doc.path("kind").asText() + "/" + doc.path("metadata").path("name").asText();
                            assertThat(byKindAndName.put(key, doc)).as("duplicate %s", key).isNull();
                        }
                    }
                }
            }
        }
        return byKindAndName;
    }

    @Test
    void statefulSetProbesPortsVolumeAndEnvironmentMatchTheService() throws IOException {
        Map<String, JsonNode> k8s = kubernetes();
        JsonNode sts = k8s.get("StatefulSet/docrag");
        assertThat(sts).as(k8s.keySet().toString()).isNotNull();
        JsonNode pod = sts.at("/spec/template/spec");
        JsonNode c = pod.at("/containers/0");
        Map<String, Integer> ports = new HashMap<>();
        c.path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
        assertThat(ports).containsEntry("http", PORT);
        List<String> args = strings(c.path("args"));
        assertThat(CliArgs.parse(args)).containsExactly("docrag", "serve");
        assertThat(args).containsSubsequence("--host", "0.0.0.0");
        assertThat(args.get(args.indexOf("--port") + 1)).isEqualTo(String.valueOf(PORT));
        assertProbe(c.path("livenessProbe"), DocRagServer.HEALTH_PATH, ports);
        assertProbe(c.path("readinessProbe"), DocRagServer.READY_PATH, ports);
        assertProbe(c.path("startupProbe"), DocRagServer.HEALTH_PATH, ports);
        assertThat(c.at("/resources/requests/cpu").asText()).isNotEmpty();
        assertThat(c.at("/resources/requests/memory").asText()).isNotEmpty();
        assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.at("/securityContext/runAsUser").asInt()).isNotZero();
        int drain = args.contains("--drain-seconds") ? Integer.parseInt(args.get(args.indexOf("--drain-seconds") + 1)) : 20;
        assertThat(pod.path("terminationGracePeriodSeconds").asInt()).as("longer than the drain").isGreaterThan(drain);
        // The index directory is on the claim template's volume.
        Map<String, String> env = env(c.path("env"), k8s);
        String indexDir = env.get(Env.INDEX_DIR);
        assertThat(indexDir).isNotNull();
        String claim = sts.at("/spec/volumeClaimTemplates/0/metadata/name").asText();
        assertThat(sts.at("/spec/volumeClaimTemplates/0/spec/resources/requests/storage").asText()).isNotEmpty();
        List<String> claimMounts = new ArrayList<>();
        c.path("volumeMounts").forEach(m -> {
            if (m.path("name").asText().equals(claim)) {
                claimMounts.add(m.path("mountPath").asText());
            }
        });
        assertThat(claimMounts).anySatisfy(m -> assertThat(indexDir + "/").startsWith(m + "/"));
        // A read-only root file system needs a writable /tmp (native libraries are unpacked there).
        if (c.at("/securityContext/readOnlyRootFilesystem").asBoolean()) {
            assertThat(c.path("volumeMounts").findValuesAsText("mountPath")).contains("/tmp");
        }
    }

    @Test
    void servicesSelectTheStatefulSetAndExposeMetrics() throws IOException {
        Map<String, JsonNode> k8s = kubernetes();
        JsonNode sts = k8s.get("StatefulSet/docrag");
        JsonNode labels = sts.at("/spec/template/metadata/labels");
        JsonNode headless = k8s.get("Service/" + sts.at("/spec/serviceName").asText());
        assertThat(headless).as("the StatefulSet's serviceName").isNotNull();
        assertThat(headless.at("/spec/clusterIP").asText()).isEqualTo("None");
        for (JsonNode svc : List.of(headless, k8s.get("Service/docrag"))) {
            svc.at("/spec/selector").fields().forEachRemaining(e ->
                    assertThat(labels.path(e.getKey()).asText()).as("selector %s", e.getKey()).isEqualTo(e.getValue().asText()));
            assertThat(svc.at("/spec/ports/0/targetPort").asText()).isEqualTo("http");
        }
        JsonNode annotations = k8s.get("Service/docrag").at("/metadata/annotations");
        assertThat(annotations.path("prometheus.io/path").asText()).isEqualTo(DocRagServer.METRICS_PATH);
        assertThat(annotations.path("prometheus.io/port").asText()).isEqualTo(String.valueOf(PORT));
    }

    @Test
    void backupCronJobAsksTheRunningServiceForAHotBackupAndAnotherPrunes() throws IOException {
        Map<String, JsonNode> k8s = kubernetes();
        // The service holds the index; the repository is configured there, which enables the route.
        Map<String, String> served = env(k8s.get("StatefulSet/docrag").at("/spec/template/spec/containers/0/env"), k8s);
        assertThat(served.get(Env.BACKUP_REPO)).startsWith("s3://");

        JsonNode cron = k8s.get("CronJob/docrag-backup");
        assertThat(cron).as(k8s.keySet().toString()).isNotNull();
        assertThat(cron.at("/spec/concurrencyPolicy").asText()).isEqualTo("Forbid");
        JsonNode c = cron.at("/spec/jobTemplate/spec/template/spec/containers/0");
        List<String> args = strings(c.path("args"));
        assertThat(CliArgs.parse(args)).containsExactly("docrag", "backup", "create");
        URI server = URI.create(args.get(args.indexOf("--server") + 1));
        JsonNode svc = k8s.get("Service/" + server.getHost());
        assertThat(svc).as("--server names a Service: %s", server).isNotNull();
        assertThat(svc.at("/spec/ports/0/port").asInt()).isEqualTo(server.getPort());
        assertThat(svc.at("/spec/ports/0/targetPort").asText()).isEqualTo("http");
        // the client's write key is one the server accepts: the same Secret key
        Map<String, String> env = env(c.path("env"), k8s);
        assertThat(env.get(Env.WRITE_KEYS)).startsWith("secret:").isEqualTo(served.get(Env.WRITE_KEYS));
        // the client waits less long than Kubernetes lets the job run
        int minutes = Integer.parseInt(args.get(args.indexOf("--timeout-minutes") + 1));
        assertThat(minutes * 60).isLessThan(cron.at("/spec/jobTemplate/spec/activeDeadlineSeconds").asInt());
        assertThat(cron.at("/spec/jobTemplate/spec/template/spec/securityContext/runAsNonRoot").asBoolean()).isTrue();

        JsonNode prune = k8s.get("CronJob/docrag-backup-prune");
        JsonNode p = prune.at("/spec/jobTemplate/spec/template/spec/containers/0");
        assertThat(CliArgs.parse(strings(p.path("args")))).containsExactly("docrag", "backup", "prune");
        assertThat(env(p.path("env"), k8s).get(Env.BACKUP_REPO)).isEqualTo(served.get(Env.BACKUP_REPO));
        assertThat(p.at("/resources/requests/memory").asText()).isNotEmpty();
    }

    @Test
    void backupJobCreatesABackupFromTheStatefulSetsVolume() throws IOException {
        Map<String, JsonNode> k8s = kubernetes();
        JsonNode sts = k8s.get("StatefulSet/docrag");
        JsonNode job = k8s.get("Job/docrag-backup-create");
        assertThat(job).as(k8s.keySet().toString()).isNotNull();
        JsonNode pod = job.at("/spec/template/spec");
        JsonNode c = pod.at("/containers/0");
        assertThat(CliArgs.parse(strings(c.path("args")))).containsExactly("docrag", "backup", "create");
        Map<String, String> env = env(c.path("env"), k8s);
        assertThat(env.get(Env.INDEX_DIR)).isEqualTo(env(sts.at("/spec/template/spec/containers/0/env"), k8s).get(Env.INDEX_DIR));
        assertThat(env.get(Env.BACKUP_REPO)).startsWith("s3://");
        // The claim Kubernetes names <template>-<statefulset>-0, mounted where the index directory is.
        String claim = sts.at("/spec/volumeClaimTemplates/0/metadata/name").asText() + "-" + sts.at("/metadata/name").asText() + "-0";
        String volume = null;
        for (JsonNode v : pod.path("volumes")) {
            if (v.at("/persistentVolumeClaim/claimName").asText().equals(claim)) {
                volume = v.path("name").asText();
            }
        }
        assertThat(volume).as("a volume for claim %s", claim).isNotNull();
        for (JsonNode m : c.path("volumeMounts")) {
            if (m.path("name").asText().equals(volume)) {
                assertThat(env.get(Env.INDEX_DIR)).startsWith(m.path("mountPath").asText() + "/");
            }
        }
        assertThat(pod.at("/securityContext/runAsUser").asInt()).isEqualTo(sts.at("/spec/template/spec/securityContext/runAsUser").asInt());
    }

    private static void assertProbe(JsonNode probe, String path, Map<String, Integer> ports) {
        assertThat(probe.isMissingNode()).as("probe for %s", path).isFalse();
        assertThat(probe.at("/httpGet/path").asText()).isEqualTo(path);
        JsonNode port = probe.at("/httpGet/port");
        assertThat(port.isInt() ? port.asInt() : ports.get(port.asText())).isEqualTo(PORT);
    }

    /** A container's env as name -> value ("secret:NAME/KEY" for a secret), each name one the CLI reads. */
    private static Map<String, String> env(JsonNode env, Map<String, JsonNode> k8s) {
        Map<String, String> out = new HashMap<>();
        for (JsonNode e : env) {
            String name = e.path("name").asText();
            assertThat(Env.ALL).as("env %s is read by the application", name).contains(name);
            JsonNode ref = e.at("/valueFrom/secretKeyRef");
            if (!ref.isMissingNode()) {
                JsonNode secret = k8s.get("Secret/" + ref.path("name").asText());
                assertThat(secret).as("secret %s (secret.example.yaml shows its shape)", ref.path("name").asText()).isNotNull();
                assertThat(secret.path("stringData").has(ref.path("key").asText())).as("key %s", ref.path("key").asText()).isTrue();
                out.put(name, "secret:" + ref.path("name").asText() + "/" + ref.path("key").asText());
            } else {
                out.put(name, e.path("value").asText());
            }
        }
        return out;
    }

    // ---- Railway ----

    @Test
    void railwayHasProductionAndStagingThatRestartOnFailureAndStagingServesTheSamples() throws IOException {
        JsonNode r = new TomlMapper().readTree(DEPLOY.resolve("railway.toml").toFile());
        assertThat(r.at("/build/builder").asText()).isEqualTo("DOCKERFILE");
        Path dockerfile = ROOT.resolve(r.at("/build/dockerfilePath").asText());
        assertThat(dockerfile).isEqualTo(DEPLOY.resolve("Dockerfile"));
        assertThat(r.at("/deploy/healthcheckPath").asText()).isEqualTo(DocRagServer.READY_PATH);
        assertThat(r.path("environments").has("production")).isTrue();
        assertThat(r.path("environments").has("staging")).isTrue();
        List<String> entrypoint = Dockerfile.parse(dockerfile).finalStageJsonArray("ENTRYPOINT");
        for (String environment : List.of("production", "staging")) {
            JsonNode deploy = r.at("/environments/" + environment + "/deploy");
            String restart = deploy.path("restartPolicyType").asText(r.at("/deploy/restartPolicyType").asText());
            assertThat(restart).as(environment).isEqualTo("ON_FAILURE");
            String start = deploy.path("startCommand").asText(r.at("/deploy/startCommand").asText());
            // /bin/sh -c '[VAR=value ...] exec <the Dockerfile's ENTRYPOINT> serve --host 0.0.0.0 --port ${PORT:-8080}'
            Matcher m = Pattern.compile("^/bin/sh -c '(.*)'$").matcher(start);
            assertThat(m.matches()).as(start).isTrue();
            List<String> words = shellWords(m.group(1));
            int exec = words.indexOf("exec");
            Map<String, String> assignments = new HashMap<>();
            for (String w : words.subList(0, exec)) {
                assignments.put(w.substring(0, w.indexOf('=')), w.substring(w.indexOf('=') + 1));
            }
            assignments.keySet().forEach(k -> assertThat(Env.ALL).contains(k));
            List<String> command = words.subList(exec + 1, words.size());
            assertThat(command.subList(0, entrypoint.size())).as(environment).isEqualTo(entrypoint);
            assertThat(command.subList(entrypoint.size(), command.size()))
                    .containsExactly("serve", "--host", "0.0.0.0", "--port", "${PORT:-" + PORT + "}");
            boolean sample = Boolean.parseBoolean(assignments.get(Env.USE_SAMPLE));
            assertThat(sample).as("%s serves the sample corpus", environment).isEqualTo(environment.equals("staging"));
        }
        // The sample corpus is in the image, where DOCRAG_SAMPLES points.
        Dockerfile d = Dockerfile.parse(dockerfile);
        assertThat(d.finalStage()).anySatisfy(i -> assertThat(i.keyword() + " " + i.arguments()).isEqualTo("COPY samples/handbook /app/samples/handbook"));
        assertThat(d.finalStage()).anySatisfy(i -> assertThat(i.arguments()).contains(Env.SAMPLES + "=/app/samples/handbook"));
    }

    /** Splits a shell command into words: single and double quotes, no expansion. */
    static List<String> shellWords(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder w = null;
        char quote = 0;
        for (char ch : s.toCharArray()) {
            if (quote != 0) {
                if (ch == quote) {
                    quote = 0;
                } else {
                    w.append(ch);
                }
            } else if (ch == '\'' || ch == '"') {
                quote = ch;
                w = w == null ? new StringBuilder() : w;
            } else if (Character.isWhitespace(ch)) {
                if (w != null) {
                    words.add(w.toString());
                    w = null;
                }
            } else {
                w = w == null ? new StringBuilder() : w;
                w.append(ch);
            }
        }
        if (w != null) {
            words.add(w.toString());
        }
        return words;
    }

    // ---- docker-compose.monitoring.yml ----

    @Test
    void composeStackMountsTheShippedAssetsAndTheToolsAcceptItsConfigs(@TempDir Path tmp) throws Exception {
        Path composeFile = DEPLOY.resolve("docker-compose.monitoring.yml");
        JsonNode services = YAML.readTree(composeFile.toFile()).path("services");
        assertThat(services.fieldNames()).toIterable().contains("docrag", "prometheus", "alertmanager", "grafana");
        JsonNode docrag = services.path("docrag");
        assertThat(ROOT.resolve(docrag.at("/build/dockerfile").asText())).isEqualTo(DEPLOY.resolve("Dockerfile"));
        assertThat(composeFile.getParent().resolve(docrag.at("/build/context").asText()).normalize()).isEqualTo(ROOT);
        assertThat(strings(docrag.path("ports"))).contains(PORT + ":" + PORT);
        docrag.path("environment").fieldNames().forEachRemaining(n -> assertThat(Env.ALL).contains(n));
        // Every bind mount's source exists; each service's files are laid out under tmp/<service>
        // as the container sees them, so the tools read exactly what the containers would.
        Map<String, Path> mountedFrom = new HashMap<>();
        for (String service : List.of("prometheus", "alertmanager", "grafana")) {
            for (String volume : strings(services.path(service).path("volumes"))) {
                String[] parts = volume.split(":");
                if (!parts[0].startsWith(".")) {
                    continue; // a named volume
                }
                Path source = composeFile.getParent().resolve(parts[0]).normalize();
                assertThat(source).as("%s mounts %s", service, parts[0]).exists();
                mountedFrom.put(parts[1], source);
                Path staged = tmp.resolve(service + parts[1]);
                if (Files.isDirectory(source)) {
                    copyTree(source, staged);
                } else {
                    Files.createDirectories(staged.getParent());
                    Files.copy(source, staged);
                }
            }
        }
        // The shipped rules, routes and dashboard are mounted from docrag-ops, not copied.
        Path ops = ROOT.resolve("docrag-ops/src/main/resources");
        assertThat(mountedFrom.values()).contains(ops.resolve(OpsAsset.PROMETHEUS_RULES.resource()),
                ops.resolve(OpsAsset.ALERTMANAGER_CONFIG.resource()), ops.resolve(OpsAsset.GRAFANA_DASHBOARD.resource()));

        JsonNode prometheus = YAML.readTree(tmp.resolve("prometheus/etc/prometheus/prometheus.yml").toFile());
        JsonNode job = null;
        for (JsonNode j : prometheus.path("scrape_configs")) {
            if (j.path("job_name").asText().equals("docrag")) {
                job = j;
            }
        }
        assertThat(job).isNotNull();
        assertThat(job.path("metrics_path").asText(DocRagServer.METRICS_PATH)).isEqualTo(DocRagServer.METRICS_PATH);
        assertThat(strings(job.at("/static_configs/0/targets"))).containsExactly("docrag:" + PORT);
        assertThat(strings(prometheus.at("/alerting/alertmanagers/0/static_configs/0/targets"))).containsExactly("alertmanager:9093");
        String promtool = Tools.require("promtool", "prometheus").toString();
        String out = Tools.run(tmp, List.of(promtool, "check", "config", "prometheus/etc/prometheus/prometheus.yml"));
        assertThat(out).contains("SUCCESS").contains("rules found");
        String amtool = Tools.require("amtool", "prometheus-alertmanager").toString();
        assertThat(Tools.run(tmp, List.of(amtool, "check-config", "alertmanager/etc/alertmanager/alertmanager.yml"))).contains("SUCCESS");

        // Grafana: the provider's folder is where the dashboard is mounted; the data source is the stack's Prometheus.
        JsonNode provider = YAML.readTree(tmp.resolve("grafana/etc/grafana/provisioning/dashboards/docrag.yml").toFile()).at("/providers/0");
        Path dashboards = tmp.resolve("grafana" + provider.at("/options/path").asText());
        assertThat(dashboards.resolve(OpsAsset.GRAFANA_DASHBOARD.fileName())).exists();
        assertThat(JSON.readTree(dashboards.resolve(OpsAsset.GRAFANA_DASHBOARD.fileName()).toFile()).path("panels")).isNotEmpty();
        JsonNode ds = YAML.readTree(tmp.resolve("grafana/etc/grafana/provisioning/datasources/prometheus.yml").toFile()).at("/datasources/0");
        assertThat(ds.path("type").asText()).isEqualTo("prometheus");
        assertThat(ds.path("url").asText()).isEqualTo("http://prometheus:9090");
    }

    @Test
    void promtoolRejectsAConfigWhoseRulesAreMissing(@TempDir Path tmp) throws Exception {
        // The check above can fail: the same config without its mounted rules file is refused.
        Files.copy(DEPLOY.resolve("monitoring/prometheus.yml"), tmp.resolve("prometheus.yml"));
        Tools.Result r = Tools.exec(tmp, List.of(Tools.require("promtool", "prometheus").toString(), "check", "config", "prometheus.yml"));
        assertThat(r.exitCode()).as(r.output()).isNotZero();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    // ---- GitHub Actions workflow ----

    @Test
    void workflowRunsThisRepositorysCommandsOnH2AndPostgresWithCoverageSbomImageAndRelease() throws IOException {
        JsonNode wf = YAML.readTree(ROOT.resolve(".github/workflows/ci.yml").toFile());
        JsonNode jobs = wf.path("jobs");
        assertThat(jobs.fieldNames()).toIterable().contains("test-h2", "test-postgres", "release");
        String rootPom = Files.readString(ROOT.resolve("pom.xml"));
        String examplesPom = Files.readString(ROOT.resolve("docrag-examples/pom.xml"));
        List<String> runs = new ArrayList<>();
        jobs.forEach(job -> job.path("steps").forEach(step -> {
            if (step.has("run")) {
                runs.add(step.path("run").asText());
            }
        }));
        for (String run : runs) {
            // Scripts of this repository that a step calls exist and are what .ci/run / README use.
            Matcher m = Pattern.compile("(?<![\\w/.-])((?:bin|\\.ci)/[\\w.-]+)").matcher(run);
            while (m.find()) {
                assertThat(ROOT.resolve(m.group(1))).as("script in: %s", run).isRegularFile();
            }
            Matcher profiles = Pattern.compile("(?<=\\s)-P([\\w,-]+)").matcher(run);
            while (profiles.find()) {
                for (String profile : profiles.group(1).split(",")) {
                    assertThat(rootPom + examplesPom).as("profile %s", profile).contains("<id>" + profile + "</id>");
                }
            }
            Matcher modules = Pattern.compile("-pl\\s+([\\w,-]+)").matcher(run);
            while (modules.find()) {
                for (String module : modules.group(1).split(",")) {
                    assertThat(ROOT.resolve(module).resolve("pom.xml")).as("module %s", module).isRegularFile();
                }
            }
        }
        assertThat(runs).contains("bash .ci/run");
        // PostgreSQL: a service container, and the tests pointed at it the way PostgresServer reads it.
        JsonNode pg = jobs.path("test-postgres");
        assertThat(pg.at("/services/postgres/image").asText()).startsWith("postgres:");
        assertThat(String.join("\n", runs)).contains("-Ddocrag.test.postgres.url=jdbc:postgresql://postgres:5432/");
        assertThat(String.join("\n", runs)).contains("-Pcoverage");
        // Artifacts: the SBOM and the image tarball under the names the build gives them.
        String uploads = jobs.path("test-h2").toString();
        assertThat(examplesPom).contains("<outputName>docrag-service-bom</outputName>");
        assertThat(uploads).contains("docrag-examples/target/docrag-service-bom.json");
        assertThat(examplesPom).contains("<image.tar>${project.build.directory}/docrag-service-image.tar</image.tar>");
        assertThat(uploads).contains("docrag-examples/target/docrag-service-image.tar");
        assertThat(Files.readString(ROOT.resolve(".ci/run"))).contains("-Pimage");
        // Release only on version tags, after both test jobs.
        JsonNode release = jobs.path("release");
        assertThat(release.path("if").asText()).contains("refs/tags/v");
        assertThat(strings(release.path("needs"))).contains("test-h2", "test-postgres");
        assertThat(wf.path("on").path("push").path("tags").toString()).contains("v*");
    }

    // ---- Terraform ----

    @Test
    void terraformIsWellFormedAndItsReferencesResolve() throws IOException {
        Terraform tf = Terraform.load(DEPLOY.resolve("terraform"));
        for (String v : tf.variableReferences()) {
            assertThat(tf.variables()).as("var.%s is declared", v).containsKey(v);
        }
        for (String r : tf.resourceReferences()) {
            assertThat(tf.resources()).as("%s is declared", r).containsKey(r);
        }
        for (String d : tf.dataReferences()) {
            assertThat(tf.data()).as("data.%s is declared", d).containsKey(d);
        }
        assertThat(tf.formatProblems()).as("formatting (terraform fmt's indentation and alignment)").isEmpty();
    }

    @Test
    void terraformEncryptsAndExpiresBackupsAndRunsTheServiceOnFargateWithRdsPostgres() throws IOException {
        Terraform tf = Terraform.load(DEPLOY.resolve("terraform"));
        String sse = tf.resource("aws_s3_bucket_server_side_encryption_configuration");
        assertThat(sse).contains("bucket = aws_s3_bucket.backups.id").containsPattern("sse_algorithm\\s*=\\s*\"aws:kms\"");
        String lifecycle = tf.resource("aws_s3_bucket_lifecycle_configuration");
        assertThat(lifecycle).contains("bucket = aws_s3_bucket.backups.id").containsPattern("status\\s*=\\s*\"Enabled\"")
                .contains("expiration {").contains("abort_incomplete_multipart_upload {");
        assertThat(tf.resource("aws_s3_bucket_public_access_block"))
                .containsPattern("block_public_acls\\s*=\\s*true").containsPattern("restrict_public_buckets\\s*=\\s*true");
        String db = tf.resource("aws_db_instance");
        assertThat(db).containsPattern("engine\\s*=\\s*\"postgres\"").containsPattern("storage_encrypted\\s*=\\s*true")
                .containsPattern("publicly_accessible\\s*=\\s*false").containsPattern("manage_master_user_password\\s*=\\s*true");
        assertThat(tf.resource("aws_ecs_service")).containsPattern("launch_type\\s*=\\s*\"FARGATE\"");
        String task = tf.resource("aws_ecs_task_definition");
        assertThat(task).contains("\"FARGATE\"");
        // The task's environment: names the application reads, the catalog and backup repository wired in.
        Matcher names = Pattern.compile("name = \"((?:DOCRAG|LOG|AWS)_[A-Z_]+)\"").matcher(task);
        List<String> env = new ArrayList<>();
        while (names.find()) {
            env.add(names.group(1));
        }
        assertThat(env).contains(Env.DB_URL, Env.BACKUP_REPO, Env.WRITE_KEYS, Env.INDEX_DIR);
        assertThat(Env.ALL).containsAll(env);
        assertThat(task).contains("jdbc:postgresql://${aws_db_instance.catalog.endpoint}/")
                .contains("s3://${aws_s3_bucket.backups.bucket}/");
        assertThat(tf.variables().get("container_port")).containsPattern("default\\s*=\\s*" + PORT + "\\b");
        Matcher first = Pattern.compile("command\\s*=\\s*\\[([^\\]]*)\\]").matcher(task);
        assertThat(first.find()).isTrue();
        List<String> command = shellWords(first.group(1).replace(",", " "));
        assertThat(CliArgs.parse(command.stream().map(w -> w.contains("var.container_port") ? String.valueOf(PORT) : w).toList()))
                .containsExactly("docrag", "serve");
    }

    // ---- README ----

    @Test
    void readmeLinksEveryAssetOfTheKit() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int start = readme.indexOf("### Deployment kit");
        assertThat(start).as("README section").isPositive();
        String section = readme.substring(start, readme.indexOf("\n## ", start));
        Matcher links = Pattern.compile("\\]\\(([^)#]+)\\)").matcher(section);
        List<String> targets = new ArrayList<>();
        while (links.find()) {
            targets.add(links.group(1));
            assertThat(ROOT.resolve(links.group(1))).as("README link %s", links.group(1)).exists();
        }
        for (String asset : List.of("docrag-examples/deploy/Dockerfile", "docrag-examples/deploy/kubernetes",
                "docrag-examples/deploy/railway.toml", "docrag-examples/deploy/docker-compose.monitoring.yml",
                ".github/workflows/ci.yml", "docrag-examples/deploy/terraform",
                "docrag-examples/deploy/secret-scan-allowlist.txt")) {
            assertThat(targets).as("README links %s", asset).contains(asset);
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
