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
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

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
    public Iterator<Row> read(DataFile file, Schema schema) {
        return delegate.read(file, schema);
    }

    @Override
    public List<TableChange> changes(long fromVersion, long toVersion) {
        return delegate.changes(fromVersion, toVersion);
    }

    /**
     * The delegate's commit, with the armed fault applied when it is committed. A proxy, so that only
     * {@code commit} is intercepted and the fluent staging methods keep returning the wrapper.
     */
    @Override
    public PendingCommit newCommit() {
        PendingCommit inner = delegate.newCommit();
        PendingCommit[] self = new PendingCommit[1];
        boolean[] propertiesOnly = {true};
        self[0] = (PendingCommit) Proxy.newProxyInstance(PendingCommit.class.getClassLoader(),
                new Class<?>[] {PendingCommit.class}, (proxy, method, args) -> {
                    if (!method.getName().equals("commit")) {
                        propertiesOnly[0] &= method.getName().equals("setProperties");
                        Object result = invoke(method, inner, args);
                        return result == inner ? self[0] : result;
                    }
                    if (propertiesOnly[0]) {
                        // a start-up commit of table properties is not the stage's next batch commit
                        return invoke(method, inner, args);
                    }
                    Fault fault = armed;
                    armed = Fault.NONE;
                    switch (fault) {
                        case FAIL -> throw new SinkException("injected failure of the " + stage + " commit");
                        case CRASH_BEFORE -> throw new SimulatedCrash(
                                "after writing " + stage + " data files, before the commit");
                        default -> {
                        }
                    }
                    long version = (Long) invoke(method, inner, args);
                    if (fault == Fault.CRASH_AFTER) {
                        throw new SimulatedCrash("right after " + stage + " commit " + version);
                    }
                    return version;
                });
        return self[0];
    }

    private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
