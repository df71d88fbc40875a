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
import java.io.StringWriter;
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
 * closed (temporary files deleted) before {@link #load} returns. Stateless and thread-safe.
 */
final class PdfLoader {
    /** The extension {@link FileLoader} routes here, with the raw bytes rather than decoded text. */
    static final String EXTENSION = "pdf";
    /** Scratch data kept in memory per document before PDFBox spills to a temporary file. */
    static final long SCRATCH_MEMORY_BYTES = 4L << 20;

    private static final String PAGE_SEPARATOR = "\n\n";

    /**
     * Turns a PDF's bytes into a document.
     *
     * @param name the file name, the title when the PDF names none
     * @throws LoadException for any reason the bytes cannot become a document with text
     */
    Document load(String id, String source, String name, byte[] bytes) {
        // mixed: small files never touch the disk, large ones cannot hold unbounded heap
        try (PDDocument pdf = Loader.loadPDF(bytes, "", null, null, MemoryUsageSetting.setupMixed(SCRATCH_MEMORY_BYTES).streamCache)) {
            return extract(pdf, id, source, name);
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

    private static Document extract(PDDocument pdf, String id, String source, String name) throws IOException {
        int pageCount = pdf.getNumberOfPages();
        PageRecorder stripper = new PageRecorder();
        StringWriter raw = new StringWriter();
        stripper.writeText(pdf, raw);

        StringBuilder text = new StringBuilder(raw.getBuffer().length());
        List<Page> pages = new ArrayList<>();
        for (RawPage p : stripper.pages) {
            String pageText = raw.getBuffer().substring(p.start(), p.end()).strip();
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
        protected void startPage(PDPage page) throws IOException {
            output.flush();
            pageStart = length();
        }

        @Override
        protected void endPage(PDPage page) throws IOException {
            output.flush();
            pages.add(new RawPage(getCurrentPageNo(), pageStart, length()));
        }

        private int length() {
            return ((StringWriter) output).getBuffer().length();
        }
    }
}
