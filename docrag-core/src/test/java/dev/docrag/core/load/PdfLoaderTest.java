package dev.docrag.core.load;

import dev.docrag.core.Document;
import dev.docrag.core.DocumentProblem;
import dev.docrag.core.Page;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentInformation;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.pdmodel.graphics.image.LosslessFactory;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class PdfLoaderTest {
    @TempDir
    Path root;

    private final FileLoader loader = FileLoader.standard();

    // ---------------------------------------------------------------- PDFs made here, with PDFBox

    /** One page per entry; each entry's lines are drawn top to bottom; an empty entry is a page without text. */
    private static byte[] pdf(List<List<String>> pages, Map<String, String> info, StandardProtectionPolicy protection)
            throws IOException {
        try (PDDocument doc = new PDDocument()) {
            PDType1Font font = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
            for (List<String> lines : pages) {
                PDPage page = new PDPage();
                doc.addPage(page);
                if (lines.isEmpty()) {
                    continue;
                }
                try (PDPageContentStream content = new PDPageContentStream(doc, page)) {
                    content.beginText();
                    content.setFont(font, 12);
                    content.setLeading(16);
                    content.newLineAtOffset(72, 700);
                    for (String line : lines) {
                        content.showText(line);
                        content.newLine();
                    }
                    content.endText();
                }
            }
            PDDocumentInformation documentInformation = doc.getDocumentInformation();
            info.forEach(documentInformation::setCustomMetadataValue);
            if (protection != null) {
                doc.protect(protection);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.save(out);
            return out.toByteArray();
        }
    }

    private static byte[] pdf(String... pageSentences) throws IOException {
        return pdf(Arrays.stream(pageSentences).map(s -> s.isEmpty() ? List.<String>of() : List.of(s)).toList(), Map.of(), null);
    }

    private static byte[] imageOnlyPdf() throws IOException {
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage();
            doc.addPage(page);
            BufferedImage scan = new BufferedImage(200, 100, BufferedImage.TYPE_INT_RGB);
            for (int x = 0; x < 200; x++) {
                scan.setRGB(x, x / 2, 0xffffff); // something on the "scan", as pixels only
            }
            PDImageXObject image = LosslessFactory.createFromImage(doc, scan);
            try (PDPageContentStream content = new PDPageContentStream(doc, page)) {
                content.drawImage(image, 72, 500);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.save(out);
            return out.toByteArray();
        }
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(root.resolve(name), bytes);
    }

    private LoadException loadFails(Path file) {
        LoadException e = catchThrowableOfType(LoadException.class, () -> loader.load(root, file));
        assertThat(e).as("loading %s fails with a LoadException", file).isNotNull();
        assertThat(e.source()).isEqualTo(file.toString());
        assertThat(e.getMessage()).as("the message names the file").contains(file.toString());
        return e;
    }

    private static String pageText(Document doc, Page page) {
        return doc.text().substring(page.start(), page.end());
    }

    // ---------------------------------------------------------------- text and pages

    @Test
    void textPerPageWithExactSpansAndBlankLinesBetweenPages() throws IOException {
        List<List<String>> pages = List.of(
                List.of("Alpha page explains log rotation.", "It has a second line."),
                List.of("Bravo page covers backups."),
                List.of(), // no text: omitted from pages, but still counted and numbered
                List.of("Delta page is about caf\u00e9 latency."));
        Document doc = loader.load(root, write("guide.pdf", pdf(pages, Map.of(), null)));

        assertThat(doc.id()).isEqualTo("guide.pdf");
        assertThat(doc.pages()).extracting(Page::number).containsExactly(1, 2, 4);
        assertThat(doc.text()).isEqualTo("Alpha page explains log rotation.\nIt has a second line.\n\n"
                + "Bravo page covers backups.\n\n"
                + "Delta page is about caf\u00e9 latency.");
        String[] sentences = {"Alpha page", "Bravo page", "Delta page"};
        for (int i = 0; i < doc.pages().size(); i++) {
            String text = pageText(doc, doc.pages().get(i));
            assertThat(text).as("page %d", doc.pages().get(i).number()).contains(sentences[i]);
            for (int j = 0; j < sentences.length; j++) {
                if (j != i) {
                    assertThat(text).doesNotContain(sentences[j]);
                }
            }
            assertThat(text).isEqualTo(text.strip());
        }
        // pages are separated by exactly a blank line, so the chunker sees a paragraph boundary
        for (int i = 1; i < doc.pages().size(); i++) {
            assertThat(doc.text().substring(doc.pages().get(i - 1).end(), doc.pages().get(i).start())).isEqualTo("\n\n");
        }
        assertThat(doc.pages().getFirst().start()).isZero();
        assertThat(doc.pages().getLast().end()).isEqualTo(doc.text().length());
        assertThat(doc.metadata()).containsEntry("type", "pdf").containsEntry("pages", "4");
    }

    @Test
    void manyPagesKeepTheirNumbersAndSpans() throws IOException {
        String[] sentences = new String[40];
        for (int i = 0; i < sentences.length; i++) {
            sentences[i] = "Sentence number " + (i + 1) + " stands alone on its page.";
        }
        Document doc = loader.load(root, write("long.pdf", pdf(sentences)));

        assertThat(doc.pages()).hasSize(40);
        for (Page page : doc.pages()) {
            assertThat(pageText(doc, page)).isEqualTo(sentences[page.number() - 1]);
        }
    }

    @Test
    void titleAndMetadataComeFromTheInfoDictionary() throws IOException {
        Map<String, String> info = Map.of("Title", "  Operations Handbook ", "Author", "Ops Team",
                "Subject", "Running DocRag", "Keywords", "backup, restore");
        Document doc = loader.load(root, write("handbook.pdf", pdf(List.of(List.of("Body text.")), info, null)));

        assertThat(doc.title()).isEqualTo("Operations Handbook");
        assertThat(doc.metadata()).containsExactlyInAnyOrderEntriesOf(Map.of("type", "pdf", "pages", "1",
                "author", "Ops Team", "subject", "Running DocRag", "keywords", "backup, restore"));
    }

    @Test
    void titleFallsBackToTheFileNameWhenTheInfoHasNoneOrABlankOne() throws IOException {
        Document none = loader.load(root, write("untitled.pdf", pdf("Body text.")));
        Document blank = loader.load(root, write("blank-title.pdf",
                pdf(List.of(List.of("Body text.")), Map.of("Title", "   ", "Author", " "), null)));

        assertThat(none.title()).isEqualTo("untitled.pdf");
        assertThat(blank.title()).isEqualTo("blank-title.pdf");
        assertThat(blank.metadata()).as("blank values are dropped").doesNotContainKey("author");
    }

    // ---------------------------------------------------------------- typed failures

    @Test
    void aUserPasswordIsEncrypted() throws IOException {
        StandardProtectionPolicy policy = new StandardProtectionPolicy("owner-secret", "user-secret", new AccessPermission());
        policy.setEncryptionKeyLength(128);
        Path file = write("secret.pdf", pdf(List.of(List.of("Classified text.")), Map.of(), policy));

        LoadException e = loadFails(file);
        assertThat(e.problem()).isEqualTo(DocumentProblem.ENCRYPTED);
        assertThat(e.getMessage()).contains("password");
    }

    @Test
    void anOwnerPasswordAloneStillLoadsEvenWhenExtractionIsForbidden() throws IOException {
        AccessPermission permissions = new AccessPermission();
        permissions.setCanExtractContent(false); // PDFBox does not enforce it; the reader holds the file
        StandardProtectionPolicy policy = new StandardProtectionPolicy("owner-secret", "", permissions);
        policy.setEncryptionKeyLength(256);
        Path file = write("restricted.pdf", pdf(List.of(List.of("Readable without a password.")), Map.of("Title", "Restricted"), policy));

        Document doc = loader.load(root, file);
        assertThat(doc.text()).isEqualTo("Readable without a password.");
        assertThat(doc.title()).isEqualTo("Restricted");
    }

    @Test
    void garbageWithAPdfExtensionIsMalformed() throws IOException {
        byte[] garbage = new byte[4096];
        new Random(42).nextBytes(garbage);
        LoadException e = loadFails(write("garbage.pdf", garbage));

        assertThat(e.problem()).isEqualTo(DocumentProblem.MALFORMED);
        assertThat(e.getMessage()).contains("PDFBox");
    }

    @Test
    void aPdfWithOnlyImagesHasNoTextLayer() throws IOException {
        LoadException e = loadFails(write("scan.pdf", imageOnlyPdf()));

        assertThat(e.problem()).isEqualTo(DocumentProblem.EMPTY);
        assertThat(e.getMessage()).contains("text layer").contains("OCR");
    }

    @Test
    void aPdfCutBeforeItsPageTreeIsMalformed() throws IOException {
        byte[] whole = pdf("First page text.", "Second page text.", "Third page text.");
        Path file = write("truncated.pdf", Arrays.copyOf(whole, whole.length * 6 / 10));

        // PDFBox writes the page tree after the pages' content; without it there is nothing to read
        LoadException e = loadFails(file);
        assertThat(e.problem()).isEqualTo(DocumentProblem.MALFORMED);
        assertThat(e.getMessage()).contains("Page tree");
    }

    @Test
    void aPdfCutAfterItsPagesLoadsEveryPage() throws IOException {
        byte[] whole = pdf("First page text.", "Second page text.", "Third page text.");
        Path file = write("tail-cut.pdf", Arrays.copyOf(whole, whole.length * 9 / 10));

        // the end of the file (cross-reference data, trailer) is gone; PDFBox's lenient parser finds the objects by scanning
        Document doc = loader.load(root, file);
        assertThat(doc.text()).isEqualTo("First page text.\n\nSecond page text.\n\nThird page text.");
        assertThat(doc.pages()).extracting(Page::number).containsExactly(1, 2, 3);
    }

    @Test
    void damagedPdfsEndAsADocumentOrATypedProblemNeverAnotherException() throws IOException {
        long seed = Long.getLong("tests.seed", System.nanoTime());
        Random random = new Random(seed);
        byte[] whole = pdf(List.of(List.of("First page text."), List.of("Second page text.")), Map.of("Title", "T"), null);
        for (int round = 0; round < 60; round++) {
            byte[] damaged = random.nextBoolean()
                    ? Arrays.copyOf(whole, 1 + random.nextInt(whole.length - 1))
                    : flipBytes(whole, random);
            Path file = write("damaged-" + round + ".pdf", damaged);
            try {
                Document doc = loader.load(root, file);
                assertThat(doc.text()).as("seed %d round %d", seed, round).isNotBlank();
                for (Page page : doc.pages()) {
                    assertThat(pageText(doc, page)).isNotBlank();
                }
            } catch (LoadException e) {
                assertThat(e.problem()).as("seed %d round %d: %s", seed, round, e.getMessage())
                        .isIn(DocumentProblem.MALFORMED, DocumentProblem.EMPTY);
                assertThat(e.getMessage()).contains(file.toString());
            } catch (RuntimeException | Error e) {
                throw new AssertionError("seed " + seed + " round " + round + " (-Dtests.seed=" + seed + "): " + e, e);
            }
        }
    }

    private static byte[] flipBytes(byte[] whole, Random random) {
        byte[] copy = whole.clone();
        for (int i = 0, n = 1 + random.nextInt(8); i < n; i++) {
            copy[random.nextInt(copy.length)] = (byte) random.nextInt(256);
        }
        return copy;
    }

    @Test
    void extractedTextOverTheCapIsTooLarge() throws IOException {
        byte[] bytes = pdf("Forty characters of text on page one....", "And forty more characters on page two...");
        PdfLoader capped = new PdfLoader(60);

        LoadException e = catchThrowableOfType(LoadException.class, () -> capped.load("big.pdf", "src/big.pdf", "big.pdf", bytes));
        assertThat(e.problem()).isEqualTo(DocumentProblem.TOO_LARGE);
        assertThat(e.getMessage()).startsWith("src/big.pdf: ").contains("60 characters");
        assertThat(new PdfLoader(100).load("big.pdf", "src/big.pdf", "big.pdf", bytes).pages()).hasSize(2);
    }

    // ---------------------------------------------------------------- a batch through FileLoader

    @Test
    void aBatchLoadsTheGoodFilesAndTypesTheBadOnes() throws IOException {
        StandardProtectionPolicy policy = new StandardProtectionPolicy("o", "u", new AccessPermission());
        write("a-good.pdf", pdf("Good page one.", "Good page two."));
        write("b-locked.pdf", pdf(List.of(List.of("Locked.")), Map.of(), policy));
        write("c-garbage.PDF", "this is not a PDF at all".getBytes(StandardCharsets.UTF_8));
        write("d-notes.txt", "Plain notes.".getBytes(StandardCharsets.UTF_8));

        List<Path> files = loader.list(root).files();
        assertThat(files).extracting(p -> p.getFileName().toString())
                .containsExactly("a-good.pdf", "b-locked.pdf", "c-garbage.PDF", "d-notes.txt");

        Document good = loader.load(root, files.get(0));
        assertThat(good.pages()).extracting(Page::number).containsExactly(1, 2);
        assertThat(good.text()).isEqualTo("Good page one.\n\nGood page two.");
        assertThat(loadFails(files.get(1)).problem()).isEqualTo(DocumentProblem.ENCRYPTED);
        assertThat(loadFails(files.get(2)).problem()).isEqualTo(DocumentProblem.MALFORMED);
        Document notes = loader.load(root, files.get(3));
        assertThat(notes.text()).isEqualTo("Plain notes.");
        assertThat(notes.pages()).isEmpty();
    }

    @Test
    void anEmptyOrOversizedPdfIsRefusedBeforePdfBoxSeesIt() throws IOException {
        assertThat(loadFails(write("zero.pdf", new byte[0])).problem()).isEqualTo(DocumentProblem.EMPTY);

        byte[] bytes = pdf("Some text.");
        FileLoader small = FileLoader.builder().maxFileBytes(bytes.length - 1).build();
        Path file = write("big.pdf", bytes);
        LoadException e = catchThrowableOfType(LoadException.class, () -> small.load(root, file));
        assertThat(e.problem()).isEqualTo(DocumentProblem.TOO_LARGE);
    }
}
