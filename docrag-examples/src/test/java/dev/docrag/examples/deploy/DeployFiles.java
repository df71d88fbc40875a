package dev.docrag.examples.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository and the deployment kit are, from the module's directory (surefire's working directory). */
final class DeployFiles {
    static final Path ROOT = findRoot();
    static final Path DEPLOY = ROOT.resolve("docrag-examples/deploy");

    private DeployFiles() {
    }

    private static Path findRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("docrag-examples/deploy")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("no repository root above " + dir);
    }
}
