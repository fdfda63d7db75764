package io.streamlake.testkit;

import io.streamlake.exceptions.SinkException;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.Table;
import io.streamlake.table.TableChange;
import io.streamlake.table.TableSnapshot;
import java.util.Iterator;
import java.util.List;

/** Wraps a table and injects one armed fault into its next commit. */
final class FaultyTable implements Table {
    enum Fault { NONE, FAIL, CRASH_BEFORE, CRASH_AFTER }

    private final Table delegate;
    private final Stage stage;
    private volatile Fault armed = Fault.NONE;

    FaultyTable(Table delegate, Stage stage) {
        this.delegate = delegate;
        this.stage = stage;
    }

    void arm(Fault fault) {
        armed = fault;
    }

    Table delegate() {
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
    public DataFileWriter newDataFile(Schema schema) {
        return delegate.newDataFile(schema);
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
    public PendingCommit newCommit() {
        PendingCommit inner = delegate.newCommit();
        return new PendingCommit() {
            @Override
            public PendingCommit add(DataFile file) {
                inner.add(file);
                return this;
            }

            @Override
            public PendingCommit remove(DataFile file) {
                inner.remove(file);
                return this;
            }

            @Override
            public PendingCommit setTransaction(String appId, long version) {
                inner.setTransaction(appId, version);
                return this;
            }

            @Override
            public PendingCommit expectTransaction(String appId, long expectedVersion) {
                inner.expectTransaction(appId, expectedVersion);
                return this;
            }

            @Override
            public PendingCommit rearrangeOnly() {
                inner.rearrangeOnly();
                return this;
            }

            @Override
            public long commit(String operation) {
                Fault fault = armed;
                armed = Fault.NONE;
                switch (fault) {
                    case FAIL -> throw new SinkException("injected failure of the " + stage + " commit");
                    case CRASH_BEFORE -> throw new SimulatedCrash("after writing " + stage + " data files, before the commit");
                    default -> {
                    }
                }
                long version = inner.commit(operation);
                if (fault == Fault.CRASH_AFTER) {
                    throw new SimulatedCrash("right after " + stage + " commit " + version);
                }
                return version;
            }
        };
    }
}
