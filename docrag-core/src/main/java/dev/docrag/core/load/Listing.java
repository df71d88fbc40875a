package dev.docrag.core.load;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link FileLoader#list(Path)} found under a folder: the files to load, and the entries
 * the walk could not handle. Immutable.
 *
 * <p>Guarantees: {@code files} are regular files (or, with {@link FileLoader.Builder#followLinks},
 * links to them) under the root, each listed once, sorted; {@code problems} are sorted by source
 * and each names one path under the root (a folder that could not be read, a symbolic-link loop, a
 * dangling link, a file that vanished while the folder was walked) with a
 * {@link dev.docrag.core.DocumentProblem}. A problem never stops the walk: everything else is
 * still listed.
 *
 * @param files    the files to load, in {@link Path} order
 * @param problems one entry per path that was skipped because of an error, in source order
 */
public record Listing(List<Path> files, List<LoadException> problems) {
    public Listing {
        files = List.copyOf(files);
        problems = List.copyOf(problems);
    }
}
