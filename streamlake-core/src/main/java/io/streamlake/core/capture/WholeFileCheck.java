package io.streamlake.core.capture;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Tells a complete Avro file from a truncated one. Avro's {@code DataFileStream} ends its iteration
 * without an error when the file ends in the middle of a block (a partial upload or copy), which would
 * drop that block's events silently. Every complete Avro file ends with its header's 16-byte sync
 * marker (after the header itself when it has no block), so the stream keeps the header's bytes and
 * the last 16 bytes it delivered, and compares them once the file is read.
 */
final class WholeFileCheck extends FilterInputStream {
    private static final int SYNC = 16;
    /** Enough for a Capture header (schema and codec); a larger header goes unchecked rather than failing. */
    private static final int HEAD = 64 * 1024;

    private final byte[] head = new byte[HEAD];
    private int headLength;
    private final byte[] tail = new byte[SYNC];
    private long total;

    WholeFileCheck(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            byte[] one = {(byte) b};
            record(one, 0, 1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            record(b, off, n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buffer = new byte[(int) Math.min(n, 8192)];
        long skipped = 0;
        while (skipped < n) {
            int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    private void record(byte[] b, int off, int n) {
        if (headLength < HEAD) {
            int copy = Math.min(n, HEAD - headLength);
            System.arraycopy(b, off, head, headLength, copy);
            headLength += copy;
        }
        if (n >= SYNC) {
            System.arraycopy(b, off + n - SYNC, tail, 0, SYNC);
        } else {
            System.arraycopy(tail, n, tail, 0, SYNC - n);
            System.arraycopy(b, off, tail, SYNC - n, n);
        }
        total += n;
    }

    /**
     * Reads what is left and checks the file ends with the header's sync marker.
     *
     * @return true for a complete file (or one whose header is too large to check), false for a truncated one
     */
    boolean complete() throws IOException {
        byte[] rest = new byte[8192];
        while (read(rest, 0, rest.length) >= 0) {
            // the decoder stops at the end of the last block: anything after it is read here
        }
        if (total < SYNC) {
            return false;
        }
        try {
            BinaryDecoder d = DecoderFactory.get().binaryDecoder(head, 0, headLength, null);
            d.skipFixed(4); // magic
            for (long n = d.readMapStart(); n != 0; n = d.mapNext()) {
                for (long i = 0; i < n; i++) {
                    d.skipString();
                    d.skipBytes();
                }
            }
            byte[] sync = new byte[SYNC];
            d.readFixed(sync);
            return Arrays.equals(sync, tail);
        } catch (IOException e) {
            return headLength < HEAD ? false : true; // a header beyond what we keep: not checked
        }
    }
}
