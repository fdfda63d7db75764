package io.streamlake.core.util;

import io.streamlake.source.BatchLimits;
import io.streamlake.source.SourceRecord;
import java.util.List;

/** The size of a batch as its bounds count it ({@link BatchLimits#bytes}: keys and values). */
public final class RecordBytes {
    private RecordBytes() {
    }

    /** @return the bytes of the records' keys and values */
    public static long of(List<SourceRecord> records) {
        long bytes = 0;
        for (int i = 0; i < records.size(); i++) {
            bytes += BatchLimits.bytes(records.get(i));
        }
        return bytes;
    }
}
