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
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
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
 *   <li>A change only to untracked columns updates the covering version in place: the version
 *       <em>absorbs</em> the event, and shows it when it is the newest event the version absorbed
 *       (its sequence column says which).</li>
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
 * The history depends only on the events: it is what they give in sequence order, whatever order
 * they arrive in, however they are cut into batches, across restarts (for late events within the
 * retention, below). So a late event that lands in a version that absorbed later events in place
 * splits it between them: the part before the split shows the last event before it, with that
 * event's untracked values and sequence value, and the version resumes at the first absorbed event
 * after it.
 *
 * <p>With {@link #ignoreNullUpdates()}, a version's column holds the value of the newest event, at
 * or before the one the version shows and after the key's last delete before it, that set the
 * column (a non-null value): an event's nulls are filled from the events before it in sequence
 * order, not from what arrived before it. Two updates with the same sequence value count as one
 * whose columns each hold the greatest value either set, as for {@code latestBy}; without
 * {@code ignoreNullUpdates()} the tie rule above keeps the one whose stored values are greater.
 *
 * <p>A version stores where it starts and the values of the last event it absorbed; the engine
 * keeps the events it absorbed before (its start among them) beside silver, in the delete-marker
 * table ({@link History#absorbed()}), only when a version absorbs an event: events in order that
 * change tracked values keep nothing there. They are kept for {@link #keepDeletesFor} like delete
 * markers ({@value CdcStrategy#DEFAULT_DELETE_RETENTION_DAYS} days of source time by default) and
 * then forgotten at compaction, oldest first. The history is exact for a late event when no event
 * of its key with a greater sequence value was seen more than the retention before it arrives
 * (with {@code ignoreNullUpdates()}, nor the events of the version it lands in). Past that, a
 * version whose first events are forgotten keeps its row for them, and a late event among them
 * splits it as before these events were kept: the part before the split shows the values and
 * sequence value of the version's row. With {@code keepDeletesFor(Duration.ZERO)} nothing is kept,
 * and every late event splits that way.
 *
 * <p>Every event needs a sequence value: a pipeline quarantines one without (reason
 * {@code NULL_SEQUENCE}) before it reaches the strategy, and {@link #mergeHistory} called directly
 * refuses it with a {@link SchemaMismatchException}. A tombstone
 * has no sequence value to close a version at, so by default it removes the key's whole history
 * and the events it absorbed, as compaction forgets the key; {@link #ignoreTombstones()} keeps it.
 *
 * <p>The engine merges this strategy with {@link #mergeHistory(History, Collection, Row)}, over all
 * of a key's versions, the events they absorbed and its delete markers (with
 * {@link #mergeHistory(List, Collection, Row)} when it keeps none); {@link #merge(Row, Row)}, which
 * sees one row, is not supported.
 */
public final class Scd2Strategy extends CdcStrategy<Scd2Strategy> implements HistoryStrategy {
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
     * Pure, like every strategy. Exact for an event newer than the others; a late event that lands
     * in a version that absorbed events splits it as if the version's row were its only event
     * ({@link #mergeHistory(History, Collection, Row)} is exact in any order). A caller that folds
     * events keeps the values of the delete events ({@link #isDelete}) it has seen, as the engine
     * keeps them in its delete-marker table:
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
     * @param deletes the sequence values of the key's deletes seen before, in any order
     * @param incoming the event, a row of the silver schema
     * @return the key's new versions ordered by {@value #START_AT}, empty when none is left; equal
     *     to {@code versions} (sorted) when the event changes nothing
     * @throws SchemaMismatchException if the event has no sequence value
     */
    @Override
    public List<Row> mergeHistory(List<Row> versions, Collection<?> deletes, Row incoming) {
        Object s = sequenceOfEvent(incoming);
        List<Row> history = new ArrayList<>(versions);
        history.sort((a, b) -> compareSequence(start(a), start(b)));
        return place(history, deletes, s, incoming, options.isDelete(incoming));
    }

    /** @return the event's sequence value; refuses an event without one */
    private Object sequenceOfEvent(Row incoming) {
        Object s = sequenceOf(incoming);
        if (s == null) {
            String column = sequenceColumns.stream().filter(c -> incoming.value(c) == null).findFirst().orElseThrow();
            throw new SchemaMismatchException(this + ": an event has no " + column
                    + " value, so it has no place in the history: " + incoming
                    + ". Make the producer set it, or quarantine such records with an expectation on "
                    + column + ".");
        }
        return s;
    }

    /**
     * Places one event with sequence value {@code s} into a history sorted by {@value #START_AT}:
     * exact for an event newer than every event before it, the documented approximation (a split that
     * resumes where the version's values were seen) for an older one.
     */
    private List<Row> place(List<Row> history, Collection<?> deletes, Object s, Row incoming, boolean delete) {
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
        while (at + 1 < history.size() && compareSequence(start(history.get(at + 1)), s) <= 0) {
            at++;
        }
        Row covering = at >= 0 && covers(history.get(at), s) ? history.get(at) : null;

        List<Row> out = new ArrayList<>(history.size() + 2);
        out.addAll(history.subList(0, Math.max(at, 0)));
        if (covering != null) {
            Object start = start(covering);
            Object end = end(covering);
            Object seen = sequenceOf(covering);
            Row values = delete ? null : options.apply(covering, incoming);
            if (values != null && compareSequence(seen, s) == 0 && compareTies(withoutValidity(values),
                    withoutValidity(covering)) <= 0) {
                return history; // as new as the values the version shows, and not greater: the tie rule keeps them
            }
            // The covering version resumes where an event later than s showed its values.
            boolean resumes = compareSequence(seen, s) > 0 && (end == null || compareSequence(seen, end) < 0);
            if (compareSequence(start, s) < 0) {
                out.add(withEnd(covering, s));
            }
            if (values != null) {
                out.add(version(values, s, earlier(resumes ? seen : end, nextDelete)));
            }
            if (resumes) {
                out.add(withStart(covering, seen));
            }
        } else {
            if (at >= 0) {
                out.add(history.get(at)); // closed before s: the key did not exist at s
            }
            if (!delete) {
                Object next = at + 1 < history.size() ? start(history.get(at + 1)) : null;
                out.add(version(options.apply(null, incoming), s, earlier(next, nextDelete)));
            }
        }
        out.addAll(history.subList(at + 1, history.size()));
        return coalesce(out);
    }

    /**
     * Applies one event to a key's history so that the result is what the key's events give in
     * sequence order, whatever order they arrived in: the history is rebuilt from the events it
     * knows (the versions' own events, the absorbed events, the deletes and this one), folded in
     * sequence order. Pure, like every strategy; the engine keeps {@link History#absorbed()} in its
     * delete-marker table, for {@link #keepDeletesFor} like the deletes.
     *
     * <p>An event newer than every event the history knows is placed as by
     * {@link #mergeHistory(List, Collection, Row)}, with no rebuild. A version whose first events
     * are no longer known (forgotten after the retention) keeps its row for them: a late event
     * among them splits it as {@link #mergeHistory(List, Collection, Row)} does.
     *
     * <pre>{@code
     * Scd2Strategy s = MergeStrategies.scd2("seq").trackHistoryOn("status");
     * History h = new History(List.of(), List.of());
     * h = s.mergeHistory(h, List.of(), event(seq 1, status "A", note "x"));
     * h = s.mergeHistory(h, List.of(), event(seq 3, status "A", note "y"));   // absorbed: seq 1 is kept
     * h = s.mergeHistory(h, List.of(), event(seq 2, status "B", note null));  // late: splits [1, 3)
     * // h.versions(): A x [1, 2), B null [2, 3), A y [3, null)
     * }</pre>
     *
     * @param history the key's versions and absorbed events
     * @param deletes the sequence values of the key's deletes seen before, in any order
     * @param incoming the event, a row of the silver schema
     * @return the key's new versions, ordered by {@value #START_AT}, and the events to keep beside
     *     them: those given, and any the versions no longer show
     * @throws SchemaMismatchException if the event has no sequence value
     */
    @Override
    public History mergeHistory(History history, Collection<?> deletes, Row incoming) {
        Object s = sequenceOfEvent(incoming);
        boolean delete = options.isDelete(incoming);
        List<Row> versions = new ArrayList<>(history.versions());
        versions.sort((a, b) -> compareSequence(start(a), start(b)));
        if (newerThanAll(s, versions, history.absorbed(), deletes)) {
            List<Row> next = place(versions, List.of(), s, incoming, delete);
            return new History(next, delete ? history.absorbed() : absorbedInOrder(versions, next, history.absorbed(),
                    s, incoming));
        }
        return rebuild(versions, history.absorbed(), deletes, s, incoming, delete);
    }

    /** @return whether {@code s} is newer than every sequence value the key's history knows */
    private boolean newerThanAll(Object s, List<Row> versions, List<Row> absorbed, Collection<?> deletes) {
        for (Row v : versions) {
            if (compareSequence(start(v), s) >= 0 || compareSequence(end(v), s) >= 0
                    || compareSequence(sequenceOf(v), s) >= 0) {
                return false;
            }
        }
        for (Row e : absorbed) {
            if (compareSequence(sequenceOf(e), s) >= 0) {
                return false;
            }
        }
        for (Object d : deletes) {
            if (compareSequence(d, s) >= 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * What an event newer than all others adds to the absorbed events: when it updated the current
     * version in place, the event the version showed before; when nulls were filled
     * ({@link #ignoreNullUpdates()}), the event itself as it came.
     */
    private List<Row> absorbedInOrder(List<Row> before, List<Row> after, List<Row> absorbed, Object s, Row incoming) {
        Row current = before.isEmpty() ? null : before.get(before.size() - 1);
        if (current != null && end(current) != null) {
            current = null; // deleted: the event starts a version of its own, with nothing to fill from
        }
        Row placed = after.get(after.size() - 1);
        List<Row> more = new ArrayList<>(absorbed);
        if (current != null && compareSequence(start(placed), s) < 0) {
            addShown(current, more);
        }
        Row raw = raw(incoming);
        if (!raw.equals(asEvent(placed))) {
            more.add(raw); // its nulls were filled: the event as it came is kept, to fill them again
        }
        return more.size() == absorbed.size() ? absorbed : more;
    }

    /** Adds the event a version shows (its row, as it came) to the absorbed events, unless they hold it. */
    private void addShown(Row version, List<Row> absorbed) {
        Object b = sequenceOf(version);
        if (options.ignoreNullUpdates()) {
            for (Row e : absorbed) {
                if (compareSequence(sequenceOf(e), b) == 0) {
                    return; // its events as they came are kept already
                }
            }
        }
        Row shown = asEvent(version);
        if (!absorbed.contains(shown)) {
            absorbed.add(shown);
        }
    }

    /** @return the event as silver would store it: what is kept of an absorbed event */
    private Row raw(Row incoming) {
        return asEvent(options.apply(null, incoming));
    }

    /**
     * @return the row as an event: {@value #START_AT} its own sequence value (so a schema that
     *     declares it required still takes it), {@value #END_AT} null
     */
    private Row asEvent(Row row) {
        return withEnd(withStart(row, sequenceOf(row)), null);
    }

    /** The events of a key at one sequence value, as the rebuild folds them. */
    private static final class Step {
        boolean delete;
        final List<Row> events = new ArrayList<>(1);
        /** The row of a version whose first events are forgotten: it stands for them. */
        @Nullable Row stands;

        void add(Row event) {
            if (!events.contains(event)) {
                events.add(event);
            }
        }
    }

    /**
     * Rebuilds the history from the start of the version that covers {@code s} (or from {@code s}),
     * folding every known event from there in sequence order: the versions before stay as they are.
     */
    private History rebuild(List<Row> versions, List<Row> absorbed, Collection<?> deletes, Object s, Row incoming,
            boolean delete) {
        Row covering = null;
        for (Row v : versions) {
            if (compareSequence(start(v), s) <= 0 && covers(v, s)) {
                covering = v;
            }
        }
        Object from = covering == null ? s : start(covering);
        List<Row> out = new ArrayList<>(versions.size() + 2);
        List<Row> rebuilt = new ArrayList<>();
        for (Row v : versions) {
            (compareSequence(start(v), from) < 0 ? out : rebuilt).add(v);
        }
        // The version before, when the covering one started where it ended, is current again.
        Row reopened = null;
        if (covering != null && !out.isEmpty()) {
            Row last = out.get(out.size() - 1);
            if (end(last) != null && compareSequence(end(last), from) == 0) {
                reopened = last;
                out.set(out.size() - 1, withEnd(last, null));
            }
        }

        TreeMap<Object, Step> steps = new TreeMap<>(CdcStrategy::compareSequence);
        for (Row e : absorbed) {
            Object at = sequenceOf(e);
            if (compareSequence(at, from) >= 0) {
                steps.computeIfAbsent(at, k -> new Step()).add(e);
            }
        }
        Set<Object> starts = new TreeSet<>(CdcStrategy::compareSequence);
        for (Row v : versions) {
            starts.add(start(v));
        }
        for (Row v : versions) {
            Object end = end(v);
            if (end != null && compareSequence(end, from) >= 0 && !starts.contains(end)) {
                steps.computeIfAbsent(end, k -> new Step()).delete = true; // a gap in silver is a delete
            }
        }
        for (Row v : rebuilt) {
            Object b = sequenceOf(v);
            Step shown = steps.get(b);
            // The version's own event, unless its events as they came are kept (ignoreNullUpdates).
            if (within(v, b) && (!options.ignoreNullUpdates() || shown == null || shown.events.isEmpty())) {
                steps.computeIfAbsent(b, k -> new Step()).add(asEvent(v));
            }
            Step first = steps.get(start(v));
            if (first == null || first.events.isEmpty()) {
                steps.computeIfAbsent(start(v), k -> new Step()).stands = asEvent(v);
            }
        }
        for (Object d : deletes) {
            if (compareSequence(d, from) >= 0) {
                steps.computeIfAbsent(d, k -> new Step()).delete = true;
            }
        }
        Step arriving = steps.computeIfAbsent(s, k -> new Step());
        if (delete) {
            arriving.delete = true;
        } else {
            arriving.add(raw(incoming));
        }

        for (Map.Entry<Object, Step> e : steps.entrySet()) {
            Step step = e.getValue();
            if (step.delete) {
                closeCurrent(out, e.getKey()); // a delete wins over the updates with its sequence value
                continue;
            }
            List<Row> kept = kept(step.events);
            step.events.retainAll(kept);
            Row values = kept.isEmpty() ? step.stands : combine(kept);
            if (values != null) {
                next(out, e.getKey(), values);
            }
        }

        List<Row> more = new ArrayList<>(absorbed);
        Set<Row> known = new HashSet<>(absorbed);
        for (Row v : out) {
            Object start = start(v);
            Object end = end(v);
            if (end != null && compareSequence(end, from) <= 0) {
                continue; // before the rebuild
            }
            if (reopened != null && compareSequence(start, start(reopened)) == 0
                    && !v.equals(withEnd(reopened, end(v))) && within(reopened, sequenceOf(reopened))) {
                addShown(reopened, more); // it took in events after its own: the event it showed is kept
                known.addAll(more);
            }
            Object b = sequenceOf(v);
            for (Map.Entry<Object, Step> e : steps.tailMap(compareSequence(start, from) < 0 ? from : start, true)
                    .entrySet()) {
                if (end != null && compareSequence(e.getKey(), end) >= 0) {
                    break;
                }
                Step step = e.getValue();
                if (step.delete || step.events.isEmpty()) {
                    continue;
                }
                if (compareSequence(e.getKey(), b) == 0 && step.events.size() == 1
                        && step.events.get(0).equals(asEvent(v))) {
                    continue; // the event the version shows, as it came: silver holds it
                }
                for (Row event : step.events) {
                    if (known.add(event)) {
                        more.add(event);
                    }
                }
            }
        }
        return new History(out, more.size() == absorbed.size() ? absorbed : more);
    }

    /** @return whether {@code b} lies in the version's validity */
    private boolean within(Row version, @Nullable Object b) {
        return b != null && compareSequence(start(version), b) <= 0 && covers(version, b);
    }

    /** Closes the current version, if there is one, at {@code at}. */
    private void closeCurrent(List<Row> out, Object at) {
        int last = out.size() - 1;
        if (last >= 0 && end(out.get(last)) == null) {
            out.set(last, withEnd(out.get(last), at));
        }
    }

    /**
     * Folds the newest event: it updates the current version in place when its tracked values (its
     * nulls filled from the version, with {@link #ignoreNullUpdates()}) equal the version's, else it
     * closes the version and starts one. The same as {@link #place} for an event newer than all.
     */
    private void next(List<Row> out, Object at, Row event) {
        int last = out.size() - 1;
        Row current = last >= 0 && end(out.get(last)) == null ? out.get(last) : null;
        Row values = options.apply(current, event);
        if (current != null && sameTracked(current, values)) {
            out.set(last, version(values, start(current), null));
            return;
        }
        if (current != null) {
            out.set(last, withEnd(current, at));
        }
        out.add(version(values, at, null));
    }

    /**
     * The events with one sequence value that matter: without {@link #ignoreNullUpdates()} the one
     * whose stored values are greater (the tie rule), with it every one, each column taking the greatest
     * value they set ({@link #combine}).
     */
    private List<Row> kept(List<Row> events) {
        if (events.size() <= 1 || options.ignoreNullUpdates()) {
            return events;
        }
        Row best = events.get(0);
        for (Row e : events) {
            if (compareTies(e, best) > 0) {
                best = e;
            }
        }
        return List.of(best);
    }

    /** Several events with one sequence value as one: each column the greatest value set, as latestBy's partial updates. */
    private static Row combine(List<Row> events) {
        if (events.size() == 1) {
            return events.get(0);
        }
        Row first = events.get(0);
        Schema schema = first.schema();
        Row.Builder b = Row.builder(schema);
        for (int i = 0; i < schema.size(); i++) {
            Object best = null;
            for (Row e : events) {
                Object v = e.value(i);
                if (v != null && (best == null || compareValues(v, best) > 0)) {
                    best = v;
                }
            }
            b.set(i, best);
        }
        return b.build();
    }

    /**
     * The types of the sequence columns in rows of the last schema seen, to read {@value #START_AT}
     * and {@value #END_AT} back: one column's values are stored as they are, a value of several
     * columns as its text ({@link CompositeSequence#toStored}), which does not order as the values do.
     * A memo of a pure function of the schema: a race only computes it twice, and the record is
     * immutable, so sharing the strategy between threads is safe.
     */
    private volatile @Nullable Validity validity;

    private record Validity(Schema schema, List<DataType> types) {
    }

    private List<DataType> validityTypes(Row row) {
        Validity v = validity;
        if (v == null || v.schema() != row.schema()) {
            v = new Validity(row.schema(), sequenceColumns.size() == 1 ? List.of()
                    : sequenceTypes(row.schema()));
            validity = v;
        }
        return v.types();
    }

    /** @return where the version starts, as a sequence value */
    private Object start(Row version) {
        Object stored = version.value(START_AT);
        return sequenceColumns.size() == 1 ? Objects.requireNonNull(stored)
                : Objects.requireNonNull(CompositeSequence.fromStored(stored, validityTypes(version)));
    }

    /** @return where the version ends, as a sequence value; null while it is current */
    private @Nullable Object end(Row version) {
        Object stored = version.value(END_AT);
        return sequenceColumns.size() == 1 ? stored : CompositeSequence.fromStored(stored, validityTypes(version));
    }

    private static Row withStart(Row version, @Nullable Object start) {
        return version.with(START_AT, CompositeSequence.toStored(start));
    }

    private static Row withEnd(Row version, @Nullable Object end) {
        return version.with(END_AT, CompositeSequence.toStored(end));
    }

    /** @return the earlier of two ends, where null is no end */
    private static @Nullable Object earlier(@Nullable Object a, @Nullable Object b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        return compareSequence(a, b) <= 0 ? a : b;
    }

    private static Row withoutValidity(Row version) {
        return withEnd(withStart(version, null), null);
    }

    @Override
    boolean leavesMarkers() {
        return options.deleteWhen() != null; // a tombstone removes the whole history and needs no marker
    }

    /**
     * @return whether the engine keeps per-key state beside silver, in the delete-marker table: the
     *     events versions absorbed ({@link History#absorbed()}) and the delete markers, for
     *     {@link #keepDeletesFor} (7 days by default); not with {@code keepDeletesFor(Duration.ZERO)}
     */
    @Override
    public boolean keepsKeyState() {
        return !deleteRetention().isZero();
    }

    private boolean covers(Row version, Object s) {
        Object end = end(version);
        return end == null || compareSequence(s, end) < 0;
    }

    private Row version(Row values, Object start, @Nullable Object end) {
        return withEnd(withStart(values, start), end);
    }

    /** Merges adjacent versions whose tracked values are equal; the later one's values stay. */
    private List<Row> coalesce(List<Row> versions) {
        List<Row> out = new ArrayList<>(versions.size());
        for (Row v : versions) {
            int last = out.size() - 1;
            Row prev = last >= 0 ? out.get(last) : null;
            if (prev != null && end(prev) != null
                    && compareSequence(end(prev), start(v)) == 0 && sameTracked(prev, v)) {
                out.set(last, withStart(v, start(prev)));
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
