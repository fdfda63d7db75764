package io.streamlake.core.delta;

import io.delta.standalone.DeltaLog;
import io.delta.standalone.Operation;
import io.delta.standalone.OptimisticTransaction;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/** Test help: changes a Delta table as another engine would, beside StreamLake's API. */
public final class TableProperties {
    private TableProperties() {
    }

    /**
     * Sets a table property as Spark's ALTER TABLE ... SET TBLPROPERTIES would, Delta's own ones
     * included (StreamLake's API refuses to set those).
     */
    public static void set(String path, String key, String value) {
        DeltaLog log = DeltaLog.forTable(new Configuration(), path);
        OptimisticTransaction txn = log.startTransaction();
        Map<String, String> configuration = new HashMap<>(txn.metadata().getConfiguration());
        configuration.put(key, value);
        txn.updateMetadata(txn.metadata().copyBuilder().configuration(configuration).build());
        txn.commit(List.of(), new Operation(Operation.Name.SET_TABLE_PROPERTIES), "StreamLake tests");
    }
}
