package io.streamlake.core.delta;

import io.delta.standalone.DeltaLog;
import io.delta.standalone.Operation;
import io.delta.standalone.OptimisticTransaction;
import io.delta.standalone.Snapshot;
import io.delta.standalone.VersionLog;
import io.delta.standalone.actions.Action;
import io.delta.standalone.actions.AddFile;
import io.delta.standalone.actions.CommitInfo;
import io.delta.standalone.actions.Metadata;
import io.delta.standalone.actions.Protocol;
import io.delta.standalone.actions.RemoveFile;
import io.delta.standalone.exceptions.DeltaConcurrentModificationException;
import io.delta.standalone.internal.DeltaLogImpl;
import io.delta.standalone.internal.SnapshotImpl;
import io.delta.standalone.types.StructField;
import io.delta.standalone.types.StructType;
import io.delta.storage.CloseableIterator;
import io.streamlake.core.azure.AzureStorage;
import io.streamlake.core.storage.Redactor;
import io.streamlake.core.storage.StorageLocation;
import io.streamlake.core.util.FileJoiner;
import io.streamlake.core.util.RowCursor;
import io.streamlake.exceptions.CommitConflictException;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.exceptions.SinkException;
import io.streamlake.exceptions.StreamLakeException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.schema.SchemaEvolution;
import io.streamlake.table.BronzeFiles;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.FileChanges;
import io.streamlake.table.PartitionValues;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.Table;
import io.streamlake.table.TableChange;
import io.streamlake.table.TableCommit;
import io.streamlake.table.TableSnapshot;
import io.streamlake.table.Vacuumed;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.InputFile;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Delta Lake table on a local folder or any Hadoop file system ({@code abfss://}, {@code s3a://}),
 * implementing the {@link Table} SPI. Data files are snappy-compressed Parquet at the table root,
 * or for a partitioned table in its {@code column=value/} folders and without the partition
 * columns (their values are in the log), each with Delta statistics; the log is written by delta-standalone with protocol (1, 2), which
 * Spark, Databricks, Delta Kernel, delta-rs and DuckDB all read.
 *
 * <pre>{@code
 * DeltaTable table = DeltaTable.open("abfss://lake@acct.dfs.core.windows.net/bronze/orders",
 *         Map.of("fs.azure.account.key.acct.dfs.core.windows.net", accountKey));
 * table.create(schema);
 * try (DataFileWriter w = table.newDataFile(schema)) {
 *     rows.forEach(w::write);
 *     long version = table.newCommit()
 *         .add(w.finish())
 *         .expectTransaction("orders-pipeline/orders/0", 41)
 *         .setTransaction("orders-pipeline/orders/0", 99)
 *         .commit("STREAMING UPDATE");
 * }
 * }</pre>
 *
 * <p>One instance serves one writer thread and any number of readers (progress, metrics). The
 * iterator {@link #read} returns also implements {@link AutoCloseable}: close it when you stop
 * before its end. {@link #changes} leaves out versions that added no new data. Within one JVM,
 * commits to the same local folder are serialized, because local file systems lack the atomic
 * put-if-absent that Delta's optimistic concurrency relies on; across processes, use a cloud store.
 *
 * <p>Checkpoints (every {@code delta.checkpointInterval} commits, 10 by default) and the expired log's
 * cleanup run on a daemon thread per table root, {@code streamlake-checkpoint}, not inside
 * {@code commit()}: see {@code BackgroundCheckpoints}. {@link #awaitCheckpoints} waits for them.
 */
public final class DeltaTable implements Table, BronzeFiles, RowCursor.Source, FileJoiner {
    private static final Logger LOG = LoggerFactory.getLogger(DeltaTable.class);
    /** The live files of the version listed last, which the next listing starts from. */
    private final LiveFiles liveFiles = new LiveFiles(this);

    /** delta-standalone's refusal of a newer protocol (its own {@code DeltaErrors}, not the package's). */
    private static final Class<?> INVALID_PROTOCOL =
            io.delta.standalone.internal.exception.DeltaErrors.InvalidProtocolVersionException.class;

    static final String ENGINE_INFO = "StreamLake/" + Optional.ofNullable(
            DeltaTable.class.getPackage().getImplementationVersion()).orElse("dev");

    /** The highest protocol delta-standalone 3.3.2 writes; newer tables use features it would corrupt. */
    static final int MAX_READER_VERSION = 1;
    static final int MAX_WRITER_VERSION = 2;

    private static final Pattern PROTOCOL_IN_MESSAGE = Pattern.compile("\\((\\d+)\\s*,\\s*(\\d+)\\)");
    /**
     * One lock per local table root in the JVM, shared by every {@code DeltaTable} opened on it: the
     * local log store's put-if-absent is a hard link, atomic on its own, but delta-standalone's
     * post-commit work (checkpoint, log cleanup) is not written for two committers of one JVM at once.
     * A concurrent map, so that two threads asking for the same root get the same lock; entries are
     * never removed (one small lock per table path the process ever committed to).
     */
    private static final Map<String, ReentrantLock> LOCAL_COMMIT_LOCKS = new ConcurrentHashMap<>();

    private final String location;
    private final Path root;
    /**
     * Shared by every file, reader and commit of this table, on every writer thread: safe because
     * nothing writes to it after {@link #open} built it (Hadoop synchronizes the lazy loading of its
     * properties). Local tables bypass Hadoop's file-system cache, so each file gets a file-system
     * object of its own; other schemes share the cached instance, which Hadoop's connectors make for
     * concurrent use.
     */
    private final Configuration conf;
    private final Redactor redactor;
    private final boolean local;
    /** Whether this table writes its checkpoints in the background ({@link BackgroundCheckpoints#prepare}). */
    private final boolean backgroundCheckpoints;
    private final Object logLock = new Object();
    /**
     * delta-standalone's log object, shared by the threads of a run (the pipeline thread commits, the
     * prefetch thread reads markers, the checkpoint thread reads snapshots and writes checkpoints,
     * which commits never wait for): its snapshot updates are synchronized inside delta-standalone,
     * each commit uses a transaction of its own, and marker reads go through {@link TxnMarkers}, whose
     * comment says why it is safe to share.
     */
    private volatile @Nullable DeltaLog log;
    /** The markers by version, for every thread of the run: see {@link TxnMarkers} for why sharing it is safe. */
    private final TxnMarkers markers = new TxnMarkers(this);

    private DeltaTable(String location, Path root, Configuration conf, Redactor redactor, boolean local,
            boolean backgroundCheckpoints) {
        this.location = location;
        this.root = root;
        this.conf = conf;
        this.redactor = redactor;
        this.local = local;
        this.backgroundCheckpoints = backgroundCheckpoints;
    }

    /**
     * Opens (without touching storage) the table at a path.
     *
     * @param path a local folder, relative or absolute, or a Hadoop URI such as
     *     {@code abfss://container@account.dfs.core.windows.net/dir}, passed to Hadoop untouched
     * @param hadoopOptions Hadoop configuration for the file system (credentials included); the values
     *     are treated as secrets and never appear in messages, logs or {@code toString()}
     * @return the table
     * @throws ConfigurationException if the path is blank or not a valid location, or an Azure account
     *     key or SAS token among the options is malformed (checked before Hadoop sees it), or an
     *     {@code abfs(s)://} table lacks its driver or credentials: see {@link AzureStorage#locate}
     */
    public static DeltaTable open(String path, Map<String, String> hadoopOptions) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(hadoopOptions, "hadoopOptions");
        StorageLocation at = AzureStorage.locate(path, hadoopOptions);
        LogStores.prepare(at.conf(), at.path());
        boolean backgroundCheckpoints = BackgroundCheckpoints.prepare(at.conf());
        return new DeltaTable(at.toString(), at.path(), at.conf(), at.redactor(), at.isLocal(),
                backgroundCheckpoints);
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public TableSnapshot snapshot() {
        Snapshot s;
        try {
            // what startTransaction() did here before, without a transaction that was never committed
            s = log().update();
        } catch (Exception e) {
            throw translate("cannot read the latest version", e,
                    "check that the table location is reachable and readable");
        }
        long version = s.getVersion();
        return version < 0 ? DeltaSnapshot.absent(this) : new DeltaSnapshot(this, version, s);
    }

    @Override
    public TableSnapshot create(Schema schema) {
        return create(schema, List.of());
    }

    @Override
    public TableSnapshot create(Schema schema, List<String> partitionColumns) {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(partitionColumns, "partitionColumns");
        DeltaSchemas.checkColumnNames(schema);
        PartitionValues.check(schema, partitionColumns, location);
        DeltaLog l = log();
        for (int attempt = 0;; attempt++) {
            OptimisticTransaction txn = begin(l, "cannot read the table before creating it");
            if (txn.readVersion() >= 0) {
                return checkExisting(l, txn, schema, partitionColumns);
            }
            Metadata metadata = Metadata.builder().schema(DeltaSchemas.toDelta(schema))
                    .partitionColumns(partitionColumns).build();
            try {
                withCommitLock(() -> txn.commit(List.of(metadata), new Operation(Operation.Name.CREATE_TABLE),
                        ENGINE_INFO));
                LOG.info("created Delta table {} with schema {}", location, schema);
                return snapshot();
            } catch (DeltaConcurrentModificationException e) {
                // Another process created the table first: from now on it exists, so check its schema.
                if (attempt > 2) {
                    throw DeltaErrors.createKeptConflicting(this, txn.readVersion(), e);
                }
                LOG.info("Delta table {} was created concurrently; checking its schema", location);
            } catch (Exception e) {
                throw translate("cannot create the table", e, "check that the location is writable");
            }
        }
    }

    private TableSnapshot checkExisting(DeltaLog l, OptimisticTransaction txn, Schema requested,
            List<String> partitionColumns) {
        long version = txn.readVersion();
        Snapshot s = snapshotAt(l, version);
        checkProtocol(s);
        checkInvariants(s.getMetadata().getSchema());
        List<String> existingPartitions = s.getMetadata().getPartitionColumns();
        if (!existingPartitions.equals(partitionColumns)) {
            throw DeltaErrors.partitioningDiffers(this, existingPartitions, partitionColumns);
        }
        StructType struct = s.getMetadata().getSchema();
        Schema existing;
        try {
            existing = DeltaSchemas.fromDelta(struct == null ? new StructType() : struct, location);
        } catch (SchemaMismatchException e) {
            throw DeltaErrors.existingSchemaUnreadable(e, requested, struct);
        }
        Schema evolved = SchemaEvolution.evolve(location, existing, requested);
        if (!evolved.equals(existing)) {
            return addColumns(txn, s, existing, evolved);
        }
        return new DeltaSnapshot(this, version, s);
    }

    /** Adds the declared schema's new nullable columns to the table, in a commit of its own. */
    private TableSnapshot addColumns(OptimisticTransaction txn, Snapshot s, Schema existing, Schema evolved) {
        Metadata grown = s.getMetadata().copyBuilder().schema(DeltaSchemas.toDelta(evolved)).build();
        try {
            txn.updateMetadata(grown);
            withCommitLock(() -> txn.commit(List.of(), new Operation(Operation.Name.ADD_COLUMNS), ENGINE_INFO));
        } catch (DeltaConcurrentModificationException e) {
            throw DeltaErrors.addColumnsConflict(this, txn.readVersion(), e);
        } catch (Exception e) {
            throw translate("cannot add columns to the table", e, "check that the location is writable");
        }
        LOG.info("evolved the schema of Delta table {} from {} to {}", location, existing, evolved);
        return snapshot();
    }

    /**
     * Refuses a table with column invariants ({@code delta.invariants} in a column's metadata, which
     * protocol (1, 2) allows): delta-standalone ignores them, and StreamLake writes its own files, so
     * rows that break them would be written where Spark would refuse them.
     *
     * @throws ConfigurationException naming the first column that has one, and its expression
     */
    private void checkInvariants(@Nullable StructType struct) {
        if (struct == null) {
            return;
        }
        for (StructField field : struct.getFields()) {
            Object invariant = field.getMetadata().get(INVARIANTS);
            if (invariant != null) {
                throw DeltaErrors.invariantNotHonoured(this, field.getName(), String.valueOf(invariant));
            }
            if (field.getDataType() instanceof StructType nested) {
                checkInvariants(nested);
            }
        }
    }

    /** The column metadata key of Delta's (legacy) column invariants. */
    private static final String INVARIANTS = "delta.invariants";

    /**
     * @throws SinkException if the table uses a protocol newer than delta-standalone can write
     */
    private void checkProtocol(Snapshot s) {
        // The public Snapshot hides the protocol; the implementation class exposes it.
        if (s instanceof SnapshotImpl impl) {
            Protocol p = impl.protocol();
            if (p.getMinReaderVersion() > MAX_READER_VERSION || p.getMinWriterVersion() > MAX_WRITER_VERSION) {
                throw DeltaErrors.protocolTooNew(this, p.getMinReaderVersion(), p.getMinWriterVersion(), null);
            }
        }
    }

    @Override
    public DataFileWriter newDataFile(Schema schema) {
        Objects.requireNonNull(schema, "schema");
        return new DeltaFileWriter(this, schema);
    }

    @Override
    public DataFileWriter newDataFile(Schema schema, Map<String, @Nullable String> partitionValues) {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(partitionValues, "partitionValues");
        return new DeltaFileWriter(this, schema, partitionValues);
    }

    @Override
    public DataFileWriter newDataFile(Schema schema, Map<String, @Nullable String> partitionValues,
            Set<String> distinctColumns) {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(partitionValues, "partitionValues");
        return new DeltaFileWriter(this, schema, partitionValues, Set.copyOf(distinctColumns),
                ParquetColumnFile.Limits.DEFAULT);
    }

    /**
     * A new data file in the bronze layout ({@code BronzeLayout.SCHEMA}), written from source records
     * without building rows: the bronze write path. Commit it like any other data file.
     *
     * @param ingestionTime the {@code ingestion_time} of every row of the file
     */
    @Override
    public BronzeFileWriter newBronzeFile(Instant ingestionTime) {
        Objects.requireNonNull(ingestionTime, "ingestionTime");
        return new BronzeFileWriter(this, ingestionTime);
    }

    @Override
    public Iterator<Row> read(DataFile file, Schema schema) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(schema, "schema");
        Path path = resolve(file.path());
        ParquetReader<Row> reader;
        try {
            reader = new ReaderBuilder(HadoopInputFile.fromPath(path, conf), readSupport(file, schema))
                    .withConf(conf)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw readFailure(file.path(), e);
        }
        ParquetRowIterator rows = new ParquetRowIterator(this, file.path(), reader);
        // Opens the file and checks its columns now, so that a missing or mismatched file fails here.
        rows.hasNext();
        return rows;
    }

    /**
     * A cursor over an unpartitioned file whose Parquet schema is exactly the one this library writes
     * for {@code schema} and whose columns are flat (no maps); null for any other file, which the
     * caller reads with {@link #read}.
     */
    @Override
    public @Nullable RowCursor cursor(DataFile file, Schema schema) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(schema, "schema");
        return DataFileCursor.open(this, file, schema);
    }

    /**
     * Joins files by copying their row groups ({@link JoinedFile}): files whose Parquet schema is
     * exactly the one this library writes for {@code schema}, of one partition; null for any others.
     */
    @Override
    public @Nullable DataFile join(List<DataFile> files, Schema schema) {
        Objects.requireNonNull(files, "files");
        Objects.requireNonNull(schema, "schema");
        return JoinedFile.join(this, files, schema);
    }

    /** Reads a partitioned table's files with their partition values, which the files do not hold. */
    private RowReadSupport readSupport(DataFile file, Schema schema) {
        if (file.partitionValues().isEmpty()) {
            return new RowReadSupport(schema);
        }
        Map<String, @Nullable Object> constants = new HashMap<>();
        for (Map.Entry<String, @Nullable String> e : file.partitionValues().entrySet()) {
            int pos = schema.indexOf(e.getKey());
            if (pos >= 0) {
                try {
                    constants.put(e.getKey(), PartitionValues.parse(e.getValue(), schema.field(pos).type()));
                } catch (IllegalArgumentException bad) {
                    throw DeltaErrors.badPartitionValue(this, file.path(), e, schema.field(pos).type(), bad);
                }
            }
        }
        return new RowReadSupport(schema, constants);
    }

    /** Resolves a path as the log stores it: a URI, usually relative to the table root. */
    Path resolve(String logPath) {
        Path p;
        try {
            URI uri = new URI(logPath);
            p = new Path(uri);
            if (uri.getScheme() != null || p.isAbsolute()) {
                return p;
            }
        } catch (URISyntaxException | IllegalArgumentException e) {
            p = new Path(logPath);
        }
        return new Path(root, p);
    }

    @Override
    public List<TableChange> changes(long fromVersion, long toVersion) {
        List<TableChange> changes = new ArrayList<>();
        readVersions(fromVersion, toVersion, true, (latest, v) -> {
            Map<String, DataType> types = statsTypes(latest);
            List<DataFile> added = new ArrayList<>();
            boolean rewrite = false;
            try (CloseableIterator<Action> actions = v.getActionsIterator()) {
                while (actions.hasNext()) {
                    Action a = actions.next();
                    if (a instanceof AddFile add && add.isDataChange()) {
                        added.add(dataFile(add, types));
                    } else if (a instanceof RemoveFile remove && remove.isDataChange()) {
                        rewrite = true;
                    }
                }
            }
            if (!added.isEmpty() && !rewrite) {
                changes.add(new TableChange(v.getVersion(), added));
            }
        });
        return changes;
    }

    @Override
    public List<FileChanges> fileChanges(long fromVersion, long toVersion) {
        List<FileChanges> out = new ArrayList<>();
        readVersions(fromVersion, toVersion, true, (latest, v) -> {
            Map<String, DataType> types = statsTypes(latest);
            List<DataFile> added = new ArrayList<>();
            List<RemoveFile> removes = new ArrayList<>();
            Instant timestamp = null;
            try (CloseableIterator<Action> actions = v.getActionsIterator()) {
                while (actions.hasNext()) {
                    Action a = actions.next();
                    if (a instanceof AddFile add && add.isDataChange()) {
                        added.add(dataFile(add, types));
                    } else if (a instanceof RemoveFile remove && remove.isDataChange()) {
                        removes.add(remove);
                    } else if (a instanceof CommitInfo info) {
                        timestamp = info.getTimestamp().toInstant();
                    }
                }
            }
            if (added.isEmpty() && removes.isEmpty()) {
                return;
            }
            out.add(new FileChanges(v.getVersion(), timestamp != null ? timestamp : commitFileTime(v.getVersion()),
                    removed(removes, v.getVersion(), types), added));
        });
        return out;
    }

    /**
     * A version's removed files with the statistics they were added with: a remove action carries
     * none, so they come from the snapshot before it (read only for a version that removed data).
     */
    private List<DataFile> removed(List<RemoveFile> removes, long version, Map<String, DataType> types) {
        if (removes.isEmpty()) {
            return List.of();
        }
        Map<String, AddFile> before = new HashMap<>();
        for (AddFile add : liveFiles(snapshotAt(log(), version - 1)).adds()) {
            before.put(add.getPath(), add);
        }
        List<DataFile> out = new ArrayList<>(removes.size());
        for (RemoveFile r : removes) {
            AddFile add = before.get(r.getPath());
            out.add(add != null ? dataFile(add, types)
                    : DeltaStats.parse(r.getPath(), r.getSize().orElse(0L), null, types,
                            r.getPartitionValues() == null ? Map.of() : r.getPartitionValues()));
        }
        return out;
    }

    /** @return the column types the statistics of the snapshot's files are read with */
    private static Map<String, DataType> statsTypes(Snapshot s) {
        StructType struct = s.getMetadata().getSchema();
        return struct == null ? Map.of() : DeltaSchemas.statsTypes(struct);
    }

    private static DataFile dataFile(AddFile add, Map<String, DataType> types) {
        return DeltaStats.parse(add.getPath(), add.getSize(), add.getStats(), types, add.getPartitionValues());
    }

    /** When a version without a commitInfo (another writer's) was committed: its log file's time, as Delta takes it. */
    private Instant commitFileTime(long version) {
        Path file = new Path(new Path(root, "_delta_log"), String.format(Locale.ROOT, "%020d.json", version));
        try {
            return Instant.ofEpochMilli(file.getFileSystem(conf).getFileStatus(file).getModificationTime());
        } catch (IOException e) {
            throw translate("cannot read the time of version " + version, e, "check that the log is readable");
        }
    }

    @Override
    public Vacuumed vacuum() {
        Snapshot s;
        try {
            s = log().update();
        } catch (Exception e) {
            throw translate("cannot read the latest version to vacuum", e, "check that the table is readable");
        }
        if (s.getVersion() < 0 || !(s instanceof SnapshotImpl impl)) {
            return Vacuumed.NOTHING;
        }
        // now minus delta.deletedFileRetentionDuration, read from this snapshot's metadata (delta-standalone's
        // own minFileRetentionTimestamp uses the retention the log had when it was opened)
        long now = System.currentTimeMillis();
        Duration retention = Retention.of(s.getMetadata().getConfiguration()
                .getOrDefault(Retention.PROPERTY, Retention.DEFAULT), location);
        long threshold = now - retention.toMillis();
        // a file of a commit in flight is young: never delete a file younger than an hour, however short the
        // retention (Delta deletes by the retention alone, and warns against a short one for this reason)
        long youngest = now - Math.max(retention.toMillis(), Retention.MIN_FILE_AGE.toMillis());
        Set<String> needed = new HashSet<>();
        for (AddFile add : impl.getAllFiles()) {
            needed.add(key(resolve(add.getPath())));
        }
        scala.collection.Iterator<RemoveFile> tombstones = impl.tombstones().iterator();
        while (tombstones.hasNext()) {
            RemoveFile r = tombstones.next();
            if (r.getDeletionTimestamp().orElse(Long.MAX_VALUE) > threshold) {
                needed.add(key(resolve(r.getPath())));
            }
        }
        long files = 0;
        long bytes = 0;
        List<LocatedFileStatus> doomed = new ArrayList<>();
        FileSystem fs;
        try {
            fs = root.getFileSystem(conf);
            RemoteIterator<LocatedFileStatus> listed = fs.listFiles(root, true);
            while (listed.hasNext()) {
                LocatedFileStatus f = listed.next();
                // the log, and what Delta hides (names starting with _ or .), are never data files
                if (!hidden(f.getPath()) && !needed.contains(key(f.getPath())) && f.getModificationTime() < youngest) {
                    doomed.add(f);
                    bytes += f.getLen();
                }
            }
        } catch (IOException e) {
            throw translate("cannot vacuum", e, "check that the table location is readable; the next vacuum"
                    + " goes on where this one stopped");
        }
        if (doomed.isEmpty()) {
            return Vacuumed.NOTHING;
        }
        // as Spark's VACUUM records itself (with its vacuum logging on): a commit before and one after,
        // which change nothing else, so they neither wait for nor conflict with any writer
        newCommit().withOperationDetails(Map.of("retentionCheckEnabled", "true", "defaultRetentionMillis",
                Long.toString(retention.toMillis())),
                Map.of("numFilesToDelete", (long) doomed.size(),
                        "sizeOfDataToDelete", bytes))
                .commit("VACUUM START");
        bytes = 0;
        String status = "FAILED";
        try {
            for (LocatedFileStatus f : doomed) {
                if (fs.delete(f.getPath(), false)) {
                    files++;
                    bytes += f.getLen();
                }
            }
            status = "COMPLETED";
        } catch (IOException e) {
            throw translate("cannot vacuum", e, "check that the table location is writable; the next vacuum"
                    + " goes on where this one stopped");
        } finally {
            newCommit().withOperationDetails(Map.of("status", status), Map.of("numDeletedFiles", files,
                    "numVacuumedDirectories", 0L)).commit("VACUUM END");
        }
        if (files > 0) {
            LOG.info("vacuumed {}: {} data files, {} bytes, that no version within the retention needs", location,
                    files, bytes);
        }
        return new Vacuumed(files, bytes);
    }

    /** A file's path as listing and the log both give it, decoded, without scheme or authority. */
    private static String key(Path p) {
        return p.toUri().getPath();
    }

    /** Whether a listed file is under a folder, or is a file, whose name Delta reserves (_ or . first). */
    private boolean hidden(Path file) {
        for (Path p = file; p != null && !key(p).equals(key(root)); p = p.getParent()) {
            String name = p.getName();
            if (name.startsWith("_") || name.startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public List<TableCommit> history(long fromVersion, long toVersion) {
        List<TableCommit> commits = new ArrayList<>();
        // failOnDataLoss false: versions whose log retention passed are left out, as documented
        readVersions(fromVersion, toVersion, false, (latest, v) -> {
            try (CloseableIterator<Action> actions = v.getActionsIterator()) {
                while (actions.hasNext()) {
                    if (actions.next() instanceof CommitInfo info) {
                        commits.add(new TableCommit(v.getVersion(), info.getTimestamp().toInstant(),
                                operation(info), info.getUserMetadata().orElse(null)));
                    }
                }
            }
        });
        return commits;
    }

    /**
     * @return the operation as it was asked for: delta-standalone records names it does not know as
     *     {@code MANUAL UPDATE} with the name as a JSON string parameter (see {@link DeltaCommit})
     */
    private static String operation(CommitInfo info) {
        String asked = info.getOperationParameters() == null ? null : info.getOperationParameters().get("operation");
        if (asked == null || !"Manual Update".equalsIgnoreCase(info.getOperation())) {
            return info.getOperation();
        }
        // read back, the parameter is the JSON string's text; some readers keep its quotes
        boolean quoted = asked.length() >= 2 && asked.startsWith("\"") && asked.endsWith("\"");
        return quoted ? asked.substring(1, asked.length() - 1) : asked;
    }

    /** What one version's log gives, read with the latest snapshot in the range. */
    private interface VersionReader {
        void read(Snapshot latest, VersionLog version) throws IOException;
    }

    private void readVersions(long fromVersion, long toVersion, boolean failOnDataLoss, VersionReader reader) {
        if (fromVersion < 0) {
            throw DeltaErrors.negativeFromVersion(fromVersion);
        }
        if (toVersion < fromVersion) {
            return;
        }
        DeltaLog l = log();
        Snapshot latest = latest(l, toVersion);
        if (latest.getVersion() < fromVersion) {
            return;
        }
        try {
            Iterator<VersionLog> versions = l.getChanges(fromVersion, failOnDataLoss);
            while (versions.hasNext()) {
                VersionLog v = versions.next();
                if (v.getVersion() > toVersion) {
                    break;
                }
                reader.read(latest, v);
            }
        } catch (IOException | RuntimeException e) {
            throw translate("cannot read the changes of versions " + fromVersion + " to " + toVersion, e,
                    "if the log of these versions was cleaned up (log retention), replay from a newer version");
        }
    }

    /** The log's snapshot, refreshed only if it is older than the version the caller needs. */
    private Snapshot latest(DeltaLog l, long atLeast) {
        try {
            Snapshot s = l.snapshot();
            return s.getVersion() < atLeast ? l.update() : s;
        } catch (Exception e) {
            throw translate("cannot read the latest version", e, "check that the table location is readable");
        }
    }

    @Override
    public PendingCommit newCommit() {
        DeltaLog l = log();
        return new DeltaCommit(this, l, begin(l, "cannot start a commit"));
    }

    /**
     * Waits until the checkpoints that earlier commits asked for are written. Checkpoints are written
     * in the background, every {@code delta.checkpointInterval} (10) commits, off the commit path; a
     * checkpoint only speeds up readers, so nothing needs this but a program that wants the log in its
     * final shape before it exits (a benchmark, a test). A failed checkpoint is logged, not thrown.
     */
    public void awaitCheckpoints() {
        if (backgroundCheckpoints) {
            BackgroundCheckpoints.of(this).await();
        }
    }

    /** @return where the table lives; never credentials */
    @Override
    public String toString() {
        return "DeltaTable[" + location + "]";
    }

    // ---- shared with the package ----

    Path root() {
        return root;
    }

    /**
     * @return the table features behind a protocol too new to write, and the statements that drop
     *     them, for the refusal's message ({@link ProtocolFeatures}); "" when the log cannot say
     */
    String describeFeatures(int reader, int writer) {
        try {
            return ProtocolFeatures.read(root.getFileSystem(conf), new Path(root, "_delta_log"), reader, writer)
                    .describe(location);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    Configuration conf() {
        return conf;
    }

    String redact(@Nullable String text) {
        return redactor.redact(text);
    }

    Throwable sanitize(Throwable t) {
        return redactor.sanitize(t);
    }

    TxnMarkers markers() {
        return markers;
    }

    /** The log, loaded on first use so that opening a table stays free of I/O. */
    DeltaLog log() {
        DeltaLog l = log;
        if (l == null) {
            synchronized (logLock) {
                l = log;
                if (l == null) {
                    try {
                        l = DeltaLog.forTable(conf, root);
                    } catch (Exception e) {
                        // Exception, not RuntimeException, here and around every delta-standalone call: it is
                        // Scala and throws storage IOExceptions undeclared, which must be translated and redacted too
                        throw translate("cannot open the Delta log", e,
                                "check the location, the credentials in the Hadoop options and that the"
                                        + " file system's Hadoop connector is on the classpath");
                    }
                    log = l;
                }
            }
        }
        return l;
    }

    private OptimisticTransaction begin(DeltaLog l, String what) {
        try {
            return l.startTransaction();
        } catch (Exception e) {
            throw translate(what, e, "check that the table location is reachable and readable");
        }
    }

    /** The log's current snapshot if it is at that version (nearly always), else that version re-read. */
    /** @return a version's live files, listed from the last version listed where that is cheaper */
    LiveFiles.Listing liveFiles(Snapshot s) {
        return liveFiles.at(log(), s);
    }

    Snapshot snapshotAt(DeltaLog l, long version) {
        try {
            Snapshot s = l.snapshot();
            return s.getVersion() == version ? s : l.getSnapshotForVersionAsOf(version);
        } catch (Exception e) {
            throw translate("cannot read version " + version, e, "check that the table location is readable");
        }
    }

    /** After a commit landed: asks for its checkpoint if it is at the interval. */
    void committed(DeltaLog l, long version) {
        if (!backgroundCheckpoints || version <= 0) {
            return;
        }
        int interval;
        try {
            interval = ((DeltaLogImpl) l).checkpointInterval();
        } catch (RuntimeException e) {
            // The commit landed; a checkpoint is only an optimization, so this must not fail it.
            LOG.warn("cannot read the checkpoint interval of {}; no checkpoint for version {}: {}", location, version,
                    redactor.redact(String.valueOf(e)));
            return;
        }
        if (interval > 0 && version % interval == 0) {
            BackgroundCheckpoints.of(this).request(this, l, version);
        }
    }

    <T> T withCommitLock(Supplier<T> body) {
        if (!local) {
            return body.get();
        }
        ReentrantLock lock = LOCAL_COMMIT_LOCKS.computeIfAbsent(root.toString(), k -> new ReentrantLock());
        lock.lock();
        try {
            return body.get();
        } finally {
            lock.unlock();
        }
    }

    /**
     * @return the exception to throw for a failure of delta-standalone or storage: a protocol refusal
     *     or a {@link SinkException}, with secrets masked
     */
    RuntimeException translate(String what, Throwable e, String todo) {
        if (INVALID_PROTOCOL.isInstance(e)) {
            Matcher m = PROTOCOL_IN_MESSAGE.matcher(String.valueOf(e.getMessage()));
            if (m.find()) {
                return DeltaErrors.protocolTooNew(this, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                        redactor.sanitize(e));
            }
            return DeltaErrors.protocolNewer(this, e);
        }
        if (e instanceof SinkException || e instanceof SchemaMismatchException
                || e instanceof CommitConflictException || e instanceof ConfigurationException) {
            return (RuntimeException) e;
        }
        return failure(what, e, todo);
    }

    /**
     * @return true for the failures of a commit that delta-standalone raises before it writes the log
     *     entry (a protocol it cannot write, or one of ours), so the commit surely did not land
     */
    static boolean refusedBeforeWriting(Throwable e) {
        return INVALID_PROTOCOL.isInstance(e) || e instanceof StreamLakeException;
    }

    SinkException failure(String what, Throwable cause, String todo) {
        return DeltaErrors.storageFailure(this, what, cause, todo);
    }

    RuntimeException readFailure(String file, Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof RowReadSupport.IncompatibleColumnException) {
                return DeltaErrors.fileDoesNotFitSchema(this, file, c, e);
            }
        }
        return failure("cannot read data file " + file, e,
                "check that the file exists (it may have been vacuumed) and is a Parquet file of this table");
    }

    private static final class ReaderBuilder extends ParquetReader.Builder<Row> {
        private final ReadSupport<Row> support;

        ReaderBuilder(InputFile file, ReadSupport<Row> support) {
            super(file);
            this.support = support;
        }

        @Override
        protected ReadSupport<Row> getReadSupport() {
            return support;
        }
    }
}
