package io.streamlake;

import java.util.Collection;
import io.streamlake.table.Erasure;
import io.streamlake.event.PipelineListener;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.merge.CdcStrategy;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.merge.Scd1Strategy;
import io.streamlake.merge.Scd2Strategy;
import io.streamlake.quality.Expectation;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.source.RecordArchive;
import io.streamlake.source.Source;
import io.streamlake.table.PartitionValues;
import io.streamlake.table.TableRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * An immutable description of a medallion pipeline: a source, a bronze table of every raw event,
 * and optionally a silver table parsed and upserted by key. Defining a pipeline opens nothing;
 * {@link #start()} runs it. Every {@code withX} method returns a changed copy. The stages are typed
 * so that a wrong order does not compile: {@code from} offers only {@code bronze}, and
 * {@code bronze} offers {@code silver} or {@code bronzeOnly}.
 *
 * <pre>{@code
 * Pipeline pipeline = Pipeline.from(source)
 *     .bronze("lake/bronze/orders")
 *     .silver("lake/silver/orders", "order_id")
 *     .withSchema(Schema.fromRecord(Order.class))
 *     .withMergeStrategy(MergeStrategies.latestBy("updated_at"));
 *
 * pipeline.runUntilCaughtUp();                 // batch style: drain, commit, stop
 * try (PipelineRun run = pipeline.start()) {   // streaming: until stopped
 *     run.awaitTermination();
 * }
 * }</pre>
 *
 * <p>Progress lives in the tables' Delta logs, keyed by {@linkplain #withName(String) the pipeline's
 * name}: keep the name stable, or a restarted pipeline reads from the start position again.
 */
public final class Pipeline {

    /** Default name, and so default progress-marker prefix, of a pipeline. */
    public static final String DEFAULT_NAME = "streamlake";
    /** Default upper bound of records per micro-batch. */
    public static final int DEFAULT_MAX_BATCH_RECORDS = 200_000;
    /** Default time a poll waits for records when the source is idle. */
    public static final Duration DEFAULT_POLL_TIMEOUT = Duration.ofMillis(500);
    /**
     * Default bound of the bytes (keys and values) of one micro-batch: 64 MiB, or a thirty-second of
     * the JVM's maximum heap when that is less (8 MiB in a 256 MiB heap, never under 4 MiB).
     */
    public static final long DEFAULT_MAX_BATCH_BYTES = 64L << 20;
    /** Default time a batch's first record waits for more before the batch is committed: 250 ms. */
    public static final Duration DEFAULT_MAX_BATCH_DELAY = Duration.ofMillis(250);
    /**
     * Default number of bronze commits silver may be behind before bronze waits for it: 2. More lets
     * larger merges rewrite silver fewer times, but the records waiting for silver then live long
     * enough to be promoted, and the collector's work and the heap grow: 10M events over 1M keys on
     * 2 cores (`KafkaBenchmark`, two interleaved rounds) gave 168,814 and 168,052 events/s at 4.7 and
     * 3.9 GB peak RSS with 2, against 143,990 and 165,115 at 5.8 GB with 4, and 133,843 and 123,128
     * with 1.
     */
    public static final int DEFAULT_MAX_SILVER_LAG = 2;
    /** Default number of rows after which silver starts a new data file. */
    public static final long DEFAULT_TARGET_FILE_ROWS = 250_000;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    /** Default number of small files that makes a run compact a table. */
    public static final int DEFAULT_COMPACTION_MIN_FILES = 10;
    /** How often a run vacuums its tables by default: daily, as Delta Live Tables' maintenance does. */
    public static final Duration DEFAULT_VACUUM_INTERVAL = Duration.ofHours(24);
    /** Default size above which a payload is quarantined instead of decoded: Kafka's and Event Hubs' own limit. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

    /** The whole description; {@code withX} makes a new pipeline over a changed copy of it. */
    private final Spec spec;

    /**
     * Everything a pipeline holds, as one immutable value. A {@code withX} of the pipeline returns a new
     * pipeline over a copy of this record with its own components changed ({@link #with}): every copy goes
     * through {@link Draft#build()} and so the canonical constructor, so a component added here is a
     * compile error until the draft carries it along.
     * {@code PipelineWithTest.everyWithChangesExactlyItsOwnComponents} checks each option changes its own.
     *
     * @param silverKeys the silver key's columns, most significant first; empty for a bronze-only pipeline
     * @param writerParallelism 0: the available cores of the machine the pipeline runs on, read when it starts
     */
    private record Spec(
            Source source,
            TableRef bronze,
            @Nullable TableRef silver,
            List<String> silverKeys,
            @Nullable Schema silverSchema,
            MergeStrategy mergeStrategy,
            String name,
            int maxBatchRecords,
            long maxBatchBytes,
            Duration maxBatchDelay,
            int maxSilverLag,
            Duration pollTimeout,
            long targetFileRows,
            int maxValueBytes,
            Map<String, String> storageOptions,
            List<Expectation> expectations,
            List<Function<Row, @Nullable Row>> transforms,
            List<String> derivedColumns,
            @Nullable TableRef quarantine,
            @Nullable TableRef deleteMarkers,
            @Nullable TableRef eventLog,
            @Nullable TableRef changeFeed,
            List<String> partitionColumns,
            int compactionMinFiles,
            @Nullable Duration vacuumInterval,
            int writerParallelism,
            @Nullable RecordArchive archive,
            List<PipelineListener> listeners) {

        /** @return the defaults, over a source, bronze and (unless bronze-only) silver by a key */
        static Spec of(Source source, TableRef bronze, @Nullable TableRef silver, List<String> silverKeys) {
            return new Spec(source, bronze, silver, silverKeys, null, MergeStrategies.lastWins(), DEFAULT_NAME,
                    DEFAULT_MAX_BATCH_RECORDS, 0, DEFAULT_MAX_BATCH_DELAY,
                    DEFAULT_MAX_SILVER_LAG, DEFAULT_POLL_TIMEOUT, DEFAULT_TARGET_FILE_ROWS, DEFAULT_MAX_VALUE_BYTES,
                    SecretMap.of(Map.of()), List.of(), List.of(), List.of(), null, null, null, null, List.of(),
                    DEFAULT_COMPACTION_MIN_FILES, DEFAULT_VACUUM_INTERVAL, 0, null, List.of());
        }

        // One list of the components (Draft, build()) instead of one per option, and each option sets only its own.
        Spec with(Consumer<Draft> change) {
            Draft draft = new Draft();
            change.accept(draft);
            return draft.build();
        }

        /** A mutable copy of this spec, for {@link #with}: each field starts as the component of its name. */
        private final class Draft {
            Source source = Spec.this.source;
            TableRef bronze = Spec.this.bronze;
            @Nullable TableRef silver = Spec.this.silver;
            List<String> silverKeys = Spec.this.silverKeys;
            @Nullable Schema silverSchema = Spec.this.silverSchema;
            MergeStrategy mergeStrategy = Spec.this.mergeStrategy;
            String name = Spec.this.name;
            int maxBatchRecords = Spec.this.maxBatchRecords;
            long maxBatchBytes = Spec.this.maxBatchBytes;
            Duration maxBatchDelay = Spec.this.maxBatchDelay;
            int maxSilverLag = Spec.this.maxSilverLag;
            Duration pollTimeout = Spec.this.pollTimeout;
            long targetFileRows = Spec.this.targetFileRows;
            int maxValueBytes = Spec.this.maxValueBytes;
            Map<String, String> storageOptions = Spec.this.storageOptions;
            List<Expectation> expectations = Spec.this.expectations;
            List<Function<Row, @Nullable Row>> transforms = Spec.this.transforms;
            List<String> derivedColumns = Spec.this.derivedColumns;
            @Nullable TableRef quarantine = Spec.this.quarantine;
            @Nullable TableRef deleteMarkers = Spec.this.deleteMarkers;
            @Nullable TableRef eventLog = Spec.this.eventLog;
            @Nullable TableRef changeFeed = Spec.this.changeFeed;
            List<String> partitionColumns = Spec.this.partitionColumns;
            int compactionMinFiles = Spec.this.compactionMinFiles;
            @Nullable Duration vacuumInterval = Spec.this.vacuumInterval;
            int writerParallelism = Spec.this.writerParallelism;
            @Nullable RecordArchive archive = Spec.this.archive;
            List<PipelineListener> listeners = Spec.this.listeners;

            Spec build() {
                return new Spec(source, bronze, silver, silverKeys, silverSchema, mergeStrategy, name, maxBatchRecords,
                        maxBatchBytes, maxBatchDelay, maxSilverLag, pollTimeout, targetFileRows, maxValueBytes,
                        storageOptions, expectations, transforms,
                        derivedColumns, quarantine, deleteMarkers, eventLog, changeFeed, partitionColumns,
                        compactionMinFiles, vacuumInterval,
                        writerParallelism, archive, listeners);
            }
        }
    }

    private Pipeline(Spec spec) {
        this.spec = spec;
    }

    private static <T> List<T> append(List<T> list, T item) {
        List<T> copy = new ArrayList<>(list);
        copy.add(item);
        return Collections.unmodifiableList(copy);
    }

    /**
     * Starts a description.
     *
     * @param source where events come from
     * @return the next stage, which asks for the bronze table
     */
    public static SourceStage from(Source source) {
        return new SourceStage(Objects.requireNonNull(source, "source"));
    }

    /** The first stage: a source is known, the bronze table is next. */
    public static final class SourceStage {
        private final Source source;

        private SourceStage(Source source) {
            this.source = source;
        }

        /**
         * @param path local folder or Hadoop URI of the bronze Delta table
         * @return the next stage
         */
        public BronzeStage bronze(String path) {
            return bronze(TableRef.path(path));
        }

        /**
         * @param table the bronze table
         * @return the next stage
         */
        public BronzeStage bronze(TableRef table) {
            return new BronzeStage(source, Objects.requireNonNull(table, "table"));
        }
    }

    /** The second stage: source and bronze are known; add silver, or run bronze alone. */
    public static final class BronzeStage {
        private final Source source;
        private final TableRef bronze;

        private BronzeStage(Source source, TableRef bronze) {
            this.source = source;
            this.bronze = bronze;
        }

        /**
         * A silver table with one row per key. The key is one column, or several, as Delta Live
         * Tables' {@code KEYS (tenant_id, order_id)}: a row per combination of their values.
         *
         * <pre>{@code
         * .silver("/lake/silver/orders", "order_id")
         * .silver("/lake/silver/orders", "tenant_id", "order_id")   // a key of two columns
         * }</pre>
         *
         * @param path local folder or Hadoop URI of the silver Delta table
         * @param keyColumn the column that identifies a row, or the first of the key's columns
         * @param moreKeyColumns the key's other columns; silver files are sorted by the key's columns in
         *     this order, so put first the one queries filter by most
         * @return the pipeline, which still needs a schema ({@link Pipeline#withSchema(Schema)})
         */
        public Pipeline silver(String path, String keyColumn, String... moreKeyColumns) {
            return silver(TableRef.path(path), keyColumn, moreKeyColumns);
        }

        /**
         * @param table the silver table
         * @param keyColumn the column that identifies a row, or the first of the key's columns
         * @param moreKeyColumns the key's other columns, as in {@link #silver(String, String, String...)}
         * @return the pipeline, which still needs a schema ({@link Pipeline#withSchema(Schema)})
         * @throws IllegalArgumentException if a key column is named twice
         */
        public Pipeline silver(TableRef table, String keyColumn, String... moreKeyColumns) {
            Objects.requireNonNull(table, "table");
            List<String> keys = new ArrayList<>(1 + moreKeyColumns.length);
            keys.add(Objects.requireNonNull(keyColumn, "keyColumn"));
            for (String k : moreKeyColumns) {
                if (keys.contains(Objects.requireNonNull(k, "key column"))) {
                    throw new IllegalArgumentException("key column '" + k + "' is named twice in the silver key "
                            + keys + "; name each column once");
                }
                keys.add(k);
            }
            return new Pipeline(Spec.of(source, bronze, table, List.copyOf(keys)));
        }

        /** @return a pipeline that lands raw events in bronze and has no silver table */
        public Pipeline bronzeOnly() {
            return new Pipeline(Spec.of(source, bronze, null, List.of()));
        }
    }

    /**
     * @param schema the silver columns; JSON values are decoded into it
     * @return a copy with this silver schema
     */
    public Pipeline withSchema(Schema schema) {
        Objects.requireNonNull(schema, "schema");
        return new Pipeline(spec.with(d -> d.silverSchema = schema));
    }

    /**
     * @param recordClass a record whose components are the silver columns ({@link Schema#fromRecord})
     * @return a copy with the derived silver schema
     */
    public Pipeline withRecordType(Class<? extends Record> recordClass) {
        return withSchema(Schema.fromRecord(recordClass));
    }

    /**
     * @param strategy how an incoming row changes the row silver holds for its key
     * @return a copy with this strategy (the default is {@link MergeStrategies#lastWins()})
     */
    public Pipeline withMergeStrategy(MergeStrategy strategy) {
        Objects.requireNonNull(strategy, "strategy");
        return new Pipeline(spec.with(d -> d.mergeStrategy = strategy));
    }

    /**
     * @param pipelineName a stable name (letters, digits, '.', '_', '-'); prefixes the progress
     *     markers in the tables, so two pipelines can feed one table
     * @return a renamed copy
     */
    public Pipeline withName(String pipelineName) {
        Objects.requireNonNull(pipelineName, "pipelineName");
        if (!NAME.matcher(pipelineName).matches()) {
            throw new ConfigurationException("pipeline name '" + pipelineName + "' is not allowed: use 1 to 100"
                    + " letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return new Pipeline(spec.with(d -> d.name = pipelineName));
    }

    /**
     * @param maxRecords upper bound of records per micro-batch (default {@value #DEFAULT_MAX_BATCH_RECORDS})
     * @return a copy with this bound
     */
    public Pipeline withMaxBatchRecords(int maxRecords) {
        if (maxRecords < 1) {
            throw new ConfigurationException("maxBatchRecords must be at least 1, got " + maxRecords);
        }
        return new Pipeline(spec.with(d -> d.maxBatchRecords = maxRecords));
    }

    /**
     * Bounds a micro-batch by the bytes of its records' keys and values, besides their count: a
     * backlog of large events is committed in batches of about this size rather than
     * {@link #withMaxBatchRecords} of them at once, so the memory a batch holds stays bounded whatever
     * the event size. A single record larger than the bound still makes a batch of its own.
     *
     * <pre>{@code
     * pipeline.withMaxBatchBytes(16L << 20);   // 16 MiB per batch, for a small heap
     * }</pre>
     *
     * @param maxBytes at least 1 (default 64 MiB, or a thirty-second of the heap when that is less: a
     *     streaming run holds a batch being written, the next one being fetched and those silver has
     *     not merged, each about twice its bytes on the heap, so the default leaves most of a small
     *     heap to the writers and silver)
     * @return a copy with this bound
     */
    public Pipeline withMaxBatchBytes(long maxBytes) {
        if (maxBytes < 1) {
            throw new ConfigurationException("maxBatchBytes must be at least 1, got " + maxBytes);
        }
        return new Pipeline(spec.with(d -> d.maxBatchBytes = maxBytes));
    }

    /**
     * The latency trigger: a micro-batch is committed once it is full (by records or bytes) or once
     * its first record has waited this long for more, whichever comes first. A caught-up source is
     * committed at once, whatever this says; under a steady trickle it bounds how long an event waits
     * before its batch is written.
     *
     * <pre>{@code
     * pipeline.withMaxBatchDelay(Duration.ofSeconds(2));   // fewer, larger commits; staler tables
     * }</pre>
     *
     * @param delay not negative (default 250 ms); zero commits whatever one poll of the source returned
     * @return a copy with this delay
     */
    public Pipeline withMaxBatchDelay(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new ConfigurationException("max batch delay must not be negative, got " + delay);
        }
        return new Pipeline(spec.with(d -> d.maxBatchDelay = delay));
    }

    /**
     * Silver merges beside bronze, on a thread of its own, over every bronze commit since its last
     * merge at once; this bounds how far behind it may fall. When silver is this many bronze commits
     * behind, bronze waits for it before committing more (back-pressure), so a slow merge cannot let
     * the backlog between the tables, and the memory it holds, grow without end. One merge takes at
     * most this many batches' records and bytes (the bytes within a 24th of the heap, at most
     * 256 MiB, and never less than one batch): in a backlog, fewer and larger merges rewrite silver's
     * files fewer times.
     *
     * <pre>{@code
     * pipeline.withMaxSilverLag(1);   // bronze never more than one commit ahead of silver
     * }</pre>
     *
     * @param bronzeCommits at least 1 (default {@value #DEFAULT_MAX_SILVER_LAG})
     * @return a copy with this bound
     */
    public Pipeline withMaxSilverLag(int bronzeCommits) {
        if (bronzeCommits < 1) {
            throw new ConfigurationException("max silver lag must be at least 1 bronze commit, got " + bronzeCommits);
        }
        return new Pipeline(spec.with(d -> d.maxSilverLag = bronzeCommits));
    }

    /**
     * @param timeout how long one poll waits when the source is idle (default 500 ms)
     * @return a copy with this timeout
     */
    public Pipeline withPollTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new ConfigurationException("poll timeout must not be negative, got " + timeout);
        }
        return new Pipeline(spec.with(d -> d.pollTimeout = timeout));
    }

    /**
     * @param rows silver rows per data file before a new file is started (default
     *     {@value #DEFAULT_TARGET_FILE_ROWS}); smaller files make merges touch less data
     * @return a copy with this target
     */
    public Pipeline withTargetFileRows(long rows) {
        if (rows < 1) {
            throw new ConfigurationException("target file rows must be at least 1, got " + rows);
        }
        return new Pipeline(spec.with(d -> d.targetFileRows = rows));
    }

    /**
     * Adds a storage setting, passed to the Hadoop configuration of path tables (for example the
     * credentials of an {@code abfss://} account). Values are treated as secrets: never logged or printed.
     *
     * @param key a Hadoop configuration key
     * @param value its value
     * @return a copy with this setting
     */
    public Pipeline withStorageOption(String key, String value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        return withStorageOptions(Map.of(key, value));
    }

    /**
     * Adds storage settings, as {@link #withStorageOption} each; for example those of an ADLS Gen2
     * account from {@code io.streamlake.core.azure.AdlsGen2}:
     *
     * <pre>{@code
     * pipeline.withStorageOptions(AdlsGen2.entraId("mylake"))
     * }</pre>
     *
     * @param options Hadoop configuration keys and their values
     * @return a copy with these settings (a later value for the same key wins)
     */
    public Pipeline withStorageOptions(Map<String, String> options) {
        Objects.requireNonNull(options, "options");
        Map<String, String> merged = new LinkedHashMap<>(spec.storageOptions());
        options.forEach((k, v) -> merged.put(Objects.requireNonNull(k, "storage option key"),
                Objects.requireNonNull(v, () -> "value of storage option " + k)));
        return new Pipeline(spec.with(d -> d.storageOptions = SecretMap.of(merged)));
    }

    /**
     * Adds a data-quality rule, checked on every decoded silver row after the transforms, in the
     * order the rules were added. Rules of a large batch run on several threads at once: keep them
     * free of shared mutable state.
     *
     * @param expectation the rule and its action
     * @return a copy with the rule added
     */
    public Pipeline withExpectation(Expectation expectation) {
        Objects.requireNonNull(expectation, "expectation");
        for (Expectation e : spec.expectations()) {
            if (e.name().equals(expectation.name())) {
                throw new ConfigurationException("two expectations are named '" + expectation.name()
                        + "'; give each rule its own name, it identifies the rule in counts and quarantine rows");
            }
        }
        return new Pipeline(spec.with(d -> d.expectations = append(spec.expectations(), expectation)));
    }

    /**
     * Adds a transform applied to every decoded row before the expectations and the merge: it may
     * return a changed row of the same schema (see {@link Row#with(String, Object)}). Transforms,
     * filters and derived columns of a large batch run on several threads at once: keep them free of
     * shared mutable state.
     *
     * @param transform the row mapping
     * @return a copy with the transform added
     */
    public Pipeline withTransform(UnaryOperator<Row> transform) {
        Objects.requireNonNull(transform, "transform");
        return new Pipeline(spec.with(d -> d.transforms = append(spec.transforms(), transform::apply)));
    }

    /**
     * Adds a filter: rows for which it is false are left out of silver (bronze keeps the raw event).
     *
     * @param keep true for rows silver should hold
     * @return a copy with the filter added
     */
    public Pipeline withFilter(Predicate<Row> keep) {
        Objects.requireNonNull(keep, "keep");
        return new Pipeline(spec.with(d -> d.transforms = append(spec.transforms(), r -> keep.test(r) ? r : null)));
    }

    /**
     * Adds a derived column: a column of the silver schema that is computed from the row rather
     * than decoded, for example a date to partition or cluster by.
     *
     * <pre>{@code
     * .withDerivedColumn("order_date", r -> LocalDate.ofInstant(r.timestamp("updated_at"), ZoneOffset.UTC))
     * }</pre>
     *
     * @param column a column of the silver schema
     * @param value computes the column's value from the row
     * @return a copy with the derived column added
     */
    public Pipeline withDerivedColumn(String column, Function<Row, @Nullable Object> value) {
        Objects.requireNonNull(column, "column");
        Objects.requireNonNull(value, "value");
        return new Pipeline(spec.with(d -> {
            d.transforms = append(spec.transforms(), r -> r.with(column, value.apply(r)));
            d.derivedColumns = append(spec.derivedColumns(), column);
        }));
    }

    /**
     * Partitions the silver table by these columns, as Delta Lake does: each partition's data files
     * live in a folder {@code column=value/}, the values are kept in the log rather than in the files,
     * and readers that filter on a partition column skip the other partitions. The merge stays by
     * key: a key whose partition value changes moves from the old partition to the new one. The
     * quarantine, delete-marker and bronze tables are not partitioned. An existing table must have
     * been created with the same partition columns.
     *
     * <pre>{@code
     * pipeline.withDerivedColumn("order_date", r -> LocalDate.ofInstant(r.timestamp("updated_at"), ZoneOffset.UTC))
     *     .withPartitionColumns("order_date");
     * }</pre>
     *
     * @param columns columns of the silver schema of type string, int, long, date or boolean; not the key
     * @return a copy with these partition columns (none to leave silver unpartitioned)
     */
    public Pipeline withPartitionColumns(String... columns) {
        List<String> list = List.of(columns);
        return new Pipeline(spec.with(d -> d.partitionColumns = list));
    }

    /** @return silver's partition columns, empty when it is not partitioned */
    public List<String> partitionColumns() {
        return spec.partitionColumns();
    }

    /**
     * @return the columns computed by {@link #withDerivedColumn} rather than decoded, in the order
     *     added; the decoder does not ask the record for them, so a derived key or required column is
     *     checked once the transforms computed it
     */
    public List<String> derivedColumns() {
        return spec.derivedColumns();
    }

    /**
     * Sets the quarantine table, where records that cannot be decoded or that break a QUARANTINE
     * expectation go, with their original bytes, source position and the reason. The default for a
     * path silver table is the path followed by {@code _quarantine}.
     *
     * @param path local folder or Hadoop URI of the quarantine Delta table
     * @return a copy with this quarantine table
     */
    public Pipeline withQuarantine(String path) {
        return withQuarantine(TableRef.path(path));
    }

    /**
     * @param table the quarantine table
     * @return a copy with this quarantine table
     */
    public Pipeline withQuarantine(TableRef table) {
        Objects.requireNonNull(table, "table");
        return new Pipeline(spec.with(d -> d.quarantine = table));
    }

    /**
     * Sets the table where a {@code latestBy} or {@code scd2} strategy keeps its delete markers (see
     * {@link io.streamlake.merge.CdcStrategy#keepDeletesFor}): rows of recently deleted keys, so
     * that a late, older update does not bring a key back, and a delete that arrives first still
     * closes the SCD type 2 version it ends. The default for a path silver table
     * is the path followed by {@code _deletes}. The table is created when the first key is deleted.
     *
     * <pre>{@code
     * pipeline.withDeleteMarkers("abfss://lake@acct.dfs.core.windows.net/silver/orders_deletes")
     * }</pre>
     *
     * @param path local folder or Hadoop URI of the delete-marker Delta table
     * @return a copy with this delete-marker table
     */
    public Pipeline withDeleteMarkers(String path) {
        return withDeleteMarkers(TableRef.path(path));
    }

    /**
     * @param table the delete-marker table
     * @return a copy with this delete-marker table
     */
    public Pipeline withDeleteMarkers(TableRef table) {
        Objects.requireNonNull(table, "table");
        return new Pipeline(spec.with(d -> d.deleteMarkers = table));
    }

    /**
     * Also keeps an event log: a Delta table of what the pipeline did, which Spark or Databricks users
     * query like Delta Live Tables' event log. One row per commit of each flow (a bronze batch, a
     * silver merge, a compaction, a schema change) with its versions, counts and details, projected
     * from the commits' own records (so each appears exactly once, also after a crash), and one row
     * per start, stop, failure, skipped position range and commit conflict. Written on the pipeline's
     * thread at most once a second and when the run ends; a failed write is logged and tried again
     * with the next one, never stopping ingestion. The columns are {@link io.streamlake.table.EventLogLayout}'s.
     *
     * <pre>{@code
     * pipeline.withEventLog("lake/_events/orders");
     * }</pre>
     *
     * @param path local folder or Hadoop URI of the event-log Delta table
     * @return a copy that keeps an event log there
     */
    public Pipeline withEventLog(String path) {
        return withEventLog(TableRef.path(path));
    }

    /**
     * @param table the event-log table
     * @return a copy that keeps an event log in it
     */
    public Pipeline withEventLog(TableRef table) {
        Objects.requireNonNull(table, "table");
        return new Pipeline(spec.with(d -> d.eventLog = table));
    }

    /**
     * Also writes silver's change feed: an append-only Delta table of the row-level changes of every
     * silver version, in the row shape of Delta's change data feed. It holds silver's columns and
     * {@code _change_type} ({@code insert}, {@code update_preimage}, {@code update_postimage},
     * {@code delete}), {@code _commit_version} (the silver version that made the change) and
     * {@code _commit_timestamp} (that version's commit time); see {@link io.streamlake.table.ChangeFeedLayout}.
     * A gold table, a search index or a Kafka sink reads it with a plain streaming read
     * ({@code spark.readStream.format("delta").load(path)}) and sees every change once.
     *
     * <p>Each change is the difference between two silver versions, computed from the files a version
     * removed and added, so the feed holds what silver's merges, truncates and quarantine replays did,
     * and also what another writer (Spark DML while the pipeline was stopped) did; compactions change
     * no rows and add none. The feed is written after each silver commit and carries its own progress
     * marker (the last silver version it holds), so after a crash between the two commits the next
     * start writes the missing versions, once. It starts with the silver version current when it is
     * first created: earlier versions are not backfilled. The files a silver version removed must still
     * be there to diff it, which Delta's default retention (7 days) allows for any restart within it.
     *
     * <pre>{@code
     * pipeline.withChangeFeed("lake/silver/orders_changes");
     * }</pre>
     *
     * @param path local folder or Hadoop URI of the change-feed Delta table
     * @return a copy that writes silver's changes there
     */
    public Pipeline withChangeFeed(String path) {
        return withChangeFeed(TableRef.path(path));
    }

    /**
     * @param table the change-feed table
     * @return a copy that writes silver's changes to it
     */
    public Pipeline withChangeFeed(TableRef table) {
        Objects.requireNonNull(table, "table");
        return new Pipeline(spec.with(d -> d.changeFeed = table));
    }

    /** @return the change-feed table, empty when the pipeline writes none */
    public Optional<TableRef> changeFeed() {
        return Optional.ofNullable(spec.changeFeed());
    }

    /** @return the event-log table, empty when the pipeline keeps none */
    public Optional<TableRef> eventLog() {
        return Optional.ofNullable(spec.eventLog());
    }

    /**
     * @return the delete-marker table: the one set, or for a path silver table the path followed by
     *     {@code _deletes}; empty for a bronze-only pipeline or a silver table instance without one
     */
    public Optional<TableRef> deleteMarkers() {
        TableRef silver = spec.silver();
        if (spec.deleteMarkers() != null || silver == null) {
            return Optional.ofNullable(spec.deleteMarkers());
        }
        return silver.path().map(path -> TableRef.path(stripTrailingSlash(path) + "_deletes"));
    }

    /**
     * @param bytes payloads larger than this are quarantined instead of decoded (default 1 MiB)
     * @return a copy with this limit
     */
    public Pipeline withMaxValueBytes(int bytes) {
        if (bytes < 1) {
            throw new ConfigurationException("max value bytes must be at least 1, got " + bytes);
        }
        return new Pipeline(spec.with(d -> d.maxValueBytes = bytes));
    }

    /**
     * Sets when the run compacts its tables: when at least this many consecutive small files (under
     * half the target file rows) can be combined. Compaction runs in-process between micro-batches
     * and commits with dataChange=false, so streaming readers of the tables skip it.
     *
     * @param minSmallFiles at least 2 (default {@value #DEFAULT_COMPACTION_MIN_FILES}); see
     *     {@link #withoutCompaction()} to turn it off
     * @return a copy with this setting
     */
    public Pipeline withCompaction(int minSmallFiles) {
        if (minSmallFiles < 2) {
            throw new ConfigurationException("compaction needs at least 2 small files to combine, got "
                    + minSmallFiles + "; use withoutCompaction() to turn it off");
        }
        return new Pipeline(spec.with(d -> d.compactionMinFiles = minSmallFiles));
    }

    /** @return a copy that never compacts its tables (for example because another job does) */
    public Pipeline withoutCompaction() {
        return new Pipeline(spec.with(d -> d.compactionMinFiles = 0));
    }

    /**
     * Sets how often a run vacuums its tables (bronze, silver, the quarantine, the delete markers, the
     * change feed and the event log), as Delta's {@code VACUUM} does: deletes the data files that no
     * version within the table's retention needs ({@code delta.deletedFileRetentionDuration}, 7 days by
     * default), which are the files merges and compactions replaced and the orphans of crashed
     * writes, once they are older than the retention too. Time travel within the retention keeps
     * working. It runs on a thread of its own, a minute after the run starts (or after the interval,
     * if shorter) and then every interval; it commits nothing, so it never delays or races a batch,
     * and a failure is logged and tried again at the next interval. A paused run
     * ({@link PipelineRun#pause()}) does not start one.
     *
     * <pre>{@code
     * pipeline.withVacuum(Duration.ofHours(6));
     * }</pre>
     *
     * @param every how often (default {@link #DEFAULT_VACUUM_INTERVAL}, daily); see {@link #withoutVacuum()}
     * @return a copy with this setting
     */
    public Pipeline withVacuum(Duration every) {
        Objects.requireNonNull(every, "every");
        if (every.isNegative() || every.isZero()) {
            throw new ConfigurationException("vacuum interval must be positive, got " + every
                    + "; use withoutVacuum() to turn it off");
        }
        return new Pipeline(spec.with(d -> d.vacuumInterval = every));
    }

    /** @return a copy that never vacuums its tables (for example because another job does) */
    public Pipeline withoutVacuum() {
        return new Pipeline(spec.with(d -> d.vacuumInterval = null));
    }

    /** @return how often a run vacuums its tables; empty when it does not */
    public Optional<Duration> vacuumInterval() {
        return Optional.ofNullable(spec.vacuumInterval());
    }

    /**
     * Sets how many threads a micro-batch's work may use at once: bronze data files written side by
     * side (a large batch is cut into slices, one file each), silver decoding slices, and silver
     * files read and rewritten. The default is the number of cores the JVM sees when the run starts;
     * a lower value leaves cores to the application, a higher one can help where writes wait on
     * remote storage; 1 does everything on the pipeline's own thread.
     *
     * <pre>{@code
     * pipeline.withWriterParallelism(1);   // one file at a time, on the pipeline's thread
     * }</pre>
     *
     * @param threads at least 1
     * @return a copy with this setting
     */
    public Pipeline withWriterParallelism(int threads) {
        if (threads < 1) {
            throw new ConfigurationException("writer parallelism must be at least 1, got " + threads
                    + "; use 1 to write one file at a time");
        }
        return new Pipeline(spec.with(d -> d.writerParallelism = threads));
    }

    /** @return the writer parallelism set, or else the cores available to the JVM now */
    public int writerParallelism() {
        int threads = spec.writerParallelism();
        return threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Also writes every raw event, before its batch is committed to bronze, to an archive: a copy a
     * source without one of its own (a Kafka topic) keeps after the source's retention dropped the
     * events, and that tables can be rebuilt from. The archive's format is the archive's business;
     * streamlake-core's {@code io.streamlake.core.capture.CaptureArchive} writes the layout and schema of
     * Azure Event Hubs Capture, which its Capture backfill source reads back into the same partitions
     * and progress markers.
     *
     * <pre>{@code
     * Pipeline.from(KafkaSource.topics("broker:9092", "orders"))
     *     .bronze("lake/bronze/orders").bronzeOnly()
     *     .withName("orders-ingest")
     *     .withArchive(CaptureArchive.at("lake/archive", "orders-ingest"));   // root, namespace folder
     * }</pre>
     *
     * <p>The description holds the archive object itself, so every run started from it writes through
     * the same one: two runs at once (two partitions' pipelines from one description, say) call it from
     * two threads. The Capture archive keeps no state between calls; an archive that does must allow it.
     *
     * @param archive written on the pipeline's worker threads, one batch at a time, before each bronze commit
     * @return a copy that archives raw events
     */
    public Pipeline withArchive(RecordArchive archive) {
        Objects.requireNonNull(archive, "archive");
        return new Pipeline(spec.with(d -> d.archive = archive));
    }

    /** @return the archive every raw event is written to before its bronze commit, empty when none */
    public Optional<RecordArchive> archive() {
        return Optional.ofNullable(spec.archive());
    }

    /**
     * Also tells a listener what the pipeline does: started, each micro-batch committed (source
     * positions, rows, expectation results, timings), positions skipped, commit conflicts, failure,
     * stop. Listeners are called on the pipeline's thread in the order added and must not block; see
     * {@link PipelineListener}.
     *
     * <pre>{@code
     * pipeline.withListener(new PipelineListener() {
     *     @Override
     *     public void onFailed(PipelineFailed failed) {
     *         pager.raise(failed.pipeline() + ": " + failed.cause().getMessage());
     *     }
     * });
     * }</pre>
     *
     * @param listener called for every event of every run started from the copy
     * @return a copy with the listener added to those it already has
     */
    public Pipeline withListener(PipelineListener listener) {
        Objects.requireNonNull(listener, "listener");
        return new Pipeline(spec.with(d -> d.listeners = append(spec.listeners(), listener)));
    }

    /** @return the listeners, in the order they were added */
    public List<PipelineListener> listeners() {
        return spec.listeners();
    }

    /** @return the number of small files that triggers compaction, 0 when compaction is off */
    public int compactionMinFiles() {
        return spec.compactionMinFiles();
    }

    /** @return the data-quality rules, in order */
    public List<Expectation> expectations() {
        return spec.expectations();
    }

    /**
     * @return the transforms, filters and derived columns in the order they were added; each returns
     *     the new row, or null to leave the row out
     */
    public List<Function<Row, @Nullable Row>> transforms() {
        return spec.transforms();
    }

    /**
     * @return the quarantine table: the one set, or for a path silver table the path followed by
     *     {@code _quarantine}; empty for a bronze-only pipeline or a silver table instance without one
     */
    public Optional<TableRef> quarantine() {
        TableRef silver = spec.silver();
        if (spec.quarantine() != null || silver == null) {
            return Optional.ofNullable(spec.quarantine());
        }
        return silver.path().map(path -> TableRef.path(stripTrailingSlash(path) + "_quarantine"));
    }

    private static String stripTrailingSlash(String path) {
        return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    /** @return payloads larger than this are quarantined instead of decoded */
    public int maxValueBytes() {
        return spec.maxValueBytes();
    }

    /** @return the source */
    public Source source() {
        return spec.source();
    }

    /** @return the bronze table */
    public TableRef bronze() {
        return spec.bronze();
    }

    /** @return the silver table, empty for a bronze-only pipeline */
    public Optional<TableRef> silver() {
        return Optional.ofNullable(spec.silver());
    }

    /**
     * @return the silver key's columns, most significant first (one for most pipelines); empty for a
     *     bronze-only pipeline
     */
    public List<String> silverKeys() {
        return spec.silverKeys();
    }

    /** @return the declared silver schema, if any */
    public Optional<Schema> silverSchema() {
        return Optional.ofNullable(spec.silverSchema());
    }

    /** @return the merge strategy */
    public MergeStrategy mergeStrategy() {
        return spec.mergeStrategy();
    }

    /** @return the pipeline's name */
    public String name() {
        return spec.name();
    }

    /** @return the upper bound of records per micro-batch */
    public int maxBatchRecords() {
        return spec.maxBatchRecords();
    }

    /**
     * @return the upper bound of the bytes of a micro-batch's keys and values: as set, or else the
     *     default for this JVM's heap ({@link #DEFAULT_MAX_BATCH_BYTES})
     */
    public long maxBatchBytes() {
        long set = spec.maxBatchBytes();
        return set > 0 ? set : defaultMaxBatchBytes(Runtime.getRuntime().maxMemory());
    }

    /** @return the default batch byte bound for a heap of at most {@code maxHeap} bytes */
    static long defaultMaxBatchBytes(long maxHeap) {
        return Math.min(DEFAULT_MAX_BATCH_BYTES, Math.max(4L << 20, maxHeap / 32));
    }

    /** @return how long a micro-batch's first record waits for more before the batch is committed */
    public Duration maxBatchDelay() {
        return spec.maxBatchDelay();
    }

    /** @return how many bronze commits silver may be behind before bronze waits for it */
    public int maxSilverLag() {
        return spec.maxSilverLag();
    }

    /** @return how long one poll waits when the source is idle */
    public Duration pollTimeout() {
        return spec.pollTimeout();
    }

    /** @return silver rows per data file */
    public long targetFileRows() {
        return spec.targetFileRows();
    }

    /**
     * @return the storage settings, an immutable {@link SecretMap} whose {@code toString()} masks every
     *     value (secret values: do not log them one by one, nor a copy of the map)
     */
    public Map<String, String> storageOptions() {
        return spec.storageOptions();
    }

    /**
     * Checks that the description can run: silver has a schema that contains the key, and the merge
     * strategy fits the schema. {@link #start()} calls it; call it yourself to fail early.
     *
     * @return this pipeline
     * @throws ConfigurationException saying what is missing and how to add it
     */
    public Pipeline validate() {
        TableRef silver = spec.silver();
        if (silver == null) {
            if (spec.changeFeed() != null) {
                throw new ConfigurationException("pipeline " + spec.name() + " writes a change feed to "
                        + spec.changeFeed() + " but has no silver table: a change feed holds silver's changes;"
                        + " add silver(path, key) or remove withChangeFeed");
            }
            return this;
        }
        Schema schema = spec.silverSchema();
        if (schema == null) {
            throw new ConfigurationException("silver table " + silver + " has no schema: declare one with"
                    + " withSchema(Schema.builder()...build()) or withRecordType(MyEvent.class)");
        }
        List<String> keys = spec.silverKeys();
        List<String> partitions = spec.partitionColumns();
        MergeStrategy strategy = spec.mergeStrategy();
        for (String column : keys) {
            Field key = schema.field(column).orElseThrow(() -> new ConfigurationException(
                    "silver key column '" + column + "' is not in the schema " + schema
                            + "; add it to the schema or pass the right key to silver(path, key...)"));
            DataType.Kind kind = key.type().kind();
            if (kind == DataType.Kind.MAP || kind == DataType.Kind.BINARY || kind == DataType.Kind.DOUBLE) {
                throw new ConfigurationException("silver key column '" + column + "' has type " + key.type()
                        + ", which cannot be a key; use a string, integer, long, date, timestamp or decimal column");
            }
        }
        for (String derived : spec.derivedColumns()) {
            if (schema.indexOf(derived) < 0) {
                throw new ConfigurationException("derived column '" + derived + "' is not in the silver schema "
                        + schema + "; declare it in the schema (optional, of the type it computes)");
            }
        }
        PartitionValues.check(schema, partitions, String.valueOf(silver));
        if (partitions.containsAll(keys)) {
            throw new ConfigurationException("silver key " + keyDescription() + " cannot partition silver table "
                    + silver + ": every key would get a folder of its own; partition by a column many keys share,"
                    + " such as a date" + (keys.size() > 1 ? ", or by some of the key's columns only" : ""));
        }
        strategy.validate(schema, keys);
        checkStored(strategy.storedSchema(schema));
        if (strategy instanceof CdcStrategy<?> s && s.keepsKeyState() && deleteMarkers().isEmpty()) {
            boolean columns = s instanceof Scd1Strategy one && (one.tracksColumnSequences() || one.keepsRowSequences());
            throw new ConfigurationException(strategy + (columns
                    ? " keeps sequence values beside silver (for ignoreNullUpdates, or a sequence column silver leaves out)"
                    : s instanceof Scd2Strategy ? " keeps delete markers and the events its versions absorbed beside"
                            + " silver (so that late events are placed exactly)"
                            : " keeps delete markers")
                    + ", but silver table " + silver + " is a table instance and no"
                    + " delete-marker table is set: add withDeleteMarkers(table)" + (columns ? ""
                            : ", or keep none with keepDeletesFor(Duration.ZERO)"));
        }
        return this;
    }

    /**
     * Checks the columns the strategy stores: declared ones, as declared, among them every column
     * the table cannot be written without.
     */
    private void checkStored(Schema stored) {
        MergeStrategy strategy = spec.mergeStrategy();
        TableRef silver = spec.silver();
        Schema declared = Objects.requireNonNull(spec.silverSchema());
        for (Field f : stored.fields()) {
            if (!declared.field(f.name()).map(f::equals).orElse(false)) {
                throw new ConfigurationException("merge strategy " + strategy + " stores column " + f
                        + ", which the silver schema " + declared + " does not declare so; a strategy stores some"
                        + " of the declared columns, unchanged");
            }
        }
        List<String> needed = new ArrayList<>();
        needed.addAll(spec.silverKeys());
        if (!(strategy instanceof Scd1Strategy one && one.keepsRowSequences())) {
            needed.addAll(strategy.sequenceColumns());
        }
        for (String c : needed) {
            if (stored.indexOf(c) < 0) {
                throw new ConfigurationException("merge strategy " + strategy + " leaves column '" + c
                        + "' out of silver table " + silver + ", but it is the key or a sequence column, which rows"
                        + " read back from silver must hold; store it");
            }
        }
        for (String c : spec.partitionColumns()) {
            if (stored.indexOf(c) < 0) {
                throw new ConfigurationException("merge strategy " + strategy + " leaves column '" + c
                        + "' out of silver table " + silver + ", but the table is partitioned by it, and Delta keeps"
                        + " partition columns in the table; keep it (remove it from dropColumns or add it to"
                        + " keepColumns), or partition by another column");
            }
        }
    }

    /**
     * Starts a streaming run that polls until stopped.
     *
     * @return the running pipeline; close it to stop
     */
    public PipelineRun start() {
        return start(RunMode.CONTINUOUS);
    }

    /**
     * @param mode how long to run
     * @return the running pipeline; close it to stop
     */
    public PipelineRun start(RunMode mode) {
        Objects.requireNonNull(mode, "mode");
        validate();
        return PipelineEngine.load().start(this, mode);
    }

    /**
     * Drains what the source holds now into bronze and silver, then returns: a batch-style run.
     *
     * @return the final progress
     * @throws io.streamlake.exceptions.StreamLakeException if the run failed
     */
    public PipelineProgress runUntilCaughtUp() {
        try (PipelineRun run = start(RunMode.UNTIL_CAUGHT_UP)) {
            run.awaitTermination();
            return run.progress();
        }
    }

    /**
     * Sends the quarantined records through decode, transforms, expectations and merge again, for
     * example after a schema or a rule was fixed, or after the records were corrected in the
     * quarantine table (with Spark, say). Records that pass now enter silver, merged by the strategy
     * as if they arrived now; the others stay in quarantine with their new reason. Safe to run while
     * the pipeline runs, and safe to repeat after a crash: no record enters silver twice.
     *
     * <pre>{@code
     * long fixed = pipeline.withSchema(correctedSchema).replayQuarantine();
     * }</pre>
     *
     * @return records that left the quarantine
     * @throws ConfigurationException for a pipeline without silver or quarantine table
     */
    public long replayQuarantine() {
        validate();
        if (spec.silver() == null || quarantine().isEmpty()) {
            throw new ConfigurationException("pipeline " + spec.name() + " has no "
                    + (spec.silver() == null ? "silver" : "quarantine")
                    + " table, so there is nothing to replay; set one with withQuarantine(path)");
        }
        return PipelineEngine.load().replayQuarantine(this);
    }

    /**
     * Erases keys from the pipeline's tables when it is not running in this process, as
     * {@link PipelineRun#erase} does for a running one (see there for what is erased and how it stays
     * erased). If other instances of the pipeline run meanwhile, each commit here is checked against
     * theirs and tried again when one of theirs came first; with a run in this process, use
     * {@link PipelineRun#erase}, which pauses it.
     *
     * <pre>{@code
     * Erasure e = pipeline.erase(List.of("c-42"));
     * }</pre>
     *
     * @param keys the keys, as {@link PipelineRun#erase} takes them
     * @return what was removed, table by table
     * @throws ConfigurationException for a pipeline without silver table
     * @throws IllegalArgumentException if a key does not fit the key columns
     */
    public Erasure erase(Collection<?> keys) {
        validate();
        return PipelineEngine.load().erase(this, keys);
    }

    /** @return the key as users name it: {@code order_id}, or {@code (tenant_id, order_id)} for several columns */
    private String keyDescription() {
        List<String> keys = spec.silverKeys();
        return keys.size() == 1 ? keys.get(0) : "(" + String.join(", ", keys) + ")";
    }

    /** @return the description without storage option values */
    @Override
    public String toString() {
        return "Pipeline[" + spec.name() + ": " + spec.source().name() + " -> bronze " + spec.bronze()
                + (spec.silver() == null ? ""
                        : " -> silver " + spec.silver() + " by " + keyDescription() + ", " + spec.mergeStrategy())
                + (spec.partitionColumns().isEmpty() ? "" : ", partitioned by " + spec.partitionColumns())
                + (spec.expectations().isEmpty() ? "" : ", expectations " + spec.expectations())
                + (spec.storageOptions().isEmpty() ? "" : ", storage options " + spec.storageOptions().keySet())
                + (spec.archive() == null ? "" : ", archive " + spec.archive())
                + (spec.changeFeed() == null ? "" : ", change feed " + spec.changeFeed())
                + "]";
    }
}
