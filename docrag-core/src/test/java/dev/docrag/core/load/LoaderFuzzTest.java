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
        String expected = documentedDecoding(input); // null: must be refused as BINARY; BY_MARK: text, not predicted
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
            if (name.endsWith(".txt") && !expected.equals(BY_MARK) && !doc.text().equals(expected)) {
                throw new AssertionError("x.txt decoded differently from its documented decoding");
            }
        }
    }

    /** Marks a decoding this oracle does not reproduce exactly (a byte-order mark decided it). */
    private static final String BY_MARK = "\u0000by-mark";

    /**
     * FileLoader's documented decoding, worked out independently: a byte-order mark decides
     * (UTF-32, UTF-8, UTF-16; only blankness is predicted there, returned as {@link #BY_MARK} or
     * blank); otherwise NUL bytes mean binary (null here); valid UTF-8 is UTF-8; bytes with at
     * least one valid multi-byte UTF-8 sequence are damaged UTF-8, invalid sequences replaced;
     * bytes with none are windows-1252.
     */
    private static String documentedDecoding(byte[] b) {
        int b0 = b.length > 0 ? b[0] & 0xff : -1;
        int b1 = b.length > 1 ? b[1] & 0xff : -1;
        int b2 = b.length > 2 ? b[2] & 0xff : -1;
        int b3 = b.length > 3 ? b[3] & 0xff : -1;
        java.nio.charset.Charset marked = null;
        int skip = 0;
        if (b0 == 0 && b1 == 0 && b2 == 0xfe && b3 == 0xff) {
            marked = java.nio.charset.Charset.forName("UTF-32BE");
            skip = 4;
        } else if (b0 == 0xff && b1 == 0xfe && b2 == 0 && b3 == 0) {
            marked = java.nio.charset.Charset.forName("UTF-32LE");
            skip = 4;
        } else if (b0 == 0xef && b1 == 0xbb && b2 == 0xbf) {
            marked = StandardCharsets.UTF_8;
            skip = 3;
        } else if (b0 == 0xfe && b1 == 0xff) {
            marked = StandardCharsets.UTF_16BE;
            skip = 2;
        } else if (b0 == 0xff && b1 == 0xfe) {
            marked = StandardCharsets.UTF_16LE;
            skip = 2;
        }
        if (marked != null) {
            String approx = new String(b, skip, b.length - skip, marked);
            return approx.isBlank() && !approx.contains("\ufffd") ? "" : BY_MARK;
        }
        for (byte x : b) {
            if (x == 0) {
                return null;
            }
        }
        boolean multiByte = false;
        boolean invalid = false;
        for (int i = 0; i < b.length; ) {
            int n = validSequence(b, i);
            if (n == 0) {
                invalid = true;
                i++;
            } else {
                multiByte |= n > 1;
                i += n;
            }
        }
        if (!invalid || multiByte) {
            return new String(b, StandardCharsets.UTF_8);
        }
        return new String(b, java.nio.charset.Charset.forName("windows-1252"));
    }

    /** The length of the valid UTF-8 sequence at {@code i}, or 0 (RFC 3629: no overlongs, surrogates or > U+10FFFF). */
    private static int validSequence(byte[] b, int i) {
        int c = b[i] & 0xff;
        if (c < 0x80) {
            return 1;
        }
        int n;
        int min;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 2;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            min = 0x10000;
        } else {
            return 0;
        }
        if (i + n > b.length) {
            return 0;
        }
        int cp = c & (0xff >> (n + 1));
        for (int k = 1; k < n; k++) {
            int x = b[i + k] & 0xff;
            if ((x & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (x & 0x3f);
        }
        return cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0 : n;
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
