package dev.docrag.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped monitoring assets: rules pass promtool's check and unit tests, the classic rules are
 * unchanged and fire on series shaped like a real scrape, Alertmanager's config passes amtool,
 * every alert links a runbook section, and the dashboard queries only metrics DocRag exports.
 * promtool and amtool must be installed (Debian packages prometheus, prometheus-alertmanager).
 */
class OpsAssetsTest {
    /** The original deployment's rules, as the issue gives them: they must work unchanged. */
    static final Map<String, String> CLASSIC = Map.of(
            "HighErrorRate", "rate(docrag_requests_total{status=~\"5..\"}[5m]) > 0.05",
            "SlowResponseTime", "histogram_quantile(0.95, rate(docrag_request_duration_seconds_bucket[5m])) > 5",
            "HighMemoryUsage", "docrag_memory_usage_bytes / (1024*1024*1024) > 0.8");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path RUNBOOK = Path.of(System.getProperty("docrag.runbook", "../docs/runbook.md"));

    static Exposition scrape;

    @BeforeAll
    static void scrapeARealDocRag(@TempDir Path dir) throws Exception {
        scrape = Exposition.parse(RealDocRag.scrapeAfterRealOperations(dir).open());
    }

    static JsonNode rules() throws Exception {
        return YAML.readTree(OpsAsset.PROMETHEUS_RULES.read());
    }

    static List<JsonNode> alerts() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode g : rules().get("groups")) {
            for (JsonNode r : g.get("rules")) {
                if (r.has("alert")) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    @Test
    void rulesPassPromtoolCheck(@TempDir Path dir) throws Exception {
        Path promtool = Tools.require("promtool", "prometheus");
        OpsAsset.PROMETHEUS_RULES.copyTo(dir);
        String out = Tools.run(dir, List.of(promtool.toString(), "check", "rules", "docrag-rules.yml"));
        assertThat(out).contains("SUCCESS");
    }

    @Test
    void promtoolUnitTestsMakeEveryAlertFire(@TempDir Path dir) throws Exception {
        Path promtool = Tools.require("promtool", "prometheus");
        OpsAsset.PROMETHEUS_RULES.copyTo(dir);
        Path tests = dir.resolve("docrag-rules-test.yml");
        try (var in = getClass().getResourceAsStream("/dev/docrag/ops/prometheus/docrag-rules-test.yml")) {
            Files.copy(in, tests);
        }
        Tools.run(dir, List.of(promtool.toString(), "test", "rules", tests.getFileName().toString()));

        // every alert has a case where it fires and one where it must not
        Set<String> fired = new TreeSet<>();
        Set<String> quiet = new TreeSet<>();
        for (JsonNode t : YAML.readTree(tests.toFile()).get("tests")) {
            for (JsonNode c : t.get("alert_rule_test")) {
                (c.get("exp_alerts").isEmpty() ? quiet : fired).add(c.get("alertname").asText());
            }
        }
        Set<String> names = new TreeSet<>(alerts().stream().map(a -> a.get("alert").asText()).toList());
        assertThat(fired).isEqualTo(names);
        assertThat(quiet).containsAll(names.stream().filter(n -> !n.equals("DocRagBackupVerificationFailed")).toList());
    }

    @Test
    void classicRulesAreUnchangedAndFireOnSeriesShapedLikeARealScrape(@TempDir Path dir) throws Exception {
        Map<String, String> shipped = new LinkedHashMap<>();
        alerts().forEach(a -> shipped.put(a.get("alert").asText(), a.get("expr").asText().strip()));
        CLASSIC.forEach((name, expr) -> assertThat(shipped).containsEntry(name, expr));

        // The scrape's own label sets, with the labels Prometheus adds; values make each rule fire.
        Map<String, String> target = Map.of("instance", "docrag-test:8080", "job", "docrag");
        ArrayNode series = JSON.createArrayNode();
        List<Map<String, String>> errors = new ArrayList<>();
        for (Exposition.Sample s : scrape.named("docrag_requests_total")) {
            if (s.labels().get("status").startsWith("5")) {
                series.add(series(s, target, "0+6x20")); // 0.1/s: fires
                errors.add(s.labels());
            } else {
                series.add(series(s, target, "0+600x20")); // 10/s of 200s and 400s: must not fire
            }
        }
        for (Exposition.Sample s : scrape.named("docrag_request_duration_seconds_bucket")) {
            if (s.labels().get("operation").equals("search")) {
                double le = s.labels().get("le").equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(s.labels().get("le"));
                series.add(series(s, target, le <= 5.0 ? "0+0x20" : "0+10x20")); // every search between 5 and 10 s
            }
        }
        series.add(series(scrape.named("docrag_memory_usage_bytes").get(0), target, "900000000x20")); // 0.84 GiB
        assertThat(errors).hasSize(8); // 500 and 503 of each operation

        ObjectNode test = JSON.createObjectNode();
        test.put("interval", "1m");
        test.set("input_series", series);
        ArrayNode cases = test.putArray("alert_rule_test");
        ArrayNode errorAlerts = JSON.createArrayNode();
        errors.forEach(l -> errorAlerts.add(expected(l, target)));
        cases.add(alertCase("HighErrorRate", errorAlerts));
        cases.add(alertCase("SlowResponseTime", JSON.createArrayNode().add(expected(Map.of("operation", "search"), target))));
        cases.add(alertCase("HighMemoryUsage", JSON.createArrayNode().add(expected(Map.of(), target))));

        StringBuilder rules = new StringBuilder("groups:\n  - name: classic\n    rules:\n");
        CLASSIC.forEach((name, expr) -> rules.append("      - alert: ").append(name).append("\n        expr: '")
                .append(expr.replace("'", "''")).append("'\n"));
        Files.writeString(dir.resolve("classic.yml"), rules);
        ObjectNode file = JSON.createObjectNode();
        file.putArray("rule_files").add("classic.yml");
        file.put("evaluation_interval", "1m");
        file.putArray("tests").add(test);
        YAML.writeValue(dir.resolve("classic-test.yml").toFile(), file);
        Tools.run(dir, List.of(Tools.require("promtool", "prometheus").toString(), "test", "rules", "classic-test.yml"));
    }

    private static ObjectNode series(Exposition.Sample s, Map<String, String> target, String values) {
        Map<String, String> labels = new LinkedHashMap<>(s.labels());
        labels.putAll(target);
        StringBuilder b = new StringBuilder(s.name()).append('{');
        String sep = "";
        for (Map.Entry<String, String> e : labels.entrySet()) {
            b.append(sep).append(e.getKey()).append("=\"").append(e.getValue()).append('"');
            sep = ",";
        }
        ObjectNode n = JSON.createObjectNode();
        n.put("series", b.append('}').toString());
        n.put("values", values);
        return n;
    }

    private static ObjectNode expected(Map<String, String> labels, Map<String, String> target) {
        ObjectNode n = JSON.createObjectNode();
        ObjectNode l = n.putObject("exp_labels");
        labels.forEach(l::put);
        target.forEach(l::put);
        return n;
    }

    private static ObjectNode alertCase(String name, ArrayNode alerts) {
        ObjectNode c = JSON.createObjectNode();
        c.put("eval_time", "10m");
        c.put("alertname", name);
        c.set("exp_alerts", alerts);
        return c;
    }

    @Test
    void alertmanagerConfigPassesAmtool(@TempDir Path dir) throws Exception {
        Path amtool = Tools.require("amtool", "prometheus-alertmanager");
        OpsAsset.ALERTMANAGER_CONFIG.copyTo(dir);
        assertThat(Tools.run(dir, List.of(amtool.toString(), "check-config", "alertmanager.yml"))).contains("SUCCESS");
    }

    @Test
    void everyAlertHasSummaryDescriptionAndARunbookSection() throws Exception {
        Set<String> anchors = new TreeSet<>();
        for (String line : Files.readAllLines(RUNBOOK)) {
            if (line.startsWith("#")) {
                anchors.add(line.replaceFirst("^#+\\s*", "").strip().toLowerCase(Locale.ROOT)
                        .replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'));
            }
        }
        for (JsonNode a : alerts()) {
            String name = a.get("alert").asText();
            JsonNode ann = a.get("annotations");
            assertThat(ann.path("summary").asText()).as("%s summary", name).isNotBlank();
            assertThat(ann.path("description").asText()).as("%s description", name).isNotBlank();
            assertThat(a.path("labels").path("severity").asText()).as("%s severity", name).isIn("warning", "critical");
            String url = ann.path("runbook_url").asText();
            assertThat(url).as("%s runbook_url", name).startsWith("docs/runbook.md#");
            assertThat(anchors).as("runbook section for %s", name).contains(url.substring(url.indexOf('#') + 1));
        }
    }

    @Test
    void dashboardAndRulesQueryOnlyMetricsDocRagExports() throws Exception {
        JsonNode dash = JSON.readTree(OpsAsset.GRAFANA_DASHBOARD.read());
        assertThat(dash.get("uid").asText()).isEqualTo("docrag-overview");
        List<String> queries = new ArrayList<>();
        for (JsonNode panel : dash.get("panels")) {
            assertThat(panel.get("targets")).as("panel %s", panel.get("title")).isNotEmpty();
            panel.get("targets").forEach(t -> queries.add(t.get("expr").asText()));
        }
        dash.get("templating").get("list").forEach(v -> {
            if (v.has("definition")) {
                queries.add(v.get("definition").asText().replaceFirst("^label_values\\((\\w+),.*", "$1"));
            }
        });
        Set<String> exported = scrape.names();
        Set<String> used = new TreeSet<>();
        queries.forEach(q -> used.addAll(metricNames(q)));
        assertThat(used).as("metrics the dashboard queries").isNotEmpty().allMatch(exported::contains,
                "exported by DocRag (scrape: " + exported + ")");
        // the dashboard shows every family that has an alert or an SLO behind it
        assertThat(used).contains("docrag_requests_total", "docrag_request_duration_seconds_bucket",
                "docrag_memory_usage_bytes", "docrag_disk_free_bytes", "docrag_backup_last_success_seconds",
                "docrag_circuit_state", "docrag_index_documents", "docrag_embedding_tokens_total",
                "docrag_ingest_documents_total");

        Set<String> inRules = new TreeSet<>();
        for (JsonNode g : rules().get("groups")) {
            for (JsonNode r : g.get("rules")) {
                metricNames(r.get("expr").asText()).stream().filter(n -> !n.contains(":")).forEach(inRules::add);
            }
        }
        assertThat(inRules).as("metrics the rules query").allMatch(exported::contains, "exported by DocRag");
    }

    private static final Set<String> PROMQL_WORDS = Set.of("by", "without", "and", "or", "unless", "on", "ignoring",
            "group_left", "group_right", "offset", "bool", "inf", "nan");
    private static final Pattern IDENT = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    /** The metric names a PromQL expression selects: identifiers that are not functions, keywords, labels or strings. */
    static Set<String> metricNames(String promql) {
        String s = promql.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"") // string literals
                .replaceAll("\\{[^}]*}", "") // label matchers
                .replaceAll("\\[[^]]*]", "") // ranges
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " "); // label lists
        Set<String> names = new TreeSet<>();
        Matcher m = IDENT.matcher(s);
        while (m.find()) {
            String word = m.group();
            int after = m.end();
            while (after < s.length() && s.charAt(after) == ' ') {
                after++;
            }
            boolean function = after < s.length() && s.charAt(after) == '(';
            boolean partOfNumber = m.start() > 0 && Character.isDigit(s.charAt(m.start() - 1));
            if (!function && !partOfNumber && !PROMQL_WORDS.contains(word.toLowerCase(Locale.ROOT))) {
                names.add(word);
            }
        }
        return names;
    }

    @Test
    void metricNameExtraction() {
        assertThat(metricNames("histogram_quantile(0.95, sum by (operation, le) (rate(docrag_request_duration_seconds_bucket"
                + "{instance=~\"$instance\"}[5m])))")).containsExactly("docrag_request_duration_seconds_bucket");
        assertThat(metricNames("docrag_memory_usage_bytes / (1024*1024*1024) > 0.8")).containsExactly("docrag_memory_usage_bytes");
        assertThat(metricNames("time() - docrag_backup_last_success_seconds > 26 * 3600 and up == 1"))
                .containsExactly("docrag_backup_last_success_seconds", "up");
    }
}
