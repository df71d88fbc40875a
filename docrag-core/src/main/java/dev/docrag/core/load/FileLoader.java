package dev.docrag.core.load;

import dev.docrag.core.Document;
import dev.docrag.core.DocumentProblem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

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
 */
public final class FileLoader {
    /** 16 MiB: larger text is rarely documentation, and the whole file is held in memory. */
    public static final long DEFAULT_MAX_FILE_BYTES = 16L << 20;
    /** The largest file that fits in one byte array, whatever the configured limit. */
    private static final long MAX_READABLE_BYTES = Integer.MAX_VALUE - 8;
    /** Immutable, so one serves every FileLoader. */
    private static final PdfLoader PDF = new PdfLoader();

    private final Map<String, DocumentLoader> loaders;
    private final long maxFileBytes;

    private FileLoader(Builder b) {
        this.loaders = Map.copyOf(b.loaders);
        this.maxFileBytes = b.maxFileBytes;
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
     * The supported regular files under {@code root}, in a stable (sorted) order. Hidden files and
     * folders (names starting with '.') are skipped; symbolic links are not followed.
     *
     * @throws IOException if {@code root} itself cannot be read
     */
    public List<Path> list(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("not a directory: " + root);
        }
        try (Stream<Path> files = Files.walk(root, new FileVisitOption[0])) {
            return files.filter(p -> !p.equals(root))
                    .filter(p -> !isHidden(root.relativize(p)))
                    .filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && supports(p))
                    .sorted()
                    .toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
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
        String content = readText(file, source);
        Document doc;
        try {
            doc = loader.load(documentId(root, file), source, file.getFileName().toString(), content);
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
        return doc;
    }

    /**
     * PDFs are binary: they get the file's bytes, never decoded text. A loader a host registers
     * for "pdf" takes precedence and gets decoded text like any other.
     */
    private Document loadPdf(Path root, Path file, String source) {
        return PDF.load(documentId(root, file), source, file.getFileName().toString(), readBytes(file, source));
    }

    /** The file's bytes under the same size cap and empty-file rule as text. */
    private byte[] readBytes(Path file, String source) {
        byte[] bytes;
        try {
            long limit = Math.min(maxFileBytes, MAX_READABLE_BYTES);
            long size = Files.size(file);
            if (size > limit) {
                throw tooLarge(source, size, limit);
            }
            bytes = Files.readAllBytes(file);
            if (bytes.length > limit) {
                throw tooLarge(source, bytes.length, limit);
            }
        } catch (IOException e) {
            throw new LoadException(source, DocumentProblem.UNREADABLE, describe(e), e);
        }
        if (bytes.length == 0) {
            throw new LoadException(source, DocumentProblem.EMPTY, "the file has 0 bytes");
        }
        return bytes;
    }

    private String readText(Path file, String source) {
        byte[] bytes;
        try {
            // a Java array holds at most MAX_READABLE_BYTES, whatever limit the host configured
            long limit = Math.min(maxFileBytes, MAX_READABLE_BYTES);
            long size = Files.size(file);
            if (size > limit) {
                throw tooLarge(source, size, limit);
            }
            bytes = Files.readAllBytes(file);
            if (bytes.length > limit) { // it grew since we looked
                throw tooLarge(source, bytes.length, limit);
            }
        } catch (IOException e) {
            throw new LoadException(source, DocumentProblem.UNREADABLE, describe(e), e);
        }
        if (bytes.length == 0) {
            throw new LoadException(source, DocumentProblem.EMPTY, "the file has 0 bytes");
        }
        String text = decode(bytes, source);
        if (text.isBlank()) {
            throw new LoadException(source, DocumentProblem.EMPTY, "the file holds only white space");
        }
        return text;
    }

    /** UTF-16 when a byte-order mark says so, else UTF-8 with invalid sequences replaced. */
    private static String decode(byte[] bytes, String source) {
        int b0 = bytes[0] & 0xff;
        int b1 = bytes.length > 1 ? bytes[1] & 0xff : -1;
        if ((b0 == 0xfe && b1 == 0xff) || (b0 == 0xff && b1 == 0xfe)) {
            return new String(bytes, StandardCharsets.UTF_16);
        }
        for (byte b : bytes) {
            if (b == 0) {
                throw new LoadException(source, DocumentProblem.BINARY, "the file contains NUL bytes; it is not text");
            }
        }
        int offset = bytes.length >= 3 && b0 == 0xef && b1 == 0xbb && (bytes[2] & 0xff) == 0xbf ? 3 : 0;
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        try {
            return decoder.decode(ByteBuffer.wrap(bytes, offset, bytes.length - offset)).toString();
        } catch (CharacterCodingException e) {
            throw new AssertionError("REPLACE never throws", e);
        }
    }

    private static LoadException tooLarge(String source, long size, long limit) {
        return new LoadException(source, DocumentProblem.TOO_LARGE, size + " bytes is over the limit of " + limit + " bytes");
    }

    private static String describe(Exception e) {
        String kind = e.getClass().getSimpleName();
        return e.getMessage() == null ? kind : kind + ": " + e.getMessage();
    }

    private static boolean isHidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
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

        public FileLoader build() {
            return new FileLoader(this);
        }
    }
}
