package io.streamlake.merge;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The options every built-in strategy shares, as one value so that {@link CdcStrategy} copies them
 * whole. A column is stored when it is in the keep list (or there is none) and not in the drop list.
 * A null delete retention stands for the strategy's default, so that {@code toString()} shows only
 * a retention the user chose.
 */
record ChangeOptions(
        @Nullable Predicate<Row> deleteWhen,
        boolean ignoreNullUpdates,
        @Nullable Set<String> keep,
        Set<String> drop,
        boolean ignoreTombstones,
        @Nullable Duration deleteRetention) {

    static final ChangeOptions NONE = new ChangeOptions(null, false, null, Set.of(), false, null);

    ChangeOptions withDeletes(Predicate<Row> when) {
        return new ChangeOptions(when, ignoreNullUpdates, keep, drop, ignoreTombstones, deleteRetention);
    }

    ChangeOptions withIgnoreNullUpdates() {
        return new ChangeOptions(deleteWhen, true, keep, drop, ignoreTombstones, deleteRetention);
    }

    ChangeOptions withKeep(String... columns) {
        return new ChangeOptions(deleteWhen, ignoreNullUpdates, names(columns), drop, ignoreTombstones,
                deleteRetention);
    }

    ChangeOptions withDrop(String... columns) {
        return new ChangeOptions(deleteWhen, ignoreNullUpdates, keep, names(columns), ignoreTombstones,
                deleteRetention);
    }

    ChangeOptions withIgnoreTombstones() {
        return new ChangeOptions(deleteWhen, ignoreNullUpdates, keep, drop, true, deleteRetention);
    }

    /** @param retention how long delete markers stay; null for the strategy's default */
    ChangeOptions withDeleteRetention(Duration retention) {
        return new ChangeOptions(deleteWhen, ignoreNullUpdates, keep, drop, ignoreTombstones, retention);
    }

    private static Set<String> names(String... columns) {
        Set<String> set = new LinkedHashSet<>();
        for (String c : columns) {
            set.add(Objects.requireNonNull(c, "column"));
        }
        return Collections.unmodifiableSet(set);
    }

    /** @return whether the incoming row asks to delete its key */
    boolean isDelete(Row incoming) {
        return deleteWhen != null && deleteWhen.test(incoming);
    }

    /** @return whether silver keeps this column's values */
    boolean stores(String column) {
        return (keep == null || keep.contains(column)) && !drop.contains(column);
    }

    /**
     * The row to store for an incoming row: nulls filled from {@code base} when null updates are
     * ignored, columns silver does not keep set to null.
     *
     * @param base the row whose values a partial update keeps, or null
     */
    Row apply(@Nullable Row base, Row incoming) {
        return apply(base, incoming, List.of());
    }

    /**
     * The same, keeping the values of {@code kept} even if silver does not store them: sequence
     * columns the engine keeps beside silver must reach it in the row.
     */
    Row apply(@Nullable Row base, Row incoming, Collection<String> kept) {
        boolean fill = ignoreNullUpdates && base != null;
        if (!fill && keep == null && drop.isEmpty()) {
            return incoming; // the common case costs nothing
        }
        Schema schema = incoming.schema();
        Row.Builder b = Row.builder(schema);
        for (int i = 0; i < schema.size(); i++) {
            Object v = incoming.value(i);
            if (v == null && fill) {
                v = base.value(i);
            }
            String name = schema.field(i).name();
            b.set(i, stores(name) || kept.contains(name) ? v : null);
        }
        return b.build();
    }

    /**
     * Checks the listed columns exist and that those silver leaves out may hold null.
     *
     * @param who the strategy, for messages
     * @param alwaysStored columns the strategy stores whatever the lists say
     */
    void validate(Schema schema, String who, Predicate<String> alwaysStored) {
        for (Set<String> listed : Arrays.asList(keep, drop)) {
            if (listed == null) {
                continue;
            }
            for (String c : listed) {
                if (schema.indexOf(c) < 0) {
                    throw new ConfigurationException(who + " lists column '" + c + "', which the silver schema "
                            + schema + " does not have; name declared columns only");
                }
            }
        }
        for (Field f : schema.fields()) {
            if (!stores(f.name()) && !alwaysStored.test(f.name()) && !f.nullable()) {
                throw new ConfigurationException(who + " leaves column '" + f.name() + "' out of silver, but the"
                        + " schema declares it required (not null), and rows read back from silver, which the"
                        + " strategy sees with every declared column, would have no value for it; declare it"
                        + " optional, or keep it with keepColumns / remove it from dropColumns");
            }
        }
    }

    /**
     * @param column a column the strategy cannot work without, such as its sequence column or the key
     * @param why what the column is for, for the message
     */
    void requireStored(String column, String who, String why) {
        if (!stores(column)) {
            throw new ConfigurationException(who + " leaves column '" + column + "' out of silver, but it is " + why
                    + " and must be stored: " + (keep != null && !keep.contains(column)
                            ? "add it to keepColumns" : "remove it from dropColumns"));
        }
    }

    /** @return the options as the fluent calls that set them, such as {@code .ignoreNullUpdates()} */
    String describe() {
        StringBuilder sb = new StringBuilder();
        if (deleteWhen != null) {
            sb.append(".withDeletes(...)");
        }
        if (ignoreNullUpdates) {
            sb.append(".ignoreNullUpdates()");
        }
        if (keep != null) {
            sb.append(".keepColumns").append(keep.toString().replace('[', '(').replace(']', ')'));
        }
        if (!drop.isEmpty()) {
            sb.append(".dropColumns").append(drop.toString().replace('[', '(').replace(']', ')'));
        }
        if (ignoreTombstones) {
            sb.append(".ignoreTombstones()");
        }
        if (deleteRetention != null) {
            sb.append(".keepDeletesFor(").append(deleteRetention).append(')');
        }
        return sb.toString();
    }
}
