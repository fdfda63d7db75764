package io.streamlake.core.internal;

import io.streamlake.source.SourceRecord;
import java.util.List;

/**
 * Keeps a copy of every raw event before its batch is committed to bronze, such as the Capture-layout
 * archive of {@link io.streamlake.Pipeline#withCaptureArchive(String)}. Writing before the commit means
 * a crash can only make the archive hold a batch twice (its reader skips repeated positions), never
 * miss one. Internal, not API.
 */
public interface RecordArchive {
    /**
     * Writes one batch, durably, before it returns. Called from one thread at a time.
     *
     * @param records the batch, in position order per partition, none at or before a committed marker
     * @throws io.streamlake.exceptions.SinkException if the archive cannot be written; the batch is then not committed
     */
    void write(List<SourceRecord> records);
}
