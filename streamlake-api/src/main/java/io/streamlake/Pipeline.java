package io.streamlake;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Schema;
import io.streamlake.source.Source;
import io.streamlake.spi.PipelineEngine;
import io.streamlake.table.TableRef;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
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
    /** Default number of rows after which silver starts a new data file. */
    public static final long DEFAULT_TARGET_FILE_ROWS = 1_000_000;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    private final Source source;
    private final TableRef bronze;
    private final @Nullable TableRef silver;
    private final @Nullable String silverKey;
    private final @Nullable Schema silverSchema;
    private final MergeStrategy mergeStrategy;
    private final String name;
    private final int maxBatchRecords;
    private final Duration pollTimeout;
    private final long targetFileRows;
    private final Map<String, String> storageOptions;

    private Pipeline(Source source, TableRef bronze, @Nullable TableRef silver, @Nullable String silverKey,
            @Nullable Schema silverSchema, MergeStrategy mergeStrategy, String name, int maxBatchRecords,
            Duration pollTimeout, long targetFileRows, Map<String, String> storageOptions) {
        this.source = source;
        this.bronze = bronze;
        this.silver = silver;
        this.silverKey = silverKey;
        this.silverSchema = silverSchema;
        this.mergeStrategy = mergeStrategy;
        this.name = name;
        this.maxBatchRecords = maxBatchRecords;
        this.pollTimeout = pollTimeout;
        this.targetFileRows = targetFileRows;
        this.storageOptions = storageOptions;
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
         * @param path local folder or Hadoop URI of the silver Delta table
         * @param keyColumn the column that identifies a row; silver holds one row per key
         * @return the pipeline, which still needs a schema ({@link Pipeline#withSchema(Schema)})
         */
        public Pipeline silver(String path, String keyColumn) {
            return silver(TableRef.path(path), keyColumn);
        }

        /**
         * @param table the silver table
         * @param keyColumn the column that identifies a row; silver holds one row per key
         * @return the pipeline, which still needs a schema ({@link Pipeline#withSchema(Schema)})
         */
        public Pipeline silver(TableRef table, String keyColumn) {
            Objects.requireNonNull(table, "table");
            Objects.requireNonNull(keyColumn, "keyColumn");
            return new Pipeline(source, bronze, table, keyColumn, null, MergeStrategies.lastWins(), DEFAULT_NAME,
                    DEFAULT_MAX_BATCH_RECORDS, DEFAULT_POLL_TIMEOUT, DEFAULT_TARGET_FILE_ROWS, Map.of());
        }

        /** @return a pipeline that lands raw events in bronze and has no silver table */
        public Pipeline bronzeOnly() {
            return new Pipeline(source, bronze, null, null, null, MergeStrategies.lastWins(), DEFAULT_NAME,
                    DEFAULT_MAX_BATCH_RECORDS, DEFAULT_POLL_TIMEOUT, DEFAULT_TARGET_FILE_ROWS, Map.of());
        }
    }

    /**
     * @param schema the silver columns; JSON values are decoded into it
     * @return a copy with this silver schema
     */
    public Pipeline withSchema(Schema schema) {
        Objects.requireNonNull(schema, "schema");
        return new Pipeline(source, bronze, silver, silverKey, schema, mergeStrategy, name, maxBatchRecords,
                pollTimeout, targetFileRows, storageOptions);
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
        return new Pipeline(source, bronze, silver, silverKey, silverSchema, strategy, name, maxBatchRecords,
                pollTimeout, targetFileRows, storageOptions);
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
        return new Pipeline(source, bronze, silver, silverKey, silverSchema, mergeStrategy, pipelineName,
                maxBatchRecords, pollTimeout, targetFileRows, storageOptions);
    }

    /**
     * @param maxRecords upper bound of records per micro-batch (default {@value #DEFAULT_MAX_BATCH_RECORDS})
     * @return a copy with this bound
     */
    public Pipeline withMaxBatchRecords(int maxRecords) {
        if (maxRecords < 1) {
            throw new ConfigurationException("maxBatchRecords must be at least 1, got " + maxRecords);
        }
        return new Pipeline(source, bronze, silver, silverKey, silverSchema, mergeStrategy, name, maxRecords,
                pollTimeout, targetFileRows, storageOptions);
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
        return new Pipeline(source, bronze, silver, silverKey, silverSchema, mergeStrategy, name, maxBatchRecords,
                timeout, targetFileRows, storageOptions);
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
        return new Pipeline(source, bronze, silver, silverKey, silverSchema, mergeStrategy, name, maxBatchRecords,
                pollTimeout, rows, storageOptions);
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
        Map<String, String> copy = new LinkedHashMap<>(storageOptions);
        copy.put(key, value);
        return new Pipeline(source, bronze, silver, silverKey, silverSchema, mergeStrategy, name, maxBatchRecords,
                pollTimeout, targetFileRows, Map.copyOf(copy));
    }

    /** @return the source */
    public Source source() {
        return source;
    }

    /** @return the bronze table */
    public TableRef bronze() {
        return bronze;
    }

    /** @return the silver table, empty for a bronze-only pipeline */
    public Optional<TableRef> silver() {
        return Optional.ofNullable(silver);
    }

    /** @return the silver key column, empty for a bronze-only pipeline */
    public Optional<String> silverKey() {
        return Optional.ofNullable(silverKey);
    }

    /** @return the declared silver schema, if any */
    public Optional<Schema> silverSchema() {
        return Optional.ofNullable(silverSchema);
    }

    /** @return the merge strategy */
    public MergeStrategy mergeStrategy() {
        return mergeStrategy;
    }

    /** @return the pipeline's name */
    public String name() {
        return name;
    }

    /** @return the upper bound of records per micro-batch */
    public int maxBatchRecords() {
        return maxBatchRecords;
    }

    /** @return how long one poll waits when the source is idle */
    public Duration pollTimeout() {
        return pollTimeout;
    }

    /** @return silver rows per data file */
    public long targetFileRows() {
        return targetFileRows;
    }

    /** @return the storage settings (secret values: do not log them) */
    public Map<String, String> storageOptions() {
        return storageOptions;
    }

    /**
     * Checks that the description can run: silver has a schema that contains the key, and the merge
     * strategy fits the schema. {@link #start()} calls it; call it yourself to fail early.
     *
     * @return this pipeline
     * @throws ConfigurationException saying what is missing and how to add it
     */
    public Pipeline validate() {
        if (silver == null) {
            return this;
        }
        if (silverSchema == null) {
            throw new ConfigurationException("silver table " + silver + " has no schema: declare one with"
                    + " withSchema(Schema.builder()...build()) or withRecordType(MyEvent.class)");
        }
        Field key = silverSchema.field(Objects.requireNonNull(silverKey)).orElseThrow(() -> new ConfigurationException(
                "silver key column '" + silverKey + "' is not in the schema " + silverSchema
                        + "; add it to the schema or pass the right key to silver(path, key)"));
        DataType.Kind kind = key.type().kind();
        if (kind == DataType.Kind.MAP || kind == DataType.Kind.BINARY || kind == DataType.Kind.DOUBLE) {
            throw new ConfigurationException("silver key column '" + silverKey + "' has type " + key.type()
                    + ", which cannot be a key; use a string, integer, long, date, timestamp or decimal column");
        }
        mergeStrategy.validate(silverSchema);
        return this;
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
        return engine().start(this, mode);
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

    private static PipelineEngine engine() {
        Iterator<PipelineEngine> engines = ServiceLoader.load(PipelineEngine.class, Pipeline.class.getClassLoader())
                .iterator();
        if (!engines.hasNext()) {
            throw new ConfigurationException("no StreamLake engine on the class path: add the dependency"
                    + " io.streamlake:streamlake-core (same version as streamlake-api)");
        }
        return engines.next();
    }

    /** @return the description without storage option values */
    @Override
    public String toString() {
        return "Pipeline[" + name + ": " + source.name() + " -> bronze " + bronze
                + (silver == null ? "" : " -> silver " + silver + " by " + silverKey + ", " + mergeStrategy)
                + (storageOptions.isEmpty() ? "" : ", storage options " + storageOptions.keySet())
                + "]";
    }
}
