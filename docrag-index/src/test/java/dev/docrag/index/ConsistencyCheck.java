package dev.docrag.index;

import dev.docrag.index.RandomWrites.Version;
import org.apache.lucene.index.CheckIndex;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks a closed DocRag directory (default H2 catalog) after a crash and a reopening: Lucene's
 * CheckIndex is clean; the catalog and the index hold the same documents; each document's chunks
 * are exactly its catalog chunk count, all of one version (the catalog's content hash) with
 * ordinals 0..n-1; the catalog records the index's last write sequence number; and each document
 * is at its last acknowledged version, or at the version of the write in flight at the crash.
 */
final class ConsistencyCheck {
    private ConsistencyCheck() {
    }

    /** The chunks of one document in the index. */
    private record Chunks(int count, Set<String> hashes, Set<Integer> ordinals) {
    }

    /**
     * @param acknowledged the state after every acknowledged write, by {@code tenant/id}
     * @param inFlight     the effects of the write that had begun but not returned (empty if none)
     * @param context      what to say in a failure (the seed, the cycle)
     * @return the state found, which the next round starts from
     */
    static Map<String, Version> verify(Path dir, Map<String, Version> acknowledged, Map<String, Version> inFlight, String context)
            throws IOException, SQLException {
        Map<String, Chunks> index = new HashMap<>();
        long indexSeq;
        try (Directory d = FSDirectory.open(dir.resolve("index"))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (CheckIndex check = new CheckIndex(d)) {
                check.setInfoStream(new PrintStream(out, true, StandardCharsets.UTF_8));
                CheckIndex.Status status = check.checkIndex();
                assertThat(status.clean).as("CheckIndex is clean; %s%n%s", context, out.toString(StandardCharsets.UTF_8)).isTrue();
            }
            indexSeq = Long.parseLong(SegmentInfos.readLatestCommit(d).getUserData().getOrDefault(ChunkIndex.KEY_SEQ, "0"));
            try (DirectoryReader reader = DirectoryReader.open(d)) {
                for (LeafReaderContext leaf : reader.leaves()) {
                    StoredFields stored = leaf.reader().storedFields();
                    Bits live = leaf.reader().getLiveDocs();
                    for (int doc = 0; doc < leaf.reader().maxDoc(); doc++) {
                        if (live != null && !live.get(doc)) {
                            continue;
                        }
                        var fields = stored.document(doc);
                        String key = fields.get(ChunkIndex.TENANT) + "/" + fields.get(ChunkIndex.DOC_ID);
                        Chunks c = index.computeIfAbsent(key, k -> new Chunks(0, new HashSet<>(), new HashSet<>()));
                        c.hashes().add(fields.get(ChunkIndex.HASH));
                        c.ordinals().add(fields.getField(ChunkIndex.ORDINAL).numericValue().intValue());
                        index.put(key, new Chunks(c.count() + 1, c.hashes(), c.ordinals()));
                    }
                }
            }
        }
        Map<String, String> catalogHash = new HashMap<>();
        Map<String, Integer> catalogChunks = new HashMap<>();
        long catalogSeq;
        try (Connection c = DriverManager.getConnection(Catalog.h2Url(dir), "sa", "");
             Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT tenant, id, content_hash, chunk_count FROM documents")) {
                while (rs.next()) {
                    String key = rs.getString(1) + "/" + rs.getString(2);
                    catalogHash.put(key, rs.getString(3));
                    catalogChunks.put(key, rs.getInt(4));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT meta_value FROM docrag_meta WHERE meta_key = '" + Catalog.META_INDEX_SEQ + "'")) {
                catalogSeq = rs.next() ? Long.parseLong(rs.getString(1)) : -1;
            }
        }

        assertThat(catalogSeq).as("the catalog records the index's last write; %s", context).isEqualTo(indexSeq);
        assertThat(new TreeSet<>(index.keySet())).as("documents with chunks = documents in the catalog (no orphans either"
                + " way); %s", context).isEqualTo(new TreeSet<>(catalogHash.keySet()));
        for (Map.Entry<String, Chunks> e : index.entrySet()) {
            String key = e.getKey();
            Chunks chunks = e.getValue();
            assertThat(chunks.count()).as("chunks of %s vs its catalog chunk count; %s", key, context)
                    .isEqualTo(catalogChunks.get(key));
            assertThat(chunks.hashes()).as("every chunk of %s is of the catalog's version; %s", key, context)
                    .containsExactly(catalogHash.get(key));
            Set<Integer> expectedOrdinals = new HashSet<>();
            for (int i = 0; i < chunks.count(); i++) {
                expectedOrdinals.add(i);
            }
            assertThat(chunks.ordinals()).as("ordinals of %s are 0..n-1 (one whole version); %s", key, context)
                    .isEqualTo(expectedOrdinals);
        }

        Map<String, Version> found = new HashMap<>();
        Set<String> keys = new TreeSet<>(acknowledged.keySet());
        keys.addAll(inFlight.keySet());
        keys.addAll(catalogHash.keySet());
        for (String key : keys) {
            List<Version> allowed = new ArrayList<>();
            allowed.add(acknowledged.getOrDefault(key, Version.GONE));
            if (inFlight.containsKey(key)) {
                allowed.add(inFlight.get(key));
            }
            String actual = catalogHash.getOrDefault(key, RandomWrites.ABSENT);
            Version match = allowed.stream().filter(v -> v.hash().equals(actual)).findFirst().orElse(null);
            assertThat(match).as("%s is at %s; its last acknowledged version is %s%s; %s", key,
                    actual.equals(RandomWrites.ABSENT) ? "no version (absent)" : "version " + actual, allowed.get(0),
                    allowed.size() > 1 ? ", the write in flight would make it " + allowed.get(1) : "", context).isNotNull();
            if (!match.absent()) {
                found.put(key, match);
            }
        }
        return found;
    }
}
