package dev.docrag.core.load;

import dev.docrag.core.Document;
import dev.docrag.core.DocumentProblem;
import dev.docrag.core.Page;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.io.MemoryUsageSetting;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentInformation;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.apache.pdfbox.text.PDFTextStripper;

import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * PDF through Apache PDFBox: the text of each page, pages separated by a blank line so that the
 * chunker sees a paragraph boundary, and {@link Document#pages()} holding each page's exact span.
 *
 * <p>Guarantees: for every {@link Page} {@code p}, {@code text.substring(p.start(), p.end())} is
 * exactly the (stripped) text page {@code p.number()} yielded; pages that yield no text are left
 * out of {@code pages} rather than given empty spans, so every listed span is non-empty. The
 * title is the info dictionary's title when non-blank, else the file name; metadata holds
 * {@code type=pdf}, {@code pages} (the page count, including pages without text) and
 * {@code author}, {@code subject}, {@code keywords} when the info dictionary has them as strings.
 *
 * <p>Failures, all {@link LoadException}s: a file that needs a user password is
 * {@link DocumentProblem#ENCRYPTED} (one protected only by an owner password opens with the empty
 * password and loads); bytes PDFBox cannot parse, and any unexpected runtime exception from
 * PDFBox, are {@link DocumentProblem#MALFORMED}; a PDF without a text layer (scanned images) is
 * {@link DocumentProblem#EMPTY} — no OCR is done.
 *
 * <p>Memory: the caller holds the file's bytes (capped by {@link FileLoader}); PDFBox's scratch
 * buffers spill to temporary files beyond {@link #SCRATCH_MEMORY_BYTES}, and the document is
 * closed (temporary files deleted) before {@link #load} returns; extracted text over
 * {@link #DEFAULT_MAX_TEXT_CHARS} (or the configured cap) fails as {@link DocumentProblem#TOO_LARGE}.
 * Immutable and thread-safe.
 */
final class PdfLoader {
    /** The extension {@link FileLoader} routes here, with the raw bytes rather than decoded text. */
    static final String EXTENSION = "pdf";
    /** Scratch data kept in memory per document before PDFBox spills to a temporary file. */
    static final long SCRATCH_MEMORY_BYTES = 4L << 20;

    /**
     * 32 Mi characters, several thousand dense pages: a cap on extracted text, because a small file
     * of compressed content streams can expand to far more text than its size suggests.
     */
    static final int DEFAULT_MAX_TEXT_CHARS = 32 << 20;

    private static final String PAGE_SEPARATOR = "\n\n";

    private final int maxTextChars;

    PdfLoader() {
        this(DEFAULT_MAX_TEXT_CHARS);
    }

    /** @param maxTextChars more extracted text than this fails the document as {@link DocumentProblem#TOO_LARGE} */
    PdfLoader(int maxTextChars) {
        if (maxTextChars <= 0) {
            throw new IllegalArgumentException("maxTextChars must be positive, got " + maxTextChars);
        }
        this.maxTextChars = maxTextChars;
    }

    /**
     * Turns a PDF's bytes into a document.
     *
     * @param name the file name, the title when the PDF names none
     * @throws LoadException for any reason the bytes cannot become a document with text
     */
    Document load(String id, String source, String name, byte[] bytes) {
        // mixed: small files never touch the disk, large ones cannot hold unbounded heap
        try (PDDocument pdf = Loader.loadPDF(bytes, "", null, null, MemoryUsageSetting.setupMixed(SCRATCH_MEMORY_BYTES).streamCache)) {
            return extract(pdf, id, source, name, maxTextChars);
        } catch (LoadException e) {
            throw e;
        } catch (InvalidPasswordException e) {
            throw new LoadException(source, DocumentProblem.ENCRYPTED,
                    "the PDF needs a user password to open (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new LoadException(source, DocumentProblem.MALFORMED, "PDFBox could not read the PDF: " + describe(e), e);
        } catch (RuntimeException e) {
            // PDFBox signals some damage with unchecked exceptions; one bad file must not stop a batch
            throw new LoadException(source, DocumentProblem.MALFORMED, "PDFBox failed on the PDF: " + describe(e), e);
        }
    }

    private static Document extract(PDDocument pdf, String id, String source, String name, int maxTextChars)
            throws IOException {
        int pageCount = pdf.getNumberOfPages();
        PageRecorder stripper = new PageRecorder();
        BoundedWriter raw = new BoundedWriter(source, maxTextChars);
        stripper.writeText(pdf, raw);

        StringBuilder text = new StringBuilder(raw.text.length());
        List<Page> pages = new ArrayList<>();
        for (RawPage p : stripper.pages) {
            String pageText = raw.text.substring(p.start(), p.end()).strip();
            if (pageText.isEmpty()) {
                continue;
            }
            if (!text.isEmpty()) {
                text.append(PAGE_SEPARATOR);
            }
            int start = text.length();
            text.append(pageText);
            pages.add(new Page(p.number(), start, text.length()));
        }
        if (pages.isEmpty()) {
            throw new LoadException(source, DocumentProblem.EMPTY, pageCount == 0 ? "the PDF has no pages"
                    : "none of the PDF's " + pageCount + " pages has a text layer (scanned images?); OCR is not done");
        }

        PDDocumentInformation info = pdf.getDocumentInformation();
        Map<String, String> metadata = new HashMap<>();
        metadata.put("type", "pdf");
        metadata.put("pages", Integer.toString(pageCount));
        putIfPresent(metadata, "author", info.getAuthor());
        putIfPresent(metadata, "subject", info.getSubject());
        putIfPresent(metadata, "keywords", info.getKeywords());
        String title = info.getTitle() == null || info.getTitle().isBlank() ? name : info.getTitle().strip();
        return new Document(id, source, title, text.toString(), metadata, List.of(), pages);
    }

    /** The info dictionary's getters return null for absent and for non-string values alike. */
    private static void putIfPresent(Map<String, String> metadata, String key, String value) {
        if (value != null && !value.isBlank()) {
            metadata.put(key, value.strip());
        }
    }

    private static String describe(Exception e) {
        String kind = e.getClass().getSimpleName();
        return e.getMessage() == null ? kind : kind + ": " + e.getMessage();
    }

    /** Where one page's output lies in the stripper's raw output. */
    private record RawPage(int number, int start, int end) {
    }

    /**
     * Extracts the whole document in one pass and notes where each page's output begins and ends:
     * PDFBox calls startPage/endPage around each page it writes (pages without a content stream
     * are skipped, but still counted by {@link #getCurrentPageNo()}).
     */
    private static final class PageRecorder extends PDFTextStripper {
        final List<RawPage> pages = new ArrayList<>();
        private int pageStart;

        PageRecorder() {
            // "\n" whatever the platform, so offsets and text are the same everywhere
            setLineSeparator("\n");
        }

        @Override
        protected void startPage(PDPage page) {
            pageStart = length();
        }

        @Override
        protected void endPage(PDPage page) {
            pages.add(new RawPage(getCurrentPageNo(), pageStart, length()));
        }

        private int length() {
            return ((BoundedWriter) output).text.length();
        }
    }

    /** The stripper's output, unbuffered (so lengths are exact at page boundaries) and capped. */
    private static final class BoundedWriter extends Writer {
        final StringBuilder text = new StringBuilder();
        private final String source;
        private final int maxChars;

        BoundedWriter(String source, int maxChars) {
            this.source = source;
            this.maxChars = maxChars;
        }

        @Override
        public void write(char[] chars, int offset, int length) {
            ensureRoom(length);
            text.append(chars, offset, length);
        }

        @Override
        public void write(String str, int offset, int length) {
            ensureRoom(length);
            text.append(str, offset, offset + length);
        }

        private void ensureRoom(int length) {
            if (length > maxChars - text.length()) {
                throw new LoadException(source, DocumentProblem.TOO_LARGE,
                        "the PDF's text is over the limit of " + maxChars + " characters");
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
