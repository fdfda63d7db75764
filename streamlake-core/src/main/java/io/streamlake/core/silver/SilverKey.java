package io.streamlake.core.silver;

import io.streamlake.core.util.RowCursor;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.schema.ValueOrder;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The silver key of rows of one schema: reads a row's key as one value the merge can hash, compare
 * and print. A one-column key is the column's value itself, so the common pipeline builds no
 * wrapper per row; a key of several columns is a {@link CompositeKey} of their values.
 *
 * <pre>{@code
 * SilverKey key = SilverKey.of(schema, List.of("tenant_id", "order_id"));
 * Object k = key.of(row);               // CompositeKey [t-1, o-7], or null if a column is null
 * key.in(markerSchema).set(builder, k); // the same key into a row of another table
 * }</pre>
 */
public final class SilverKey {
    private final List<String> columns;
    private final int[] positions;

    private SilverKey(List<String> columns, int[] positions) {
        this.columns = columns;
        this.positions = positions;
    }

    /**
     * @param schema the rows' schema
     * @param columns the key's columns, most significant first
     * @return the key of that schema's rows
     * @throws ConfigurationException if a column is not in the schema
     */
    public static SilverKey of(Schema schema, List<String> columns) {
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("a silver key has at least one column");
        }
        int[] positions = new int[columns.size()];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = schema.indexOf(columns.get(i));
            if (positions[i] < 0) {
                throw SilverErrors.keyColumnNotInSchema(columns.get(i), schema);
            }
        }
        return new SilverKey(List.copyOf(columns), positions);
    }

    /** @return the same key's columns in rows of another schema, which holds them */
    SilverKey in(Schema other) {
        return of(other, columns);
    }

    /** @return the key's columns, most significant first */
    List<String> columns() {
        return columns;
    }

    /** @return whether the key has one column */
    public boolean single() {
        return positions.length == 1;
    }

    /** @return whether the column at this position is one of the key's */
    boolean contains(int position) {
        for (int p : positions) {
            if (p == position) {
                return true;
            }
        }
        return false;
    }

    /** @return the row's key, or null if a key column is null */
    @Nullable
    public Object of(Row row) {
        return positions.length == 1 ? row.value(positions[0]) : composite(row, null);
    }

    /** @return the key of the row a cursor stands on, or null if a key column is null */
    @Nullable
    Object of(RowCursor row) {
        return positions.length == 1 ? row.value(positions[0]) : composite(null, row);
    }

    /** @return the key of several columns of a row or of the row a cursor stands on, or null if one is null */
    private @Nullable Object composite(@Nullable Row row, @Nullable RowCursor cursor) {
        Object[] values = new Object[positions.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = row != null ? row.value(positions[i]) : Objects.requireNonNull(cursor).value(positions[i]);
            if (values[i] == null) {
                return null;
            }
        }
        return new CompositeKey(values);
    }

    /**
     * Compares the keys of two rows without building them, for sorts.
     *
     * @return the order of the rows' keys, column by column
     */
    public int compare(Row a, Row b) {
        for (int p : positions) {
            int c = ValueOrder.NATURAL.compare(a.value(p), b.value(p));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    /**
     * @param values the key columns' values, most significant first, none null
     * @return the key they make
     */
    public Object of(Object... values) {
        return values.length == 1 ? values[0] : new CompositeKey(values.clone());
    }

    /** Sets the key's columns of a row being built. */
    Row.Builder set(Row.Builder b, Object key) {
        if (key instanceof CompositeKey k) {
            for (int i = 0; i < positions.length; i++) {
                b.set(positions[i], k.value(i));
            }
            return b;
        }
        return b.set(positions[0], key);
    }

    /**
     * A bound of the keys of a file from its statistics: the per-column minimums (or maximums)
     * together. For several columns that is a bound, though not always a key of the file: every key
     * {@code (a, b)} with {@code a} at its column's minimum has {@code b} at or above the other
     * column's minimum, so no key of the file is below {@code (min a, min b)}.
     *
     * @param stats a file's minimum or maximum values by column
     * @return the bound, or null if the statistics lack a key column
     */
    @Nullable
    public Object bound(Map<String, ?> stats) {
        if (positions.length == 1) {
            return stats.get(columns.get(0));
        }
        Object[] values = new Object[positions.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = stats.get(columns.get(i));
            if (values[i] == null) {
                return null;
            }
        }
        return new CompositeKey(values);
    }

    /** @return the key as users name it: {@code order_id}, or {@code (tenant_id, order_id)} */
    @Override
    public String toString() {
        return positions.length == 1 ? columns.get(0) : "(" + String.join(", ", columns) + ")";
    }
}
