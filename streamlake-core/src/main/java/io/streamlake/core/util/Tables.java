package io.streamlake.core.util;

import io.streamlake.exceptions.CommitConflictException;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.Table;
import io.streamlake.table.TableSnapshot;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What the engine does with tables beyond the SPI: writes a list of rows as one file, and records
 * the properties a table must keep (its silver key, its pipeline). (Turning a path into a Delta
 * table is the composition root's: {@code engine.PipelineTables}.)
 */
public final class Tables {
    private Tables() {
    }

    /**
     * @param table the table
     * @param schema the rows' schema
     * @param rows the rows of one new, uncommitted data file
     * @return the finished file
     */
    public static DataFile writeFile(Table table, Schema schema, List<Row> rows) {
        return writeFile(table, schema, Map.of(), rows);
    }

    /**
     * @param partition the partition values every row holds (empty for an unpartitioned table)
     * @return the finished file
     */
    public static DataFile writeFile(Table table, Schema schema, Map<String, @Nullable String> partition,
            List<Row> rows) {
        try (DataFileWriter w =
                partition.isEmpty() ? table.newDataFile(schema) : table.newDataFile(schema, partition)) {
            return finish(w, rows);
        }
    }

    /**
     * @param distinctColumns columns whose values are mostly distinct in these rows (a key), a hint
     *     for their encoding ({@link Table#newDataFile(Schema, Map, Set)})
     * @return the finished file
     */
    public static DataFile writeFile(Table table, Schema schema, Map<String, @Nullable String> partition,
            Set<String> distinctColumns, List<Row> rows) {
        try (DataFileWriter w = table.newDataFile(schema, partition, distinctColumns)) {
            return finish(w, rows);
        }
    }

    private static DataFile finish(DataFileWriter w, List<Row> rows) {
        // an indexed loop: the rows are often a sublist, whose iterator checks for changes at every step
        for (int i = 0; i < rows.size(); i++) {
            w.write(rows.get(i));
        }
        return w.finish();
    }

    /**
     * Delta's table property that allows appends only: with it set to true, Delta refuses a commit
     * that removes rows, which every silver merge, erasure or change of a key's row is.
     */
    public static final String APPEND_ONLY = "delta.appendOnly";

    /** @return whether these table properties allow appends only ({@link #APPEND_ONLY}) */
    public static boolean appendOnly(Map<String, String> properties) {
        String v = properties.get(APPEND_ONLY);
        return v != null && v.trim().equalsIgnoreCase("true");
    }

    /**
     * @param location the table
     * @param refused what the property refuses, such as "the file rewrites of every silver merge"
     * @return the refusal, naming the property and the statement that removes it
     */
    public static ConfigurationException appendOnlyRefuses(String location, String refused) {
        return new ConfigurationException("Delta table " + location + " has the table property " + APPEND_ONLY
                + " = true, which refuses " + refused + ". Remove it (in Spark: ALTER TABLE delta.`" + location
                + "` SET TBLPROPERTIES ('" + APPEND_ONLY + "' = 'false')) or write to a new table path");
    }

    /** Says why a recorded table property refuses the value a pipeline brings. */
    public interface Mismatch {
        /** @return the exception to throw, naming both values and what to do */
        ConfigurationException refuse(String property, String recorded, String wanted);
    }

    /**
     * Refuses a table whose recorded properties differ from these (the table belongs to another
     * key, layout or pipeline), and records the ones it has not recorded yet: on first start, and on
     * the next start of a table written before the property existed.
     *
     * @param snapshot the table as just read
     * @return the table's version after recording
     * @throws ConfigurationException from {@code mismatch} for a property recorded with another value
     */
    public static long recordOrRefuse(Table table, TableSnapshot snapshot, Map<String, String> wanted,
            Mismatch mismatch) {
        Map<String, String> missing = refuseMismatch(snapshot, wanted, mismatch);
        if (missing.isEmpty()) {
            return snapshot.version();
        }
        try {
            return table.newCommit().setProperties(missing).commit("SET TABLE PROPERTIES");
        } catch (UnsupportedOperationException e) {
            return snapshot.version(); // a table that keeps no properties: nothing to check against
        } catch (CommitConflictException e) {
            // another instance started at the same moment: check what it recorded
            return recordOrRefuse(table, table.snapshot(), wanted, mismatch);
        }
    }

    /**
     * @return the properties the table has not recorded yet
     * @throws ConfigurationException from {@code mismatch} for a property recorded with another value
     */
    public static Map<String, String> refuseMismatch(TableSnapshot snapshot, Map<String, String> wanted,
            Mismatch mismatch) {
        Map<String, String> missing = new HashMap<>();
        for (Map.Entry<String, String> w : wanted.entrySet()) {
            String recorded = snapshot.properties().get(w.getKey());
            if (recorded == null) {
                missing.put(w.getKey(), w.getValue());
            } else if (!recorded.equals(w.getValue())) {
                throw mismatch.refuse(w.getKey(), recorded, w.getValue());
            }
        }
        return missing;
    }
}
