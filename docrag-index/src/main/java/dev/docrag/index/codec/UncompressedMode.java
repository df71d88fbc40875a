package dev.docrag.index.codec;

import org.apache.lucene.codecs.compressing.CompressionMode;
import org.apache.lucene.codecs.compressing.Compressor;
import org.apache.lucene.codecs.compressing.Decompressor;
import org.apache.lucene.store.ByteBuffersDataInput;
import org.apache.lucene.store.DataInput;
import org.apache.lucene.store.DataOutput;
import org.apache.lucene.util.ArrayUtil;
import org.apache.lucene.util.BytesRef;

import java.io.IOException;

/**
 * Stored-field blocks kept as they are: reading a document seeks to its bytes and reads only
 * them, whatever else shares its block.
 */
final class UncompressedMode extends CompressionMode {

    @Override
    public Compressor newCompressor() {
        return new Compressor() {
            private byte[] buffer = new byte[0];

            @Override
            public void compress(ByteBuffersDataInput in, DataOutput out) throws IOException {
                int length = Math.toIntExact(in.length());
                buffer = ArrayUtil.growNoCopy(buffer, length);
                in.readBytes(buffer, 0, length);
                out.writeBytes(buffer, 0, length);
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public Decompressor newDecompressor() {
        return new Decompressor() {
            @Override
            public void decompress(DataInput in, int originalLength, int offset, int length, BytesRef bytes)
                    throws IOException {
                if (offset < 0 || length < 0 || offset + length > originalLength) {
                    throw new org.apache.lucene.index.CorruptIndexException("stored fields: range " + offset + "+" + length
                            + " outside a block of " + originalLength + " bytes", in);
                }
                in.skipBytes(offset);
                bytes.bytes = ArrayUtil.growNoCopy(bytes.bytes, length);
                in.readBytes(bytes.bytes, 0, length);
                bytes.offset = 0;
                bytes.length = length;
            }

            @Override
            public Decompressor clone() {
                return this; // stateless
            }
        };
    }

    @Override
    public String toString() {
        return "Uncompressed";
    }
}
