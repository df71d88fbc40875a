package dev.docrag.ops;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The monitoring files docrag-ops ships as classpath resources, for a host's deployment to copy
 * out (e.g. at build time into a Prometheus or Grafana provisioning folder). Each is validated by
 * docrag-ops' tests: the rules by {@code promtool check rules} and {@code promtool test rules},
 * the Alertmanager configuration by {@code amtool check-config}, the dashboard's queries against a
 * real scrape. Alerts link sections of {@code docs/runbook.md}.
 */
public enum OpsAsset {
    /** Prometheus alerting and recording rules. */
    PROMETHEUS_RULES("prometheus/docrag-rules.yml"),
    /** Alertmanager routing: critical alerts page, warnings go to chat; receivers are placeholders. */
    ALERTMANAGER_CONFIG("alertmanager/alertmanager.yml"),
    /** A Grafana dashboard over DocRag's metrics, with datasource and instance variables. */
    GRAFANA_DASHBOARD("grafana/docrag-dashboard.json");

    private final String path;

    OpsAsset(String path) {
        this.path = path;
    }

    /** The classpath resource name, e.g. {@code dev/docrag/ops/prometheus/docrag-rules.yml}. */
    public String resource() {
        return "dev/docrag/ops/" + path;
    }

    /** The file name, e.g. {@code docrag-rules.yml}. */
    public String fileName() {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** The file's content. */
    public String read() {
        try (InputStream in = open()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource(), e);
        }
    }

    /** Copies the file into {@code directory} (created if missing) under {@link #fileName()}, replacing it; returns the copy. */
    public Path copyTo(Path directory) throws IOException {
        Files.createDirectories(directory);
        Path target = directory.resolve(fileName());
        try (InputStream in = open()) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    private InputStream open() {
        InputStream in = OpsAsset.class.getClassLoader().getResourceAsStream(resource());
        if (in == null) {
            throw new IllegalStateException(resource() + " is missing from the classpath: is docrag-ops' jar complete?");
        }
        return in;
    }
}
