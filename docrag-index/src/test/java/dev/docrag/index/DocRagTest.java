package dev.docrag.index;

import dev.docrag.core.DocumentProblem;
import dev.docrag.core.embed.OnnxEmbedder;
import dev.docrag.core.embed.OnnxModel;
import dev.docrag.core.load.FileLoader;
import dev.docrag.core.load.LoadException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** End to end over real components: the MiniLM ONNX model, a Lucene index on disk, an H2 file catalog. */
class DocRagTest {
    /** Six documents on unrelated topics, in the three supported formats. */
    static final Map<String, String> CORPUS = Map.of(
            "ops/logging.md", """
                    # Log rotation

                    Application logs are written to /var/log/acme. Every night at midnight the current files are
                    compressed and renamed with the date. Archives older than fourteen days are deleted to free
                    disk space. To keep them longer, raise `retention_days` in acme.yaml.
                    """,
            "ops/backups.txt", """
                    Database backups

                    A snapshot of the PostgreSQL database is taken every six hours and copied to an offsite bucket.
                    To restore, stop the service, download the newest snapshot, load it with pg_restore and start
                    the service again. Restores are rehearsed once a month.
                    """,
            "account/password.html", """
                    <html><head><title>Resetting a forgotten password</title></head><body>
                    <nav>Home | Products | Support</nav>
                    <h1>Resetting a forgotten password</h1>
                    <p>Click <a href="/forgot">Forgot password</a> on the sign-in page and enter your email address.
                    We send a link that stays valid for thirty minutes. Choose a new password of at least twelve
                    characters.</p>
                    <footer>Copyright Acme</footer><script>track();</script>
                    </body></html>
                    """,
            "ops/tls.md", """
                    # TLS certificates

                    The certificates for acme.example are issued by Let's Encrypt and renewed automatically thirty
                    days before they expire. If renewal fails, an alert goes to the on-call engineer.
                    """,
            "hr/vacation.txt", """
                    Paid leave

                    Employees accrue twenty-five days of paid vacation per calendar year. Request time off in the HR
                    portal at least two weeks ahead; unused days carry over until March.
                    """,
            "kitchen/sourdough.html", """
                    <html><head><title>Sourdough bread</title></head><body>
                    <p>Mix flour, water, salt and an active sourdough culture. Let the dough ferment overnight at
                    room temperature, shape it, then bake at 250 degrees for forty minutes.</p>
                    </body></html>
                    """);

    private static OnnxEmbedder embedder;

    @BeforeAll
    static void loadModel() {
        embedder = OnnxEmbedder.allMiniLmL6V2();
    }

    @AfterAll
    static void closeModel() {
        embedder.close();
    }

    static Path writeCorpus(Path root) throws IOException {
        for (Map.Entry<String, String> e : CORPUS.entrySet()) {
            Path file = root.resolve(e.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue());
        }
        return root;
    }

    /** A request of {@code mode} in the default tenant, where {@code ingest(Path)} puts files. */
    static SearchRequest request(String query, SearchRequest.Mode mode) {
        SearchRequest.Unscoped draft = switch (mode) {
            case VECTOR -> SearchRequest.vector(query);
            case KEYWORD -> SearchRequest.keyword(query);
            case HYBRID -> SearchRequest.hybrid(query);
        };
        return draft.tenant(DocRag.DEFAULT_TENANT);
    }

    private static DocRag open(Path dir) {
        return DocRag.builder().directory(dir).embedder(embedder).build();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "I can't remember my login secret, how do I get back into my account? | account/password.html",
            "how many days off do staff get each year?                              | hr/vacation.txt",
            "when are the website's encryption credentials replaced?                | ops/tls.md",
            "what happens to old diagnostic output files?                           | ops/logging.md",
            "how do I bake a naturally leavened loaf?                               | kitchen/sourdough.html",
            "how is lost data recovered after a machine dies?                        | ops/backups.txt",
    })
    void paraphrasedQuestionsFindTheRightDocumentFirst(String question, String expected, @TempDir Path tmp) throws IOException {
        Path docs = writeCorpus(tmp.resolve("docs"));
        try (DocRag rag = open(tmp.resolve("index"))) {
            rag.ingest(docs);
            for (SearchRequest.Mode mode : List.of(SearchRequest.Mode.VECTOR, SearchRequest.Mode.HYBRID)) {
                List<Hit> hits = rag.search(request(question, mode).k(3));
                assertThat(hits).as("%s search for '%s'", mode, question).isNotEmpty();
                assertThat(hits.get(0).documentId()).as("%s top hit for '%s'", mode, question).isEqualTo(expected);
            }
        }
    }

    @Test
    void hitsCarrySourceTextAndScoreAndTheBoilerplateIsGone(@TempDir Path tmp) throws IOException {
        Path docs = writeCorpus(tmp.resolve("docs"));
        try (DocRag rag = open(tmp.resolve("index"))) {
            IngestReport report = rag.ingest(docs);
            assertThat(report.added()).isEqualTo(6);
            assertThat(report.failures()).isEmpty();
            assertThat(report.chunks()).isGreaterThanOrEqualTo(6);
            assertThat(rag.documentCount()).isEqualTo(6);

            Hit top = rag.search(SearchRequest.keyword("thirty minutes link").tenant(DocRag.DEFAULT_TENANT).k(1)).get(0);
            assertThat(top.documentId()).isEqualTo("account/password.html");
            assertThat(top.source()).isEqualTo(docs.resolve("account/password.html").toString());
            assertThat(top.title()).isEqualTo("Resetting a forgotten password");
            assertThat(top.text()).contains("valid for thirty minutes").doesNotContain("track()", "Copyright", "Products");
            assertThat(top.score()).isPositive();
        }
    }

    @Test
    void scoresAreOrderedAndKIsHonoured(@TempDir Path tmp) throws IOException {
        Path docs = writeCorpus(tmp.resolve("docs"));
        try (DocRag rag = open(tmp.resolve("index"))) {
            rag.ingest(docs);
            for (SearchRequest.Mode mode : SearchRequest.Mode.values()) {
                List<Hit> hits = rag.search(request("service restore snapshot certificate", mode).k(4));
                assertThat(hits).as(mode.name()).hasSizeLessThanOrEqualTo(4).isNotEmpty();
                for (int i = 1; i < hits.size(); i++) {
                    assertThat(hits.get(i).score()).as(mode.name()).isLessThanOrEqualTo(hits.get(i - 1).score());
                }
            }
            assertThat(rag.search("anything at all", 2)).hasSize(2);
            assertThat(rag.search(SearchRequest.keyword("the and of").tenant(DocRag.DEFAULT_TENANT))).as("only stop words").isEmpty();
        }
    }

    @Test
    void reopeningFindsTheSameDocumentsAndResults(@TempDir Path tmp) throws IOException {
        Path docs = writeCorpus(tmp.resolve("docs"));
        Path dir = tmp.resolve("index");
        List<Hit> before;
        try (DocRag rag = open(dir)) {
            rag.ingest(docs);
            before = rag.search("how are certificates renewed?", 5);
        }
        try (DocRag rag = open(dir)) {
            assertThat(rag.documentCount()).isEqualTo(6);
            List<Hit> after = rag.search("how are certificates renewed?", 5);
            assertThat(after).hasSameSizeAs(before);
            for (int i = 0; i < before.size(); i++) {
                assertThat(after.get(i).documentId()).isEqualTo(before.get(i).documentId());
                assertThat(after.get(i).ordinal()).isEqualTo(before.get(i).ordinal());
                assertThat(after.get(i).text()).isEqualTo(before.get(i).text());
                assertThat(after.get(i).score()).isCloseTo(before.get(i).score(), within(1e-9));
            }
            IngestReport again = rag.ingest(docs);
            assertThat(again.unchanged()).isEqualTo(6);
            assertThat(again.added() + again.updated() + again.chunks()).isZero();
        }
    }

    @Test
    void aChangedDocumentIsReplacedWhole(@TempDir Path tmp) throws IOException {
        Path docs = writeCorpus(tmp.resolve("docs"));
        try (DocRag rag = open(tmp.resolve("index"))) {
            rag.ingest(docs);
            Files.writeString(docs.resolve("hr/vacation.txt"), "Paid leave\n\nEveryone gets thirty days of holiday per year.");
            IngestReport report = rag.ingest(docs);
            assertThat(report.updated()).isEqualTo(1);
            assertThat(report.unchanged()).isEqualTo(5);
            List<Hit> hits = rag.search(SearchRequest.keyword("holiday vacation portal").tenant(DocRag.DEFAULT_TENANT).k(10));
            assertThat(hits).extracting(Hit::documentId).containsOnly("hr/vacation.txt");
            assertThat(hits).extracting(Hit::text).noneMatch(t -> t.contains("portal")).anyMatch(t -> t.contains("thirty days"));
        }
    }

    @Test
    void badFilesAreReportedPerDocumentAndTheRestIsIndexed(@TempDir Path tmp) throws IOException {
        Path docs = writeCorpus(tmp.resolve("docs"));
        Files.write(docs.resolve("empty.txt"), new byte[0]);
        Files.write(docs.resolve("image.txt"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13});
        Files.writeString(docs.resolve("notes.broken"), "anything");
        FileLoader loader = FileLoader.builder()
                .loader("broken", (id, source, name, content) -> {
                    throw new LoadException(source, DocumentProblem.MALFORMED, "unbalanced section markers");
                })
                .build();
        try (DocRag rag = DocRag.builder().directory(tmp.resolve("index")).embedder(embedder).fileLoader(loader).build()) {
            IngestReport report = rag.ingest(docs);
            assertThat(report.added()).isEqualTo(6);
            assertThat(report.failures()).extracting(IngestReport.Failure::problem)
                    .containsExactlyInAnyOrder(DocumentProblem.EMPTY, DocumentProblem.BINARY, DocumentProblem.MALFORMED);
            for (IngestReport.Failure f : report.failures()) {
                assertThat(f.message()).contains(f.source());
            }
            assertThat(report.failures()).filteredOn(f -> f.problem() == DocumentProblem.MALFORMED)
                    .singleElement().satisfies(f -> assertThat(f.message()).contains("unbalanced section markers"));
            assertThat(rag.documentCount()).isEqualTo(6);
        }
    }

    @Test
    void aDocumentThatTurnsBadKeepsItsPreviousVersion(@TempDir Path tmp) throws IOException {
        Path docs = writeCorpus(tmp.resolve("docs"));
        try (DocRag rag = open(tmp.resolve("index"))) {
            rag.ingest(docs);
            Files.write(docs.resolve("ops/tls.md"), new byte[0]);
            IngestReport report = rag.ingest(docs);
            assertThat(report.failures()).singleElement()
                    .satisfies(f -> assertThat(f.problem()).isEqualTo(DocumentProblem.EMPTY));
            assertThat(rag.search(SearchRequest.keyword("Let's Encrypt renewal").tenant(DocRag.DEFAULT_TENANT).k(1)))
                    .singleElement().satisfies(h -> assertThat(h.documentId()).isEqualTo("ops/tls.md"));
        }
    }

    @Test
    void anIndexRefusesAnotherModelAndSaysWhichTwo(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("index");
        try (DocRag rag = open(dir)) {
            rag.ingest(writeCorpus(tmp.resolve("docs")));
        }
        try (OnnxEmbedder quantized = OnnxEmbedder.create(OnnxModel.allMiniLmL6V2Int8())) {
            assertThatThrownBy(() -> DocRag.builder().directory(dir).embedder(quantized).build())
                    .isInstanceOf(ModelMismatchException.class)
                    .hasMessageContaining(embedder.model().id())
                    .hasMessageContaining(quantized.model().id())
                    .hasMessageContaining(dir.toString());
            // the refused open left nothing locked: the right model still opens it
            try (DocRag rag = open(dir)) {
                assertThat(rag.documentCount()).isEqualTo(6);
            }
        }
    }

    @Test
    void closeReleasesTheDirectoryAndLaterCallsFail(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("index");
        DocRag rag = open(dir);
        rag.close();
        rag.close(); // idempotent
        assertThatThrownBy(() -> rag.search("anything", 1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        // Lucene's write lock and H2's file lock are gone: a second open in this JVM succeeds, twice
        for (int i = 0; i < 2; i++) {
            try (DocRag again = open(dir)) {
                assertThat(again.documentCount()).isZero();
            }
        }
        assertThat(embedder.embedQuery("still usable")).as("a host's embedder is not closed by DocRag").hasSize(384);
    }

    @Test
    void openIngestCloseCyclesLeakNoFilesOrThreads(@TempDir Path tmp) throws IOException {
        Path fds = Path.of("/proc/self/fd");
        assumeTrue(Files.isDirectory(fds), "needs /proc (Linux)");
        Path docs = writeCorpus(tmp.resolve("docs"));
        cycle(tmp.resolve("warm-up"), docs); // lazily opened JVM files (jars, native libraries) join the baseline
        long baseline = countOpen(fds);
        for (int i = 0; i < 5; i++) {
            cycle(tmp.resolve("index-" + i), docs);
        }
        assertThat(countOpen(fds)).as("open file descriptors after 5 open/ingest/close cycles").isLessThanOrEqualTo(baseline + 2);
        // Hikari's executors are shut down and awaited on close, but a worker may still be on its
        // way out when the call returns: allow it a moment to finish, never a lingering thread.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (catalogThreads().size() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        assertThat(catalogThreads()).as("catalog pool threads after close").isEmpty();
    }

    private static List<String> catalogThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.contains("docrag-catalog")).toList();
    }

    private static void cycle(Path dir, Path docs) {
        try (DocRag rag = open(dir)) {
            rag.ingest(docs);
            assertThat(rag.search("certificate renewal", 3)).isNotEmpty();
        }
    }

    private static long countOpen(Path fds) throws IOException {
        try (var entries = Files.list(fds)) {
            return entries.count();
        }
    }

    @Test
    void badRequestsNameTheParameter() {
        assertThatThrownBy(() -> SearchRequest.hybrid("  ")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("query");
        assertThatThrownBy(() -> SearchRequest.hybrid("x").tenant("t").k(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("k must");
        assertThatThrownBy(() -> SearchRequest.hybrid("x").tenant("t").k(1_000_000_000)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("k must");
        assertThatThrownBy(() -> DocRag.builder().build()).isInstanceOf(IllegalStateException.class).hasMessageContaining("directory");
    }
}
