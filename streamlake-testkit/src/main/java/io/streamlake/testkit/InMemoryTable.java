package io.streamlake.testkit;

import io.streamlake.exceptions.CommitConflictException;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.schema.SchemaEvolution;
import io.streamlake.schema.ValueOrder;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.FileChanges;
import io.streamlake.table.PartitionValues;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.Table;
import io.streamlake.table.TableChange;
import io.streamlake.table.TableCommit;
import io.streamlake.table.TableSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * A table held in memory with the same semantics as the Delta table: versions, atomic commits,
 * progress markers checked at commit time, and file statistics, so the engine's merge planning
 * runs exactly as in production. Fast and disposable: for unit tests.
 *
 * <pre>{@code
 * InMemoryTable bronze = InMemoryTable.create("bronze");
 * Pipeline p = Pipeline.from(hub).bronze(TableRef.of(bronze)).bronzeOnly();
 * }</pre>
 */
public final class InMemoryTable implements Table {
    private final String name;
    private final Map<String, List<Row>> fileRows = new ConcurrentHashMap<>();
    private final List<TableChange> history = new ArrayList<>();
    /** Every commit, in version order: what {@link #history(long, long)} returns. */
    private final List<TableCommit> commits = new ArrayList<>();
    /** The files each data-changing commit removed and added: what {@link #fileChanges} returns. */
    private final List<FileChanges> fileChanges = new ArrayList<>();
    private Snapshot current = new Snapshot(-1, null, List.of(), List.of(), Map.of(), Map.of());

    private InMemoryTable(String name) {
        this.name = name;
    }

    /**
     * @param name a name for messages
     * @return an empty table that does not exist yet (version -1)
     */
    public static InMemoryTable create(String name) {
        return new InMemoryTable(Objects.requireNonNull(name, "name"));
    }

    @Override
    public String location() {
        return "memory:" + name;
    }

    @Override
    public synchronized TableSnapshot snapshot() {
        return current;
    }

    @Override
    public TableSnapshot create(Schema schema) {
        return create(schema, List.of());
    }

    /** Partitions as a Delta table does: the values in each file's entry, the same checks on create. */
    @Override
    public synchronized TableSnapshot create(Schema schema, List<String> partitionColumns) {
        PartitionValues.check(schema, partitionColumns, location());
        Schema existing = current.tableSchema;
        if (existing == null) {
            current = new Snapshot(current.version + 1, schema, List.copyOf(partitionColumns), List.of(), Map.of(),
                    Map.of());
            history.add(new TableChange(current.version, List.of()));
            commits.add(new TableCommit(current.version, Instant.now(), "CREATE TABLE", null));
        } else {
            if (!current.partitionColumns.equals(partitionColumns)) {
                throw new ConfigurationException("table " + location() + " is partitioned by "
                        + current.partitionColumns + ", but the pipeline partitions it by " + partitionColumns
                        + "; a table keeps the partitioning it was created with");
            }
            Schema evolved = SchemaEvolution.evolve(location(), existing, schema);
            if (!evolved.equals(existing)) {
                current = new Snapshot(current.version + 1, evolved, current.partitionColumns, current.files,
                        current.transactions, current.properties);
                history.add(new TableChange(current.version, List.of()));
                commits.add(new TableCommit(current.version, Instant.now(), "ADD COLUMNS", null));
            }
        }
        return current;
    }

    @Override
    public DataFileWriter newDataFile(Schema schema) {
        return new MemoryFileWriter(schema, Map.of());
    }

    @Override
    public DataFileWriter newDataFile(Schema schema, Map<String, @Nullable String> partitionValues) {
        return new MemoryFileWriter(schema, partitionValues);
    }

    @Override
    public Iterator<Row> read(DataFile file, Schema schema) {
        List<Row> rows = fileRows.get(file.path());
        if (rows == null) {
            throw new IllegalArgumentException("no data file " + file.path() + " in " + location());
        }
        return Collections.unmodifiableList(rows).iterator();
    }

    @Override
    public synchronized List<TableChange> changes(long fromVersion, long toVersion) {
        List<TableChange> out = new ArrayList<>();
        for (TableChange c : history) {
            if (c.version() >= fromVersion && c.version() <= toVersion) {
                out.add(c);
            }
        }
        return out;
    }

    @Override
    public synchronized List<TableCommit> history(long fromVersion, long toVersion) {
        return commits.stream().filter(c -> c.version() >= fromVersion && c.version() <= toVersion).toList();
    }

    @Override
    public synchronized List<FileChanges> fileChanges(long fromVersion, long toVersion) {
        return fileChanges.stream().filter(c -> c.version() >= fromVersion && c.version() <= toVersion).toList();
    }

    @Override
    public PendingCommit newCommit() {
        return new MemoryCommit();
    }

    @Override
    public String toString() {
        return "InMemoryTable[" + name + ", version " + snapshot().version() + "]";
    }

    private synchronized long apply(MemoryCommit c) {
        if (current.tableSchema == null) {
            throw new IllegalStateException("table " + location() + " does not exist: create() it first");
        }
        for (Map.Entry<String, Long> e : c.expected.entrySet()) {
            long actual = current.transactions.getOrDefault(e.getKey(), -1L);
            if (actual != e.getValue()) {
                throw new CommitConflictException("marker '" + e.getKey() + "' of " + location() + " is at " + actual
                        + ", this commit expected " + e.getValue() + ": another writer committed first");
            }
        }
        Map<String, DataFile> live = new HashMap<>();
        current.files.forEach(f -> live.put(f.path(), f));
        Set<String> removed = new HashSet<>();
        List<DataFile> removedFiles = new ArrayList<>();
        for (DataFile r : c.removes) {
            DataFile was = live.remove(r.path());
            if (was == null) {
                throw new CommitConflictException("file " + r.path() + " was already removed from " + location()
                        + " by a concurrent commit");
            }
            removedFiles.add(was);
            removed.add(r.path());
        }
        // Files keep arrival order, as TableSnapshot.files() promises: replacements in the place of the
        // first file they replace, other additions last.
        List<DataFile> files = new ArrayList<>();
        List<DataFile> added = new ArrayList<>();
        for (DataFile f : current.files) {
            if (!removed.contains(f.path())) {
                files.add(f);
            }
            List<DataFile> replacing = c.replacements.get(f.path());
            if (replacing != null) {
                files.addAll(replacing);
                added.addAll(replacing);
            }
        }
        files.addAll(c.adds);
        added.addAll(c.adds);
        for (DataFile a : added) {
            if (!a.partitionValues().keySet().equals(new java.util.LinkedHashSet<>(current.partitionColumns))) {
                throw new IllegalArgumentException("data file " + a.path() + " has partition values "
                        + a.partitionValues() + " but " + location() + " is partitioned by "
                        + current.partitionColumns);
            }
        }
        Map<String, Long> txns = new HashMap<>(current.transactions);
        txns.putAll(c.transactions);
        Map<String, String> properties = new HashMap<>(current.properties);
        properties.putAll(c.properties);
        current = new Snapshot(current.version + 1, current.tableSchema, current.partitionColumns,
                List.copyOf(files), Map.copyOf(txns), Map.copyOf(properties));
        // a rewrite (compaction, or a commit that removes data) adds no new rows: TableChange says so
        history.add(new TableChange(current.version,
                c.rearrangeOnly || !removedFiles.isEmpty() ? List.of() : List.copyOf(added)));
        Instant now = Instant.now();
        commits.add(new TableCommit(current.version, now, c.operation, c.userMetadata));
        if (!c.rearrangeOnly && !(added.isEmpty() && removedFiles.isEmpty())) {
            fileChanges.add(new FileChanges(current.version, now, removedFiles, added));
        }
        return current.version;
    }

    private record Snapshot(long version, @Nullable Schema tableSchema, List<String> partitionColumns,
            List<DataFile> files, Map<String, Long> transactions, Map<String, String> properties)
            implements
                TableSnapshot {
        @Override
        public Optional<Schema> schema() {
            return Optional.ofNullable(tableSchema);
        }

        @Override
        public OptionalLong transaction(String appId) {
            Long v = transactions.get(appId);
            return v == null ? OptionalLong.empty() : OptionalLong.of(v);
        }
    }

    private final class MemoryCommit implements PendingCommit {
        private final List<DataFile> adds = new ArrayList<>();
        private final List<DataFile> removes = new ArrayList<>();
        /** Files that take the place of a removed one, by the removed file's path. */
        private final Map<String, List<DataFile>> replacements = new LinkedHashMap<>();
        private final Map<String, Long> transactions = new LinkedHashMap<>();
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final Map<String, Long> expected = new LinkedHashMap<>();
        private boolean rearrangeOnly;
        private @Nullable String userMetadata;
        private String operation = "";

        @Override
        public PendingCommit add(DataFile file) {
            adds.add(file);
            return this;
        }

        @Override
        public PendingCommit remove(DataFile file) {
            removes.add(file);
            return this;
        }

        @Override
        public PendingCommit replace(List<DataFile> removed, List<DataFile> added) {
            if (removed.isEmpty()) {
                throw new IllegalArgumentException(
                        "replace needs at least one file to remove; use add(file) to add files");
            }
            replacements.put(removed.get(0).path(), List.copyOf(added));
            removes.addAll(removed);
            return this;
        }

        @Override
        public PendingCommit setTransaction(String appId, long version) {
            transactions.put(appId, version);
            return this;
        }

        @Override
        public PendingCommit expectTransaction(String appId, long expectedVersion) {
            expected.put(appId, expectedVersion);
            return this;
        }

        @Override
        public PendingCommit setProperties(Map<String, String> properties) {
            this.properties.putAll(properties);
            return this;
        }

        @Override
        public PendingCommit rearrangeOnly() {
            rearrangeOnly = true;
            return this;
        }

        @Override
        public PendingCommit withUserMetadata(String userMetadata) {
            this.userMetadata = Objects.requireNonNull(userMetadata, "userMetadata");
            return this;
        }

        @Override
        public long commit(String operation) {
            this.operation = Objects.requireNonNull(operation, "operation");
            return apply(this);
        }
    }

    /** Collects rows and, like a Parquet footer, their per-column statistics. */
    private final class MemoryFileWriter implements DataFileWriter {
        private final Schema schema;
        private final List<Row> rows = new ArrayList<>();
        private final @Nullable Object[] min;
        private final @Nullable Object[] max;
        private final long[] nulls;
        private final Map<String, @Nullable String> partitionValues;
        private final List<String> partitionColumns;

        MemoryFileWriter(Schema schema, Map<String, @Nullable String> partitionValues) {
            this.schema = schema;
            this.partitionValues = partitionValues;
            this.partitionColumns = List.copyOf(partitionValues.keySet());
            this.min = new Object[schema.size()];
            this.max = new Object[schema.size()];
            this.nulls = new long[schema.size()];
        }

        @Override
        public void write(Row row) {
            if (!partitionValues.isEmpty() && !PartitionValues.of(row, partitionColumns)
                    .equals(partitionValues)) {
                throw new IllegalArgumentException("row " + row + " does not belong to partition " + partitionValues
                        + "; write each partition's rows to a file of their own");
            }
            rows.add(row);
            for (int i = 0; i < min.length; i++) {
                Object v = row.value(i);
                if (v == null) {
                    nulls[i]++;
                } else if (v instanceof Comparable && schema.field(i).type().kind() != DataType.Kind.BOOLEAN) {
                    // the engine's key order, as the Delta writer's statistics use it
                    if (min[i] == null || ValueOrder.NATURAL.compare(v, min[i]) < 0) {
                        min[i] = v;
                    }
                    if (max[i] == null || ValueOrder.NATURAL.compare(v, max[i]) > 0) {
                        max[i] = v;
                    }
                }
            }
        }

        @Override
        public long rowCount() {
            return rows.size();
        }

        @Override
        public DataFile finish() {
            Map<String, Object> mins = new HashMap<>();
            Map<String, Object> maxs = new HashMap<>();
            Map<String, Long> nullCounts = new HashMap<>();
            for (int i = 0; i < min.length; i++) {
                String column = schema.field(i).name();
                if (partitionValues.containsKey(column)) {
                    continue; // like Delta: the log holds partition values, the statistics leave them out
                }
                if (min[i] != null) {
                    mins.put(column, min[i]);
                    maxs.put(column, max[i]);
                }
                nullCounts.put(column, nulls[i]);
            }
            String path = "part-" + UUID.randomUUID() + ".mem";
            fileRows.put(path, List.copyOf(rows));
            return new DataFile(path, rows.size() * 64L, rows.size(), mins, maxs, nullCounts, partitionValues);
        }

        @Override
        public void close() {
        }
    }
}
