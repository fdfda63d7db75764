package io.streamlake.core.silver;

import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.Table;
import io.streamlake.table.TableSnapshot;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The two schemas of silver: the declared one, which decoding, transforms, expectations and the
 * merge strategy work with, and the stored one, which the table holds
 * ({@link MergeStrategy#storedSchema}: without the columns {@code dropColumns} / {@code keepColumns}
 * leave out, as Delta Live Tables' {@code COLUMNS * EXCEPT}). The merge reads silver's rows with the
 * stored schema and widens them to the declared one (null in the columns not stored) before the
 * strategy sees them, and narrows what it writes, so no strategy needs to know.
 *
 * <p><b>Tables that already hold a left-out column.</b> A table created before columns were left out
 * of it (by an earlier version, or by a strategy that stored the column) keeps the column: removing a
 * column from a Delta table needs column mapping (reader 2, writer 5), which delta-standalone cannot
 * write and not every reader supports. So a declared column is stored when the strategy stores it
 * <em>or</em> the table's current schema, from its latest snapshot, has it; the strategy writes null
 * there ({@code ChangeOptions.apply}), as before.
 *
 * <pre>{@code
 * SilverColumns columns = SilverColumns.of(declared, strategy, silver.snapshot().schema().orElse(null));
 * silver.create(columns.stored(), partitionColumns);
 * Iterator<Row> rows = columns.read(silver, file);      // declared rows
 * Tables.writeFile(silver, columns.stored(), columns.narrow(rows));
 * }</pre>
 */
public final class SilverColumns {
    private final Schema declared;
    private final Schema stored;
    /** For each stored column, its position in the declared schema; null when the two are equal. */
    private final int @Nullable [] declaredPositions;
    /** For each declared column, its position in the stored schema or -1; null when the two are equal. */
    private final int @Nullable [] storedPositions;

    private SilverColumns(Schema declared, Schema stored) {
        this.declared = declared;
        this.stored = stored;
        if (stored.equals(declared)) {
            declaredPositions = null;
            storedPositions = null;
        } else {
            declaredPositions = new int[stored.size()];
            for (int i = 0; i < stored.size(); i++) {
                declaredPositions[i] = declared.indexOf(stored.field(i).name());
            }
            storedPositions = new int[declared.size()];
            for (int i = 0; i < declared.size(); i++) {
                storedPositions[i] = stored.indexOf(declared.field(i).name());
            }
        }
    }

    /** @return the same schema read and written: for tables whose rows are stored whole, such as delete markers */
    static SilverColumns all(Schema schema) {
        return new SilverColumns(schema, schema);
    }

    /**
     * @param declared the declared silver schema
     * @param strategy the merge strategy, which says which columns it stores
     * @param table the table's current schema, null when it does not exist yet
     * @return the columns: the declared ones the strategy stores or the table already has, in declared order
     */
    static SilverColumns of(Schema declared, MergeStrategy strategy, @Nullable Schema table) {
        Schema wanted = strategy.storedSchema(declared);
        if (wanted.equals(declared)) {
            return all(declared);
        }
        List<Field> fields = new ArrayList<>();
        for (Field f : declared.fields()) {
            if (wanted.indexOf(f.name()) >= 0 || (table != null && table.indexOf(f.name()) >= 0)) {
                fields.add(f);
            }
        }
        return new SilverColumns(declared, fields.size() == declared.size() ? declared : Schema.of(fields));
    }

    /**
     * Creates silver, or checks and evolves the existing table, with the stored schema. When another
     * instance (of an earlier version) created the table in between with a column this one would
     * leave out, the columns are decided again from the table it made.
     *
     * @param before the table as read before; its schema decides which left-out columns it keeps
     * @return the columns and the table after creation
     */
    public static Opened open(Table silver, Schema declared, MergeStrategy strategy, List<String> partitionColumns,
            TableSnapshot before) {
        SilverColumns columns = of(declared, strategy, before.schema().orElse(null));
        try {
            return new Opened(columns, silver.create(columns.stored(), partitionColumns));
        } catch (SchemaMismatchException e) {
            SilverColumns again = of(declared, strategy, silver.snapshot().schema().orElse(null));
            if (again.stored().equals(columns.stored())) {
                throw e;
            }
            return new Opened(again, silver.create(again.stored(), partitionColumns));
        }
    }

    /** Silver's columns and its snapshot once created. */
    record Opened(SilverColumns columns, TableSnapshot snapshot) {
    }

    /** @return the schema decoding, transforms, expectations and the strategy work with */
    Schema declared() {
        return declared;
    }

    /** @return the schema silver's data files are written with */
    Schema stored() {
        return stored;
    }

    /** @return whether every declared column is stored, so rows need no widening or narrowing */
    boolean whole() {
        return declaredPositions == null;
    }

    /**
     * @param file a data file of silver
     * @return its rows with the declared schema, null in the columns not stored
     */
    Iterator<Row> read(Table table, DataFile file) {
        Iterator<Row> rows = table.read(file, stored);
        if (whole()) {
            return rows;
        }
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                return widen(rows.next());
            }
        };
    }

    /**
     * @param row a row as read from silver with the stored schema (or, from a table that returns rows
     *     as written, with whichever schema they were written)
     * @return the row with the declared schema
     */
    Row widen(Row row) {
        int[] from = storedPositions;
        if (from == null || row.schema() == declared) {
            return row;
        }
        Object[] values = new Object[declared.size()];
        if (row.schema() == stored || row.schema().equals(stored)) {
            for (int i = 0; i < values.length; i++) {
                values[i] = from[i] < 0 ? null : row.value(from[i]);
            }
        } else {
            Schema s = row.schema();
            for (int i = 0; i < values.length; i++) {
                int p = s.indexOf(declared.field(i).name());
                values[i] = p < 0 ? null : row.value(p);
            }
        }
        return Row.of(declared, values);
    }

    /**
     * @param row a row with the declared schema
     * @return the row with the stored schema
     */
    Row narrow(Row row) {
        int[] from = declaredPositions;
        if (from == null || row.schema() == stored) {
            return row;
        }
        Object[] values = new Object[from.length];
        if (row.schema() == declared || row.schema().equals(declared)) {
            for (int i = 0; i < from.length; i++) {
                values[i] = row.value(from[i]);
            }
        } else {
            // not a row of the declared schema: by name, so the writer's schema check names the difference
            Schema s = row.schema();
            for (int i = 0; i < from.length; i++) {
                int p = s.indexOf(stored.field(i).name());
                values[i] = p < 0 ? null : row.value(p);
            }
        }
        return Row.of(stored, values);
    }

    /** @return the rows with the stored schema; the list itself when every column is stored */
    List<Row> narrow(List<Row> rows) {
        if (whole()) {
            return rows;
        }
        List<Row> out = new ArrayList<>(rows.size());
        for (Row r : rows) {
            out.add(narrow(r));
        }
        return out;
    }
}
