package io.streamlake.table;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.source.SourceRecord;
import java.time.Instant;

/**
 * The bronze table's fixed layout, a contract every {@link Table} that holds bronze and every reader
 * of it relies on: every raw event with its source metadata, nothing parsed. Column names are
 * public so that tests, samples and queries need not repeat strings.
 *
 * <pre>{@code
 * table.create(BronzeLayout.SCHEMA);
 * table.newDataFile(BronzeLayout.SCHEMA).write(BronzeLayout.toRow(record, Instant.now()));
 * }</pre>
 */
public final class BronzeLayout {
    /** Column names, public so that tests and samples can query bronze without repeating strings. */
    public static final String KEY = "key";
    /** The raw payload. */
    public static final String VALUE = "value";
    /** Topic or event hub name. */
    public static final String SOURCE = "source";
    /** Partition number. */
    public static final String PARTITION = "partition";
    /** Offset or sequence number. */
    public static final String POSITION = "position";
    /** The source's timestamp (Kafka record time, Event Hubs enqueued time). */
    public static final String SOURCE_TIMESTAMP = "source_timestamp";
    /** Record headers / application properties. */
    public static final String HEADERS = "headers";
    /** When StreamLake wrote the row. */
    public static final String INGESTION_TIME = "ingestion_time";
    /**
     * Source facts without a column of their own (Event Hubs offset, partition key, system
     * properties). Last, so that a bronze table written before it existed evolves by one optional column.
     */
    public static final String METADATA = "metadata";

    /** The bronze schema. Positions below follow its column order. */
    public static final Schema SCHEMA = Schema.builder()
            .optional(KEY, DataType.BINARY)
            .optional(VALUE, DataType.BINARY)
            .required(SOURCE, DataType.STRING)
            .required(PARTITION, DataType.INT)
            .required(POSITION, DataType.LONG)
            .optional(SOURCE_TIMESTAMP, DataType.TIMESTAMP)
            .optional(HEADERS, DataType.map(DataType.BINARY))
            .required(INGESTION_TIME, DataType.TIMESTAMP)
            .optional(METADATA, DataType.map(DataType.STRING))
            .build();

    static final int KEY_POS = 0;
    static final int VALUE_POS = 1;
    static final int SOURCE_POS = 2;
    static final int PARTITION_POS = 3;
    static final int POSITION_POS = 4;
    static final int SOURCE_TIMESTAMP_POS = 5;
    static final int HEADERS_POS = 6;

    private BronzeLayout() {
    }

    /**
     * @param r a source record
     * @param ingestionTime when StreamLake writes it
     * @return its bronze row
     */
    public static Row toRow(SourceRecord r, Instant ingestionTime) {
        return Row.of(SCHEMA, r.key(), r.value(), r.partition().stream(), r.partition().id(), r.position(),
                r.timestamp(), r.headers().isEmpty() ? null : r.headers(), ingestionTime,
                r.metadata().isEmpty() ? null : r.metadata());
    }
}
