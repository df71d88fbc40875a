package dev.docrag.ops.backup;

import dev.docrag.index.DocRag;
import dev.docrag.index.DocumentInput;
import dev.docrag.index.SearchRequest;
import dev.docrag.ops.TestEmbedder;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** Shared pieces of the backup tests: a DocRag with the test embedder, versioned documents, directory digests. */
final class Corpus {
    static final String TENANT = "acme";

    private Corpus() {
    }

    static DocRag open(Path dir, TestEmbedder embedder) {
        return DocRag.builder().directory(dir).embedder(embedder).build();
    }

    /** Document {@code id} at {@code version}: its text carries a token unique to (id, version). */
    static DocumentInput doc(int id, int version) {
        return DocumentInput.builder(TENANT, "doc-" + id).title("Document " + id)
                .text("Notes about topic " + id + " in revision " + version + ". Marker " + marker(id, version) + ".")
                .metadata("version", version).build();
    }

    static String marker(int id, int version) {
        return "m" + id + "x" + version;
    }

    /** Upserts documents 0..n-1 at version 1 in one call. */
    static void fill(DocRag rag, int n) {
        List<DocumentInput> docs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            docs.add(doc(i, 1));
        }
        rag.upsert(docs);
    }

    /** Checks that {@code rag} holds exactly {@code expected} (id → version) of the documents 0..universe-1. */
    static void assertHolds(DocRag rag, Map<Integer, Integer> expected, int universe) {
        assertThat(rag.documentCount(TENANT)).as("documents").isEqualTo(expected.size());
        for (int i = 0; i < universe; i++) {
            Integer v = expected.get(i);
            if (v == null) {
                assertThat(rag.chunkCount(TENANT, "doc-" + i)).as("doc-%d is absent", i).isZero();
            } else {
                var hits = rag.search(SearchRequest.keyword(marker(i, v)).tenant(TENANT).k(3));
                assertThat(hits).as("doc-%d at version %d", i, v).extracting(h -> h.documentId()).contains("doc-" + i);
            }
        }
    }

    /** Every regular file under {@code dir} with its SHA-256, by relative path: to show a directory was not touched. */
    static Map<String, String> digest(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (!Files.exists(dir)) {
            return out;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                try {
                    out.put(dir.relativize(file).toString(),
                            HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))));
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new AssertionError(e);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return out;
    }
}
