package io.streamlake.core.silver;

import io.streamlake.Pipeline;
import io.streamlake.core.json.DecodeException;
import io.streamlake.core.json.JsonRowDecoder;
import io.streamlake.core.util.Workers;
import io.streamlake.merge.CdcStrategy;
import io.streamlake.merge.TruncatingStrategy;
import io.streamlake.quality.Expectation;
import io.streamlake.quality.ExpectationMetrics;
import io.streamlake.quality.QuarantineReason;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.QuarantineLayout;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Turns raw records into silver rows: decode, transforms, expectations. Records that cannot become
 * rows are never dropped silently: they become quarantine rows carrying their original bytes and the
 * reason, or, without a quarantine table, stop the pipeline with a message naming them.
 */
final class RecordPreparer {
    static final String DECODE = "decode";
    static final String TRANSFORM = "transform";
    static final String TOMBSTONE = "tombstone";
    static final String SEQUENCE = "sequence";
    static final String MERGE = "merge";

    /** A record's place in its source: how a retry finds the records the merge failed on. */
    record Origin(SourcePartition partition, long position) {
    }
    /** Below this many records a batch is prepared on the calling thread: splitting costs more than it saves. */
    private static final int PARALLEL_THRESHOLD = 20_000;

    private final Schema schema;
    private final Workers workers;
    private final Schema tombstoneSchema;
    private final SilverKey keys;
    private final JsonRowDecoder decoder;
    private final List<Function<Row, @Nullable Row>> transforms;
    private final List<Expectation> expectations;
    private final boolean canQuarantine;
    /** Positions of the strategy's sequence columns: a row without a value there cannot be ordered. */
    private final int[] sequencePositions;
    /** The strategy, when it has truncate records; they are recognized before the key check. */
    private final @Nullable TruncatingStrategy truncates;
    /** Whether the key or a required column is derived, so records are checked for them after the transforms. */
    private final boolean derivedRequired;
    /**
     * The keys erased from bronze: records of the versions they cover are left out. Set by the
     * merging thread before it prepares a batch ({@link #erasures(Erasures)}), read by the prepare
     * workers it then starts, which the executor's hand-off orders after the write; volatile for a
     * preparer used from another thread (a quarantine replay).
     */
    private volatile Erasures erasures = Erasures.NONE;

    /** What a batch of records became; counts are applied to the run's totals only once it commits. */
    static final class Prepared {
        final List<Row> rows = new ArrayList<>();
        /** Where each row came from, so that a row the merge fails on can be quarantined on a retry. */
        final List<SourcePartition> partitions = new ArrayList<>();
        private long[] positions = new long[16];
        final BitSet tombstones = new BitSet();
        final List<Row> quarantine = new ArrayList<>();
        final long[] passed;
        final long[] failed;
        long decoded;
        long decodeFailed;
        /** The latest source timestamp of the slice's records, null for none: delete markers' clock. */
        @Nullable Instant latestTime;
        /** The greatest sequence value of the slice's truncate records, null for none. */
        @Nullable Object truncateAt;

        Prepared(int rules) {
            passed = new long[rules];
            failed = new long[rules];
        }

        private void add(Row row, SourceRecord origin) {
            if (rows.size() == positions.length) {
                positions = Arrays.copyOf(positions, positions.length * 2);
            }
            positions[rows.size()] = origin.position();
            partitions.add(origin.partition());
            rows.add(row);
        }

        /**
         * Keeps only the rows that pass, with their tombstone bits and origins in step.
         *
         * @return how many rows were removed
         */
        int retain(IntPredicate keep) {
            int kept = 0;
            BitSet keptTombstones = new BitSet();
            for (int i = 0; i < rows.size(); i++) {
                if (keep.test(i)) {
                    if (tombstones.get(i)) {
                        keptTombstones.set(kept);
                    }
                    rows.set(kept, rows.get(i));
                    partitions.set(kept, partitions.get(i));
                    positions[kept] = positions[i];
                    kept++;
                }
            }
            int removed = rows.size() - kept;
            rows.subList(kept, rows.size()).clear();
            partitions.subList(kept, partitions.size()).clear();
            tombstones.clear();
            tombstones.or(keptTombstones);
            return removed;
        }

        /** @return the source position of a row, in its partition {@code partitions.get(row)} */
        long position(int row) {
            return positions[row];
        }

        /** Appends a later slice of the same batch. */
        void append(Prepared later) {
            int offset = rows.size();
            if (offset + later.rows.size() > positions.length) {
                positions = Arrays.copyOf(positions, Math.max(positions.length * 2, offset + later.rows.size()));
            }
            System.arraycopy(later.positions, 0, positions, offset, later.rows.size());
            partitions.addAll(later.partitions);
            rows.addAll(later.rows);
            for (int t = later.tombstones.nextSetBit(0); t >= 0; t = later.tombstones.nextSetBit(t + 1)) {
                tombstones.set(offset + t);
            }
            quarantine.addAll(later.quarantine);
            for (int i = 0; i < passed.length; i++) {
                passed[i] += later.passed[i];
                failed[i] += later.failed[i];
            }
            decoded += later.decoded;
            decodeFailed += later.decodeFailed;
            if (later.latestTime != null && (latestTime == null || later.latestTime.isAfter(latestTime))) {
                latestTime = later.latestTime;
            }
            truncate(later.truncateAt);
        }

        /** Notes a truncate record's sequence value (or none). */
        void truncate(@Nullable Object sequence) {
            if (sequence != null && (truncateAt == null || CdcStrategy.compareSequence(sequence, truncateAt) > 0)) {
                truncateAt = sequence;
            }
        }
    }

    RecordPreparer(Pipeline pipeline, boolean canQuarantine, Workers workers) {
        this.workers = workers;
        this.schema = pipeline.silverSchema().orElseThrow();
        List<String> key = pipeline.silverKeys();
        this.keys = SilverKey.of(schema, key);
        this.decoder = new JsonRowDecoder(schema, key, pipeline.maxValueBytes());
        this.transforms = pipeline.transforms();
        this.expectations = pipeline.expectations();
        this.canQuarantine = canQuarantine;
        this.sequencePositions = pipeline.mergeStrategy().sequenceColumns().stream().mapToInt(schema::indexOf)
                .filter(i -> i >= 0).toArray();
        this.truncates = pipeline.mergeStrategy() instanceof TruncatingStrategy s && s.truncates() ? s : null;
        boolean derived = false;
        for (String c : pipeline.derivedColumns()) {
            derived |= key.contains(c) || !schema.require(c).nullable();
        }
        this.derivedRequired = derived;
        List<Field> relaxed = new ArrayList<>();
        for (Field f : schema.fields()) {
            relaxed.add(Field.optional(f.name(), f.type()));
        }
        this.tombstoneSchema = Schema.of(relaxed);
    }

    /**
     * @param records raw records in bronze order
     * @param versions the bronze version of each record
     * @param quarantinedUpTo bad records of bronze versions up to this one are in quarantine already
     *     (a commit before a crash); they are not written twice
     */
    Prepared prepare(List<SourceRecord> records, long[] versions, long quarantinedUpTo) {
        return prepare(records, versions, quarantinedUpTo, Map.of());
    }

    /**
     * The same, for a retry of a batch whose merge failed on some records: those are quarantined
     * (reason {@link QuarantineReason#MERGE_FAILED}) instead of becoming rows.
     *
     * @param failed the records the merge failed on, with the reason in words
     */
    Prepared prepare(List<SourceRecord> records, long[] versions, long quarantinedUpTo, Map<Origin, String> failed) {
        Instant now = Instant.now();
        int slices = records.size() < PARALLEL_THRESHOLD ? 1 : workers.parallelism();
        // Decoding is most of silver's CPU: split the batch across cores, then join the slices in
        // order so rows keep their arrival order and the first failure in bronze order is the one reported.
        int size = (records.size() + slices - 1) / slices;
        List<Supplier<Prepared>> tasks = new ArrayList<>();
        for (int from = 0; from < records.size() || from == 0; from += size) {
            int start = from;
            int end = Math.min(records.size(), from + size);
            tasks.add(() -> prepare(records, versions, quarantinedUpTo, start, end, now, failed));
            if (size == 0) {
                break;
            }
        }
        List<Prepared> parts = workers.all(tasks);
        Prepared out = parts.get(0);
        for (int i = 1; i < parts.size(); i++) {
            out.append(parts.get(i));
        }
        return out;
    }

    private Prepared prepare(List<SourceRecord> records, long[] versions, long quarantinedUpTo, int from, int to,
            Instant now, Map<Origin, String> failed) {
        Prepared out = new Prepared(expectations.size());
        Instant latest = null;
        Erasures erased = erasures;
        Erasures.Matcher matcher = erased.isEmpty() ? null : erased.matcher();
        for (int i = from; i < to; i++) {
            SourceRecord r = records.get(i);
            if (matcher != null && matcher.covers(versions[i]) && matcher.erased(keyOf(r), versions[i])) {
                continue; // an erased key's event, read again by a replay of older bronze versions
            }
            // here, in the parallel pass that reads every record anyway, rather than in a pass of its own
            if (latest == null || r.timestamp().isAfter(latest)) {
                latest = r.timestamp();
            }
            String mergeFailed = failed.isEmpty() ? null : failed.get(new Origin(r.partition(), r.position()));
            Rejection why = mergeFailed != null ? new Rejection(MERGE, QuarantineReason.MERGE_FAILED, mergeFailed)
                    : place(r, out);
            if (why == null) {
                continue;
            }
            if (!canQuarantine) {
                throw SilverErrors.cannotEnterSilver(r, why.rule(), why.problem());
            }
            if (versions[i] > quarantinedUpTo) {
                out.quarantine.add(QuarantineLayout.of(r, versions[i], why.rule(), why.reason(), why.problem(), now));
            }
        }
        out.latestTime = latest;
        return out;
    }

    /**
     * Adds the records behind the rows a merge failed on ({@link SilverMerger.Result#failed}) to
     * {@code into}, with why, for the retry that quarantines them.
     */
    static void remember(Prepared prepared, Map<Integer, RuntimeException> failed, Object strategy,
            Map<Origin, String> into) {
        for (Map.Entry<Integer, RuntimeException> e : failed.entrySet()) {
            int row = e.getKey();
            into.put(new Origin(prepared.partitions.get(row), prepared.position(row)), "the merge strategy "
                    + strategy + " threw on this record: " + JsonRowDecoder.excerpt(e.getValue().toString()));
        }
    }

    /** @param erasures the keys erased so far, left out of the records of the bronze versions they cover */
    void erasures(Erasures erasures) {
        this.erasures = erasures;
    }

    /**
     * The silver key a record has, as {@link #prepare} finds it: a tombstone's from its record key,
     * another's from its value after the transforms. Thread-safe.
     *
     * @return the key, or null if the record has none (it cannot be decoded, a transform filters it or
     *     fails, a key column is null)
     */
    @Nullable
    Object keyOf(SourceRecord r) {
        byte[] value = r.value();
        if (value == null) {
            return tombstoneKey(r.key());
        }
        try {
            Row row = decoder.decodeLoose(value);
            for (Function<Row, @Nullable Row> t : transforms) {
                row = t.apply(row);
                if (row == null) {
                    return null;
                }
            }
            return keys.of(row);
        } catch (RuntimeException e) {
            return null; // a record silver quarantines: it has no key to find it by
        }
    }

    /** Why a record cannot enter silver. */
    private record Rejection(String rule, QuarantineReason reason, String problem) {
    }

    /**
     * Adds the record's row to the batch, or says why it cannot enter.
     *
     * @return null when the record became a row, or was filtered or dropped on purpose
     */
    private @Nullable Rejection place(SourceRecord r, Prepared out) {
        byte[] value = r.value();
        if (value == null) {
            Object key = tombstoneKey(r.key());
            if (key == null) {
                return new Rejection(TOMBSTONE, QuarantineReason.TOMBSTONE_WITHOUT_KEY,
                        "a tombstone (no value) whose key is missing or does not fit the key " + describeKey());
            }
            out.tombstones.set(out.rows.size());
            out.add(keys.set(Row.builder(tombstoneSchema), key).build(), r);
            return null;
        }
        Row row;
        try {
            row = truncates == null && !derivedRequired ? decoder.decode(value) : decoder.decodeLoose(value);
        } catch (RuntimeException e) {
            return decodeFailed(e, out);
        }
        if (truncates != null) {
            // outside the decoder's try: the predicate is the user's code, and its failure not the decoder's
            boolean truncate;
            try {
                truncate = truncates.isTruncate(row);
            } catch (RuntimeException e) {
                return truncatePredicateFailed(e);
            }
            if (truncate) {
                out.decoded++;
                return truncate(row, out);
            }
            if (!derivedRequired) {
                try {
                    row = decoder.strict(row, value);
                } catch (RuntimeException e) {
                    return decodeFailed(e, out);
                }
            }
        }
        if (!derivedRequired) {
            out.decoded++;
        }
        try {
            for (Function<Row, @Nullable Row> t : transforms) {
                row = t.apply(row);
                if (row == null) {
                    return null; // filtered out on purpose
                }
            }
        } catch (RuntimeException e) {
            return new Rejection(TRANSFORM, QuarantineReason.TRANSFORM_FAILED,
                    "a transform failed: " + JsonRowDecoder.excerpt(e.toString()));
        }
        if (derivedRequired) {
            // the key or a required column is derived: it exists only now
            Object[] values = new Object[schema.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = row.value(i);
                boolean key = keys.contains(i);
                if (values[i] == null && (key || !schema.field(i).nullable())) {
                    out.decodeFailed++;
                    String column = schema.field(i).name();
                    return new Rejection(DECODE, key ? QuarantineReason.MISSING_KEY
                            : QuarantineReason.NULL_REQUIRED,
                            (key ? "key column '" : "required column '")
                                    + column + "' is missing or null (after the derived columns are computed)");
                }
            }
            row = Row.of(schema, values);
            out.decoded++;
        }
        if (!transforms.isEmpty()) {
            String unstorable = unstorableText(row);
            if (unstorable != null) {
                return new Rejection(TRANSFORM, QuarantineReason.UNSTORABLE_VALUE,
                        "a transform produced " + unstorable);
            }
        }
        // the user's rules first: their actions (and counts) hold for every decoded row
        Rejection broken = check(row, r, out);
        if (broken != null) {
            return broken == DROPPED ? null : broken;
        }
        String nullSequence = nullSequenceColumn(row);
        if (nullSequence != null) {
            return new Rejection(SEQUENCE, QuarantineReason.NULL_SEQUENCE,
                    "sequence column '" + nullSequence + "' is null, so the event has no place"
                            + " in its key's order; give every event a " + nullSequence + " value");
        }
        out.add(row, r);
        return null;
    }

    private static Rejection decodeFailed(RuntimeException e, Prepared out) {
        out.decodeFailed++;
        if (e instanceof DecodeException d) {
            return new Rejection(DECODE, d.reason(), String.valueOf(d.getMessage()));
        }
        // A decoder bug must cost one record, not the pipeline: every restart would stop on it again.
        return new Rejection(DECODE, QuarantineReason.DECODER_FAILED,
                "the decoder failed on this record (" + e.getClass().getName() + ": "
                        + JsonRowDecoder.excerpt(String.valueOf(e.getMessage())) + "); please report it");
    }

    /**
     * A truncate predicate that throws on a record costs the record, as a delete predicate that
     * throws does ({@link QuarantineReason#MERGE_FAILED}): every restart would stop on it again.
     */
    private Rejection truncatePredicateFailed(RuntimeException e) {
        return new Rejection(MERGE, QuarantineReason.MERGE_FAILED, "the truncate predicate of " + truncates
                + " threw on"
                + " this record instead of deciding (" + JsonRowDecoder.excerpt(e.toString()) + "). It sees every"
                + " record before the key check, with null in each column the record leaves out: make it handle nulls,"
                + " for example r -> \"TRUNCATE\".equals(r.string(\"op\")), then replay the quarantine");
    }

    /** @return why a truncate record cannot be applied, or null once its sequence value is noted */
    private @Nullable Rejection truncate(Row loose, Prepared out) {
        String column = nullSequenceColumn(loose);
        if (column != null) {
            return new Rejection(SEQUENCE, QuarantineReason.NULL_SEQUENCE, "truncate record with a null sequence"
                    + " column '" + column + "', so it does not say up to where silver is emptied; give every"
                    + " truncate record a " + column + " value");
        }
        out.truncate(Objects.requireNonNull(Objects.requireNonNull(truncates).sequenceOf(loose)));
        return null;
    }

    /**
     * @return the first sequence column that is null in the row, null when none is: one null column
     *     leaves a sequence of several columns without a value, and the message names it
     */
    private @Nullable String nullSequenceColumn(Row row) {
        for (int p : sequencePositions) {
            if (row.value(p) == null) {
                return schema.field(p).name();
            }
        }
        return null;
    }

    /** A record an expectation dropped on purpose: nothing to quarantine. */
    private static final Rejection DROPPED = new Rejection("", QuarantineReason.EXPECTATION_FAILED, "");

    /** @return null if the row passes (or only warns), {@link #DROPPED}, or why it is quarantined */
    private @Nullable Rejection check(Row row, SourceRecord r, Prepared out) {
        for (int e = 0; e < expectations.size(); e++) {
            Expectation x = expectations.get(e);
            boolean ok;
            RuntimeException threw = null;
            try {
                ok = x.rule().test(row);
            } catch (RuntimeException ex) {
                ok = false; // a rule that cannot decide has not passed: WARN and DROP count it as failed
                threw = ex;
            }
            if (ok) {
                out.passed[e]++;
                continue;
            }
            out.failed[e]++;
            switch (x.action()) {
                case WARN -> {
                }
                case DROP -> {
                    return DROPPED;
                }
                case QUARANTINE -> {
                    return new Rejection(x.name(), threw == null ? QuarantineReason.EXPECTATION_FAILED
                            : QuarantineReason.EXPECTATION_THREW,
                            threw == null ? "broke expectation '" + x.name() + "'"
                                    : "expectation '" + x.name() + "' threw " + JsonRowDecoder.excerpt(threw.toString())
                                            + " on this record, so it did not pass");
                }
                case FAIL -> throw threw == null ? SilverErrors.expectationBroken(r, x.name(), row)
                        : SilverErrors.expectationThrew(r, x.name(), threw);
            }
        }
        return null;
    }

    /** @return what in the row UTF-8 cannot store (an unpaired surrogate), or null if it can store all */
    private static @Nullable String unstorableText(Row row) {
        for (int i = 0; i < row.schema().size(); i++) {
            Object v = row.value(i);
            String where = unstorable(v);
            if (where != null) {
                return "column '" + row.schema().field(i).name() + "' with " + where;
            }
        }
        return null;
    }

    private static @Nullable String unstorable(@Nullable Object v) {
        if (v instanceof String s) {
            int at = JsonRowDecoder.unpairedSurrogate(s);
            return at < 0 ? null : "an unpaired UTF-16 surrogate (\\u" + Integer.toHexString(s.charAt(at))
                    + " at character " + at + "), which UTF-8 cannot store";
        }
        if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String where = unstorable(e.getKey());
                where = where != null ? where : unstorable(e.getValue());
                if (where != null) {
                    return "a map entry holding " + where;
                }
            }
        }
        return null;
    }

    /**
     * The key of a tombstone, from the record key's bytes, in the key columns' types; null if it has
     * none. A key of one column is the record key's text. A key of several columns is a JSON object
     * of them, such as {@code {"tenant_id":"t-1","order_id":"o-7"}}, the form Debezium and Kafka
     * Connect's JSON converter give a table's primary key.
     */
    private @Nullable Object tombstoneKey(byte @Nullable [] key) {
        if (key == null) {
            return null;
        }
        if (!keys.single()) {
            try {
                return keys.of(decoder.decodeLoose(key));
            } catch (RuntimeException e) {
                return null; // not a JSON object of the key's columns: the quarantine says what was expected
            }
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(key)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        DataType type = schema.require(keys.columns().get(0)).type();
        try {
            return switch (type.kind()) {
                case STRING -> text;
                case LONG -> Long.parseLong(text.trim());
                case INT -> Integer.parseInt(text.trim());
                default -> null;
            };
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** @return the key's column, or for several columns what a tombstone's record key must be */
    private String describeKey() {
        if (keys.single()) {
            return "column " + schema.require(keys.columns().get(0));
        }
        return keys + ": for a key of several columns, a tombstone's record key is a JSON object holding each,"
                + " such as {\"" + String.join("\":...,\"", keys.columns()) + "\":...}";
    }

    /** The run's totals as metrics: decoding first, then each rule. */
    List<ExpectationMetrics> metrics(long decoded, long decodeFailed, long[] passed, long[] failed) {
        List<ExpectationMetrics> m = new ArrayList<>(expectations.size() + 1);
        m.add(new ExpectationMetrics(DECODE, canQuarantine ? Expectation.Action.QUARANTINE : Expectation.Action.FAIL,
                decoded, decodeFailed));
        for (int e = 0; e < expectations.size(); e++) {
            m.add(new ExpectationMetrics(expectations.get(e).name(), expectations.get(e).action(), passed[e],
                    failed[e]));
        }
        return m;
    }

    int ruleCount() {
        return expectations.size();
    }
}
