package dev.docrag.core.load;

import dev.docrag.core.Document;
import dev.docrag.core.DocumentProblem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class FileLoaderTest {
    @TempDir
    Path root;

    private final FileLoader loader = FileLoader.standard();

    private Path write(String relative, String content) throws IOException {
        return write(relative, content.getBytes(StandardCharsets.UTF_8));
    }

    private Path write(String relative, byte[] content) throws IOException {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        return Files.write(file, content);
    }

    private Document load(String relative, String content) throws IOException {
        return loader.load(root, write(relative, content));
    }

    private LoadException loadFails(Path file) {
        return loadFails(loader, file);
    }

    private LoadException loadFails(FileLoader fileLoader, Path file) {
        LoadException e = catchThrowableOfType(LoadException.class, () -> fileLoader.load(root, file));
        assertThat(e).as("loading %s fails with a LoadException", file).isNotNull();
        assertThat(e.source()).isEqualTo(file.toString());
        assertThat(e.getMessage()).as("the message names the file").contains(file.toString());
        return e;
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

    // ---------------------------------------------------------------- list

    @Test
    void listsSupportedFilesRecursivelyInSortedOrderWithSlashIds() throws IOException {
        List<String> supported = new ArrayList<>(List.of(
                "README.md", "notes.txt", "UPPER.TXT", "guide.markdown", "page.html", "old.htm", "Mixed.HtMl",
                "docs/intro.md", "docs/api/index.html", "docs/api/v2/changes.txt", "docs/v1.0/legacy.htm"));
        for (int i = 0; i < 20; i++) { // enough names that directory order is unlikely to be sorted by chance
            supported.add("many/" + (char) ('a' + (i * 7) % 26) + i + ".txt");
        }
        for (String name : supported) {
            write(name, "text of " + name);
        }
        for (String skipped : List.of("image.png", "data.json", "Makefile", "archive.txt.gz", "notes.txt~",
                ".hidden.md", ".git/HEAD.txt", ".git/objects/readme.md", "docs/.drafts/wip.md", "docs/api/.cache.html")) {
            write(skipped, "not listed");
        }
        Files.createDirectories(root.resolve("empty/folder.md")); // a folder with a supported name is no file

        List<Path> listed = loader.list(root).files();

        assertThat(listed).isSortedAccordingTo(Comparator.naturalOrder());
        assertThat(listed).extracting(p -> FileLoader.documentId(root, p))
                .containsExactlyInAnyOrderElementsOf(supported);
        assertThat(listed).allSatisfy(p -> assertThat(p).startsWith(root).isRegularFile());
        assertThat(FileLoader.documentId(root, root.resolve("docs/api/v2/changes.txt"))).isEqualTo("docs/api/v2/changes.txt");
    }

    @Test
    void aHiddenFolderAboveTheRootDoesNotHideItsFiles() throws IOException {
        Path inside = root.resolve(".config/docs");
        Files.createDirectories(inside.resolve("sub"));
        Files.writeString(inside.resolve("a.txt"), "a");
        Files.writeString(inside.resolve("sub/b.md"), "b");
        Files.writeString(inside.resolve("sub/.c.md"), "c");

        assertThat(loader.list(inside).files()).extracting(p -> FileLoader.documentId(inside, p))
                .containsExactly("a.txt", "sub/b.md");
    }

    @Test
    void doesNotFollowSymbolicLinks() throws IOException {
        Path outside = Files.createDirectories(root.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "outside the ingested folder");
        Path docs = Files.createDirectories(root.resolve("docs"));
        Files.writeString(docs.resolve("real.txt"), "inside");
        Files.createSymbolicLink(docs.resolve("link.txt"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(docs.resolve("linked-folder"), outside);

        assertThat(loader.list(docs).files()).extracting(p -> FileLoader.documentId(docs, p)).containsExactly("real.txt");
    }

    @Test
    void listingSomethingThatIsNoFolderFails() throws IOException {
        Path file = write("a.txt", "a");
        assertThatThrownBy(() -> loader.list(file)).isInstanceOf(IOException.class).hasMessageContaining(file.toString());
        assertThatThrownBy(() -> loader.list(root.resolve("missing"))).isInstanceOf(IOException.class);
    }

    @Test
    void documentIdsAreRelativeWithSlashesWhateverTheSpelling() {
        assertThat(FileLoader.documentId(root, root.resolve("a").resolve("b").resolve("c.md"))).isEqualTo("a/b/c.md");
        assertThat(FileLoader.documentId(root.resolve("x/.."), root.resolve("a/./b/../c.md"))).isEqualTo("a/c.md");
        Path cwd = Path.of("").toAbsolutePath();
        assertThat(FileLoader.documentId(Path.of("."), cwd.resolve("docs/x.txt"))).isEqualTo("docs/x.txt");
    }

    @Test
    void supportsTheStandardExtensionsInAnyCase() {
        for (String name : List.of("a.txt", "a.md", "a.markdown", "a.html", "a.htm", "A.TXT", "b.Md", "c.HTML", "a.pdf", "d.PDF")) {
            assertThat(loader.supports(Path.of(name))).as(name).isTrue();
        }
        for (String name : List.of("a.png", "a.pdf.bak", "pdf", "txt", "a.txt.bak", "a.", "a")) {
            assertThat(loader.supports(Path.of(name))).as(name).isFalse();
        }
    }

    // ---------------------------------------------------------------- load: files and bytes

    @Test
    void loadsPlainText() throws IOException {
        Path file = write("docs/notes.txt", "First line.\n\nSecond paragraph.\n");
        Document doc = loader.load(root, file);
        assertThat(doc.id()).isEqualTo("docs/notes.txt");
        assertThat(doc.source()).isEqualTo(file.toString());
        assertThat(doc.title()).isEqualTo("notes.txt");
        assertThat(doc.text()).isEqualTo("First line.\n\nSecond paragraph.\n");
        assertThat(doc.metadata()).containsEntry("type", "text");
    }

    @Test
    void anEmptyFileIsEmpty() throws IOException {
        LoadException e = loadFails(write("empty.txt", new byte[0]));
        assertThat(e.problem()).isEqualTo(DocumentProblem.EMPTY);
    }

    @Test
    void aFileOfWhiteSpaceIsEmpty() throws IOException {
        assertThat(loadFails(write("blank.txt", " \n\t\r\n   \u3000\n")).problem()).isEqualTo(DocumentProblem.EMPTY);
        assertThat(loadFails(write("blank.md", "\n\n\n")).problem()).isEqualTo(DocumentProblem.EMPTY);
        byte[] bomOnly = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, ' ', '\n'};
        assertThat(loadFails(write("bom.txt", bomOnly)).problem()).isEqualTo(DocumentProblem.EMPTY);
    }

    @Test
    void nulBytesMeanBinary() throws IOException {
        byte[] bytes = concat("looks like text".getBytes(StandardCharsets.US_ASCII), new byte[] {0, 1, 2, 0},
                "but is not".getBytes(StandardCharsets.US_ASCII));
        LoadException e = loadFails(write("fake.txt", bytes));
        assertThat(e.problem()).isEqualTo(DocumentProblem.BINARY);
    }

    @Test
    void aFileOverTheLimitIsTooLarge() throws IOException {
        FileLoader small = FileLoader.builder().maxFileBytes(10).build();
        assertThat(small.load(root, write("ten.txt", "0123456789")).text()).isEqualTo("0123456789");
        LoadException e = loadFails(small, write("eleven.txt", "0123456789A"));
        assertThat(e.problem()).isEqualTo(DocumentProblem.TOO_LARGE);
        assertThat(e.getMessage()).contains("11 bytes").contains("limit of 10 bytes");
    }

    /** A sparse file of 3 GiB: reading it would take seconds and fail with OutOfMemoryError. */
    private Path hugeSparseFile() throws IOException {
        Path file = root.resolve("huge.txt");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(3L << 30);
        }
        return file;
    }

    @Test
    void aFileOverTheLimitIsRefusedBeforeItIsRead() throws IOException {
        Path huge = hugeSparseFile();
        long started = System.nanoTime();
        assertThat(loadFails(huge).problem()).isEqualTo(DocumentProblem.TOO_LARGE);
        assertThat(System.nanoTime() - started).as("nanoseconds to refuse").isLessThan(1_000_000_000L);
    }

    @Test
    void noLimitLetsAFileTooLargeForMemoryThrough() throws IOException {
        // a host may lift the limit, but a byte array still holds at most 2 GiB: an error, not an OutOfMemoryError
        FileLoader unlimited = FileLoader.builder().maxFileBytes(Long.MAX_VALUE).build();
        assertThat(loadFails(unlimited, hugeSparseFile()).problem()).isEqualTo(DocumentProblem.TOO_LARGE);
    }

    @Test
    void aFileDeletedAfterListingIsUnreadable() throws IOException {
        write("keep.txt", "kept");
        Path gone = write("gone.md", "# Gone\ntext");
        List<Path> listed = loader.list(root).files();
        assertThat(listed).contains(gone);
        Files.delete(gone);

        LoadException e = loadFails(gone);
        assertThat(e.problem()).isEqualTo(DocumentProblem.UNREADABLE);
        assertThat(e).hasCauseInstanceOf(NoSuchFileException.class);
        assertThat(loader.load(root, root.resolve("keep.txt")).text()).isEqualTo("kept");
    }

    @Test
    void aFolderWithATextNameIsUnreadable() throws IOException {
        Path folder = Files.createDirectories(root.resolve("folder.txt"));
        assertThat(loadFails(folder).problem()).isEqualTo(DocumentProblem.UNREADABLE);
    }

    @Test
    void anUnknownExtensionIsUnsupported() throws IOException {
        LoadException e = loadFails(write("slides.pptx", "PK..."));
        assertThat(e.problem()).isEqualTo(DocumentProblem.UNSUPPORTED);
        assertThat(e.getMessage()).contains("pptx");
    }

    @Test
    void invalidUtf8IsReplacedNotFatal() throws IOException {
        byte[] bytes = concat("caf".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 0xC3, '('},
                " ok ".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 0xFF},
                " Grüße".getBytes(StandardCharsets.UTF_8));
        Document doc = loader.load(root, write("latin.txt", bytes));
        assertThat(doc.text()).isEqualTo("caf\uFFFD( ok \uFFFD Grüße");
    }

    @Test
    void aUtf8ByteOrderMarkIsStripped() throws IOException {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        Document text = loader.load(root, write("bom.txt", concat(bom, "Hello".getBytes(StandardCharsets.UTF_8))));
        assertThat(text.text()).isEqualTo("Hello");
        Document markdown = loader.load(root, write("bom.md", concat(bom, "# Title\nbody".getBytes(StandardCharsets.UTF_8))));
        assertThat(markdown.title()).isEqualTo("Title");
        assertThat(markdown.text()).isEqualTo("# Title\nbody");
    }

    @Test
    void utf16WithAByteOrderMarkIsDecoded() throws IOException {
        String content = "Grüße, 世界 😀\nsecond line";
        byte[] bigEndian = concat(new byte[] {(byte) 0xFE, (byte) 0xFF}, content.getBytes(StandardCharsets.UTF_16BE));
        byte[] littleEndian = concat(new byte[] {(byte) 0xFF, (byte) 0xFE}, content.getBytes(StandardCharsets.UTF_16LE));
        assertThat(loader.load(root, write("be.txt", bigEndian)).text()).isEqualTo(content);
        assertThat(loader.load(root, write("le.txt", littleEndian)).text()).isEqualTo(content);
        // the NUL bytes of UTF-16 do not make a UTF-16 file binary, but without a mark they do
        byte[] unmarked = content.getBytes(StandardCharsets.UTF_16LE);
        assertThat(loadFails(write("unmarked.txt", unmarked)).problem()).isEqualTo(DocumentProblem.BINARY);
    }

    // ---------------------------------------------------------------- walk: globs, hidden, links, ids

    private static List<String> ids(Path root, Listing listing) {
        return listing.files().stream().map(p -> FileLoader.documentId(root, p)).toList();
    }

    private List<String> listedWith(FileLoader.Builder builder) throws IOException {
        Listing listing = builder.build().list(root);
        assertThat(listing.problems()).isEmpty();
        return ids(root, listing);
    }

    @Test
    void globsMatchTheSlashSeparatedPathRelativeToTheRoot() throws IOException {
        for (String name : List.of("README.md", "notes.txt", "docs/a.md", "docs/c.txt", "docs/sub/b.md",
                "build/out.md", "web/node_modules/pkg/readme.md", "logo.png")) {
            write(name, "text of " + name);
        }
        // '*' stops at '/': top-level Markdown only
        assertThat(listedWith(FileLoader.builder().include("*.md"))).containsExactly("README.md");
        // '**' crosses folders
        assertThat(listedWith(FileLoader.builder().include("docs/**"))).containsExactly("docs/a.md", "docs/c.txt", "docs/sub/b.md");
        // a leading '**/' also matches no folder at all, so top-level files are included
        assertThat(listedWith(FileLoader.builder().include("**/*.md"))).containsExactly(
                "README.md", "build/out.md", "docs/a.md", "docs/sub/b.md", "web/node_modules/pkg/readme.md");
        // several includes add up; excludes win; an exclude naming a folder drops all beneath it
        assertThat(listedWith(FileLoader.builder().include("**/*.md").include("notes.txt").exclude("build", "**/node_modules")))
                .containsExactly("README.md", "docs/a.md", "docs/sub/b.md", "notes.txt");
        assertThat(listedWith(FileLoader.builder().exclude("docs/*.txt", "*.md"))).containsExactly(
                "build/out.md", "docs/a.md", "docs/sub/b.md", "notes.txt", "web/node_modules/pkg/readme.md");
        // globs choose among files that have a loader; they do not add file types
        assertThat(listedWith(FileLoader.builder().include("*.png"))).isEmpty();
    }

    @Test
    void anExcludedFolderIsNotWalked() throws IOException {
        write("keep.md", "kept");
        Path loop = Files.createDirectories(root.resolve("cache/deep"));
        Files.createSymbolicLink(loop.resolve("up"), root); // would be reported as a loop if walked
        Listing listing = FileLoader.builder().followLinks(true).exclude("cache").build().list(root);
        assertThat(ids(root, listing)).containsExactly("keep.md");
        assertThat(listing.problems()).isEmpty();
    }

    @Test
    void badGlobsAreRejectedWhenConfigured() {
        assertThatThrownBy(() -> FileLoader.builder().include("docs/[unclosed")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("docs/[unclosed");
        assertThatThrownBy(() -> FileLoader.builder().exclude(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FileLoader.builder().include((String) null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void hiddenFilesAndFoldersAreSkippedUnlessAskedFor() throws IOException {
        for (String name : List.of("visible.md", ".hidden.md", ".git/config.txt", "docs/.drafts/wip.md", "docs/shown.txt")) {
            write(name, "text of " + name);
        }
        assertThat(listedWith(FileLoader.builder())).containsExactly("docs/shown.txt", "visible.md");
        assertThat(listedWith(FileLoader.builder().includeHidden(true))).containsExactly(
                ".git/config.txt", ".hidden.md", "docs/.drafts/wip.md", "docs/shown.txt", "visible.md");
        // hidden and globs combine: the glob alone does not reveal hidden files
        assertThat(listedWith(FileLoader.builder().include("**/*.md"))).containsExactly("visible.md");
    }

    @Test
    @Timeout(30)
    void followingLinksListsLinkedFilesAndReportsLoopsAndDanglingLinks() throws IOException {
        Path outside = Files.createDirectories(root.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "outside the ingested folder");
        Path docs = Files.createDirectories(root.resolve("docs"));
        Files.writeString(docs.resolve("real.txt"), "inside");
        Files.createSymbolicLink(docs.resolve("link.txt"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(docs.resolve("linked"), outside);
        Path sub = Files.createDirectories(docs.resolve("sub"));
        Files.writeString(sub.resolve("leaf.md"), "leaf");
        Files.createSymbolicLink(sub.resolve("up"), Path.of("..")); // sub/up -> docs: a loop
        Files.createSymbolicLink(docs.resolve("dangling.md"), docs.resolve("missing.md"));

        Listing followed = FileLoader.builder().followLinks(true).build().list(docs);
        assertThat(ids(docs, followed)).containsExactly("link.txt", "linked/secret.txt", "real.txt", "sub/leaf.md");
        assertThat(followed.problems()).extracting(LoadException::source)
                .containsExactly(docs.resolve("dangling.md").toString(), sub.resolve("up").toString());
        assertThat(followed.problems()).allSatisfy(p -> {
            assertThat(p.problem()).isEqualTo(DocumentProblem.UNREADABLE);
            assertThat(p.getMessage()).contains(p.source());
        });
        assertThat(followed.problems().get(0).getMessage()).contains("dangling");
        assertThat(followed.problems().get(1).getMessage()).contains("loop");
        FileLoader following = FileLoader.builder().followLinks(true).build();
        assertThat(following.load(docs, docs.resolve("link.txt")).text()).isEqualTo("outside the ingested folder");

        // by default links are neither listed nor reported, and loading one is refused
        Listing plain = loader.list(docs);
        assertThat(ids(docs, plain)).containsExactly("real.txt", "sub/leaf.md");
        assertThat(plain.problems()).isEmpty();
        LoadException refused = loadFails(docs.resolve("link.txt"));
        assertThat(refused.problem()).isEqualTo(DocumentProblem.UNREADABLE);
        assertThat(refused.getMessage()).contains("symbolic link");
    }

    @Test
    void aRootThatIsALinkIsWalkedWithPathsUnderTheLink() throws IOException {
        write("real/a.md", "a");
        write("real/sub/b.txt", "b");
        Path link = Files.createSymbolicLink(root.resolve("link"), root.resolve("real"));
        Listing listing = loader.list(link);
        assertThat(listing.files()).containsExactly(link.resolve("a.md"), link.resolve("sub/b.txt"));
        assertThat(loader.load(link, listing.files().get(1)).id()).isEqualTo("sub/b.txt");
    }

    @Test
    void documentIdsAreStableAcrossRunsAndARenamedRoot() throws IOException {
        Path first = root.resolve("first");
        for (String name : List.of("a.md", "docs/b.txt", "docs/deeper/c.html")) {
            Path file = first.resolve(name);
            Files.createDirectories(file.getParent());
            Files.writeString(file, "<p>text of " + name + "</p>");
        }
        Map<String, String> run1 = loadAll(first);
        assertThat(run1).containsOnlyKeys("a.md", "docs/b.txt", "docs/deeper/c.html");
        assertThat(loadAll(first)).as("a second run").isEqualTo(run1);
        Path renamed = Files.move(first, root.resolve("renamed"));
        assertThat(loadAll(renamed)).as("the same tree under another name").isEqualTo(run1);
        assertThat(loadAll(root.resolve("renamed/../renamed"))).as("another spelling of the root").isEqualTo(run1);
    }

    /** Document id to text for every file listed under {@code folder}. */
    private Map<String, String> loadAll(Path folder) throws IOException {
        Map<String, String> out = new java.util.TreeMap<>();
        for (Path file : loader.list(folder).files()) {
            Document doc = loader.load(folder, file);
            out.put(doc.id(), doc.text());
        }
        return out;
    }

    @Test
    void aFileReplacedByALinkOrAFolderAfterListingIsUnreadable() throws IOException {
        Path a = write("a.txt", "a");
        Path b = write("b.txt", "b");
        assertThat(loader.list(root).files()).containsExactly(a, b);
        Files.delete(a);
        Files.createSymbolicLink(a, root.resolve("nowhere.txt"));
        Files.delete(b);
        Files.createDirectory(b);
        assertThat(loadFails(a).problem()).isEqualTo(DocumentProblem.UNREADABLE);
        assertThat(loadFails(b).problem()).isEqualTo(DocumentProblem.UNREADABLE);
        FileLoader following = FileLoader.builder().followLinks(true).build();
        LoadException dangling = loadFails(following, a);
        assertThat(dangling.problem()).isEqualTo(DocumentProblem.UNREADABLE);
        assertThat(dangling).hasCauseInstanceOf(NoSuchFileException.class);
    }

    // ---------------------------------------------------------------- load: charsets

    private Document loadBytes(String name, byte[] bytes) throws IOException {
        return loader.load(root, write(name, bytes));
    }

    @Test
    void plainAsciiAndValidUtf8AreUtf8WithNothingReplaced() throws IOException {
        Document ascii = loadBytes("ascii.txt", "just ascii".getBytes(StandardCharsets.US_ASCII));
        assertThat(ascii.metadata()).containsEntry("charset", "UTF-8").doesNotContainKey("invalid_bytes");
        Document utf8 = loadBytes("utf8.txt", "café, 世界 😀".getBytes(StandardCharsets.UTF_8));
        assertThat(utf8.text()).isEqualTo("café, 世界 😀");
        assertThat(utf8.metadata()).containsEntry("charset", "UTF-8").doesNotContainKey("invalid_bytes");
    }

    @Test
    void aUtf8ByteOrderMarkDecidesUtf8() throws IOException {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        Document doc = loadBytes("bom.txt", concat(bom, "caf\u00e9".getBytes(StandardCharsets.UTF_8)));
        assertThat(doc.text()).isEqualTo("caf\u00e9");
        assertThat(doc.metadata()).containsEntry("charset", "UTF-8").doesNotContainKey("invalid_bytes");
    }

    @Test
    void utf16ByteOrderMarksDecideTheByteOrder() throws IOException {
        String content = "Grüße, 世界 😀";
        Document be = loadBytes("be.txt", concat(new byte[] {(byte) 0xFE, (byte) 0xFF}, content.getBytes(StandardCharsets.UTF_16BE)));
        Document le = loadBytes("le.txt", concat(new byte[] {(byte) 0xFF, (byte) 0xFE}, content.getBytes(StandardCharsets.UTF_16LE)));
        assertThat(be.text()).isEqualTo(content);
        assertThat(le.text()).isEqualTo(content);
        assertThat(be.metadata()).containsEntry("charset", "UTF-16BE").doesNotContainKey("invalid_bytes");
        assertThat(le.metadata()).containsEntry("charset", "UTF-16LE").doesNotContainKey("invalid_bytes");
        // an unpaired surrogate (2 bytes) and an odd trailing byte are replaced and counted
        byte[] damaged = concat(new byte[] {(byte) 0xFF, (byte) 0xFE}, "ok ".getBytes(StandardCharsets.UTF_16LE),
                new byte[] {0x00, (byte) 0xD8}, " end".getBytes(StandardCharsets.UTF_16LE), new byte[] {'x'});
        Document bad = loadBytes("bad16.txt", damaged);
        assertThat(bad.text()).isEqualTo("ok \uFFFD end\uFFFD");
        assertThat(bad.metadata()).containsEntry("charset", "UTF-16LE").containsEntry("invalid_bytes", "3");
    }

    @Test
    void utf32ByteOrderMarksAreHonoured() throws IOException {
        String content = "Grüße 😀";
        Document be = loadBytes("be32.txt", concat(new byte[] {0, 0, (byte) 0xFE, (byte) 0xFF}, content.getBytes("UTF-32BE")));
        Document le = loadBytes("le32.txt", concat(new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 0}, content.getBytes("UTF-32LE")));
        assertThat(be.text()).isEqualTo(content);
        assertThat(le.text()).isEqualTo(content);
        assertThat(be.metadata()).containsEntry("charset", "UTF-32BE");
        assertThat(le.metadata()).containsEntry("charset", "UTF-32LE");
    }

    @Test
    void utf16WithoutAByteOrderMarkIsNotGuessed() throws IOException {
        LoadException e = loadFails(write("unmarked.txt", "plain words".getBytes(StandardCharsets.UTF_16BE)));
        assertThat(e.problem()).isEqualTo(DocumentProblem.BINARY);
        assertThat(e.getMessage()).contains("byte-order mark");
    }

    @Test
    void bytesWithoutAnyValidUtf8SequenceAreWindows1252() throws IOException {
        Document latin1 = loadBytes("latin1.txt", "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e, \u00a9 1999".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(latin1.text()).isEqualTo("café crème brûlée, © 1999");
        assertThat(latin1.metadata()).containsEntry("charset", "windows-1252").doesNotContainKey("invalid_bytes");
        // 0x80-0x9F are windows-1252 punctuation, not Latin-1's C1 controls
        Document quotes = loadBytes("quotes.txt", new byte[] {(byte) 0x93, 'h', 'i', (byte) 0x94, ' ', (byte) 0x80, '5', ' ', (byte) 0x97});
        assertThat(quotes.text()).isEqualTo("\u201chi\u201d \u20ac5 \u2014");
        // the five bytes windows-1252 leaves undefined are replaced and counted
        Document undefined = loadBytes("undefined.txt", new byte[] {'a', (byte) 0x81, 'b', (byte) 0x9D, (byte) 0xE9});
        assertThat(undefined.text()).isEqualTo("a\uFFFDb\uFFFD\u00e9");
        assertThat(undefined.metadata()).containsEntry("charset", "windows-1252").containsEntry("invalid_bytes", "2");
    }

    @Test
    void damagedUtf8IsRepairedAndCounted() throws IOException {
        // "Grüße" proves the file is UTF-8; C3 '(' , a lone FF and a cut-off 3-byte sequence are damage
        byte[] bytes = concat("Grüße caf".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xC3, '('},
                " x ".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 0xFF}, " y ".getBytes(StandardCharsets.US_ASCII),
                new byte[] {(byte) 0xE2, (byte) 0x82});
        Document doc = loadBytes("damaged.txt", bytes);
        assertThat(doc.text()).isEqualTo("Grüße caf\uFFFD( x \uFFFD y \uFFFD");
        assertThat(doc.metadata()).containsEntry("charset", "UTF-8").containsEntry("invalid_bytes", "4");
    }

    @Test
    void decodingFactsOverrideALoadersMetadata() throws IOException {
        FileLoader custom = FileLoader.builder()
                .loader("txt", (id, source, name, content) -> new Document(id, source, name, content,
                        Map.of("charset", "ebcdic", "invalid_bytes", "99", "type", "custom")))
                .build();
        Document doc = custom.load(root, write("a.txt", "fine"));
        assertThat(doc.metadata()).containsEntry("charset", "UTF-8").containsEntry("type", "custom")
                .doesNotContainKey("invalid_bytes");
    }

    // ---------------------------------------------------------------- builder and custom loaders

    @Test
    void aHostLoaderIsChosenByExtensionInAnyCase() throws IOException {
        FileLoader custom = FileLoader.builder()
                .loader("CSV", (id, source, name, content) -> new Document(id, source, "table " + name,
                        content.replace(',', ' '), Map.of("type", "csv")))
                .build();
        Path csv = write("data/t.Csv", "a,b\n1,2\n");
        assertThat(custom.supports(csv)).isTrue();
        assertThat(custom.list(root).files()).containsExactly(csv);
        Document doc = custom.load(root, csv);
        assertThat(doc.id()).isEqualTo("data/t.Csv");
        assertThat(doc.title()).isEqualTo("table t.Csv");
        assertThat(doc.text()).isEqualTo("a b\n1 2\n");
        assertThat(loader.supports(csv)).as("the standard loader is unchanged").isFalse();
    }

    @Test
    void aFailingHostLoaderFailsOnlyItsFile() throws IOException {
        IllegalStateException bug = new IllegalStateException("parser bug");
        FileLoader custom = FileLoader.builder()
                .loader("csv", (id, source, name, content) -> {
                    throw bug;
                })
                .loader("tsv", (id, source, name, content) -> null)
                .build();
        LoadException e = loadFails(custom, write("t.csv", "a,b"));
        assertThat(e.problem()).isEqualTo(DocumentProblem.MALFORMED);
        assertThat(e).hasCause(bug).hasMessageContaining("parser bug");
        assertThat(loadFails(custom, write("t.tsv", "a\tb")).problem()).isEqualTo(DocumentProblem.MALFORMED);
    }

    @Test
    void builderRejectsBadSettings() {
        DocumentLoader any = (id, source, name, content) -> new Document(id, source, name, content, null);
        for (String bad : new String[] {null, "", "  ", ".txt", "tar.gz"}) {
            assertThatThrownBy(() -> FileLoader.builder().loader(bad, any)).as("extension %s", bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> FileLoader.builder().maxFileBytes(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0");
        assertThatThrownBy(() -> FileLoader.builder().maxFileBytes(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FileLoader.builder().loader("csv", null)).isInstanceOf(NullPointerException.class);
    }

    // ---------------------------------------------------------------- HTML

    @Test
    void htmlTitleComesFromTheTitleElement() throws IOException {
        Document doc = load("page.html", """
                <html><head><title>
                   The   Real
                   Title </title></head>
                <body><h1>A heading</h1><p>Body.</p></body></html>""");
        assertThat(doc.title()).isEqualTo("The Real Title");
        assertThat(doc.metadata()).containsEntry("type", "html");
    }

    @Test
    void htmlTitleFallsBackToTheFirstH1ThenTheFileName() throws IOException {
        assertThat(load("a.html", "<body><h2>Contents</h2><h1>Main <em>topic</em></h1><h1>Other</h1><p>x</p></body>").title())
                .isEqualTo("Main topic");
        assertThat(load("b.html", "<html><head><title>  </title></head><body><h1>Only h1</h1></body></html>").title())
                .isEqualTo("Only h1");
        assertThat(load("c.htm", "<body><h2>Section</h2><p>no h1</p></body>").title()).isEqualTo("Section");
        assertThat(load("d.htm", "<body><p>No headings at all.</p></body>").title()).isEqualTo("d.htm");
        // a site title in the page header is boilerplate, not the page's title
        assertThat(load("e.html", "<body><header><h1>ACME Docs</h1></header><p>text</p></body>").title()).isEqualTo("e.html");
    }

    @Test
    void htmlBoilerplateIsDropped() throws IOException {
        Document doc = load("page.html", """
                <html><head><title>T</title><style>body { color: red }</style>
                <script>var tracking = "TRACKER";</script></head>
                <body>
                <header>SITE HEADER</header>
                <nav><a href="/">NAVIGATION HOME</a> | <a href="/about">NAVIGATION ABOUT</a></nav>
                <main><p>The content.</p><script>alert("INLINE SCRIPT")</script>
                <noscript>ENABLE JAVASCRIPT</noscript><form><label>FORM LABEL</label><input></form></main>
                <footer>FOOTER COPYRIGHT</footer>
                </body></html>""");
        assertThat(doc.text()).isEqualTo("The content.");
    }

    @Test
    void htmlBlocksBecomeParagraphs() throws IOException {
        Document doc = load("page.html", """
                <body>
                  <h1>Heading</h1>
                  <p>First
                     paragraph.</p><p>Second paragraph.</p>
                  <div>A div.</div>
                  <ul><li>one</li><li>two</li></ul>
                  <p>Line one<br>line two</p>
                </body>""");
        assertThat(doc.text()).isEqualTo("Heading\n\nFirst paragraph.\n\nSecond paragraph.\n\nA div.\n\none\ntwo\n\nLine one\nline two");
    }

    @Test
    void htmlInlineElementsKeepTheirText() throws IOException {
        Document doc = load("page.html", """
                <body><p>See <a href="https://example.com/docs">the docs</a> for <b>more</b>, \
                or <code>run()</code>.</p>
                <p><b>Hello</b> <i>world</i>&nbsp;&amp; <span>friends</span></p></body>""");
        // jsoup reads &nbsp; as white space: it separates words like a space
        assertThat(doc.text()).isEqualTo("See the docs for more, or run().\n\nHello world & friends");
        assertThat(doc.text()).doesNotContain("example.com");
    }

    @Test
    void htmlPreformattedTextKeepsItsWhiteSpace() throws IOException {
        Document doc = load("code.html", "<body><p>Example:</p><pre>def f(x):\n    return  x * 2\n\n\tprint(f(1))</pre><p>After.</p></body>");
        assertThat(doc.text()).isEqualTo("Example:\n\ndef f(x):\n    return  x * 2\n\n\tprint(f(1))\n\nAfter.");
    }

    @Test
    void anHtmlPageOfOnlyBoilerplateIsEmpty() throws IOException {
        Path file = write("shell.html", """
                <html><head><title>App</title><script src="app.js"></script></head>
                <body><nav>Home | About</nav><script>render()</script><footer>(c) 2024</footer></body></html>""");
        LoadException e = loadFails(file);
        assertThat(e.problem()).isEqualTo(DocumentProblem.EMPTY);
    }

    // ---------------------------------------------------------------- Markdown

    @Test
    void markdownTitleIsTheFirstLevelOneHeading() throws IOException {
        String content = "Intro line\n## Not this\n#hashtag is not a heading\n# The Title\ntext\n# Second\n";
        Document doc = load("guide.md", content);
        assertThat(doc.title()).isEqualTo("The Title");
        assertThat(doc.text()).isEqualTo(content);
        assertThat(doc.metadata()).containsEntry("type", "markdown");
        assertThat(load("r.markdown", "\r\n#   Spaced   title  \r\n\r\nbody").title()).isEqualTo("Spaced   title");
    }

    @Test
    void markdownWithoutAHeadingIsTitledByItsFileName() throws IOException {
        assertThat(load("notes.md", "Just text.\n\n## Only a second-level heading\n").title()).isEqualTo("notes.md");
        assertThat(load("empty-heading.md", "#\n\nSomething else\n").title()).isEqualTo("empty-heading.md");
    }

    @Test
    void markdownClosingHashesAreNotPartOfTheTitle() throws IOException {
        assertThat(load("a.md", "# Closed ##\n").title()).isEqualTo("Closed");
        assertThat(load("b.md", "# Using C#\n").title()).isEqualTo("Using C#");
    }

    @Test
    void markdownHeadingsInCodeBlocksAreNotTitles() throws IOException {
        String content = """
                Install it:

                ```sh
                # install the dependencies
                make deps
                ```

                ~~~~
                # also a comment
                ```
                # still inside the tilde fence
                ~~~~

                # Real Title
                """;
        assertThat(load("readme.md", content).title()).isEqualTo("Real Title");
        assertThat(load("only-code.md", "```\n# comment\n```\ntext\n").title()).isEqualTo("only-code.md");
    }

    // ---------------------------------------------------------------- Markdown front matter

    @Test
    void unicodeLineSeparatorsInsideFrontMatterAreNotLineEnds() throws IOException {
        // U+2028 and U+0085 are line terminators to java.util.regex by default; the parser splits
        // lines at \n only, so they are text: the value keeps them, and '---' after one closes nothing
        Document doc = load("n.md", "---\ntitle: caf\u0085e and\u2028more\n---\nbody\n");
        assertThat(doc.title()).isEqualTo("caf\u0085e and\u2028more");
        assertThat(doc.text()).isEqualTo("body\n");
        Document unclosed = load("u.md", "---\ntitle: a\u2028---\nbody\n");
        assertThat(unclosed.text()).as("never closed: a thematic break, kept as text").startsWith("---\ntitle: a");
    }

    @Test
    void frontMatterBecomesMetadataAndLeavesTheText() throws IOException {
        String body = "# Heading\n\nBody text.\n";
        Document doc = load("post.md", """
                ---
                title: "Rotating logs: a guide"
                tags: [ops, logging]
                author: Ada  # a comment
                draft: false
                owner:
                  team: platform
                ---
                """ + body);
        assertThat(doc.title()).isEqualTo("Rotating logs: a guide");
        assertThat(doc.text()).isEqualTo(body).doesNotContain("author");
        assertThat(doc.metadata()).containsEntry("tags", "ops,logging").containsEntry("author", "Ada")
                .containsEntry("draft", "false").containsEntry("type", "markdown")
                .doesNotContainKeys("title", "owner", "team");
    }

    @Test
    void frontMatterBlockListTagsAreCommaJoined() throws IOException {
        Document doc = load("list.md", "---\ntags:\n  - a\n  - 'b c'\nsummary: x\n...\nText\n");
        assertThat(doc.metadata()).containsEntry("tags", "a,b c").containsEntry("summary", "x");
        assertThat(doc.text()).isEqualTo("Text\n");
        assertThat(doc.title()).as("no title anywhere: the file name").isEqualTo("list.md");
    }

    @Test
    void titlePrecedenceIsFrontMatterThenFirstHeadingThenFileName() throws IOException {
        assertThat(load("a.md", "---\ntitle: From front matter\n---\n# From heading\n").title()).isEqualTo("From front matter");
        assertThat(load("b.md", "---\nauthor: x\n---\n# From heading\n").title()).isEqualTo("From heading");
        assertThat(load("c.md", "---\ntitle: ''\n---\nSetext title\n===\n").title()).isEqualTo("Setext title");
        assertThat(load("d.md", "---\nauthor: x\n---\nno heading\n").title()).isEqualTo("d.md");
    }

    @Test
    void hashInsideFencedCodeAfterFrontMatterIsNotATitle() throws IOException {
        Document doc = load("code.md", "---\nauthor: x\n---\n```python\n# a comment\n```\n\n# Real\n");
        assertThat(doc.title()).isEqualTo("Real");
        assertThat(load("code2.md", "```\n# comment\n```\n").title()).isEqualTo("code2.md");
    }

    @Test
    void malformedFrontMatterFailsTheDocumentAsMalformedNamingTheFile() throws IOException {
        for (String bad : List.of("---\njust a sentence\n---\ntext\n", "---\ntags: [a, b\n---\ntext\n",
                "---\ntitle: \"unclosed\n---\ntext\n")) {
            LoadException e = loadFails(write("bad.md", bad));
            assertThat(e.problem()).isEqualTo(DocumentProblem.MALFORMED);
            assertThat(e.getMessage()).contains("front matter line 2");
        }
    }

    @Test
    void anUnclosedOpeningRuleIsNotFrontMatter() throws IOException {
        String content = "---\nJust a rule, then text.\n";
        Document doc = load("rule.md", content);
        assertThat(doc.text()).isEqualTo(content);
        assertThat(doc.metadata()).containsOnlyKeys("type", "charset");
    }
}
