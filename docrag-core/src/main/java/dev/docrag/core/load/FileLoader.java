package dev.docrag.core.load;

import dev.docrag.core.Document;
import dev.docrag.core.DocumentProblem;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.PatternSyntaxException;

/**
 * Finds the files under a folder that DocRag can load and turns each into a {@link Document},
 * choosing a {@link DocumentLoader} by file extension. Immutable and thread-safe. Standard types:
 * text (.txt), Markdown (.md, .markdown), HTML (.html, .htm) and PDF (.pdf, from the file's bytes,
 * with page spans in {@link Document#pages()}).
 *
 * <p>Guarantees: a document's id is its path relative to the ingested root with '/' separators,
 * so re-ingesting the same folder addresses the same documents on every platform; every failure
 * to load one file is a {@link LoadException} naming that file and a {@link DocumentProblem},
 * never an error that would stop a batch; files larger than {@link Builder#maxFileBytes(long)} are
 * refused before they are read.
 *
 * <p><b>Walking</b> ({@link #list(Path)}): a file is listed when a loader is registered for its
 * extension, it matches an include glob (if any is set) and no exclude glob, and — unless
 * {@link Builder#includeHidden(boolean)} — no part of its path below the root starts with '.'.
 * Symbolic links are skipped unless {@link Builder#followLinks(boolean)}; when followed, a link
 * back to a folder being walked is reported once as a loop and not entered. An entry the walk
 * cannot handle (an unreadable folder, a loop, a dangling link, a file gone mid-walk) is reported
 * in {@link Listing#problems()} and the walk goes on.
 *
 * <p><b>Charsets</b> ({@link #load(Path, Path)}): a byte-order mark decides (UTF-8, UTF-16BE/LE,
 * UTF-32BE/LE). Without one, a NUL byte makes the file {@link DocumentProblem#BINARY} (UTF-16 and
 * UTF-32 without a mark are not guessed); bytes that are valid UTF-8 are UTF-8; bytes holding at
 * least one valid multi-byte UTF-8 sequence are damaged UTF-8; bytes holding none are a legacy
 * single-byte file, decoded as windows-1252 (Latin-1 plus printable 0x80–0x9F; its five undefined
 * bytes count as invalid). Invalid bytes become U+FFFD and never fail the file. The document's
 * metadata records {@value #CHARSET} (the charset used) and, when any byte was replaced,
 * {@value #INVALID_BYTES} (how many). HTML's {@code <meta charset>} is not consulted.
 */
public final class FileLoader {
    /** 16 MiB: larger text is rarely documentation, and the whole file is held in memory. */
    public static final long DEFAULT_MAX_FILE_BYTES = 16L << 20;
    /** The largest file that fits in one byte array, whatever the configured limit. */
    private static final long MAX_READABLE_BYTES = Integer.MAX_VALUE - 8;
    /** Metadata key: the charset a file was decoded with, e.g. {@code UTF-8} or {@code windows-1252}. */
    public static final String CHARSET = "charset";
    /** Metadata key, present only when positive: bytes that did not decode and were replaced by U+FFFD. */
    public static final String INVALID_BYTES = "invalid_bytes";
    /** Immutable, so one serves every FileLoader. */
    private static final PdfLoader PDF = new PdfLoader();

    private final Map<String, DocumentLoader> loaders;
    private final long maxFileBytes;
    private final List<Glob> includes;
    private final List<Glob> excludes;
    private final boolean includeHidden;
    private final boolean followLinks;

    private FileLoader(Builder b) {
        this.loaders = Map.copyOf(b.loaders);
        this.maxFileBytes = b.maxFileBytes;
        this.includes = List.copyOf(b.includes);
        this.excludes = List.copyOf(b.excludes);
        this.includeHidden = b.includeHidden;
        this.followLinks = b.followLinks;
    }

    /** Text (.txt), Markdown (.md, .markdown), HTML (.html, .htm) and PDF (.pdf), files up to 16 MiB. */
    public static FileLoader standard() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Whether a loader is registered for this file's extension, or it is a PDF (built in). */
    public boolean supports(Path file) {
        return loaders.containsKey(extension(file)) || PdfLoader.EXTENSION.equals(extension(file));
    }

    /**
     * Walks {@code root} and returns the files to load, sorted, with every entry that could not be
     * walked (see the class comment for which files are listed). Never throws for one entry.
     * Callers that only want the files use {@code list(root).files()}.
     *
     * @throws IOException if {@code root} itself is not a readable folder
     */
    public Listing list(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("not a directory: " + root);
        }
        // A root that is itself a link is walked at its target, but paths stay spelled under the
        // given root so that document ids and sources do not depend on where the link points.
        Path start = Files.isSymbolicLink(root) ? root.toRealPath() : root;
        Walk walk = new Walk(root, start);
        Set<FileVisitOption> options = followLinks ? EnumSet.of(FileVisitOption.FOLLOW_LINKS) : EnumSet.noneOf(FileVisitOption.class);
        Files.walkFileTree(start, options, Integer.MAX_VALUE, walk);
        walk.files.sort(Comparator.naturalOrder());
        walk.problems.sort(Comparator.comparing(LoadException::source));
        return new Listing(walk.files, walk.problems);
    }

    /** The document id of {@code file} when ingested from {@code root}. */
    public static String documentId(Path root, Path file) {
        Path rel = root.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize());
        StringBuilder id = new StringBuilder();
        for (Path part : rel) {
            if (!id.isEmpty()) {
                id.append('/');
            }
            id.append(part);
        }
        return id.toString();
    }

    /**
     * Loads one file found under {@code root}.
     *
     * @throws LoadException for any reason the file cannot become a document
     */
    public Document load(Path root, Path file) {
        String source = file.toString();
        DocumentLoader loader = loaders.get(extension(file));
        if (loader == null && PdfLoader.EXTENSION.equals(extension(file))) {
            return loadPdf(root, file, source);
        }
        if (loader == null) {
            throw new LoadException(source, DocumentProblem.UNSUPPORTED, "no loader for extension '" + extension(file) + "'");
        }
        TextDecoder.Decoded content = readText(file, source);
        Document doc;
        try {
            doc = loader.load(documentId(root, file), source, file.getFileName().toString(), content.text());
        } catch (LoadException e) {
            throw e;
        } catch (RuntimeException e) {
            // a host's loader must not be able to stop a batch with an unexpected exception
            throw new LoadException(source, DocumentProblem.MALFORMED, "the loader failed: " + describe(e), e);
        }
        if (doc == null) {
            throw new LoadException(source, DocumentProblem.MALFORMED, "the loader returned no document");
        }
        if (doc.text().isBlank()) {
            throw new LoadException(source, DocumentProblem.EMPTY, "no text left after extraction");
        }
        return withEncoding(doc, content);
    }

    /** The loader's document with the decoding facts added; they describe the bytes, so they win. */
    private static Document withEncoding(Document doc, TextDecoder.Decoded content) {
        Map<String, String> metadata = new HashMap<>(doc.metadata());
        metadata.put(CHARSET, content.charset());
        metadata.remove(INVALID_BYTES);
        if (content.invalidBytes() > 0) {
            metadata.put(INVALID_BYTES, Long.toString(content.invalidBytes()));
        }
        return doc.withMetadata(metadata);
    }

    /**
     * PDFs are binary: they get the file's bytes, never decoded text. A loader a host registers
     * for "pdf" takes precedence and gets decoded text like any other.
     */
    private Document loadPdf(Path root, Path file, String source) {
        byte[] bytes = readBytes(file, source);
        if (bytes.length == 0) {
            throw new LoadException(source, DocumentProblem.EMPTY, "the file has 0 bytes");
        }
        return PDF.load(documentId(root, file), source, file.getFileName().toString(), bytes);
    }

    private TextDecoder.Decoded readText(Path file, String source) {
        byte[] bytes = readBytes(file, source);
        if (bytes.length == 0) {
            throw new LoadException(source, DocumentProblem.EMPTY, "the file has 0 bytes");
        }
        TextDecoder.Decoded text = TextDecoder.decode(bytes, source);
        if (text.text().isBlank()) {
            throw new LoadException(source, DocumentProblem.EMPTY, "the file holds only white space");
        }
        return text;
    }

    /**
     * The file's bytes, never more than the limit in memory. The file may have changed since it
     * was listed: a folder, a link (when links are not followed), or a special file such as a
     * pipe, which would block a read, is refused as unreadable.
     */
    private byte[] readBytes(Path file, String source) {
        // a Java array holds at most MAX_READABLE_BYTES, whatever limit the host configured
        long limit = Math.min(maxFileBytes, MAX_READABLE_BYTES);
        try {
            LinkOption[] linkOptions = followLinks ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class, linkOptions);
            if (attrs.isDirectory()) {
                throw new LoadException(source, DocumentProblem.UNREADABLE, "it is a folder, not a file");
            }
            if (attrs.isSymbolicLink()) {
                throw new LoadException(source, DocumentProblem.UNREADABLE, "it is a symbolic link, and links are not followed");
            }
            if (!attrs.isRegularFile()) {
                throw new LoadException(source, DocumentProblem.UNREADABLE, "it is not a regular file");
            }
            if (attrs.size() > limit) {
                throw tooLarge(source, attrs.size(), limit);
            }
            // NOFOLLOW_LINKS again at open: a link swapped in since the check is refused, not followed
            Set<OpenOption> open = followLinks ? Set.of(StandardOpenOption.READ)
                    : Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            try (SeekableByteChannel channel = Files.newByteChannel(file, open);
                    InputStream in = Channels.newInputStream(channel)) {
                long size = channel.size();
                if (size > limit) {
                    throw tooLarge(source, size, limit);
                }
                // one byte more than allowed tells a file that grew since we looked
                byte[] bytes = in.readNBytes((int) (limit + 1));
                if (bytes.length > limit) {
                    throw tooLarge(source, bytes.length, limit);
                }
                return bytes;
            }
        } catch (IOException e) {
            throw new LoadException(source, DocumentProblem.UNREADABLE, describe(e), e);
        }
    }

    private static LoadException tooLarge(String source, long size, long limit) {
        return new LoadException(source, DocumentProblem.TOO_LARGE, size + " bytes is over the limit of " + limit + " bytes");
    }

    private static String describe(Exception e) {
        String kind = e.getClass().getSimpleName();
        return e.getMessage() == null ? kind : kind + ": " + e.getMessage();
    }

    private static boolean isHidden(Path entry) {
        Path name = entry.getFileName();
        return name != null && name.toString().startsWith(".");
    }

    /** Whether a supported file at this '/'-separated relative path is wanted by the globs. */
    private boolean selected(String relative) {
        return (includes.isEmpty() || matchesAny(includes, relative)) && !matchesAny(excludes, relative);
    }

    private static boolean matchesAny(List<Glob> globs, String relative) {
        for (Glob g : globs) {
            if (g.matches(relative)) {
                return true;
            }
        }
        return false;
    }

    /** The path of {@code entry} relative to {@code start}, '/'-separated, as globs and ids see it. */
    private static String relative(Path start, Path entry) {
        StringBuilder rel = new StringBuilder();
        for (Path part : start.relativize(entry)) {
            if (!rel.isEmpty()) {
                rel.append('/');
            }
            rel.append(part);
        }
        return rel.toString();
    }

    /** Collects files and per-entry problems; only a failure at the root itself is thrown. */
    private final class Walk extends SimpleFileVisitor<Path> {
        private final Path root;
        private final Path start;
        final List<Path> files = new ArrayList<>();
        final List<LoadException> problems = new ArrayList<>();

        Walk(Path root, Path start) {
            this.root = root;
            this.start = start;
        }

        /** The entry spelled under the root the caller gave. */
        private Path shown(Path entry) {
            return start == root ? entry : root.resolve(start.relativize(entry));
        }

        private void problem(Path entry, String detail, IOException cause) {
            problems.add(new LoadException(shown(entry).toString(), DocumentProblem.UNREADABLE, detail, cause));
        }

        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            if (dir.equals(start)) {
                return FileVisitResult.CONTINUE;
            }
            // an exclude that names a folder prunes it: node_modules is never walked
            if ((!includeHidden && isHidden(dir)) || matchesAny(excludes, relative(start, dir))) {
                return FileVisitResult.SKIP_SUBTREE;
            }
            return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if ((!includeHidden && isHidden(file)) || !supports(file) || !selected(relative(start, file))) {
                return FileVisitResult.CONTINUE;
            }
            if (attrs.isRegularFile()) {
                files.add(shown(file));
            } else if (attrs.isSymbolicLink() && followLinks) {
                // when following links, the walker shows the link itself only if its target is missing
                problem(file, "dangling symbolic link: its target does not exist", null);
            }
            // unfollowed links, pipes, devices and sockets are not documents: skipped silently
            return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path entry, IOException e) throws IOException {
            if (entry.equals(start)) {
                throw e;
            }
            if (!includeHidden && isHidden(entry)) {
                return FileVisitResult.CONTINUE;
            }
            String rel = relative(start, entry);
            if (e instanceof FileSystemLoopException) {
                if (!matchesAny(excludes, rel)) {
                    problem(entry, "symbolic link loop: it leads back to a folder that is being walked; not followed", e);
                }
            } else if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS) ? !matchesAny(excludes, rel)
                    : supports(entry) && selected(rel)) {
                // a folder that cannot be opened, or a wanted file that vanished or cannot be examined
                problem(entry, "cannot be walked: " + describe(e), e);
            }
            return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null) {
                if (dir.equals(start)) {
                    throw e;
                }
                problem(dir, "the folder could not be read to its end: " + describe(e), e);
            }
            return FileVisitResult.CONTINUE;
        }
    }

    /**
     * One include or exclude pattern. A leading {@code **}{@code /} also matches no folder at all, so
     * that {@code **}{@code /*.md} means "every .md file", top-level ones included, as people expect.
     */
    private record Glob(String pattern, List<PathMatcher> matchers) {
        static Glob of(String pattern) {
            if (pattern == null || pattern.isBlank()) {
                throw new IllegalArgumentException("a glob must be non-blank, got '" + pattern + "'");
            }
            List<PathMatcher> matchers = new ArrayList<>();
            try {
                matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + pattern));
                if (pattern.startsWith("**/") && pattern.length() > 3) {
                    matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + pattern.substring(3)));
                }
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("invalid glob '" + pattern + "': " + e.getDescription(), e);
            }
            return new Glob(pattern, List.copyOf(matchers));
        }

        boolean matches(String relative) {
            Path path = Path.of(relative);
            for (PathMatcher m : matchers) {
                if (m.matches(path)) {
                    return true;
                }
            }
            return false;
        }
    }

    private static String extension(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /** Configures a {@link FileLoader}; starts with the standard loaders registered. */
    public static final class Builder {
        private final Map<String, DocumentLoader> loaders = new HashMap<>();
        private long maxFileBytes = DEFAULT_MAX_FILE_BYTES;
        private final List<Glob> includes = new ArrayList<>();
        private final List<Glob> excludes = new ArrayList<>();
        private boolean includeHidden;
        private boolean followLinks;

        private Builder() {
            DocumentLoader text = new TextLoader();
            DocumentLoader markdown = new MarkdownLoader();
            DocumentLoader html = new HtmlLoader();
            loaders.put("txt", text);
            loaders.put("md", markdown);
            loaders.put("markdown", markdown);
            loaders.put("html", html);
            loaders.put("htm", html);
        }

        /** Registers (or replaces) the loader for an extension, given without the dot. */
        public Builder loader(String extension, DocumentLoader loader) {
            if (extension == null || extension.isBlank() || extension.contains(".")) {
                throw new IllegalArgumentException("extension must be non-blank and without a dot, got '" + extension + "'");
            }
            loaders.put(extension.toLowerCase(Locale.ROOT), java.util.Objects.requireNonNull(loader, "loader"));
            return this;
        }

        /** Files larger than this many bytes are refused with {@link DocumentProblem#TOO_LARGE}. */
        public Builder maxFileBytes(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxFileBytes must be positive, got " + bytes);
            }
            this.maxFileBytes = bytes;
            return this;
        }

        /**
         * Lists only files matching at least one of these globs (added to those given before).
         * Globs use {@link java.nio.file.FileSystem#getPathMatcher} syntax and are matched against
         * the path relative to the root with '/' separators: {@code *.md} matches top-level
         * Markdown only ({@code *} stops at '/'), {@code docs/**} everything under {@code docs},
         * and {@code **}{@code /*.md} Markdown at any depth, top level included. A file must also
         * have a registered loader.
         *
         * @throws IllegalArgumentException for a blank or malformed glob
         */
        public Builder include(String... globs) {
            for (String g : globs) {
                includes.add(Glob.of(g));
            }
            return this;
        }

        /**
         * Never lists files matching any of these globs (same syntax as {@link #include}); excludes
         * win over includes. A glob that matches a folder ({@code build}, {@code **}{@code /node_modules})
         * excludes everything under it, and the folder is not walked.
         *
         * @throws IllegalArgumentException for a blank or malformed glob
         */
        public Builder exclude(String... globs) {
            for (String g : globs) {
                excludes.add(Glob.of(g));
            }
            return this;
        }

        /** Whether files and folders whose names start with '.' are listed; default false. */
        public Builder includeHidden(boolean include) {
            this.includeHidden = include;
            return this;
        }

        /**
         * Whether symbolic links to files and folders are followed; default false, which skips
         * them when walking and refuses them when loading. When true, a link back to a folder
         * being walked is reported as a loop in {@link Listing#problems()} and not entered, so a
         * walk always ends; a link may then lead outside the root.
         */
        public Builder followLinks(boolean follow) {
            this.followLinks = follow;
            return this;
        }

        public FileLoader build() {
            return new FileLoader(this);
        }
    }
}
