package io.streamlake.testkit;

import io.streamlake.exceptions.SinkException;
import io.streamlake.table.ForwardingTable;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.Table;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/** Wraps a table and injects one armed fault into its next commit. */
final class FaultyTable extends ForwardingTable {
    enum Fault { NONE, FAIL, CRASH_BEFORE, CRASH_AFTER }

    private final Stage stage;
    private volatile Fault armed = Fault.NONE;

    FaultyTable(Table delegate, Stage stage) {
        super(delegate);
        this.stage = stage;
    }

    void arm(Fault fault) {
        armed = fault;
    }

    @Override
    protected Table delegate() {
        return super.delegate();
    }

    /**
     * The delegate's commit, with the armed fault applied when it is committed. A proxy, so that only
     * {@code commit} is intercepted and the fluent staging methods keep returning the wrapper.
     */
    @Override
    public PendingCommit newCommit() {
        PendingCommit inner = delegate().newCommit();
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
