package io.streamlake.table;

import io.streamlake.quality.QuarantineReason;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.source.SourceRecord;
import java.time.Instant;

/**
 * The quarantine table's layout: the raw record as it came (so it can be fixed and replayed), where
 * it came from, and why it was set aside: a contract every {@link Table} that holds a quarantine and
 * every reader of it relies on (the README documents the columns).
 *
 * <pre>{@code
 * Row r = QuarantineLayout.of(record, bronzeVersion, "decode", QuarantineReason.MALFORMED_JSON, "...", now);
 * }</pre>
 */
public final class QuarantineLayout {
    /** Record key. */
    public static final String KEY = "key";
    /** Raw payload. */
    public static final String VALUE = "value";
    /** Record headers. */
    public static final String HEADERS = "headers";
    /** Topic or event hub. */
    public static final String SOURCE = "source";
    /** Source partition. */
    public static final String PARTITION = "partition";
    /** Offset or sequence number. */
    public static final String POSITION = "position";
    /** The source's timestamp. */
    public static final String SOURCE_TIMESTAMP = "source_timestamp";
    /** The bronze table version that holds the record. */
    public static final String BRONZE_VERSION = "bronze_version";
    /** The expectation's name, or {@code decode}, {@code transform}, {@code tombstone}. */
    public static final String RULE = "rule";
    /** What was wrong, in words. */
    public static final String ERROR = "error";
    /** When the record was quarantined. */
    public static final String QUARANTINED_AT = "quarantined_at";
    /**
     * The kind of failure, a {@link io.streamlake.quality.QuarantineReason} name. Last and optional,
     * so that a quarantine table written before it existed evolves by one column.
     */
    public static final String REASON = "reason";

    /** The quarantine schema. */
    public static final Schema SCHEMA = Schema.builder()
            .optional(KEY, DataType.BINARY)
            .optional(VALUE, DataType.BINARY)
            .optional(HEADERS, DataType.map(DataType.BINARY))
            .required(SOURCE, DataType.STRING)
            .required(PARTITION, DataType.INT)
            .required(POSITION, DataType.LONG)
            .optional(SOURCE_TIMESTAMP, DataType.TIMESTAMP)
            .required(BRONZE_VERSION, DataType.LONG)
            .required(RULE, DataType.STRING)
            .optional(ERROR, DataType.STRING)
            .required(QUARANTINED_AT, DataType.TIMESTAMP)
            .optional(REASON, DataType.STRING)
            .build();

    private QuarantineLayout() {
    }

    /**
     * @param r the record set aside
     * @param bronzeVersion the bronze table version that holds it
     * @param rule the expectation's name, or {@code decode}, {@code transform}, {@code tombstone}
     * @param reason the kind of failure
     * @param error what was wrong, in words (never a secret)
     * @param now when it is quarantined
     * @return its quarantine row
     */
    public static Row of(SourceRecord r, long bronzeVersion, String rule, QuarantineReason reason, String error,
            Instant now) {
        return Row.of(SCHEMA, r.key(), r.value(), r.headers().isEmpty() ? null : r.headers(), r.partition().stream(),
                r.partition().id(), r.position(), r.timestamp(), bronzeVersion, rule, error, now, reason.name());
    }
}
