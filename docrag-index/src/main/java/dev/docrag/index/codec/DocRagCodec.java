package dev.docrag.index.codec;

import org.apache.lucene.codecs.FilterCodec;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.StoredFieldsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104Codec;
import org.apache.lucene.codecs.lucene90.compressing.Lucene90CompressingStoredFieldsFormat;
import org.apache.lucene.codecs.perfield.PerFieldKnnVectorsFormat;

import java.util.Objects;

/**
 * The Lucene codec of DocRag's index: Lucene's current codec with chunk text stored
 * uncompressed, so that building a hit reads only that chunk's bytes.
 *
 * <p>Why: a search returns its hits with their text. Lucene's stored-fields format compresses
 * documents in blocks of about 80 KB with a shared dictionary, so fetching one 1–2 KB chunk
 * decompresses about 12 KB; for ten hits that took more time than the HNSW search itself (56% of a
 * vector search over 16k chunks, profiled). Vector stores commonly keep their documents
 * uncompressed for the same reason; the cost is disk: stored fields take about twice the bytes of
 * Lucene's default (see README, "Search speed").
 *
 * <p>Guarantees: segments record this codec by name ({@value #NAME}) and Lucene finds it through
 * {@link java.util.ServiceLoader} (this jar's {@code META-INF/services}), so any process with
 * DocRag on its class path reads them, including Lucene's {@code CheckIndex}. Segments written
 * before this codec existed record Lucene's own codec and keep reading with it; a merge rewrites
 * them in this one. Vector fields record their own format by name, so the HNSW settings a writer
 * used need not be known to read them.
 *
 * <p>Public only because Lucene's service loader requires it: not part of DocRag's API.
 */
public final class DocRagCodec extends FilterCodec {
    /** The codec's name as segments record it. Never reuse it for another layout. */
    public static final String NAME = "DocRag1";

    private static final StoredFieldsFormat STORED_FIELDS = new Lucene90CompressingStoredFieldsFormat(
            "DocRagStoredFields1", new UncompressedMode(), 16 * 1024, 128, 10);

    private final KnnVectorsFormat vectors;

    /** The codec as Lucene's service loader creates it: for reading. */
    public DocRagCodec() {
        this(null);
    }

    private DocRagCodec(KnnVectorsFormat vectorsForWriting) {
        super(NAME, new Lucene104Codec());
        this.vectors = vectorsForWriting == null ? super.knnVectorsFormat() : new PerFieldKnnVectorsFormat() {
            @Override
            public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                return vectorsForWriting;
            }
        };
    }

    /** The codec a writer uses: every vector field written in {@code format}. */
    public static DocRagCodec writingVectorsAs(KnnVectorsFormat format) {
        return new DocRagCodec(Objects.requireNonNull(format, "format"));
    }

    @Override
    public StoredFieldsFormat storedFieldsFormat() {
        return STORED_FIELDS;
    }

    @Override
    public KnnVectorsFormat knnVectorsFormat() {
        return vectors;
    }
}
