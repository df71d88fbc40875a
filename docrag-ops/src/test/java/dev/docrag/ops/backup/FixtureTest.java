package dev.docrag.ops.backup;

import dev.docrag.index.DocRag;
import dev.docrag.index.DocumentInput;
import dev.docrag.index.SearchRequest;
import dev.docrag.ops.TestEmbedder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backup repository written by backup format 1 (DocRag 0.1, Lucene 10.6, H2 2.5) is committed
 * under {@code src/test/resources/dev/docrag/ops/backup/fixture-v1}; every later version must
 * still verify and restore it. Regenerate only when the format changes on purpose, into a new
 * folder ({@code -Ddocrag.backup.writeFixture=<dir>}), and keep the old one.
 */
class FixtureTest {
    static final String FIXTURE = "fixture-v1";

    private static List<DocumentInput> documents() {
        return List.of(
                DocumentInput.builder("acme", "rotation").title("Log rotation")
                        .text("Logs rotate every night at midnight and archives are kept for fourteen days.")
                        .metadata("team", "ops").build(),
                DocumentInput.builder("acme", "vacation").title("Vacation policy")
                        .text("Employees get twenty five vacation days per year, booked in the HR portal.")
                        .metadata("team", "hr").accessGroups("staff").build(),
                DocumentInput.builder("globex", "tls").title("TLS certificates")
                        .text("Certificates renew automatically thirty days before they expire.").build());
    }

    @Test
    void theCommittedFixtureStillVerifiesAndRestores(@TempDir Path tmp) throws URISyntaxException {
        Path repo = Path.of(Objects.requireNonNull(getClass().getResource(FIXTURE), FIXTURE).toURI());
        TestEmbedder embedder = new TestEmbedder();
        try (BackupManager m = BackupManager.builder().target(BackupTarget.filesystem(repo)).embedder(embedder)
                .goldenQueries(List.of(GoldenQuery.expecting("acme", "rotate logs midnight", "rotation"))).build()) {
            List<Manifest> all = m.list();
            assertThat(all).hasSize(1);
            Manifest b = all.get(0);
            assertThat(b.format()).isEqualTo(1);
            assertThat(b.documents()).isEqualTo(3);
            m.verify(b.id(), VerifyDepth.DEEP);
            Path dir = tmp.resolve("restored");
            m.restore(b.id(), dir);
            try (DocRag rag = DocRag.builder().directory(dir).embedder(embedder).build()) {
                assertThat(rag.documentCount("acme")).isEqualTo(2);
                assertThat(rag.documentCount("globex")).isEqualTo(1);
                assertThat(rag.search(SearchRequest.keyword("vacation").tenant("acme").accessGroups("staff").k(3)))
                        .extracting(h -> h.documentId()).containsExactly("vacation");
                assertThat(rag.search(SearchRequest.keyword("vacation").tenant("acme").k(3))).isEmpty();
                assertThat(rag.metadataFields()).containsKey("team");
            }
        }
    }

    /** Writes a new fixture repository: {@code -Ddocrag.backup.writeFixture=<dir> -Dtest=FixtureTest}. */
    @Test
    @EnabledIfSystemProperty(named = "docrag.backup.writeFixture", matches = ".+")
    void writeFixture(@TempDir Path tmp) {
        Path repo = Path.of(System.getProperty("docrag.backup.writeFixture"));
        try (DocRag rag = DocRag.builder().directory(tmp.resolve("live")).embedder(new TestEmbedder()).build();
             BackupManager m = BackupManager.builder(rag).target(BackupTarget.filesystem(repo)).build()) {
            rag.upsert(documents());
            m.backup();
        }
    }
}
