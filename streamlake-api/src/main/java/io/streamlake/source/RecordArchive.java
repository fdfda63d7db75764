package io.streamlake.source;

import java.util.List;
import java.util.Map;

/**
 * Keeps a copy of every raw event before its batch is committed to bronze
 * ({@link io.streamlake.Pipeline#withArchive(RecordArchive)}), such as streamlake-core's Capture-layout
 * archive ({@code io.streamlake.core.capture.CaptureArchive}). Writing before the commit means
 * a crash can only make the archive hold a batch twice (its reader skips repeated positions), never
 * miss one. A contract for whoever adds an archive format; the engine writes it beside bronze.
 *
 * <pre>{@code
 * RecordArchive archive = (records, committed) -> store.append(records);   // durable before it returns
 * }</pre>
 */
public interface RecordArchive {
    /**
     * Writes one batch, durably, before it returns. Called from one thread at a time.
     *
     * @param records the batch, in position order per partition, none at or before a committed marker
     * @param committed per partition of the batch, its bronze marker before the batch (the position of
     *     its last committed event, -1 if none): what the archive's reader checks the archive's chain
     *     of files against, since positions need not be contiguous
     * @throws io.streamlake.exceptions.SinkException if the archive cannot be written; the batch is then not committed
     */
    void write(List<SourceRecord> records, Map<SourcePartition, Long> committed);
}
