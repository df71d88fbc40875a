package dev.docrag.core.load;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.docrag.core.Document;
import dev.docrag.core.DocumentProblem;
import dev.docrag.core.Page;
import dev.docrag.core.Section;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzz targets for the loaders: whatever the content, a loader returns a consistent
 * {@link Document} or throws a {@link LoadException}, and nothing else, because ingestion records a
 * LoadException per document and goes on, while any other exception would stop a whole batch.
 *
 * <p>{@code bin/mvn verify} replays the committed inputs in {@code LoaderFuzzTestInputs/<method>/}
 * (seeds, and every crash the fuzzer found); {@code bin/fuzz} fuzzes each target for a bounded
 * time. Inputs are raw bytes so that seeds are plain files a person can read and edit.
 */
class LoaderFuzzTest {
    private static final String ID = "fuzz";
    private static final String SOURCE = "fuzz-source";
    private static final String NAME = "fuzz.name";

    private static final DocumentLoader TEXT = new TextLoader();
    private static final DocumentLoader MARKDOWN = new MarkdownLoader();
    private static final DocumentLoader HTML = new HtmlLoader();

    private static final FileLoader FILES = FileLoader.standard();
    /** Where the file target writes its inputs; static because one class instance serves all runs. */
    @TempDir
    static Path root;

    @FuzzTest
    void text(byte[] input) {
        Document doc = loadChecked(TEXT, utf8(input));
        if (doc != null && !doc.text().equals(utf8(input))) {
            throw new AssertionError("plain text must be kept as it is");
        }
    }

    @FuzzTest
    void markdown(byte[] input) {
        String content = utf8(input);
        Document doc = loadChecked(MARKDOWN, content);
        if (doc != null) {
            // the source text minus front matter, so that chunk offsets point into the file's text
            require(content.endsWith(doc.text()), "the text is not the content minus a leading part");
            require("markdown".equals(doc.metadata().get("type")), "type is " + doc.metadata().get("type"));
            require(!doc.title().isBlank(), "blank title");
        }
    }

    /** Front matter on its own: the only failure the parser may report is MALFORMED. */
    @FuzzTest
    void frontMatter(byte[] input) {
        try {
            MarkdownLoader.frontMatter(SOURCE, utf8(input));
        } catch (LoadException e) {
            if (e.problem() != DocumentProblem.MALFORMED) {
                throw new AssertionError("front matter failed with " + e.problem() + ", not MALFORMED", e);
            }
        }
    }

    @FuzzTest
    void html(byte[] input) {
        Document doc = loadChecked(HTML, utf8(input));
        if (doc != null) {
            require(doc.text().equals(doc.text().strip()), "white space around the text");
            require("html".equals(doc.metadata().get("type")), "type is " + doc.metadata().get("type"));
            require(!doc.title().isBlank(), "blank title");
        }
    }

    /**
     * The bytes as a file of each standard type, through {@link FileLoader#load}: decoding (byte-order
     * marks, invalid UTF-8, UTF-16, NUL bytes) and then the loader for the extension. For .txt the
     * text must be exactly the documented decoding of the bytes, worked out here independently.
     */
    @FuzzTest
    void file(byte[] input) throws IOException {
        String expected = documentedDecoding(input); // null: must be refused as BINARY
        for (String name : new String[] {"x.txt", "x.md", "x.html"}) {
            Path file = Files.write(root.resolve(name), input);
            Document doc;
            try {
                doc = FILES.load(root, file);
            } catch (LoadException e) {
                if (!e.source().equals(file.toString())) {
                    throw new AssertionError("the LoadException names " + e.source() + ", not " + file, e);
                }
                // FileLoader turns any unexpected exception of a loader into a LoadException so
                // that a host's loader cannot stop a batch; for our own loaders that is a bug.
                if (e.getMessage().contains("the loader failed")) {
                    throw new AssertionError("a standard loader threw: " + e.getMessage(), e);
                }
                boolean fair;
                if (expected == null) {
                    fair = e.problem() == DocumentProblem.BINARY;
                } else if (expected.isBlank()) {
                    fair = e.problem() == DocumentProblem.EMPTY;
                } else if (name.endsWith(".txt")) {
                    fair = false; // non-blank text has nothing to be refused for
                } else { // nothing left after extraction, or front matter or HTML that cannot be parsed
                    fair = e.problem() == DocumentProblem.EMPTY || e.problem() == DocumentProblem.MALFORMED;
                }
                if (!fair) {
                    throw new AssertionError(name + " refused as " + e.problem() + " but it decodes to "
                            + (expected == null ? "binary" : expected.isBlank() ? "blank text" : "text"), e);
                }
                continue;
            }
            if (expected == null || expected.isBlank()) {
                throw new AssertionError(name + " loaded, but it is " + (expected == null ? "binary" : "blank"));
            }
            checkDocument(doc);
            if (doc.text().isBlank()) {
                throw new AssertionError("FileLoader returned a blank document for " + name);
            }
            if (!doc.id().equals(name)) {
                throw new AssertionError("document id " + doc.id() + " for " + name);
            }
            if (name.endsWith(".txt") && !doc.text().equals(expected)) {
                throw new AssertionError("x.txt decoded differently from its documented decoding");
            }
        }
    }

    /**
     * FileLoader's documented decoding: UTF-16 when a byte-order mark says so; otherwise NUL bytes
     * mean binary (null here), else UTF-8 without its byte-order mark, invalid sequences replaced.
     */
    private static String documentedDecoding(byte[] b) {
        if (b.length >= 2 && ((b[0] & 0xff) == 0xfe && (b[1] & 0xff) == 0xff || (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xfe)) {
            return new String(b, StandardCharsets.UTF_16);
        }
        for (byte x : b) {
            if (x == 0) {
                return null;
            }
        }
        boolean bom = b.length >= 3 && (b[0] & 0xff) == 0xef && (b[1] & 0xff) == 0xbb && (b[2] & 0xff) == 0xbf;
        return bom ? new String(b, 3, b.length - 3, StandardCharsets.UTF_8) : new String(b, StandardCharsets.UTF_8);
    }

    /** Loads {@code content}; returns null when the loader refused it with a LoadException. */
    private static Document loadChecked(DocumentLoader loader, String content) {
        if (content.isBlank()) {
            return null; // loaders are never given blank content (DocumentLoader's contract)
        }
        Document doc;
        try {
            doc = loader.load(ID, SOURCE, NAME, content);
        } catch (LoadException e) {
            if (!e.source().equals(SOURCE)) {
                throw new AssertionError("the LoadException names " + e.source() + ", not " + SOURCE, e);
            }
            // the content is already decoded and non-blank: all a loader can object to is its syntax
            if (e.problem() != DocumentProblem.MALFORMED) {
                throw new AssertionError("refused as " + e.problem() + ", not MALFORMED", e);
            }
            return null;
        }
        // Any other exception propagates and is the finding: IllegalArgumentException from the
        // Document constructor means sections or pages out of order or outside the text.
        checkDocument(doc);
        return doc;
    }

    /**
     * What a loaded document must satisfy. The Document constructor checks sections and pages as
     * well; checking here too keeps the target strict if that check is ever relaxed.
     */
    static void checkDocument(Document doc) {
        if (doc == null) {
            throw new AssertionError("the loader returned null");
        }
        if (doc.text() == null || doc.title() == null || doc.metadata() == null) {
            throw new AssertionError("null text, title or metadata: " + doc);
        }
        int at = 0;
        for (Section s : doc.sections()) {
            if (s.start() < at || s.end() < s.start() || s.end() > doc.text().length()) {
                throw new AssertionError("section " + s + " out of order or outside text of length " + doc.text().length());
            }
            at = s.end();
        }
        at = 0;
        for (Page p : doc.pages()) {
            if (p.start() < at || p.end() < p.start() || p.end() > doc.text().length()) {
                throw new AssertionError("page " + p + " out of order or outside text of length " + doc.text().length());
            }
            at = p.end();
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }

    private static String utf8(byte[] input) {
        return new String(input, StandardCharsets.UTF_8);
    }
}
