package dev.docrag.index;

import dev.docrag.core.redact.Redactor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Redaction wired into ingestion: with a {@link Redactor}, secrets are replaced before anything is
 * chunked, embedded or stored, on the folder and the upsert path, and the report counts them per
 * document and kind. Each assertion has a control without a redactor showing that the same check
 * does see the secret when it is stored, so the test fails if redaction stops happening.
 */
class RedactionIngestTest {
    static final String AWS_KEY = "AKIAIOSFODNN7EXAMPLE";
    static final String KEY_LINE_1 = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj";
    static final String KEY_LINE_2 = "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu";
    static final String JWT_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
            + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
            + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    /**
     * The key appears in the first heading and once more in the text, and the heading is also the
     * title: three replacements, since counts are replacements made over every stored field. The
     * JWT appears twice.
     */
    static final String DEPLOY_MD = """
            # Deploy notes for AKIAIOSFODNN7EXAMPLE

            The deploy user authenticates with AKIAIOSFODNN7EXAMPLE against the artifact bucket.

            -----BEGIN RSA PRIVATE KEY-----
            MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj
            MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu
            AB==
            -----END RSA PRIVATE KEY-----

            The smoke test calls the service with the session eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c
            and the reporting job with eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c
            """;
    static final String CLEAN_TXT = "Deploy checklist\n\nRun the smoke test after every deploy and watch the error rate.\n";

    private static HashEmbedder embedder;

    @BeforeAll
    static void embedder() {
        embedder = new HashEmbedder();
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    private static DocRag open(Path dir, Redactor redactor) {
        DocRag.Builder b = DocRag.builder().directory(dir).embedder(embedder);
        return (redactor == null ? b : b.redactor(redactor)).build();
    }

    private static Path corpus(Path tmp) throws IOException {
        Path docs = Files.createDirectories(tmp.resolve("docs"));
        Files.writeString(docs.resolve("deploy.md"), DEPLOY_MD);
        Files.writeString(docs.resolve("checklist.txt"), CLEAN_TXT);
        return docs;
    }

    private static List<Hit> keyword(DocRag rag, String query) {
        return rag.search(SearchRequest.keyword(query).tenant(DocRag.DEFAULT_TENANT).k(20).maxChunksPerDocument(20));
    }

    /** Every chunk of every document, as stored (vector search in scope returns them all). */
    private static List<Hit> allChunks(DocRag rag) {
        return rag.search(SearchRequest.vector("deploy").tenant(DocRag.DEFAULT_TENANT).k(50).maxChunksPerDocument(50));
    }

    @Test
    void folderIngestReplacesSecretsEverywhereAndReportsThem(@TempDir Path tmp) throws IOException {
        Path docs = corpus(tmp);
        Path dir = tmp.resolve("rag");
        IngestReport report;
        try (DocRag rag = open(dir, Redactor.standard())) {
            report = rag.ingest(docs);

            String source = docs.resolve("deploy.md").toString();
            assertThat(report.added()).isEqualTo(2);
            assertThat(report.notices()).extracting(IngestReport.Notice::source, IngestReport.Notice::kind, IngestReport.Notice::count)
                    .containsExactlyInAnyOrder(
                            tuple(source, "redacted:private-key", 1),
                            tuple(source, "redacted:aws-access-key", 3),
                            tuple(source, "redacted:jwt", 2));
            assertThat(report.notices()).allSatisfy(n -> assertThat(n.message()).contains(source).doesNotContain(AWS_KEY));

            // nothing searchable by the secrets
            for (String secret : List.of(AWS_KEY, KEY_LINE_1, KEY_LINE_2, JWT_TOKEN)) {
                assertThat(keyword(rag, secret)).as(secret).isEmpty();
            }
            // the stored chunks, titles and sources hold the replacements and no secret
            List<Hit> chunks = allChunks(rag);
            assertThat(chunks).extracting(Hit::documentId).contains("deploy.md", "checklist.txt");
            String stored = String.join("\n", chunks.stream().map(h -> h.title() + "\n" + h.source() + "\n" + h.text()
                    + "\n" + h.headings() + "\n" + h.metadata()).toList());
            assertThat(stored).contains("Deploy notes for [REDACTED:aws-access-key]", "[REDACTED:private-key]", "[REDACTED:jwt]");
            for (String secret : List.of(AWS_KEY, KEY_LINE_1, KEY_LINE_2, "AB==", JWT_TOKEN, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
                    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")) {
                assertThat(stored).as(secret).doesNotContain(secret);
            }
            // the marker is searchable (the tokenizer keeps "redacted:jwt" as one term), so a user
            // can find which documents had secrets of a kind scrubbed
            assertThat(keyword(rag, "REDACTED:jwt")).extracting(Hit::documentId).containsOnly("deploy.md");
        }
        // The raw bytes are in no file: the Lucene index (stored fields, terms, doc values) and
        // the H2 catalog. This proves absence of the verbatim bytes only; compressed encodings
        // (Lucene's LZ4 stored fields, compressed term suffixes) could in principle hide a copy,
        // which is why the search and stored-text checks above come first. The control test shows
        // that this same scan finds the verbatim secret in both the index and the catalog.
        for (String secret : List.of(AWS_KEY, KEY_LINE_1, KEY_LINE_2, JWT_TOKEN.substring(0, 36))) {
            assertThat(filesContaining(dir, secret)).as(secret).isEmpty();
        }
    }

    @Test
    void withoutARedactorTheSameChecksFindTheSecrets(@TempDir Path tmp) throws IOException {
        Path docs = corpus(tmp);
        Path dir = tmp.resolve("rag");
        try (DocRag rag = open(dir, null)) {
            IngestReport report = rag.ingest(docs);
            assertThat(report.notices()).isEmpty();
            assertThat(keyword(rag, AWS_KEY)).extracting(Hit::documentId).containsOnly("deploy.md");
            assertThat(keyword(rag, KEY_LINE_1)).extracting(Hit::documentId).containsOnly("deploy.md");
            assertThat(keyword(rag, JWT_TOKEN)).extracting(Hit::documentId).containsOnly("deploy.md");
            assertThat(allChunks(rag)).extracting(Hit::title).contains("Deploy notes for " + AWS_KEY);
        }
        List<Path> found = filesContaining(dir, AWS_KEY);
        assertThat(found).as("the byte scan must be able to see a stored secret in the index and the catalog")
                .anyMatch(p -> p.startsWith(dir.resolve("index")))
                .anyMatch(p -> p.getFileName().toString().startsWith("catalog"));
        assertThat(filesContaining(dir, KEY_LINE_1)).isNotEmpty();
    }

    @Test
    void upsertRedactsTitleSourceTextAndStringMetadata(@TempDir Path tmp) {
        String ghToken = "ghp_" + "R8sT2uV4wX6yZ8aB0cD2eF4gH6iJ8kL0mN2o";
        DocumentInput input = DocumentInput.builder("acme", "runbook-7")
                .source("https://bot:s3cr3t-P4ss@wiki.acme.example/runbook-7")
                .title("Runbook " + AWS_KEY)
                .text("Call the API with Authorization: Bearer " + JWT_TOKEN + " and rotate the token weekly.")
                .metadata("owner", "ops")
                .metadata("token", ghToken)
                .metadata("tags", List.of("deploy", ghToken))
                .metadata("year", 2024)
                .build();
        try (DocRag rag = open(tmp.resolve("rag"), Redactor.standard())) {
            IngestReport report = rag.upsert(input);
            String source = "https://bot:[REDACTED:url-password]@wiki.acme.example/runbook-7";
            assertThat(report.notices()).extracting(IngestReport.Notice::source, IngestReport.Notice::kind, IngestReport.Notice::count)
                    .containsExactly(
                            tuple(source, "redacted:aws-access-key", 1),
                            tuple(source, "redacted:github-token", 2),
                            tuple(source, "redacted:jwt", 1),
                            tuple(source, "redacted:url-password", 1));

            List<Hit> hits = rag.search(SearchRequest.keyword("rotate token").tenant("acme").k(5));
            assertThat(hits).hasSize(1);
            Hit hit = hits.get(0);
            assertThat(hit.documentId()).isEqualTo("runbook-7");
            assertThat(hit.source()).isEqualTo(source);
            assertThat(hit.title()).isEqualTo("Runbook [REDACTED:aws-access-key]");
            assertThat(hit.text()).isEqualTo("Call the API with Authorization: Bearer [REDACTED:jwt] and rotate the token weekly.");
            assertThat(hit.metadata()).containsEntry("owner", "ops").containsEntry("token", "[REDACTED:github-token]")
                    .containsEntry("tags", List.of("deploy", "[REDACTED:github-token]")).containsEntry("year", 2024L);
            for (String secret : List.of(AWS_KEY, ghToken, JWT_TOKEN, "s3cr3t-P4ss")) {
                assertThat(rag.search(SearchRequest.keyword(secret).tenant("acme").k(5))).as(secret).isEmpty();
            }
            // unchanged on a second upsert: the hash is over the redacted content
            IngestReport again = rag.upsert(input);
            assertThat(again.unchanged()).isEqualTo(1);
            assertThat(again.notices()).isEmpty();
        }
        assertThat(filesContaining(tmp.resolve("rag"), "s3cr3t-P4ss")).isEmpty();
        assertThat(filesContaining(tmp.resolve("rag"), ghToken)).isEmpty();
    }

    @Test
    void enablingRedactionLaterRewritesExactlyTheDocumentsWithSecrets(@TempDir Path tmp) throws IOException {
        Path docs = corpus(tmp);
        Path dir = tmp.resolve("rag");
        try (DocRag rag = open(dir, null)) {
            rag.ingest(docs);
            assertThat(keyword(rag, AWS_KEY)).isNotEmpty();
        }
        try (DocRag rag = open(dir, Redactor.standard())) {
            IngestReport report = rag.ingest(docs);
            assertThat(report.updated()).isEqualTo(1);
            assertThat(report.unchanged()).isEqualTo(1);
            assertThat(report.notices()).extracting(IngestReport.Notice::kind)
                    .containsExactlyInAnyOrder("redacted:private-key", "redacted:aws-access-key", "redacted:jwt");
            assertThat(keyword(rag, AWS_KEY)).isEmpty();
            assertThat(keyword(rag, JWT_TOKEN)).isEmpty();
        }
    }

    /** Files under {@code dir} whose bytes contain {@code secret} verbatim (ASCII/UTF-8, as given or lower-cased). */
    static List<Path> filesContaining(Path dir, String secret) {
        byte[][] needles = {secret.getBytes(StandardCharsets.UTF_8), secret.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8)};
        List<Path> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                byte[] bytes = Files.readAllBytes(f);
                for (byte[] needle : needles) {
                    if (indexOf(bytes, needle) >= 0) {
                        found.add(f);
                        break;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
