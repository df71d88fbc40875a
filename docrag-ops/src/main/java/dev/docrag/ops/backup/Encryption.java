package dev.docrag.ops.backup;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Streaming AES-256-GCM in frames of {@value #FRAME} bytes, so that neither side holds a whole
 * file in memory (a single GCM message cannot release plaintext before its tag is checked).
 * Layout: the magic {@code DRE1}, a random 12-byte base nonce, then one frame per
 * {@value #FRAME} bytes of plaintext (the last shorter, possibly empty): ciphertext plus 16-byte
 * tag. Frame i uses the base nonce with its last 8 bytes XORed with i, and authenticates as
 * additional data i and whether it is the last frame, so frames cannot be reordered, dropped or
 * cut off at a frame boundary without failing.
 */
final class Encryption {
    static final int FRAME = 1 << 20;
    private static final int TAG = 16;
    private static final byte[] MAGIC = "DRE1".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = MAGIC.length + 12;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Encryption() {
    }

    /** The stored size of {@code plain} bytes. */
    static long encryptedSize(long plain) {
        long frames = plain / FRAME + 1; // the last frame may be empty: it carries the "last" flag
        return HEADER + plain + frames * TAG;
    }

    static InputStream encrypt(BackupKey key, InputStream plain) {
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        return new FrameStream(key, plain, nonce, true);
    }

    static InputStream decrypt(BackupKey key, InputStream stored) throws IOException {
        byte[] header = stored.readNBytes(HEADER);
        if (header.length < HEADER || !Arrays.equals(Arrays.copyOf(header, MAGIC.length), MAGIC)) {
            throw new IOException("not an encrypted DocRag backup file (no DRE1 header)");
        }
        return new FrameStream(key, stored, Arrays.copyOfRange(header, MAGIC.length, HEADER), false);
    }

    /** Reads frames from {@code in} and serves their transformation. */
    private static final class FrameStream extends InputStream {
        private final BackupKey key;
        private final InputStream in;
        private final byte[] nonce;
        private final boolean encrypting;
        private byte[] out;
        private int pos;
        private long frame;
        private boolean done;
        private boolean headerSent;
        private byte[] lookahead; // decrypting: the next frame's bytes, read ahead to know whether this is the last

        FrameStream(BackupKey key, InputStream in, byte[] nonce, boolean encrypting) {
            this.key = key;
            this.in = in;
            this.nonce = nonce;
            this.encrypting = encrypting;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (out == null || pos == out.length) {
                if (done) {
                    return -1;
                }
                next();
            }
            int n = Math.min(len, out.length - pos);
            System.arraycopy(out, pos, b, off, n);
            pos += n;
            return n;
        }

        private void next() throws IOException {
            pos = 0;
            if (encrypting) {
                if (!headerSent) {
                    headerSent = true;
                    ByteArrayOutputStream h = new ByteArrayOutputStream();
                    h.write(MAGIC);
                    h.write(nonce);
                    out = h.toByteArray();
                    return;
                }
                byte[] plain = in.readNBytes(FRAME);
                boolean last = plain.length < FRAME;
                out = crypt(Cipher.ENCRYPT_MODE, plain, last);
                done = last;
            } else {
                byte[] current = lookahead != null ? lookahead : in.readNBytes(FRAME + TAG);
                boolean last = current.length < FRAME + TAG;
                lookahead = last ? null : in.readNBytes(FRAME + TAG);
                if (!last && lookahead.length == 0) {
                    throw new EOFException("the encrypted file ends without its last frame (cut short)");
                }
                out = crypt(Cipher.DECRYPT_MODE, current, last);
                done = last;
            }
            frame++;
        }

        private byte[] crypt(int mode, byte[] data, boolean last) throws IOException {
            try {
                byte[] iv = nonce.clone();
                for (int i = 0; i < 8; i++) {
                    iv[4 + i] ^= (byte) (frame >>> (56 - 8 * i));
                }
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(mode, key.secret(), new GCMParameterSpec(TAG * 8, iv));
                c.updateAAD(ByteBuffer.allocate(9).putLong(frame).put((byte) (last ? 1 : 0)).array());
                return c.doFinal(data);
            } catch (AEADBadTagException e) {
                throw new IOException("frame " + frame + " fails authentication (a changed byte, or another key)", e);
            } catch (GeneralSecurityException e) {
                throw new IOException("AES-GCM failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
