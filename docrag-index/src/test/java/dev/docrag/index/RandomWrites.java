package dev.docrag.index;

import dev.docrag.core.Document;
import dev.docrag.core.load.FileLoader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Random writes against a {@link DocRag} for the crash tests, with the state each one leads to:
 * upserts (single and batched) and deletes by id in tenants {@code a} and {@code b}, deletes by
 * metadata filter, and re-ingests of a folder (tenant {@code f}) whose files are changed, added
 * and removed before each run. Every document's text has several paragraphs, so most documents
 * have several chunks and a half-written version would show.
 *
 * <p>The model maps {@code tenant/id} to the content hash and {@code bucket} metadata of the
 * document's current version. An operation is generated from the model (a delete by filter must
 * know which documents match), and {@link #acknowledge} applies its effects once the call returned.
 */
final class RandomWrites {
    static final String FOLDER_TENANT = "f";
    static final String ABSENT = "-";
    private static final List<String> TENANTS = List.of("a", "b");
    private static final List<String> BUCKETS = List.of("red", "green", "blue");
    private static final String[] WORDS = ("log rotate disk backup restore index query vector tenant access policy travel"
            + " invoice server cluster commit segment merge token model chunk search filter metadata folder file crash"
            + " power journal fsync catalog schema version hash").split(" ");

    /** A document version: its content hash and bucket, or {@link #ABSENT} for both when deleted. */
    record Version(String hash, String bucket) {
        static final Version GONE = new Version(ABSENT, ABSENT);

        boolean absent() {
            return hash.equals(ABSENT);
        }
    }

    @FunctionalInterface
    interface Call {
        void run(DocRag rag) throws Exception;
    }

    /** One write: what it does, the state of every document it may change once it returned, and the call. */
    record Op(String description, Map<String, Version> effects, Call call) {
    }

    private final Random random;
    private final Path folder;
    private final Map<String, Version> model;
    private final FileLoader loader = FileLoader.standard();
    private int counter;

    RandomWrites(Random random, Path folder, Map<String, Version> model) {
        this.random = random;
        this.folder = folder;
        this.model = new HashMap<>(model);
    }

    Map<String, Version> model() {
        return Map.copyOf(model);
    }

    void acknowledge(Op op) {
        op.effects().forEach((k, v) -> {
            if (v.absent()) {
                model.remove(k);
            } else {
                model.put(k, v);
            }
        });
    }

    /** The next write; an ingest first changes the folder (which is not part of any acknowledged state). */
    Op next() throws IOException {
        int pick = random.nextInt(100);
        if (pick < 35) {
            return upsert(1);
        } else if (pick < 50) {
            return upsert(2 + random.nextInt(3));
        } else if (pick < 62) {
            return deleteById();
        } else if (pick < 70) {
            // A filter on a field no document has used yet is refused; only filter once one has.
            boolean anyBucket = model.values().stream().anyMatch(v -> !v.bucket().equals(ABSENT));
            return anyBucket ? deleteByFilter() : upsert(1);
        } else {
            return ingest();
        }
    }

    private Op upsert(int n) {
        Map<String, Version> effects = new LinkedHashMap<>();
        List<DocumentInput> docs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String tenant = TENANTS.get(random.nextInt(TENANTS.size()));
            String id = "d" + random.nextInt(25);
            if (effects.containsKey(tenant + "/" + id)) {
                continue; // one version per document per batch
            }
            String bucket = BUCKETS.get(random.nextInt(BUCKETS.size()));
            DocumentInput doc = DocumentInput.builder(tenant, id).title("Doc " + id + " v" + ++counter)
                    .text(text()).metadata("bucket", bucket).build();
            docs.add(doc);
            effects.put(tenant + "/" + id, new Version(DocRag.contentHash(doc), bucket));
        }
        return new Op("upsert " + effects.keySet(), effects, rag -> rag.upsert(docs));
    }

    private Op deleteById() {
        String tenant = TENANTS.get(random.nextInt(TENANTS.size()));
        String id = "d" + random.nextInt(25);
        return new Op("delete " + tenant + "/" + id, Map.of(tenant + "/" + id, Version.GONE), rag -> rag.delete(tenant, id));
    }

    private Op deleteByFilter() {
        String tenant = TENANTS.get(random.nextInt(TENANTS.size()));
        String bucket = BUCKETS.get(random.nextInt(BUCKETS.size()));
        Map<String, Version> effects = new TreeMap<>();
        model.forEach((k, v) -> {
            if (k.startsWith(tenant + "/") && v.bucket().equals(bucket)) {
                effects.put(k, Version.GONE);
            }
        });
        return new Op("delete " + tenant + " bucket=" + bucket, effects,
                rag -> rag.delete(tenant, Filter.eq("bucket", bucket)));
    }

    private Op ingest() throws IOException {
        Files.createDirectories(folder);
        for (int changes = 1 + random.nextInt(4); changes > 0; changes--) {
            Path file = folder.resolve("f" + random.nextInt(15) + ".txt");
            if (random.nextInt(4) == 0) {
                Files.deleteIfExists(file);
            } else {
                // Written aside and renamed in: a kill mid-write must not leave an empty or cut file
                // for the next cycle's model (the folder's files are the test's input, not under test).
                Path scratch = Files.createDirectories(folder.resolveSibling(folder.getFileName() + ".writing"));
                Path part = Files.writeString(scratch.resolve(file.getFileName()),
                        "File " + file.getFileName() + " v" + ++counter + "\n\n" + text());
                Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        Map<String, Version> effects = new TreeMap<>();
        model.keySet().stream().filter(k -> k.startsWith(FOLDER_TENANT + "/")).forEach(k -> effects.put(k, Version.GONE));
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.sorted().toList()) {
                Document doc = loader.load(folder, file);
                DocumentInput input = new DocumentInput(FOLDER_TENANT, doc.id(), doc.source(), doc.title(), doc.text(),
                        new HashMap<>(doc.metadata()), Set.of(), doc.sections(), doc.pages(), doc.blocks());
                effects.put(FOLDER_TENANT + "/" + doc.id(), new Version(DocRag.contentHash(input), ABSENT));
            }
        }
        return new Op("ingest " + effects.size() + " files", effects, rag -> rag.ingest(folder, FOLDER_TENANT));
    }

    /** One to six paragraphs of 8 to 40 words: with the test embedder's 64-token window, about a chunk each. */
    private String text() {
        StringBuilder sb = new StringBuilder();
        for (int p = 1 + random.nextInt(6); p > 0; p--) {
            for (int w = 8 + random.nextInt(33); w > 0; w--) {
                sb.append(WORDS[random.nextInt(WORDS.length)]).append(w == 1 ? ".\n\n" : " ");
            }
        }
        return sb.toString();
    }

    /** Encodes effects as tab-separated {@code key hash bucket} triples. */
    static String encode(Map<String, Version> effects) {
        StringBuilder sb = new StringBuilder();
        effects.forEach((k, v) -> sb.append('\t').append(k).append('\t').append(v.hash()).append('\t').append(v.bucket()));
        return sb.toString();
    }

    static Map<String, Version> decode(String[] parts, int from) {
        Map<String, Version> out = new LinkedHashMap<>();
        for (int i = from; i + 2 < parts.length; i += 3) {
            out.put(parts[i], new Version(parts[i + 1], parts[i + 2]));
        }
        return out;
    }

    static void writeState(Path file, Map<String, Version> model) throws IOException {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(model).forEach((k, v) -> sb.append(k).append('\t').append(v.hash()).append('\t').append(v.bucket()).append('\n'));
        Files.writeString(file, sb.toString());
    }

    static Map<String, Version> readState(Path file) throws IOException {
        Map<String, Version> out = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank()) {
                String[] p = line.split("\t");
                out.put(p[0], new Version(p[1], p[2]));
            }
        }
        return out;
    }
}
