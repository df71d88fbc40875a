package dev.docrag.ops;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.fail;

/** Runs the Prometheus tools the asset tests need; a missing tool fails with what to install. */
final class Tools {
    private Tools() {
    }

    /** The tool's path on PATH; fails the test (never skips) when it is missing. */
    static Path require(String tool, String debianPackage) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return fail(tool + " is missing: install the Debian package '" + debianPackage + "' (apt-get install -y "
                + debianPackage + "); CI installs it in .ci/run");
    }

    /** Runs {@code command} in {@code dir}; returns its output, failing the test on a non-zero exit. */
    static String run(Path dir, List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in 120 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            fail(String.join(" ", command) + " exited with " + p.exitValue() + ":\n" + out);
        }
        return out;
    }
}
