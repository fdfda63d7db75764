package io.streamlake.schema;

import io.streamlake.exceptions.SchemaMismatchException;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides whether an existing table can take rows of a declared schema, and how its schema must grow
 * first. The one safe change is a new nullable column: old rows read it as null. Anything else
 * (a changed type, a dropped column, a new required column) would make old rows or other readers
 * wrong, so it is refused with both schemas and the column named. A contract every
 * {@link io.streamlake.table.Table} follows (the Delta and the in-memory tables both use it, so they
 * agree), for a table implementation's {@code create}.
 *
 * <pre>{@code
 * Schema evolved = SchemaEvolution.evolve(location, existing, declared);   // or SchemaMismatchException
 * }</pre>
 */
public final class SchemaEvolution {
    private SchemaEvolution() {
    }

    /**
     * @param location the table, for messages
     * @param table the table's schema now
     * @param declared the schema rows will have
     * @return the schema the table must have to hold them: {@code table} itself when nothing changes,
     *     else the table's columns followed by the declared schema's new (nullable) columns
     * @throws SchemaMismatchException naming both schemas and the offending column
     */
    public static Schema evolve(String location, Schema table, Schema declared) {
        List<Field> added = new ArrayList<>();
        for (Field want : declared.fields()) {
            Field have = table.field(want.name()).orElse(null);
            if (have == null) {
                if (!want.nullable()) {
                    throw mismatch(location, table, declared,
                            "the new column '" + want.name() + "' is required, but rows"
                                    + " already in the table have no value for it; declare it optional to add it");
                }
                added.add(want);
            } else if (!have.type().equals(want.type())) {
                throw mismatch(location, table, declared, "column '" + want.name() + "' is " + have.type()
                        + " in the table but " + want.type() + " in the declared schema; changing a column's type is"
                        + " not supported: add a new column or write to a new table");
            } else if (!have.nullable() && want.nullable()) {
                throw mismatch(location, table, declared, "column '" + want.name() + "' is required (not null) in the"
                        + " table but optional in the declared schema; declare it required");
            }
        }
        for (Field have : table.fields()) {
            if (declared.indexOf(have.name()) < 0) {
                throw mismatch(location, table, declared, "column '" + have.name() + "' (" + have.type()
                        + ") of the table is missing from the declared schema; keep declaring it (optional) so"
                        + " rows rewritten by merges keep their values");
            }
        }
        if (added.isEmpty()) {
            return table;
        }
        List<Field> grown = new ArrayList<>(table.fields());
        grown.addAll(added);
        return Schema.of(grown);
    }

    private static SchemaMismatchException mismatch(String location, Schema table, Schema declared, String why) {
        return new SchemaMismatchException("table " + location + " has schema " + table + ", which cannot take rows of"
                + " the declared schema " + declared + ": " + why);
    }
}
