package io.streamlake.testkit;

import io.streamlake.merge.Scd2Strategy;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The SCD type 2 table that a key's events give in sequence order, computed without the engine:
 * each key's events folded through {@link Scd2Strategy#mergeHistory(List, java.util.Collection, Row)},
 * which is exact for events in order. At one sequence value a delete goes first (it wins over the
 * updates with its value) and the updates count as one, by the tie rule: the one whose stored values
 * are greater, column by column with null first; with {@code ignoreNullUpdates()}, each column's
 * greatest value, as {@code latestBy}'s partial updates.
 */
final class InOrderHistory {
    private InOrderHistory() {
    }

    /**
     * @param strategy the strategy, without tombstones that delete (tombstones are left out)
     * @param declared the declared silver schema
     * @param changes the events
     * @param ignoringNulls whether the strategy ignores null updates
     * @return silver's rows, with the stored schema
     */
    static Row[] of(Scd2Strategy strategy, Schema declared, List<RandomChanges.Change> changes, boolean ignoringNulls) {
        Schema stored = strategy.storedSchema(declared);
        String seq = strategy.sequenceColumn();
        Map<String, TreeMap<Long, List<Row>>> byKey = new LinkedHashMap<>();
        for (RandomChanges.Change c : changes) {
            if (c.row() != null) {
                byKey.computeIfAbsent(c.key(), k -> new TreeMap<>()).computeIfAbsent(c.row().longValue(seq),
                        s -> new ArrayList<>()).add(c.row());
            }
        }
        List<Row> out = new ArrayList<>();
        for (TreeMap<Long, List<Row>> events : byKey.values()) {
            List<Row> history = List.of();
            List<Object> deletes = new ArrayList<>();
            for (Map.Entry<Long, List<Row>> e : events.entrySet()) {
                Row delete = e.getValue().stream().filter(strategy::isDelete).findFirst().orElse(null);
                if (delete != null) {
                    history = strategy.mergeHistory(history, deletes, delete);
                    deletes.add(e.getKey());
                    continue;
                }
                List<Row> updates = e.getValue().stream().map(r -> project(r, stored)).toList();
                history = strategy.mergeHistory(history, deletes, ignoringNulls ? greatestPerColumn(updates)
                        : greatest(updates));
            }
            for (Row v : history) {
                Object[] values = new Object[stored.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = v.value(stored.field(i).name());
                }
                out.add(Row.of(stored, values));
            }
        }
        return out.toArray(Row[]::new);
    }

    /** The event with null in the columns silver does not store, as the strategy compares it. */
    private static Row project(Row r, Schema stored) {
        Row p = r;
        for (Field f : r.schema().fields()) {
            if (stored.indexOf(f.name()) < 0) {
                p = p.with(f.name(), null);
            }
        }
        return p;
    }

    private static Row greatest(List<Row> updates) {
        Row best = updates.get(0);
        for (Row u : updates) {
            for (int i = 0; i < u.schema().size(); i++) {
                int c = compare(u.value(i), best.value(i));
                if (c != 0) {
                    if (c > 0) {
                        best = u;
                    }
                    break;
                }
            }
        }
        return best;
    }

    private static Row greatestPerColumn(List<Row> updates) {
        Row first = updates.get(0);
        Row.Builder b = Row.builder(first.schema());
        for (int i = 0; i < first.schema().size(); i++) {
            Object best = null;
            for (Row u : updates) {
                if (u.value(i) != null && compare(u.value(i), best) > 0) {
                    best = u.value(i);
                }
            }
            b.set(i, best);
        }
        return b.build();
    }

    @SuppressWarnings("unchecked")
    private static int compare(@Nullable Object a, @Nullable Object b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        return ((Comparable<Object>) a).compareTo(b);
    }
}
