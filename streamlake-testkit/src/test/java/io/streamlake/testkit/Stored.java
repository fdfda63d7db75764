package io.streamlake.testkit;

import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Expected silver rows: a declared row without the columns the strategy leaves out of the table. */
final class Stored {
    private Stored() {
    }

    /**
     * @param row a row of the declared schema, null in the columns left out
     * @param leftOut the columns silver does not store ({@code dropColumns})
     * @return the row as silver stores it
     * @throws IllegalArgumentException if a left-out column holds a value, which silver could not show
     */
    static Row without(Row row, String... leftOut) {
        Set<String> out = Set.of(leftOut);
        List<Field> fields = new ArrayList<>();
        List<Object> values = new ArrayList<>();
        for (Field f : row.schema().fields()) {
            if (out.contains(f.name())) {
                if (row.value(f.name()) != null) {
                    throw new IllegalArgumentException("expected row " + row + " holds a value in column '" + f.name()
                            + "', which silver does not store");
                }
                continue;
            }
            fields.add(f);
            values.add(row.value(f.name()));
        }
        return Row.of(Schema.of(fields), values.toArray());
    }

    /** @return the schema without these columns */
    static Schema without(Schema schema, String... leftOut) {
        Set<String> out = Set.of(leftOut);
        return Schema.of(schema.fields().stream().filter(f -> !out.contains(f.name())).toList());
    }
}
