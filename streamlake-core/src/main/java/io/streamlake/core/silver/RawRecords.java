package io.streamlake.core.silver;

import io.streamlake.schema.Row;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.BronzeLayout;
import io.streamlake.table.DataFile;
import io.streamlake.table.QuarantineLayout;
import io.streamlake.table.Table;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Turns a stored raw record (a bronze row, a quarantine row: both keep the same column names) back
 * into the {@link SourceRecord} it was, so that replays take exactly the path live records take.
 */
final class RawRecords {
    private RawRecords() {
    }

    /**
     * @param row a row with columns key, value, headers, source, partition, position, source_timestamp and
     *     perhaps metadata
     * @param partitions cache of partition objects, so a replay allocates one per partition, not per row
     */
    @SuppressWarnings("unchecked")
    static SourceRecord fromRow(Row row, Map<String, SourcePartition> partitions) {
        String stream = (String) Objects.requireNonNull(row.value(BronzeLayout.SOURCE));
        int id = (Integer) Objects.requireNonNull(row.value(BronzeLayout.PARTITION));
        SourcePartition partition = partitions.computeIfAbsent(stream + "/" + id, k -> new SourcePartition(stream, id));
        Map<String, byte[]> headers = (Map<String, byte[]>) row.value(BronzeLayout.HEADERS);
        Instant ts = (Instant) row.value(BronzeLayout.SOURCE_TIMESTAMP);
        // Quarantine rows have no metadata column; bronze rows written before it existed read null.
        Map<String, String> metadata = row.schema().field(BronzeLayout.METADATA).isPresent()
                ? (Map<String, String>) row.value(BronzeLayout.METADATA) : null;
        return new SourceRecord(partition, (Long) Objects.requireNonNull(row.value(BronzeLayout.POSITION)),
                (byte[]) row.value(BronzeLayout.KEY), (byte[]) row.value(BronzeLayout.VALUE),
                headers == null ? Map.of() : headers, ts == null ? Instant.EPOCH : ts,
                metadata == null ? Map.of() : metadata);
    }

    /** Reads every quarantine row of the files as records, with the bronze version each came from. */
    static void readQuarantine(Table table, List<DataFile> files, List<SourceRecord> out, List<Long> versions) {
        Map<String, SourcePartition> partitions = new HashMap<>();
        for (DataFile f : files) {
            Iterator<Row> it = table.read(f, QuarantineLayout.SCHEMA);
            while (it.hasNext()) {
                Row r = it.next();
                out.add(fromRow(r, partitions));
                versions.add((Long) Objects.requireNonNull(r.value(QuarantineLayout.BRONZE_VERSION)));
            }
        }
    }
}
