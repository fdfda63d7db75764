package io.streamlake.table;

import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A table that forwards every call to another one, for wrappers that change only some of them: one
 * that counts reads, injects faults into commits, or hides rows. Subclasses override what they change.
 *
 * <pre>{@code
 * final class CountingTable extends ForwardingTable {
 *     final AtomicInteger reads = new AtomicInteger();
 *     CountingTable(Table table) { super(table); }
 *     @Override public Iterator<Row> read(DataFile file, Schema schema) {
 *         reads.incrementAndGet();
 *         return super.read(file, schema);
 *     }
 * }
 * }</pre>
 */
public abstract class ForwardingTable implements Table {
    private final Table delegate;

    /** @param delegate the table every call goes to */
    protected ForwardingTable(Table delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** @return the table every call goes to */
    protected Table delegate() {
        return delegate;
    }

    @Override
    public String location() {
        return delegate.location();
    }

    @Override
    public TableSnapshot snapshot() {
        return delegate.snapshot();
    }

    @Override
    public TableSnapshot create(Schema schema) {
        return delegate.create(schema);
    }

    @Override
    public TableSnapshot create(Schema schema, List<String> partitionColumns) {
        return delegate.create(schema, partitionColumns);
    }

    @Override
    public DataFileWriter newDataFile(Schema schema) {
        return delegate.newDataFile(schema);
    }

    @Override
    public DataFileWriter newDataFile(Schema schema, Map<String, @Nullable String> partitionValues) {
        return delegate.newDataFile(schema, partitionValues);
    }

    @Override
    public DataFileWriter newDataFile(Schema schema, Map<String, @Nullable String> partitionValues,
            Set<String> distinctColumns) {
        return delegate.newDataFile(schema, partitionValues, distinctColumns);
    }

    @Override
    public Iterator<Row> read(DataFile file, Schema schema) {
        return delegate.read(file, schema);
    }

    @Override
    public List<TableChange> changes(long fromVersion, long toVersion) {
        return delegate.changes(fromVersion, toVersion);
    }

    @Override
    public List<TableCommit> history(long fromVersion, long toVersion) {
        return delegate.history(fromVersion, toVersion);
    }

    @Override
    public List<FileChanges> fileChanges(long fromVersion, long toVersion) {
        return delegate.fileChanges(fromVersion, toVersion);
    }

    @Override
    public Vacuumed vacuum() {
        return delegate.vacuum();
    }

    @Override
    public PendingCommit newCommit() {
        return delegate.newCommit();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + delegate + ")";
    }
}
