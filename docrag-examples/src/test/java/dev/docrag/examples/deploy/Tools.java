package dev.docrag.examples.deploy;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.fail;

/** Runs the command-line validators the deployment tests use; a missing tool fails with what to install. */
final class Tools {
    private Tools() {
    }

    /** The tool's path on PATH; fails the test (never skips) when it is missing. */
    static Path require(String tool, String debianPackage) {
        Path p = find(tool);
        if (p == null) {
            return fail(tool + " is missing: install the Debian package '" + debianPackage + "' (apt-get install -y "
                    + debianPackage + "); CI installs it in .ci/run");
        }
        return p;
    }

    /** The absolute path of a base system tool (sh, tar, chroot...), failing when absent. */
    static String which(String tool) {
        Path p = find(tool);
        if (p == null) {
            for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
                if (Files.isExecutable(Path.of(dir, tool))) {
                    return dir + "/" + tool;
                }
            }
            return fail(tool + " is missing");
        }
        return p.toString();
    }

    private static Path find(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, tool);
            if (!dir.isEmpty() && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Runs {@code command} in {@code dir}; returns its output, failing the test on a non-zero exit. */
    static String run(Path dir, List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in 300 s");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            fail(String.join(" ", command) + " exited with " + p.exitValue() + ":\n" + text);
        }
        return text;
    }

    /** Runs {@code command} and returns its exit code and output, without judging them. */
    static Result exec(Path dir, List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in 300 s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    record Result(int exitCode, String output) {
    }
}
