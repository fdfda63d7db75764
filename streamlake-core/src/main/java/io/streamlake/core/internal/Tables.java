package io.streamlake.core.internal;

import io.streamlake.core.delta.DeltaTable;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.Table;
import io.streamlake.table.TableRef;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Turns a {@link TableRef} into a table: a given instance as is, a path as a Delta table. */
public final class Tables {
    private Tables() {
    }

    /**
     * @param ref the reference
     * @param storageOptions Hadoop settings for path tables (secrets)
     * @return the table
     */
    public static Table resolve(TableRef ref, Map<String, String> storageOptions) {
        return ref.table().orElseGet(() -> DeltaTable.open(ref.path().orElseThrow(), storageOptions));
    }

    /**
     * @param table the table
     * @param schema the rows' schema
     * @param rows the rows of one new, uncommitted data file
     * @return the finished file
     */
    static DataFile writeFile(Table table, Schema schema, List<Row> rows) {
        return writeFile(table, schema, Map.of(), rows);
    }

    /**
     * @param partition the partition values every row holds (empty for an unpartitioned table)
     * @return the finished file
     */
    static DataFile writeFile(Table table, Schema schema, Map<String, @Nullable String> partition, List<Row> rows) {
        try (DataFileWriter w = partition.isEmpty() ? table.newDataFile(schema) : table.newDataFile(schema, partition)) {
            rows.forEach(w::write);
            return w.finish();
        }
    }
}
