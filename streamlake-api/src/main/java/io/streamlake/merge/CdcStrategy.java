package io.streamlake.merge;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.schema.ValueOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The change-data-capture options that the built-in strategies share, named after the clauses of
 * Delta Live Tables' {@code APPLY CHANGES}: {@code APPLY AS DELETE WHEN} is {@link #withDeletes},
 * {@code IGNORE NULL UPDATES} is {@link #ignoreNullUpdates()}, {@code COLUMNS a, b} and
 * {@code COLUMNS * EXCEPT (op)} are {@link #keepColumns} and {@link #dropColumns}. {@code APPLY AS
 * TRUNCATE WHEN} is {@link Scd1Strategy#withTruncates}, for SCD type 1 only, as in Delta Live
 * Tables. Each option returns a copy, so a strategy is an immutable value that can be shared and
 * reused.
 *
 * <pre>{@code
 * pipeline.withMergeStrategy(MergeStrategies.latestBy("updated_at")
 *     .withDeletes(r -> "DELETE".equals(r.string("op")))
 *     .ignoreNullUpdates()
 *     .dropColumns("op"));
 * }</pre>
 *
 * <p>Sealed: {@link Scd1Strategy} keeps one row per key, {@link Scd2Strategy} a history of
 * versions, and the engine merges each in its own way, reached through the capabilities they
 * implement ({@link DeleteMarkerStrategy}, and {@link HistoryStrategy},
 * {@link ColumnSequenceStrategy}, {@link TruncatingStrategy}), never through their classes.
 *
 * @param <S> the concrete strategy, so that the options keep its own methods in reach
 */
public abstract sealed class CdcStrategy<S extends CdcStrategy<S>> implements DeleteMarkerStrategy
        permits Scd1Strategy, Scd2Strategy {

    /** Default days a strategy with a sequence column keeps delete markers: Delta's default deleted-file retention. */
    public static final int DEFAULT_DELETE_RETENTION_DAYS = 7;

    final ChangeOptions options;

    CdcStrategy(ChangeOptions options) {
        this.options = options;
    }

    /** @return a copy of this strategy with other options */
    abstract S with(ChangeOptions changed);

    /** @return how the strategy was made, without its options, such as {@code latestBy(updated_at)} */
    abstract String base();

    /**
     * Deletes the key when an incoming row matches, for sources that send deletes as ordinary
     * events (Debezium's {@code op = 'd'}, an {@code is_deleted} flag). With a sequence column, a
     * delete only deletes a row that is not newer than the delete; what a delete does to a key that
     * is not there, and to a late update that arrives after it, each strategy documents.
     *
     * <pre>{@code
     * MergeStrategies.latestBy("updated_at").withDeletes(r -> "DELETE".equals(r.string("op")))
     * }</pre>
     *
     * @param isDelete true for rows that delete their key; it sees the whole decoded row, including
     *     columns that silver does not keep
     * @return a copy that deletes on matching rows
     */
    public S withDeletes(Predicate<Row> isDelete) {
        return with(options.withDeletes(Objects.requireNonNull(isDelete, "isDelete")));
    }

    /**
     * Partial updates: a null in an incoming row keeps the current value of that column instead of
     * overwriting it, for sources that send only the fields that changed. A column cannot be set
     * back to null this way.
     *
     * <pre>{@code
     * MergeStrategies.latestBy("updated_at").ignoreNullUpdates()
     * }</pre>
     *
     * @return a copy that ignores null updates
     */
    public S ignoreNullUpdates() {
        return with(options.withIgnoreNullUpdates());
    }

    /**
     * Stores only these columns, as Delta Live Tables' {@code COLUMNS a, b}: the other columns are
     * left out of the silver table, while the merge still sees them (an {@code op} for
     * {@link #withDeletes}, which the table need not keep). The key and any sequence column must be
     * listed; the columns left out must be optional. A table created before by a strategy that stored
     * a column keeps it, and gets null in it from now on: dropping a column from a Delta table's
     * schema would need column mapping, which not every reader supports.
     *
     * <pre>{@code
     * MergeStrategies.latestBy("updated_at").keepColumns("order_id", "status", "updated_at")
     * }</pre>
     *
     * @param columns the columns silver keeps; replaces an earlier list
     * @return a copy that stores only these columns
     */
    public S keepColumns(String... columns) {
        return with(options.withKeep(columns));
    }

    /**
     * Stores every column but these, as Delta Live Tables' {@code COLUMNS * EXCEPT (op)}: they are
     * left out of the silver table (see {@link #keepColumns}), while the merge still sees them. The
     * columns must be optional in the silver schema; the key and the sequence column cannot be left
     * out.
     *
     * <pre>{@code
     * MergeStrategies.latestBy("updated_at").withDeletes(r -> "DELETE".equals(r.string("op"))).dropColumns("op")
     * }</pre>
     *
     * @param columns the columns silver leaves out; replaces an earlier list
     * @return a copy that does not store these columns
     */
    public S dropColumns(String... columns) {
        return with(options.withDrop(columns));
    }

    /**
     * Makes tombstones (records with a key and no value) change nothing, instead of deleting the
     * key: for topics whose tombstones only clean up the topic, not the table.
     *
     * <pre>{@code
     * MergeStrategies.latestBy("updated_at").ignoreTombstones()
     * }</pre>
     *
     * @return a copy that ignores tombstones
     */
    public S ignoreTombstones() {
        return with(options.withIgnoreTombstones());
    }

    /**
     * Keeps a marker of each delete for this long, so that a delete that arrives before the events
     * it deletes, or an event that arrives after a newer delete, still resolves as if the events
     * had come in order (each strategy's description says what a marker does). {@link Duration#ZERO}
     * keeps none: a late, older event then acts as if the delete had not happened. The default is
     * {@value #DEFAULT_DELETE_RETENTION_DAYS} days for a strategy with a sequence column, none for
     * one without.
     *
     * <pre>{@code
     * MergeStrategies.latestBy("updated_at").withDeletes(r -> "DELETE".equals(r.string("op")))
     *     .keepDeletesFor(Duration.ofDays(2))
     * }</pre>
     *
     * @param retention how long a marker stays, measured in source time; zero for none
     * @return a copy with this retention
     * @throws ConfigurationException for a negative retention, or for a strategy without a
     *     sequence column ({@code firstWins}, {@code lastWins}), which could not tell a late event
     *     from a new one
     */
    public S keepDeletesFor(Duration retention) {
        Objects.requireNonNull(retention, "retention");
        if (retention.isNegative()) {
            throw new ConfigurationException(this + ".keepDeletesFor(" + retention + "): a retention must not be"
                    + " negative; use Duration.ZERO to keep no delete markers");
        }
        if (sequenceColumns().isEmpty() && !retention.isZero()) {
            throw new ConfigurationException(this + " has no sequence column, so a delete marker could not tell a"
                    + " late update from a new one; use MergeStrategies.latestBy(column) to keep delete markers");
        }
        return with(options.withDeleteRetention(retention));
    }

    /** @return how long delete markers are kept; zero when none are */
    @Override
    public Duration deleteRetention() {
        Duration chosen = options.deleteRetention();
        if (chosen != null) {
            return chosen;
        }
        return sequenceColumns().isEmpty() ? Duration.ZERO : Duration.ofDays(DEFAULT_DELETE_RETENTION_DAYS);
    }

    /**
     * @return whether the engine keeps delete markers for this strategy, in the table set with
     *     {@code Pipeline.withDeleteMarkers}: it has a sequence column, a retention above zero, and
     *     a delete that a marker can remember
     */
    public boolean keepsDeleteMarkers() {
        return !sequenceColumns().isEmpty() && !deleteRetention().isZero() && leavesMarkers();
    }

    /**
     * @return whether the engine keeps per-key state in the delete-marker table
     *     ({@code Pipeline.withDeleteMarkers}): delete markers, or for {@code latestBy} the sequence
     *     value behind each column of a partial update, or the row's sequence value when silver does
     *     not store the sequence column, or for {@code scd2} the events its versions absorbed
     */
    @Override
    public boolean keepsKeyState() {
        return keepsDeleteMarkers();
    }

    /** @return whether some event of this strategy deletes with a sequence value a marker can keep */
    abstract boolean leavesMarkers();

    /**
     * @param incoming a decoded row
     * @return whether it is a delete event ({@link #withDeletes})
     */
    @Override
    public boolean isDelete(Row incoming) {
        return options.isDelete(incoming);
    }

    @Override
    public MergeDecision onTombstone(@Nullable Row current, Row keyOnly) {
        return options.ignoreTombstones() ? MergeDecision.keep() : MergeDecision.delete();
    }

    @Override
    public void validate(Schema schema) {
        options.validate(schema, toString(), this::alwaysStores);
    }

    /**
     * The declared columns that {@link #keepColumns} and {@link #dropColumns} keep, and the ones the
     * strategy needs whatever the lists say (SCD type 2's validity columns).
     *
     * <pre>{@code
     * // order_id, status, op, updated_at declared: silver stores order_id, status, updated_at
     * MergeStrategies.latestBy("updated_at").dropColumns("op").storedSchema(schema);
     * }</pre>
     *
     * @param declared the declared silver schema
     * @return its stored columns, in its order; {@code declared} itself when every column is stored
     */
    @Override
    public Schema storedSchema(Schema declared) {
        List<Field> stored = new ArrayList<>(declared.size());
        for (Field f : declared.fields()) {
            if (options.stores(f.name()) || alwaysStores(f.name())) {
                stored.add(f);
            }
        }
        return stored.size() == declared.size() ? declared : Schema.of(stored);
    }

    /** @return whether the strategy stores this column even when the column lists leave it out */
    boolean alwaysStores(String column) {
        return false;
    }

    @Override
    public void validate(Schema schema, List<String> keyColumns) {
        validate(schema);
        for (String key : keyColumns) {
            options.requireStored(key, toString(), "the silver key");
        }
        refuseKeyInSequence(keyColumns);
    }

    /**
     * A key's events all hold the same key value, so a key column in the sequence orders nothing:
     * naming one is a mistake, and would silently leave the order to the other columns or to the tie rule.
     */
    private void refuseKeyInSequence(List<String> keyColumns) {
        for (String c : sequenceColumns()) {
            if (keyColumns.contains(c)) {
                throw new ConfigurationException(this + ": sequence column '" + c + "' is the silver key, whose value"
                        + " is the same for all of a key's events, so it cannot order them; order by a column that"
                        + " changes from event to event, such as a timestamp or a change number");
            }
        }
    }

    /**
     * The sequence value of a row: the value of the sequence column for one column; for several, a
     * {@link CompositeSequence} of their values, most significant first. Null when any sequence
     * column is null (such an event has no place in its key's order), and for a strategy without a
     * sequence column ({@code firstWins}, {@code lastWins}).
     *
     * <pre>{@code
     * MergeStrategies.latestBy("updated_at").sequenceOf(row);           // row.value("updated_at")
     * MergeStrategies.latestBy("updated_at", "change_no").sequenceOf(row); // [updated_at, change_no]
     * }</pre>
     *
     * @param row a row that has the sequence columns (a row of the declared silver schema)
     * @return its sequence value, or null
     */
    @Override
    public @Nullable Object sequenceOf(Row row) {
        List<String> columns = sequenceColumns();
        if (columns.size() == 1) {
            return row.value(columns.get(0));
        }
        if (columns.isEmpty()) {
            return null;
        }
        List<Object> values = new ArrayList<>(columns.size());
        for (String c : columns) {
            Object v = row.value(c);
            if (v == null) {
                return null;
            }
            values.add(v);
        }
        return CompositeSequence.of(values);
    }

    /**
     * @param schema a schema that has the sequence columns
     * @return their types, most significant first, to read a stored sequence value back with
     *     ({@link CompositeSequence#fromStored})
     */
    @Override
    public List<DataType> sequenceTypes(Schema schema) {
        return sequenceColumns().stream().map(c -> schema.require(c).type()).toList();
    }

    /**
     * @param row a row that has the sequence columns
     * @param sequence a sequence value of this strategy, such as {@link #sequenceOf} gives
     * @return the row with each sequence column set to its part of the value
     */
    Row withSequence(Row row, Object sequence) {
        List<String> columns = sequenceColumns();
        for (int i = 0; i < columns.size(); i++) {
            row = row.with(columns.get(i), CompositeSequence.component(sequence, i));
        }
        return row;
    }

    /**
     * Fills a row's sequence columns from a sequence value the engine kept beside silver, where
     * silver does not store them (the other columns' values stay); see
     * {@link Scd1Strategy#keepsRowSequences()}.
     *
     * @param row a row read back from silver, of the declared schema
     * @param kept the row's sequence value as {@link #sequenceOf} gave it when the row was written
     * @return the row with its sequence value, itself when it has one already
     */
    public Row withKeptSequence(Row row, Object kept) {
        return sequenceOf(row) != null ? row : withSequence(row, kept);
    }

    /** @return the strategy as the calls that build it, such as {@code latestBy(updated_at).ignoreNullUpdates()} */
    @Override
    public String toString() {
        return base() + options.describe();
    }

    /**
     * Checks the sequence columns: each exists, is stored, and its type can order events.
     *
     * @return the columns, most significant first
     */
    final List<Field> requireSequence(Schema schema) {
        return requireSequence(schema, true);
    }

    /**
     * @param mustStore whether silver must store the columns; a strategy that keeps each key's
     *     sequence value beside silver instead need not
     */
    final List<Field> requireSequence(Schema schema, boolean mustStore) {
        List<Field> fields = new ArrayList<>();
        for (String c : sequenceColumns()) {
            fields.add(requireSequence(schema, c, mustStore));
        }
        return fields;
    }

    private Field requireSequence(Schema schema, String column, boolean mustStore) {
        Field f = schema.field(column).orElseThrow(() -> new ConfigurationException(
                toString() + ": the silver schema " + schema + " has no column '" + column
                        + "'; name a column of the declared schema"));
        DataType.Kind k = f.type().kind();
        if (k == DataType.Kind.BINARY || k == DataType.Kind.MAP || k == DataType.Kind.BOOLEAN) {
            throw new ConfigurationException(toString() + ": sequence column '" + column + "' has type " + f.type()
                    + ", which cannot order events; use a number, string, timestamp, date or decimal column");
        }
        if (mustStore) {
            options.requireStored(column, toString(), "the sequence column (" + base() + " cannot leave it out: an"
                    + " event is compared with the sequence value silver stores for its key; latestBy without"
                    + " withTruncates can, and keeps it beside silver in the delete-marker table)");
        }
        return f;
    }

    /**
     * The tie rule: of two rows with equal sequence values, the one whose stored values are greater
     * stays, comparing column by column in schema order with null first. It looks only at the
     * events, never at their arrival order, so every arrival order gives the same row; a source that
     * sends two different rows with one sequence value rarely means it, and this way the table at
     * least does not depend on chance.
     *
     * @return positive when {@code a} wins over {@code b}, zero when they store the same values
     */
    final int compareTies(Row a, Row b) {
        Schema schema = a.schema();
        for (int i = 0; i < schema.size(); i++) {
            int c = compareValues(a.value(i), b.value(i));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    /** A total order over the values of one column, null first; for {@link #compareTies}. */
    @SuppressWarnings("unchecked")
    static int compareValues(@Nullable Object a, @Nullable Object b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        if (a instanceof byte[] x && b instanceof byte[] y) {
            return Arrays.compareUnsigned(x, y);
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            Iterator<? extends Map.Entry<?, ?>> i = new TreeMap<>(x).entrySet().iterator();
            Iterator<? extends Map.Entry<?, ?>> j = new TreeMap<>(y).entrySet().iterator();
            while (i.hasNext() && j.hasNext()) {
                Map.Entry<?, ?> e = i.next();
                Map.Entry<?, ?> f = j.next();
                int c = compareValues(e.getKey(), f.getKey());
                if (c == 0) {
                    c = compareValues(e.getValue(), f.getValue());
                }
                if (c != 0) {
                    return c;
                }
            }
            return Boolean.compare(i.hasNext(), j.hasNext());
        }
        if (a.getClass() != b.getClass()) {
            return a.getClass().getName().compareTo(b.getClass().getName());
        }
        return ((Comparable<Object>) a).compareTo(b);
    }

    /**
     * The one order of sequence values, which every strategy and the engine (delete markers,
     * truncates, file statistics) use: null is older than any value; strings by Unicode code point,
     * which is the order of their UTF-8 bytes, as Spark and Delta statistics compare them (it
     * differs from {@link String#compareTo} for characters beyond U+FFFF); an int and a long (a
     * column widened from INT to LONG) by value; values of several sequence columns
     * ({@link CompositeSequence}) component by component, each by these rules; other values naturally.
     *
     * <pre>{@code
     * CdcStrategy.compareSequence("\uFFFD", "\uD83D\uDE00");   // < 0: U+FFFD before U+1F600
     * CdcStrategy.compareSequence(null, 0L);                     // < 0
     * }</pre>
     *
     * @param a a sequence value, or null
     * @param b another of the same sequence columns, or null
     * @return negative, zero or positive as {@code a} is older than, as new as, or newer than {@code b}
     */
    @SuppressWarnings("unchecked")
    public static int compareSequence(@Nullable Object a, @Nullable Object b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        if (a instanceof String x && b instanceof String y) {
            return compareCodePoints(x, y);
        }
        if (a instanceof CompositeSequence x && b instanceof CompositeSequence y) {
            return x.compareTo(y);
        }
        if (a instanceof Integer i && b instanceof Long) {
            a = i.longValue();
        } else if (b instanceof Integer i && a instanceof Long) {
            b = i.longValue();
        }
        return ((Comparable<Object>) a).compareTo(b);
    }

    /**
     * @param a a string
     * @param b another string
     * @return their order by code point, which is the order of their UTF-8 bytes ({@link ValueOrder#compareUtf8})
     */
    public static int compareCodePoints(String a, String b) {
        return ValueOrder.compareUtf8(a, b);
    }
}
