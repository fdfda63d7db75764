package io.streamlake.core.util;

import io.streamlake.source.SourceRecord;
import java.util.List;

/**
 * The size of records as the batch bounds count it: the bytes of their keys and values (headers and
 * metadata are small and bounded, and left out).
 */
public final class RecordBytes {
    private RecordBytes() {
    }

    /** @return the bytes of the record's key and value */
    public static long of(SourceRecord r) {
        byte[] key = r.key();
        byte[] value = r.value();
        return (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
    }

    /** @return the bytes of the records' keys and values */
    public static long of(List<SourceRecord> records) {
        long bytes = 0;
        for (int i = 0; i < records.size(); i++) {
            bytes += of(records.get(i));
        }
        return bytes;
    }
}
