package dev.docrag.index;

import dev.docrag.core.Document;
import dev.docrag.core.DocumentProblem;
import dev.docrag.core.load.FileLoader;
import dev.docrag.core.load.LoadException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Invariant 6 through a real {@link DocRag}: one folder holding every kind of bad input the loader
 * knows, next to good documents. Each bad file fails alone with a typed problem naming it, the good
 * ones are searchable, and documents indexed by an earlier run survive their files turning bad.
 */
class BadInputTest {
    private static final long FIFTY_MB = 50L << 20;

    @TempDir
    Path tmp;

    /** Files whose good first version is indexed, then broken; each has a word found nowhere else. */
    private static final Map<String, String> TURNS_BAD = Map.of(
            "empty.txt", "quokka",
            "image.txt", "narwhal",
            "nul.md", "axolotl",
            "huge.txt", "pangolin",
            "vanishing.txt", "okapi",
            "to-dir.txt", "tapir",
            "to-link.txt", "capybara");

    private static Path write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, bytes);
    }

    /** A one-page PDF with {@code text}, encrypted with a user password when one is given. */
    private static byte[] pdf(String text, String userPassword) throws IOException {
        try (org.apache.pdfbox.pdmodel.PDDocument doc = new org.apache.pdfbox.pdmodel.PDDocument()) {
            org.apache.pdfbox.pdmodel.PDPage page = new org.apache.pdfbox.pdmodel.PDPage();
            doc.addPage(page);
            try (var s = new org.apache.pdfbox.pdmodel.PDPageContentStream(doc, page)) {
                s.beginText();
                s.setFont(new org.apache.pdfbox.pdmodel.font.PDType1Font(
                        org.apache.pdfbox.pdmodel.font.Standard14Fonts.FontName.HELVETICA), 12);
                s.newLineAtOffset(72, 700);
                s.showText(text);
                s.endText();
            }
            if (userPassword != null) {
                doc.protect(new org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy("owner", userPassword,
                        new org.apache.pdfbox.pdmodel.encryption.AccessPermission()));
            }
            var out = new java.io.ByteArrayOutputStream();
            doc.save(out);
            return out.toByteArray();
        }
    }

    private static Path write(Path file, String text) throws IOException {
        return write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    @Timeout(120)
    void everyBadFileFailsAloneWithItsReasonAndNothingIndexedIsLost() throws IOException {
        Path docs = tmp.resolve("docs");
        write(docs.resolve("guide.md"), "# Rotating logs\n\nLogs rotate nightly and archives are compressed with gzip.\n");
        write(docs.resolve("faq.html"), "<html><head><title>FAQ</title></head><body><p>Passwords reset by email link.</p></body></html>");
        for (Map.Entry<String, String> e : TURNS_BAD.entrySet()) {
            write(docs.resolve(e.getKey()), "A good first version about the " + e.getValue() + ".\n");
        }
        // Loaded first (files load in path order): when armed, it changes files listed but not yet
        // loaded, which is how a folder changes under a running ingest.
        AtomicBoolean armed = new AtomicBoolean();
        write(docs.resolve("0-trigger.trigger"), "trigger");
        FileLoader loader = FileLoader.builder()
                .followLinks(true)
                .loader("trigger", (id, source, name, content) -> {
                    if (armed.get()) {
                        changeUnderTheWalk(docs);
                    }
                    return new Document(id, source, name, "a test device that changes the folder", Map.of());
                })
                .build();

        try (HashEmbedder embedder = new HashEmbedder();
                DocRag rag = DocRag.builder().directory(tmp.resolve("index")).embedder(embedder).fileLoader(loader).build()) {
            IngestReport first = rag.ingest(docs);
            assertThat(first.failures()).isEmpty();
            assertThat(first.added()).isEqualTo(2 + TURNS_BAD.size() + 1);
            assertThat(first.notices()).isEmpty();

            breakFiles(docs);
            // PDFs: one good, one that needs a password, one cut before its page tree, one not a PDF
            byte[] manual = pdf("The manual explains the wombat procedure.", null);
            write(docs.resolve("manual.pdf"), manual);
            write(docs.resolve("locked.pdf"), pdf("Locked text.", "secret"));
            write(docs.resolve("cut.pdf"), java.util.Arrays.copyOf(manual, manual.length * 4 / 10));
            write(docs.resolve("fake.pdf"), "this is not a PDF".getBytes(StandardCharsets.UTF_8));
            armed.set(true);
            IngestReport second = rag.ingest(docs);

            Map<String, DocumentProblem> expected = new TreeMap<>(Map.of(
                    "empty.txt", DocumentProblem.EMPTY,
                    "image.txt", DocumentProblem.BINARY,
                    "nul.md", DocumentProblem.BINARY,
                    "huge.txt", DocumentProblem.TOO_LARGE,
                    "vanishing.txt", DocumentProblem.UNREADABLE,
                    "to-dir.txt", DocumentProblem.UNREADABLE,
                    "to-link.txt", DocumentProblem.UNREADABLE,
                    "sub/loop", DocumentProblem.UNREADABLE,
                    "dangling.md", DocumentProblem.UNREADABLE));
            expected.put("locked.pdf", DocumentProblem.ENCRYPTED);
            expected.put("cut.pdf", DocumentProblem.MALFORMED);
            expected.put("fake.pdf", DocumentProblem.MALFORMED);
            Map<String, DocumentProblem> actual = new TreeMap<>();
            for (IngestReport.Failure f : second.failures()) {
                String relative = docs.relativize(Path.of(f.source())).toString();
                assertThat(actual.put(relative, f.problem())).as("one failure per source: %s", f).isNull();
                assertThat(f.message()).as("the message names the file").contains(f.source());
            }
            assertThat(actual).isEqualTo(expected);
            assertThat(messageOf(second, "huge.txt")).contains(Long.toString(FIFTY_MB)).contains("limit");
            assertThat(messageOf(second, "sub/loop")).contains("loop");
            assertThat(messageOf(second, "dangling.md")).contains("dangling");
            assertThat(messageOf(second, "to-dir.txt")).contains("folder");

            // the new documents made it: invalid UTF-8 repaired (with a notice), deep HTML flattened
            assertThat(second.added()).as("invalid-utf8.txt, deep.html, manual.pdf").isEqualTo(3);
            assertThat(second.unchanged()).as("guide, faq, trigger").isEqualTo(3);
            assertThat(second.updated()).isZero();
            assertThat(second.notices()).singleElement().satisfies(n -> {
                assertThat(n.source()).isEqualTo(docs.resolve("invalid-utf8.txt").toString());
                assertThat(n.kind()).isEqualTo("invalid-bytes");
                assertThat(n.count()).isEqualTo(3);
                assertThat(n.message()).contains(n.source()).contains("3 invalid bytes");
            });

            // good documents are searchable; every document indexed before is still there at its old version
            assertThat(topHit(rag, "gzip archives nightly")).isEqualTo("guide.md");
            assertThat(topHit(rag, "passwords email")).isEqualTo("faq.html");
            assertThat(topHit(rag, "chrysanthemum")).isEqualTo("deep.html");
            assertThat(topHit(rag, "ocelot")).isEqualTo("invalid-utf8.txt");
            for (Map.Entry<String, String> e : TURNS_BAD.entrySet()) {
                assertThat(topHit(rag, e.getValue())).as("%s keeps its first version", e.getKey()).isEqualTo(e.getKey());
            }
            assertThat(rag.documentCount()).isEqualTo(first.added() + 3);
            assertThat(topHit(rag, "wombat")).isEqualTo("manual.pdf");
            Hit repaired = rag.search(SearchRequest.keyword("ocelot").tenant(DocRag.DEFAULT_TENANT).k(1)).get(0);
            assertThat(repaired.metadata()).containsEntry("charset", "UTF-8").containsEntry("invalid_bytes", "3");
            assertThat(repaired.text()).contains("caf\uFFFD");
        }
    }

    /** The bad versions: each kind of bad input the loader must survive, plus two new documents. */
    private static void breakFiles(Path docs) throws IOException {
        write(docs.resolve("empty.txt"), new byte[0]);
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 1, 0};
        write(docs.resolve("image.txt"), png);
        write(docs.resolve("nul.md"), "# Title\n\ntext\0with a NUL byte\n".getBytes(StandardCharsets.UTF_8));
        // one line of 50 MB, streamed so that the test itself stays small
        byte[] block = new byte[1 << 20];
        Arrays.fill(block, (byte) 'a');
        try (OutputStream out = Files.newOutputStream(docs.resolve("huge.txt"))) {
            for (long written = 0; written < FIFTY_MB; written += block.length) {
                out.write(block);
            }
        }
        // valid UTF-8 (ü, é) around 3 invalid bytes: repaired, counted, ingested
        byte[] invalid = concat("Grüße, ocelot caf".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xC3, '!', ' '},
                new byte[] {(byte) 0xFF, (byte) 0xFE}, " résumé".getBytes(StandardCharsets.UTF_8));
        write(docs.resolve("invalid-utf8.txt"), invalid);
        int depth = 100_000;
        write(docs.resolve("deep.html"), "<html><body>" + "<div>".repeat(depth) + "<p>chrysanthemum at the bottom</p>"
                + "</div>".repeat(depth) + "</body></html>");
        Files.createDirectories(docs.resolve("sub"));
        Files.createSymbolicLink(docs.resolve("sub/loop"), docs);
        Files.createSymbolicLink(docs.resolve("dangling.md"), docs.resolve("no-such-file.md"));
    }

    /** What happens after listing, before these files are loaded. */
    private static void changeUnderTheWalk(Path docs) {
        try {
            Files.delete(docs.resolve("vanishing.txt"));
            Files.delete(docs.resolve("to-dir.txt"));
            Files.createDirectory(docs.resolve("to-dir.txt"));
            Files.delete(docs.resolve("to-link.txt"));
            Files.createSymbolicLink(docs.resolve("to-link.txt"), docs.resolve("nowhere.txt"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String messageOf(IngestReport report, String relative) {
        return report.failures().stream().filter(f -> f.source().endsWith("/" + relative)).findFirst()
                .orElseThrow(() -> new AssertionError("no failure for " + relative)).message();
    }

    private static String topHit(DocRag rag, String words) {
        List<Hit> hits = rag.search(SearchRequest.keyword(words).tenant(DocRag.DEFAULT_TENANT).k(1));
        assertThat(hits).as("hits for '%s'", words).isNotEmpty();
        return hits.get(0).documentId();
    }

    @Test
    void aFileOverTheCapIsRefusedWithoutBeingRead() throws IOException {
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Path docs = tmp.resolve("docs");
        Path huge = docs.resolve("huge.txt");
        Files.createDirectories(docs);
        byte[] block = new byte[1 << 20];
        Arrays.fill(block, (byte) 'a');
        try (OutputStream out = Files.newOutputStream(huge)) {
            for (long written = 0; written < FIFTY_MB; written += block.length) {
                out.write(block);
            }
        }
        FileLoader loader = FileLoader.standard();
        loader.list(docs); // warm up class loading outside the measurement
        long before = threads.getCurrentThreadAllocatedBytes();
        LoadException e = catchThrowableOfType(LoadException.class, () -> loader.load(docs, huge));
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(e).isNotNull();
        assertThat(e.problem()).isEqualTo(DocumentProblem.TOO_LARGE);
        assertThat(allocated).as("bytes allocated to refuse a 50 MB file").isLessThan(1L << 20);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
