package io.streamlake.core.delta;

import org.apache.parquet.io.api.Binary;

/**
 * Encodes strings to UTF-8 into one reused buffer, for Parquet writers that copy what they keep:
 * no array per value. Unpaired surrogates become '?', as {@code String.getBytes} does.
 *
 * <p>Not thread-safe, and never shared: one per data file writer. The value it returns is marked
 * reused, so what Parquet keeps beyond the call (dictionary entries, min/max statistics) goes
 * through {@code Binary.copy()}, which copies a reused array; page bytes are copied as written.
 */
final class Utf8Buffer {
    /** Below this size the buffer doubles as it grows, so that small values do not grow it often. */
    private static final int SMALL = 1 << 16;

    private byte[] buffer = new byte[128];

    /** @return the string's UTF-8 bytes, valid until the next call */
    Binary encode(String s) {
        int len = s.length();
        if (buffer.length < len * 3) {
            // Sized to what this string needs, not its worst case of 3 bytes a character: for a value of
            // 1 MB that worst case was a 3 MB array per writer, which a small heap must find contiguous.
            int needed = utf8Length(s);
            if (buffer.length < needed) {
                buffer = new byte[Math.max(needed, Math.min(buffer.length * 2, SMALL))];
            }
        }
        byte[] b = buffer;
        int n = 0;
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                b[n++] = (byte) c;
            } else if (c < 0x800) {
                b[n++] = (byte) (0xC0 | (c >> 6));
                b[n++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isSurrogate(c)) {
                int cp = Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))
                        ? Character.toCodePoint(c, s.charAt(++i)) : -1;
                if (cp < 0) {
                    b[n++] = '?';
                } else {
                    b[n++] = (byte) (0xF0 | (cp >> 18));
                    b[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    b[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    b[n++] = (byte) (0x80 | (cp & 0x3F));
                }
            } else {
                b[n++] = (byte) (0xE0 | (c >> 12));
                b[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                b[n++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return Binary.fromReusedByteArray(b, 0, n);
    }

    /** @return how many bytes {@link #encode} writes for the string */
    static int utf8Length(String s) {
        int len = s.length();
        long n = len;
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                if (c < 0x800) {
                    n++;
                } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                    n += 2; // the pair's two chars become four bytes
                    i++;
                } else if (!Character.isSurrogate(c)) {
                    n += 2;
                } // an unpaired surrogate becomes one '?'
            }
        }
        return (int) Math.min(Integer.MAX_VALUE - 8, n);
    }
}
