package io.streamlake.core.delta;

import io.delta.standalone.DeltaLog;
import io.delta.standalone.Operation;
import io.delta.standalone.OptimisticTransaction;
import io.delta.standalone.actions.Action;
import io.delta.standalone.actions.AddFile;
import io.delta.standalone.actions.SetTransaction;
import io.delta.standalone.exceptions.DeltaConcurrentModificationException;
import io.delta.standalone.internal.OptimisticTransactionImpl;
import io.streamlake.core.util.Tables;
import io.streamlake.table.DataFile;
import io.streamlake.table.PendingCommit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Stages changes on a delta-standalone transaction started when the commit was created. */
final class DeltaCommit implements PendingCommit {
    private static final Logger LOG = LoggerFactory.getLogger(DeltaCommit.class);

    private final DeltaTable table;
    private final DeltaLog log;
    private final OptimisticTransaction txn;
    private final List<DataFile> adds = new ArrayList<>();
    private final List<DataFile> removes = new ArrayList<>();
    /** Added files that take the place of removed ones (compaction), by path: the first replaced file's path and the index. */
    private final Map<String, Replaced> replacing = new HashMap<>();
    private final Map<String, Long> markers = new LinkedHashMap<>();
    private final Map<String, Long> expected = new LinkedHashMap<>();
    private final Map<String, String> properties = new LinkedHashMap<>();
    private boolean rearrangeOnly;
    /** What {@link #withOperationDetails} gave, already as the log stores it (parameters as JSON). */
    private final Map<String, String> operationParameters = new HashMap<>();
    private final Map<String, String> operationMetrics = new HashMap<>();
    private boolean applied;
    private @Nullable String userMetadata;

    DeltaCommit(DeltaTable table, DeltaLog log, OptimisticTransaction txn) {
        this.table = table;
        this.log = log;
        this.txn = txn;
    }

    @Override
    public PendingCommit add(DataFile file) {
        checkOpen();
        adds.add(Objects.requireNonNull(file, "file"));
        return this;
    }

    @Override
    public PendingCommit remove(DataFile file) {
        checkOpen();
        removes.add(Objects.requireNonNull(file, "file"));
        return this;
    }

    /** Where a replacement file goes: after the place of {@code first}, as its {@code index}-th replacement. */
    private record Replaced(String first, int index) {
    }

    @Override
    public PendingCommit replace(List<DataFile> removed, List<DataFile> added) {
        checkOpen();
        if (removed.isEmpty()) {
            throw DeltaErrors.replaceRemovesNothing();
        }
        for (int i = 0; i < added.size(); i++) {
            replacing.put(added.get(i).path(), new Replaced(removed.get(0).path(), i));
        }
        removed.forEach(f -> removes.add(Objects.requireNonNull(f, "file")));
        added.forEach(f -> adds.add(Objects.requireNonNull(f, "file")));
        return this;
    }

    @Override
    public PendingCommit setTransaction(String appId, long version) {
        Objects.requireNonNull(appId, "appId");
        if (version < 0) {
            throw DeltaErrors.negativeMarkerVersion(appId, version);
        }
        checkOpen();
        // Reading the marker registers it with Delta's conflict checker: a concurrent commit that
        // moves the same marker makes this one fail instead of silently interleaving.
        marker(appId);
        markers.put(appId, version);
        return this;
    }

    @Override
    public PendingCommit expectTransaction(String appId, long expectedVersion) {
        Objects.requireNonNull(appId, "appId");
        checkOpen();
        marker(appId);
        expected.put(appId, expectedVersion);
        return this;
    }

    @Override
    public PendingCommit setProperties(Map<String, String> properties) {
        checkOpen();
        properties.forEach((k, v) -> {
            if (k.startsWith("delta.")) {
                throw DeltaErrors.deltaOwnProperty(k);
            }
            this.properties.put(k, Objects.requireNonNull(v, "value of " + k));
        });
        return this;
    }

    @Override
    public PendingCommit withUserMetadata(String userMetadata) {
        checkOpen();
        this.userMetadata = Objects.requireNonNull(userMetadata, "userMetadata");
        return this;
    }

    @Override
    public PendingCommit rearrangeOnly() {
        checkOpen();
        rearrangeOnly = true;
        return this;
    }

    @Override
    public long commit(String operation) {
        Objects.requireNonNull(operation, "operation");
        checkOpen();
        applied = true;
        long readVersion = txn.readVersion();
        if (readVersion < 0) {
            throw DeltaErrors.tableNotCreated(table);
        }
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            long actual = marker(e.getKey());
            long want = e.getValue() < 0 ? -1 : e.getValue();
            if (actual != want) {
                throw DeltaErrors.markerMoved(table, readVersion, e.getKey(), want, actual);
            }
        }
        if (!rearrangeOnly && !removes.isEmpty() && Tables.appendOnly(txn.metadata().getConfiguration())) {
            // delta-standalone would refuse it too, as an unexpected failure that a retry cannot mend
            throw Tables.appendOnlyRefuses(table.location(), "a commit that removes rows (" + operation + ")");
        }
        Map<String, AddFile> live = checkRemovesAreLive(readVersion);
        checkPartitionValues();
        List<Action> actions = actions(readVersion, live);
        Operation op = operation(operation);
        if (!properties.isEmpty()) {
            try {
                Map<String, String> merged = new HashMap<>(txn.metadata().getConfiguration());
                merged.putAll(properties);
                txn.updateMetadata(txn.metadata().copyBuilder().configuration(merged).build());
            } catch (RuntimeException e) {
                throw table.translate("cannot set table properties " + properties.keySet(), e, "retry");
            }
        }
        long version;
        try {
            version = table.withCommitLock(() -> txn.commit(actions, op, DeltaTable.ENGINE_INFO).getVersion());
        } catch (DeltaConcurrentModificationException e) {
            throw DeltaErrors.concurrentCommit(table, readVersion, e);
        } catch (Exception e) {
            if (DeltaTable.refusedBeforeWriting(e)) {
                throw table.translate("cannot commit", e, "nothing was written; retry the batch");
            }
            // Anything else may have failed after the log entry reached storage: the caller must re-read.
            throw DeltaErrors.commitStateUnknown(table, readVersion + 1, e);
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("committed version {} of {}: {} added, {} removed, markers {}", version, table.location(),
                    adds.size(), removes.size(), markers);
        }
        // After the commit, not inside it: the checkpoint is written on another thread (BackgroundCheckpoints).
        table.committed(log, version);
        return version;
    }

    /** @return the live files by path, read only when this commit removes some (empty otherwise) */
    private Map<String, AddFile> checkRemovesAreLive(long readVersion) {
        if (removes.isEmpty()) {
            return Map.of();
        }
        Map<String, AddFile> live = new HashMap<>();
        try {
            for (AddFile add : table.liveFiles(table.snapshotAt(log, readVersion)).adds()) {
                live.put(add.getPath(), add);
            }
        } catch (Exception e) {
            throw table.translate("cannot list the data files to remove", e, "retry the batch");
        }
        for (DataFile f : removes) {
            if (!live.containsKey(f.path())) {
                throw DeltaErrors.removedFileGone(table, readVersion, f.path());
            }
        }
        return live;
    }

    /** A file must carry exactly the table's partition columns, or readers would fill wrong values. */
    private void checkPartitionValues() {
        if (adds.isEmpty()) {
            return;
        }
        List<String> columns;
        try {
            columns = txn.metadata().getPartitionColumns();
        } catch (RuntimeException e) {
            throw table.translate("cannot read the table's metadata", e, "retry the batch");
        }
        Set<String> expected = new HashSet<>(columns);
        for (DataFile f : adds) {
            if (!f.partitionValues().keySet().equals(expected)) {
                throw DeltaErrors.wrongPartitionValues(table, f.path(), f.partitionValues(), columns);
            }
        }
    }

    private List<Action> actions(long readVersion, Map<String, AddFile> live) {
        long now = System.currentTimeMillis();
        boolean dataChange = !rearrangeOnly;
        List<Action> actions = new ArrayList<>(adds.size() + removes.size() + markers.size());
        for (DataFile f : removes) {
            // The AddFile is only a carrier: delta-standalone derives a RemoveFile with size from it.
            actions.add(AddFile.builder(f.path(), f.partitionValues(), f.sizeBytes(), now, dataChange).build()
                    .remove(now, dataChange));
        }
        int appended = 0;
        for (DataFile f : adds) {
            Replaced r = replacing.get(f.path());
            String place = r == null ? FileOrder.of(readVersion, appended++)
                    : FileOrder.replacing(FileOrder.of(live.get(r.first())), r.index());
            actions.add(AddFile.builder(f.path(), f.partitionValues(), f.sizeBytes(), now, dataChange)
                    .stats(DeltaStats.toLogValue(f))
                    .tags(Map.of(FileOrder.TAG, place))
                    .build());
        }
        for (Map.Entry<String, Long> m : markers.entrySet()) {
            actions.add(new SetTransaction(m.getKey(), m.getValue(), Optional.of(now)));
        }
        return actions;
    }

    @Override
    public PendingCommit withOperationDetails(Map<String, String> parameters, Map<String, Long> metrics) {
        checkOpen();
        // Values go into the log verbatim as raw JSON: a bare word would make the commit unreadable.
        parameters.forEach((k, v) -> operationParameters.put(k, DeltaStats.jsonString(v)));
        metrics.forEach((k, v) -> operationMetrics.put(k, Long.toString(v)));
        return this;
    }

    private Operation operation(String name) {
        Map<String, String> metrics = new HashMap<>(operationMetrics);
        metrics.put(Operation.Metrics.numAddedFiles, Integer.toString(adds.size()));
        metrics.put(Operation.Metrics.numRemovedFiles, Integer.toString(removes.size()));
        long rows = 0;
        long bytes = 0;
        for (DataFile f : adds) {
            rows += Math.max(0, f.rowCount());
            bytes += f.sizeBytes();
        }
        metrics.put(Operation.Metrics.numOutputRows, Long.toString(rows));
        metrics.put(Operation.Metrics.numOutputBytes, Long.toString(bytes));
        String wanted = name.trim().replace('_', ' ').toUpperCase(Locale.ROOT);
        for (Operation.Name n : Operation.Name.values()) {
            if (n.toString().toUpperCase(Locale.ROOT).equals(wanted) || n.name().replace('_', ' ').equals(wanted)) {
                return new Operation(n, Map.copyOf(operationParameters), metrics, Optional.ofNullable(userMetadata));
            }
        }
        // delta-standalone only knows its own operation names; keep ours where history shows it.
        // Parameter values go into the log verbatim as raw JSON, so they must be JSON literals: a bare
        // word would make the commit unreadable for every reader.
        Map<String, String> parameters = new HashMap<>(operationParameters);
        parameters.put("operation", DeltaStats.jsonString(name));
        return new Operation(Operation.Name.MANUAL_UPDATE, parameters, metrics, Optional.ofNullable(userMetadata));
    }

    /**
     * Reads a marker at the transaction's read version and registers the read with delta-standalone's
     * conflict checker (its {@code readTxn}, what {@code txnVersion} records besides replaying the state):
     * a concurrent commit that moves the same marker then makes this one fail with a conflict. The value
     * comes from the table's {@link TxnMarkers}, not from the replay.
     */
    private long marker(String appId) {
        try {
            long readVersion = txn.readVersion();
            if (readVersion < 0) {
                return -1;
            }
            ((OptimisticTransactionImpl) txn).readTxn().addOne(appId);
            return table.markers().version(log, readVersion, appId);
        } catch (Exception e) {
            throw table.translate("cannot read transaction marker '" + appId + "'", e, "retry the batch");
        }
    }

    private void checkOpen() {
        if (applied) {
            throw DeltaErrors.commitAlreadyApplied(table);
        }
    }

    @Override
    public String toString() {
        return "DeltaCommit[" + table.location() + " @ " + txn.readVersion() + ": +" + adds.size() + " -"
                + removes.size() + " files, markers " + markers.keySet() + "]";
    }
}
