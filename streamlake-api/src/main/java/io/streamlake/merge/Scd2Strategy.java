package io.streamlake.merge;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * History per key (slowly changing dimension type 2), as Delta Live Tables keeps it: silver holds
 * one row per version of a key, valid from {@value #START_AT} (inclusive) to {@value #END_AT}
 * (exclusive), both values of the sequence column; the current version has a null
 * {@value #END_AT}. Made by {@link MergeStrategies#scd2}.
 *
 * <pre>{@code
 * Schema schema = Schema.builder()
 *     .required("order_id", DataType.STRING)
 *     .optional("status", DataType.STRING)
 *     .optional("note", DataType.STRING)
 *     .optional("updated_at", DataType.TIMESTAMP)
 *     .optional("__START_AT", DataType.TIMESTAMP)   // the sequence column's type
 *     .optional("__END_AT", DataType.TIMESTAMP)
 *     .build();
 * pipeline.withSchema(schema)
 *     .withMergeStrategy(MergeStrategies.scd2("updated_at").trackHistoryOn("status"));
 * // order o-1: CREATED at 10:00, PAID at 10:05 -> silver:
 * //   o-1 CREATED 10:00 __START_AT=10:00 __END_AT=10:05
 * //   o-1 PAID    10:05 __START_AT=10:05 __END_AT=null
 * }</pre>
 *
 * <h2>Several sequence columns</h2>
 * {@code MergeStrategies.scd2("commit_ts", "change_no")} orders events by both columns,
 * lexicographically (see {@link CompositeSequence}). Delta Live Tables makes {@value #START_AT} and
 * {@value #END_AT} a struct then; a table here has no struct type, so they are STRING columns that
 * hold the sequence value's text, such as {@code ["2026-01-01T10:00:00Z",3]}
 * ({@link CompositeSequence#encode}). {@code WHERE __END_AT IS NULL} still finds the current
 * versions, and {@link CompositeSequence#decode} reads a value back; but the text does not order as
 * the values do ({@code [10]} before {@code [9]}): to order versions, decode it, never compare the
 * text. (A version's sequence columns show the last event it absorbed, not always its start.)
 *
 * <pre>{@code
 * Schema.builder()...
 *     .optional("commit_ts", DataType.TIMESTAMP).optional("change_no", DataType.LONG)
 *     .optional("__START_AT", DataType.STRING).optional("__END_AT", DataType.STRING)
 * }</pre>
 *
 * <h2>How an event changes the history</h2>
 * An event with sequence value {@code s} is an observation of the key's state at {@code s}:
 * <ul>
 *   <li>A change to a tracked column closes the version that covers {@code s} at {@code s} and
 *       starts a new one at {@code s}. For the newest event that is the usual "close the current
 *       version, insert a new current one"; for an out-of-order event it splits an older version,
 *       so history is inserted in the right place.</li>
 *   <li>A change only to untracked columns updates the covering version in place, when the event
 *       is not older than the one whose values the version shows (its sequence column).</li>
 *   <li>A duplicate (same sequence value, same values) changes nothing. Two different events with
 *       the same sequence value: the one whose stored values are greater stays, whatever their
 *       arrival order, by the same rule as {@code latestBy} (see {@link Scd1Strategy}).</li>
 *   <li>A delete ({@link #withDeletes}) closes the covering version at {@code s}; a later event
 *       starts a new version after the gap. The delete is remembered (a <em>delete marker</em>,
 *       kept for {@link #keepDeletesFor}, {@value CdcStrategy#DEFAULT_DELETE_RETENTION_DAYS} days
 *       by default, in the table of {@code Pipeline.withDeleteMarkers}), so an older event that
 *       arrives after it, even before any other event of the key, starts a version that ends at the
 *       delete. A delete wins over an update with the same sequence value, in any arrival order.</li>
 *   <li>Adjacent versions with equal tracked values are one version.</li>
 * </ul>
 * If the covering version was updated in place by an event later than {@code s}, that event's
 * values were seen after {@code s}, so the version resumes there: the split makes three versions.
 * Untracked columns always show the latest values seen for a version.
 *
 * <p>A version remembers where it starts and the sequence value of the last event it absorbed (its
 * sequence column), not every event that repeated its tracked values. So history is exact for
 * events in order; for late events, validity and tracked columns are exact when a version absorbed
 * at most one later event (when a late event lands before several absorbed events, the version
 * resumes only at the last of them), while the part of a split version before the split shows the
 * untracked values and sequence value of the event it absorbed.
 * Events whose tracked values differ from their neighbours' give the same history in any arrival
 * order.
 *
 * <p>Every event needs a sequence value: a pipeline quarantines one without (reason
 * {@code NULL_SEQUENCE}) before it reaches the strategy, and {@link #mergeHistory} called directly
 * refuses it with a {@link SchemaMismatchException}. A tombstone
 * has no sequence value to close a version at, so by default it removes the key's whole history,
 * as compaction forgets the key; {@link #ignoreTombstones()} keeps it.
 *
 * <p>The engine merges this strategy with {@link #mergeHistory(List, Collection, Row)}, over all of
 * a key's versions and its delete markers;
 * {@link #merge(Row, Row)}, which sees one row, is not supported.
 */
public final class Scd2Strategy extends CdcStrategy<Scd2Strategy> {
    /** The column where a version starts, inclusive: the sequence value of the event that started it. */
    public static final String START_AT = "__START_AT";
    /** The column where a version ends, exclusive; null for the current version. */
    public static final String END_AT = "__END_AT";

    /** The sequence columns, most significant first. */
    private final List<String> sequenceColumns;
    /** The columns of trackHistoryOn, or of trackHistoryExcept when {@link #except}; null for neither. */
    private final @Nullable Set<String> listed;
    private final boolean except;

    private Scd2Strategy(List<String> sequenceColumns, @Nullable Set<String> listed, boolean except,
            ChangeOptions options) {
        super(options);
        this.sequenceColumns = sequenceColumns;
        this.listed = listed;
        this.except = except;
    }

    /** @param sequenceColumns at least one column, most significant first */
    static Scd2Strategy by(List<String> sequenceColumns) {
        return new Scd2Strategy(sequenceColumns, null, false, ChangeOptions.NONE);
    }

    @Override
    Scd2Strategy with(ChangeOptions changed) {
        return new Scd2Strategy(sequenceColumns, listed, except, changed);
    }

    /**
     * Keeps history only for changes to these columns ({@code TRACK HISTORY ON} in Delta Live
     * Tables); changes to other columns update the current version in place. Without it every
     * stored column but the sequence column is tracked.
     *
     * <pre>{@code
     * MergeStrategies.scd2("updated_at").trackHistoryOn("status", "amount")
     * }</pre>
     *
     * @param columns the tracked columns, at least one; replaces an earlier
     *     {@code trackHistoryOn} or {@link #trackHistoryExcept}
     * @return a copy that tracks only these columns
     */
    public Scd2Strategy trackHistoryOn(String... columns) {
        return new Scd2Strategy(sequenceColumns, names("trackHistoryOn", columns), false, options);
    }

    /**
     * Keeps history for changes to every stored column but these ({@code TRACK HISTORY ON * EXCEPT}
     * in Delta Live Tables); changes to these update the current version in place. The sequence
     * column is never tracked.
     *
     * <pre>{@code
     * MergeStrategies.scd2("updated_at").trackHistoryExcept("last_login", "note")
     * }</pre>
     *
     * @param columns the untracked columns, at least one; replaces an earlier
     *     {@link #trackHistoryOn} or {@code trackHistoryExcept}
     * @return a copy that tracks every other stored column
     */
    public Scd2Strategy trackHistoryExcept(String... columns) {
        return new Scd2Strategy(sequenceColumns, names("trackHistoryExcept", columns), true, options);
    }

    private static Set<String> names(String option, String... columns) {
        if (columns.length == 0) {
            throw new IllegalArgumentException(option + " needs at least one column");
        }
        Set<String> set = new LinkedHashSet<>();
        for (String c : columns) {
            set.add(Objects.requireNonNull(c, "column"));
        }
        return Collections.unmodifiableSet(set);
    }

    /**
     * @return the column whose values order events and fill {@value #START_AT} and {@value #END_AT};
     *     the most significant one when several do ({@link #sequenceColumns()} lists them all, and
     *     {@link #sequenceOf} reads an event's value)
     */
    public String sequenceColumn() {
        return sequenceColumns.get(0);
    }

    @Override
    public List<String> sequenceColumns() {
        return sequenceColumns;
    }

    /**
     * Not supported: one row cannot hold a history. The engine uses {@link #mergeHistory}.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public MergeDecision merge(@Nullable Row current, Row incoming) {
        throw new UnsupportedOperationException(this + " keeps several versions per key, so it cannot decide on one"
                + " row; use mergeHistory(versions, incoming)");
    }

    /**
     * Applies one event to a key's history, for a caller that remembers no earlier deletes: a delete
     * that came before the versions it would close is forgotten. The engine uses
     * {@link #mergeHistory(List, Collection, Row)}.
     *
     * @param versions the key's versions (any order; empty when silver does not hold the key)
     * @param incoming the event, a row of the silver schema
     * @return the key's new versions ordered by {@value #START_AT}
     * @throws SchemaMismatchException if the event has no sequence value
     */
    public List<Row> mergeHistory(List<Row> versions, Row incoming) {
        return mergeHistory(versions, List.of(), incoming);
    }

    /**
     * Applies one event to a key's history, given the sequence values of the key's earlier deletes.
     * Pure, like every strategy. A caller that folds events keeps the values of the delete events
     * ({@link #isDelete}) it has seen, as the engine keeps them in its delete-marker table:
     *
     * <pre>{@code
     * List<Row> history = List.of();
     * List<Object> deletes = new ArrayList<>();
     * for (Row event : events) {
     *     history = strategy.mergeHistory(history, deletes, event);
     *     if (strategy.isDelete(event)) {
     *         deletes.add(strategy.sequenceOf(event));
     *     }
     * }
     * }</pre>
     *
     * @param versions the key's versions (any order; empty when silver does not hold the key)
     * @param deletes the sequence values of the key's deletes seen before, in any order, as
     *     {@link #sequenceOf} gives them
     * @param incoming the event, a row of the silver schema
     * @return the key's new versions ordered by {@value #START_AT}, empty when none is left; equal
     *     to {@code versions} (sorted) when the event changes nothing
     * @throws SchemaMismatchException if the event has no sequence value
     */
    public List<Row> mergeHistory(List<Row> versions, Collection<?> deletes, Row incoming) {
        Object s = sequenceOf(incoming);
        if (s == null) {
            String column = sequenceColumns.stream().filter(c -> incoming.value(c) == null).findFirst().orElseThrow();
            throw new SchemaMismatchException(this + ": an event has no " + column
                    + " value, so it has no place in the history: " + incoming
                    + ". Make the producer set it, or quarantine such records with an expectation on "
                    + column + ".");
        }
        Validity validity = new Validity(sequenceTypes(incoming.schema()));
        List<Row> history = new ArrayList<>(versions);
        history.sort((a, b) -> compareSequence(validity.start(a), validity.start(b)));
        boolean delete = options.isDelete(incoming);
        // The first delete after s ends whatever version s starts: the key did not exist from there.
        Object nextDelete = null;
        for (Object d : deletes) {
            int c = compareSequence(d, s);
            if (c == 0 && !delete) {
                return history; // a delete wins over an update with the same sequence value
            }
            if (c > 0 && (nextDelete == null || compareSequence(d, nextDelete) < 0)) {
                nextDelete = d;
            }
        }
        int at = -1; // the last version that starts at or before s
        while (at + 1 < history.size() && compareSequence(validity.start(history.get(at + 1)), s) <= 0) {
            at++;
        }
        Row covering = at >= 0 && covers(validity.end(history.get(at)), s) ? history.get(at) : null;

        List<Row> out = new ArrayList<>(history.size() + 2);
        out.addAll(history.subList(0, Math.max(at, 0)));
        if (covering != null) {
            Object start = validity.start(covering);
            Object end = validity.end(covering);
            Object seen = sequenceOf(covering);
            Row values = delete ? null : options.apply(covering, incoming);
            if (values != null && compareSequence(seen, s) == 0 && compareTies(withoutValidity(values),
                    withoutValidity(covering)) <= 0) {
                return history; // as new as the values the version shows, and not greater: the tie rule keeps them
            }
            // The covering version resumes where an event later than s showed its values.
            boolean resumes = compareSequence(seen, s) > 0 && (end == null || compareSequence(seen, end) < 0);
            if (compareSequence(start, s) < 0) {
                out.add(validity.end(covering, s));
            }
            if (values != null) {
                out.add(validity.version(values, s, earlier(resumes ? seen : end, nextDelete)));
            }
            if (resumes) {
                out.add(validity.start(covering, seen));
            }
        } else {
            if (at >= 0) {
                out.add(history.get(at)); // closed before s: the key did not exist at s
            }
            if (!delete) {
                Object next = at + 1 < history.size() ? validity.start(history.get(at + 1)) : null;
                out.add(validity.version(options.apply(null, incoming), s, earlier(next, nextDelete)));
            }
        }
        out.addAll(history.subList(at + 1, history.size()));
        return coalesce(out, validity);
    }

    /**
     * A version's validity as sequence values: the columns hold one column's values as they are,
     * and a composite value as its text ({@link CompositeSequence#toStored}), which does not order
     * as the values do, so the history is ordered by the decoded values.
     *
     * @param types the sequence columns' types
     */
    private record Validity(List<DataType> types) {
        Object start(Row version) {
            return Objects.requireNonNull(CompositeSequence.fromStored(version.value(START_AT), types));
        }

        @Nullable Object end(Row version) {
            return CompositeSequence.fromStored(version.value(END_AT), types);
        }

        Row start(Row version, Object start) {
            return version.with(START_AT, CompositeSequence.toStored(start));
        }

        Row end(Row version, @Nullable Object end) {
            return version.with(END_AT, CompositeSequence.toStored(end));
        }

        Row version(Row values, Object start, @Nullable Object end) {
            return end(start(values, start), end);
        }
    }

    /** @return the earlier of two ends, where null is no end */
    private static @Nullable Object earlier(@Nullable Object a, @Nullable Object b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        return compareSequence(a, b) <= 0 ? a : b;
    }

    private static Row withoutValidity(Row version) {
        return version.with(START_AT, null).with(END_AT, null);
    }

    @Override
    boolean leavesMarkers() {
        return options.deleteWhen() != null; // a tombstone removes the whole history and needs no marker
    }

    /** @return whether a version ending at {@code end} (null: still current) covers sequence value {@code s} */
    private static boolean covers(@Nullable Object end, Object s) {
        return end == null || compareSequence(s, end) < 0;
    }

    /** Merges adjacent versions whose tracked values are equal; the later one's values stay. */
    private List<Row> coalesce(List<Row> versions, Validity validity) {
        List<Row> out = new ArrayList<>(versions.size());
        for (Row v : versions) {
            int last = out.size() - 1;
            Row prev = last >= 0 ? out.get(last) : null;
            Object prevEnd = prev == null ? null : validity.end(prev);
            if (prevEnd != null && compareSequence(prevEnd, validity.start(v)) == 0 && sameTracked(prev, v)) {
                out.set(last, v.with(START_AT, prev.value(START_AT)));
            } else {
                out.add(v);
            }
        }
        return out;
    }

    private boolean sameTracked(Row a, Row b) {
        Schema schema = a.schema();
        for (int i = 0; i < schema.size(); i++) {
            if (tracks(schema.field(i).name()) && !Objects.deepEquals(a.value(i), b.value(i))) {
                return false;
            }
        }
        return true;
    }

    private boolean tracks(String column) {
        if (listed != null && !except) {
            return listed.contains(column);
        }
        return options.stores(column) && !sequenceColumns.contains(column) && !column.equals(START_AT)
                && !column.equals(END_AT) && (listed == null || !listed.contains(column));
    }

    /**
     * Checks the sequence columns and that the schema declares {@value #START_AT} and
     * {@value #END_AT} of the sequence column's type (STRING for several sequence columns),
     * {@value #END_AT} optional; the message says exactly what to add.
     */
    @Override
    public void validate(Schema schema) {
        super.validate(schema);
        DataType type = CompositeSequence.storedType(requireSequence(schema).stream().map(Field::type).toList());
        String add = ".optional(\"" + START_AT + "\", " + javaType(type) + ").optional(\"" + END_AT + "\", "
                + javaType(type) + ")";
        String typeOf = sequenceColumns.size() == 1 ? "the sequence column's type " + type
                : type + ", which holds the text of a sequence value of several columns (CompositeSequence)";
        for (String column : List.of(START_AT, END_AT)) {
            Field f = schema.field(column).orElseThrow(() -> new ConfigurationException(this
                    + " keeps each version's validity in columns " + START_AT + " and " + END_AT
                    + ", of " + typeOf + ", but the silver schema " + schema
                    + " has no column " + column + "; add both to the schema: Schema.builder()..." + add));
            if (!f.type().equals(type)) {
                throw new ConfigurationException(this + ": column " + column + " has type " + f.type()
                        + " but must have " + typeOf + "; declare it so: " + add);
            }
            if (options.drop().contains(column)) {
                throw new ConfigurationException(this + " cannot drop " + column + ": it holds the history");
            }
        }
        if (!schema.require(END_AT).nullable()) {
            throw new ConfigurationException(this + ": column " + END_AT + " must be optional, because null marks"
                    + " the current version; declare it with " + add);
        }
        if (listed != null) {
            for (String c : listed) {
                if (schema.indexOf(c) < 0 || c.equals(START_AT) || c.equals(END_AT)) {
                    throw new ConfigurationException(this + (except ? " leaves out of history" : " tracks")
                            + " column '" + c + "', which is not a data column of the silver schema " + schema
                            + "; name declared columns other than " + START_AT + " and " + END_AT);
                }
                if (!except) {
                    options.requireStored(c, toString(), "a tracked column");
                }
            }
        }
    }

    /** The validity columns hold the history, so they are stored even when {@code keepColumns} does not list them. */
    @Override
    boolean alwaysStores(String column) {
        return column.equals(START_AT) || column.equals(END_AT);
    }

    private static String javaType(DataType type) {
        return type.kind() == DataType.Kind.DECIMAL
                ? "DataType.decimal(" + type.precision() + ", " + type.scale() + ")"
                : "DataType." + type.kind().name();
    }

    @Override
    String base() {
        return "scd2(" + String.join(", ", sequenceColumns) + ")" + (listed == null ? ""
                : (except ? ".trackHistoryExcept" : ".trackHistoryOn") + listed.toString().replace('[', '(')
                        .replace(']', ')'));
    }
}
