package dev.docrag.core.load;

import dev.docrag.core.Document;
import dev.docrag.core.DocumentProblem;
import org.junit.jupiter.api.Test;
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

        List<Path> listed = loader.list(root);

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

        assertThat(loader.list(inside)).extracting(p -> FileLoader.documentId(inside, p))
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

        assertThat(loader.list(docs)).extracting(p -> FileLoader.documentId(docs, p)).containsExactly("real.txt");
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
        List<Path> listed = loader.list(root);
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

    // ---------------------------------------------------------------- builder and custom loaders

    @Test
    void aHostLoaderIsChosenByExtensionInAnyCase() throws IOException {
        FileLoader custom = FileLoader.builder()
                .loader("CSV", (id, source, name, content) -> new Document(id, source, "table " + name,
                        content.replace(',', ' '), Map.of("type", "csv")))
                .build();
        Path csv = write("data/t.Csv", "a,b\n1,2\n");
        assertThat(custom.supports(csv)).isTrue();
        assertThat(custom.list(root)).containsExactly(csv);
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
        assertThat(doc.metadata()).containsOnlyKeys("type");
    }
}
