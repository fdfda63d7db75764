package io.streamlake.table;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;

/**
 * The event log's columns ({@code Pipeline.withEventLog}): one row per commit of each flow and per
 * life-cycle event, for Spark or Databricks users to query as they query Delta Live Tables' event
 * log. A column a row has no value for is null.
 *
 * <pre>{@code
 * SELECT date_trunc('hour', timestamp) AS hour, sum(events) FROM delta.`lake/_events/orders`
 * WHERE event_type = 'flow_progress' AND flow = 'bronze' GROUP BY 1 ORDER BY 1
 * }</pre>
 */
public final class EventLogLayout {
    /** When it happened: the commit's time for a flow's row. */
    public static final String TIMESTAMP = "timestamp";
    /** The pipeline's name. */
    public static final String PIPELINE = "pipeline";
    /**
     * What happened: {@value #FLOW_PROGRESS}, {@value #COMPACTION}, {@value #SCHEMA_CHANGE},
     * {@value #STARTED}, {@value #STOPPED}, {@value #FAILED}, {@value #POSITIONS_SKIPPED} or
     * {@value #COMMIT_CONFLICT}.
     */
    public static final String EVENT_TYPE = "event_type";
    /** {@code bronze}, {@code silver} or {@code quarantine} for a flow's row; null for a life-cycle row. */
    public static final String FLOW = "flow";
    /** The version of the flow's table the row describes. */
    public static final String TABLE_VERSION = "table_version";
    /** The first bronze version the row covers (a bronze batch's own version; the first one a silver merge read). */
    public static final String BRONZE_FROM = "bronze_from";
    /** The last bronze version the row covers. */
    public static final String BRONZE_TO = "bronze_to";
    /** Events a bronze batch committed. */
    public static final String EVENTS = "events";
    /** Their keys' and values' bytes. */
    public static final String BYTES = "bytes";
    /** Silver rows a merge inserted, replaced or deleted. */
    public static final String ROWS_CHANGED = "rows_changed";
    /** Records a merge quarantined (on a quarantine row: the records its commit wrote). */
    public static final String QUARANTINED = "quarantined";
    /** Data files the commit added. */
    public static final String FILES_ADDED = "files_added";
    /** Data files the commit removed (a merge's rewritten files, a compaction's small ones). */
    public static final String FILES_REMOVED = "files_removed";
    /** How long the flow worked on the commit before committing: bronze writing, silver decoding and merging. */
    public static final String DURATION_MS = "duration_ms";
    /** A failure's message, or what a life-cycle row says in words. */
    public static final String MESSAGE = "message";
    /**
     * The rest, as JSON: a bronze batch's source positions per partition, a merge's expectation
     * counts per rule, a compaction's file counts, a skipped range.
     */
    public static final String DETAILS = "details";

    /** A commit of a flow: a bronze batch or a silver merge. */
    public static final String FLOW_PROGRESS = "flow_progress";
    /** A compaction's commit, which changed no data. */
    public static final String COMPACTION = "compaction";
    /** An erasure's commit to a flow table ({@code PipelineRun.erase}): its rows changed are the rows it removed. */
    public static final String ERASURE = "erasure";
    /** A commit that changed a flow table's schema. */
    public static final String SCHEMA_CHANGE = "schema_change";
    /** A run started. */
    public static final String STARTED = "started";
    /** A run stopped as asked, or caught up. */
    public static final String STOPPED = "stopped";
    /** A run stopped on an error. */
    public static final String FAILED = "failed";
    /** The source skipped positions it no longer held. */
    public static final String POSITIONS_SKIPPED = "positions_skipped";
    /** Another instance committed a batch's partitions first. */
    public static final String COMMIT_CONFLICT = "commit_conflict";

    /** The event log's schema, in this column order. */
    public static final Schema SCHEMA = Schema.builder()
            .required(TIMESTAMP, DataType.TIMESTAMP)
            .required(PIPELINE, DataType.STRING)
            .required(EVENT_TYPE, DataType.STRING)
            .optional(FLOW, DataType.STRING)
            .optional(TABLE_VERSION, DataType.LONG)
            .optional(BRONZE_FROM, DataType.LONG)
            .optional(BRONZE_TO, DataType.LONG)
            .optional(EVENTS, DataType.LONG)
            .optional(BYTES, DataType.LONG)
            .optional(ROWS_CHANGED, DataType.LONG)
            .optional(QUARANTINED, DataType.LONG)
            .optional(FILES_ADDED, DataType.LONG)
            .optional(FILES_REMOVED, DataType.LONG)
            .optional(DURATION_MS, DataType.LONG)
            .optional(MESSAGE, DataType.STRING)
            .optional(DETAILS, DataType.STRING)
            .build();

    private EventLogLayout() {
    }
}
