package dev.docrag.core.load;

import dev.docrag.core.DocumentProblem;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns a file's bytes into text, choosing the charset by one fixed rule (see
 * {@link FileLoader}): a byte-order mark decides (UTF-8, UTF-16BE/LE, UTF-32BE/LE); without one, a
 * NUL byte means binary; bytes that are valid UTF-8 are UTF-8; bytes with at least one valid
 * multi-byte UTF-8 sequence are damaged UTF-8; anything else is a single-byte legacy file, read as
 * windows-1252. Bytes that cannot be decoded become U+FFFD and are counted; decoding never throws
 * for bad bytes. Stateless.
 */
final class TextDecoder {
    static final Charset WINDOWS_1252 = Charset.forName("windows-1252");
    private static final Charset UTF_32BE = Charset.forName("UTF-32BE");
    private static final Charset UTF_32LE = Charset.forName("UTF-32LE");
    private static final int CHUNK_CHARS = 8192;

    private TextDecoder() {
    }

    /**
     * The decoded text, the charset used, and how many bytes were replaced.
     *
     * @param text         the text, without a byte-order mark
     * @param charset      the charset's canonical Java name, e.g. {@code UTF-8}, {@code windows-1252}
     * @param invalidBytes bytes that did not decode and were replaced by U+FFFD (one U+FFFD per
     *                     invalid sequence, so this can exceed the number of U+FFFD inserted)
     */
    record Decoded(String text, String charset, long invalidBytes) {
    }

    /** @throws LoadException {@link DocumentProblem#BINARY} for NUL bytes without a byte-order mark */
    static Decoded decode(byte[] bytes, String source) {
        // UTF-32LE's mark begins with UTF-16LE's: test the longer one first. A UTF-16LE file whose
        // first character is U+0000 would be misread, but no text starts with NUL.
        if (startsWith(bytes, 0x00, 0x00, 0xFE, 0xFF)) {
            return run(bytes, 4, UTF_32BE).decoded();
        }
        if (startsWith(bytes, 0xFF, 0xFE, 0x00, 0x00)) {
            return run(bytes, 4, UTF_32LE).decoded();
        }
        if (startsWith(bytes, 0xEF, 0xBB, 0xBF)) {
            return run(bytes, 3, StandardCharsets.UTF_8).decoded();
        }
        if (startsWith(bytes, 0xFE, 0xFF)) {
            return run(bytes, 2, StandardCharsets.UTF_16BE).decoded();
        }
        if (startsWith(bytes, 0xFF, 0xFE)) {
            return run(bytes, 2, StandardCharsets.UTF_16LE).decoded();
        }
        for (byte b : bytes) {
            if (b == 0) {
                // UTF-16 or UTF-32 without a mark would also land here; guessing its byte order
                // from NUL patterns misreads binary files as CJK text, so it is refused instead.
                throw new LoadException(source, DocumentProblem.BINARY,
                        "the file contains NUL bytes and no byte-order mark; it is not text (UTF-16 and UTF-32 need a byte-order mark)");
            }
        }
        Run utf8 = run(bytes, 0, StandardCharsets.UTF_8);
        if (utf8.invalidBytes == 0 || utf8.nonAscii > 0) {
            return utf8.decoded(); // valid UTF-8, or UTF-8 with some damage: the valid sequences show the intent
        }
        // Not one valid multi-byte sequence: a legacy single-byte file. windows-1252 rather than
        // ISO-8859-1: it agrees on 0xA0-0xFF, and 0x80-0x9F are its punctuation (curly quotes,
        // dashes, euro) where Latin-1 has C1 control codes nobody writes on purpose. The five
        // bytes windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) are replaced and counted.
        return run(bytes, 0, WINDOWS_1252).decoded();
    }

    private static boolean startsWith(byte[] bytes, int... prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((bytes[i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private record Run(String text, Charset charset, long invalidBytes, long nonAscii) {
        Decoded decoded() {
            return new Decoded(text, charset.name(), invalidBytes);
        }
    }

    /** Decodes with REPORT, replacing each reported sequence itself, so that it can count them. */
    private static Run run(byte[] bytes, int offset, Charset charset) {
        CharsetDecoder decoder = charset.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, offset, bytes.length - offset);
        StringBuilder text = new StringBuilder((int) Math.min(Integer.MAX_VALUE - 8L,
                (long) Math.ceil((bytes.length - offset) * (double) decoder.averageCharsPerByte())));
        CharBuffer out = CharBuffer.allocate(CHUNK_CHARS);
        long invalid = 0;
        long nonAscii = 0;
        boolean utf16 = charset.equals(StandardCharsets.UTF_16BE) || charset.equals(StandardCharsets.UTF_16LE);
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            if (result.isError()) {
                // The JDK's UTF-16 decoder reports a lone surrogate together with the unit after
                // it; only the surrogate is invalid, so the next unit is decoded again.
                int length = utf16 ? Math.min(result.length(), 2) : result.length();
                in.position(in.position() + length);
                invalid += length;
                nonAscii += drain(out, text);
                text.append('\uFFFD');
            } else if (result.isOverflow()) {
                nonAscii += drain(out, text);
            } else {
                break;
            }
        }
        while (decoder.flush(out).isOverflow()) {
            nonAscii += drain(out, text);
        }
        nonAscii += drain(out, text);
        return new Run(text.toString(), charset, invalid, nonAscii);
    }

    /** Moves the decoded characters to {@code text}; returns how many of them are not ASCII. */
    private static long drain(CharBuffer out, StringBuilder text) {
        out.flip();
        long nonAscii = 0;
        for (int i = 0; i < out.limit(); i++) {
            if (out.get(i) >= 0x80) {
                nonAscii++;
            }
        }
        text.append(out);
        out.clear();
        return nonAscii;
    }
}
