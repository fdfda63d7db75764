package io.streamlake.testkit;

import io.streamlake.Pipeline;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.merge.Scd2Strategy;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Seeded random change events for order-independence property tests: a few keys, each with a few
 * events whose sequence values are drawn from a small range (so keys share values), upserts with
 * nulls (partial updates), deletes ({@code op = 'DELETE'}), tombstones, and on request ties:
 * events of one key with the same sequence value. An immutable value; each option returns a copy.
 *
 * <pre>{@code
 * RandomChanges.seed(3).deletes(0.3).nulls(0.25).scenario(RandomChanges.CDC, strategy)
 *     .inAnyOrder(3).orders(20).expectSameSilver();
 * }</pre>
 *
 * <p>A scenario gets the events in sequence order (each key's events by sequence value, keys
 * interleaved by it too), so the first run of {@link AnyOrder#expectSameSilver()} is what the
 * strategy makes of the events in order: the answer every other order must give.
 */
final class RandomChanges {
    static final Predicate<Row> IS_DELETE = r -> "DELETE".equals(r.string("op"));

    /** The change events; {@code seq} orders them, {@code op} says UPSERT or DELETE. */
    static final Schema CDC = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("note", DataType.STRING)
            .optional("op", DataType.STRING)
            .optional("seq", DataType.LONG)
            .build();

    /** The same with the SCD type 2 validity columns. */
    static final Schema HISTORY = Schema.of(Stream.concat(CDC.fields().stream(), Stream.of(
            Field.optional(Scd2Strategy.START_AT, DataType.LONG), Field.optional(Scd2Strategy.END_AT, DataType.LONG)))
            .toList());

    private static final String[] STATUS = {"A", "B", "C", "D", "E", "F", "G", "H"};
    private static final String[] NOTE = {"x", "y", "z"};

    private final long seed;
    private final int keys;
    private final int maxEventsPerKey;
    private final int maxSeq;
    private final double deletes;
    private final double nulls;
    private final int tombstones;
    private final double ties;
    private final double duplicates;
    private final double deleteTies;
    private final boolean newestComplete;
    /** How often one status may occur among a key's upserts; 0 for any number. */
    private final int statusRepeats;
    /** How many statuses upserts draw from, when they may repeat. */
    private final int statusCount;

    private RandomChanges(long seed, int keys, int maxEventsPerKey, int maxSeq, double deletes, double nulls,
            int tombstones, double ties, double duplicates, double deleteTies, boolean newestComplete,
            int statusRepeats, int statusCount) {
        this.seed = seed;
        this.keys = keys;
        this.maxEventsPerKey = maxEventsPerKey;
        this.maxSeq = maxSeq;
        this.deletes = deletes;
        this.nulls = nulls;
        this.tombstones = tombstones;
        this.ties = ties;
        this.duplicates = duplicates;
        this.deleteTies = deleteTies;
        this.newestComplete = newestComplete;
        this.statusRepeats = statusRepeats;
        this.statusCount = statusCount;
    }

    /** 3 keys, 1 to 4 upserts each, distinct sequence values from 1 to 8 per key, no nulls. */
    static RandomChanges seed(long seed) {
        return new RandomChanges(seed, 3, 4, 8, 0, 0, 0, 0, 0, 0, false, 0, STATUS.length);
    }

    /** @param rate the share of events that delete their key */
    RandomChanges deletes(double rate) {
        return new RandomChanges(seed, keys, maxEventsPerKey, maxSeq, rate, nulls, tombstones, ties, duplicates,
                deleteTies, newestComplete, statusRepeats, statusCount);
    }

    /** @param rate the share of upserts' status and note values that are null (partial updates) */
    RandomChanges nulls(double rate) {
        return new RandomChanges(seed, keys, maxEventsPerKey, maxSeq, deletes, rate, tombstones, ties, duplicates,
                deleteTies, newestComplete, statusRepeats, statusCount);
    }

    /** @param count up to this many tombstones of random keys, at random places */
    RandomChanges tombstones(int count) {
        return new RandomChanges(seed, keys, maxEventsPerKey, maxSeq, deletes, nulls, count, ties, duplicates,
                deleteTies, newestComplete, statusRepeats, statusCount);
    }

    /** @param rate the share of events that take the sequence value of an earlier event of their key */
    RandomChanges ties(double rate) {
        return new RandomChanges(seed, keys, maxEventsPerKey, maxSeq, deletes, nulls, tombstones, rate, duplicates,
                deleteTies, newestComplete, statusRepeats, statusCount);
    }

    /** @param rate the share of events sent twice, identical: a tie that is a duplicate */
    RandomChanges duplicates(double rate) {
        return new RandomChanges(seed, keys, maxEventsPerKey, maxSeq, deletes, nulls, tombstones, ties, rate,
                deleteTies, newestComplete, statusRepeats, statusCount);
    }

    /** @param rate the share of upserts that get a delete of their key with the same sequence value */
    RandomChanges deleteTies(double rate) {
        return new RandomChanges(seed, keys, maxEventsPerKey, maxSeq, deletes, nulls, tombstones, ties, duplicates,
                rate, newestComplete, statusRepeats, statusCount);
    }

    /** The newest event of each key is a delete or an upsert without nulls. */
    RandomChanges newestComplete() {
        return new RandomChanges(seed, keys, maxEventsPerKey, maxSeq, deletes, nulls, tombstones, ties, duplicates,
                deleteTies, true, statusRepeats, statusCount);
    }

    /** No two upserts of a key have the same status (with nulls, at most one has none). */
    RandomChanges distinctStatus() {
        return new RandomChanges(seed, keys, maxEventsPerKey, maxSeq, deletes, nulls, tombstones, ties, duplicates,
                deleteTies, newestComplete, 1, statusCount);
    }

    /** No three upserts of a key have the same status (null counts as a status). */
    RandomChanges statusAtMostTwice() {
        return new RandomChanges(seed, keys, maxEventsPerKey, maxSeq, deletes, nulls, tombstones, ties, duplicates,
                deleteTies, newestComplete, 2, statusCount);
    }

    /** @param count keys, each with its own events */
    RandomChanges keys(int count) {
        return new RandomChanges(seed, count, maxEventsPerKey, maxSeq, deletes, nulls, tombstones, ties, duplicates,
                deleteTies, newestComplete, statusRepeats, statusCount);
    }

    /** @param max up to this many events per key (at least 1), sequence values from 1 to at least twice that */
    RandomChanges eventsPerKey(int max) {
        return new RandomChanges(seed, keys, max, Math.max(maxSeq, 2 * max), deletes, nulls, tombstones, ties,
                duplicates, deleteTies, newestComplete, statusRepeats, statusCount);
    }

    /**
     * @param count upserts draw their status from this many (of 8), so that with few a key's events
     *     often repeat a status and SCD type 2 versions absorb them
     */
    RandomChanges statuses(int count) {
        return new RandomChanges(seed, keys, maxEventsPerKey, maxSeq, deletes, nulls, tombstones, ties, duplicates,
                deleteTies, newestComplete, 0, count);
    }

    /** One generated event: a row, or a tombstone of a key. */
    record Change(String key, @Nullable Row row) {
    }

    /**
     * @param schema {@link #CDC} or {@link #HISTORY}
     * @return the events in sequence order, tombstones at random places
     */
    List<Change> changes(Schema schema) {
        Random random = new Random(seed);
        List<Change> out = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            String key = "k" + k;
            int count = 1 + random.nextInt(maxEventsPerKey);
            List<Long> seqs = new ArrayList<>();
            for (long s = 1; s <= maxSeq; s++) {
                seqs.add(s);
            }
            Collections.shuffle(seqs, random);
            // With a limit, statuses come from a deck holding each status that many times; a few
            // statuses only, so that repeats happen.
            List<String> statuses = new ArrayList<>();
            for (int r = 0; r < statusRepeats; r++) {
                statuses.addAll(List.of(STATUS).subList(0, statusRepeats == 1 ? STATUS.length : 3));
            }
            Collections.shuffle(statuses, random);
            int statusNulls = 0;
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                long seq = i > 0 && random.nextDouble() < ties ? rows.get(random.nextInt(rows.size())).longValue("seq")
                        : seqs.get(i);
                if (random.nextDouble() < deletes) {
                    rows.add(Row.builder(schema).set("order_id", key).set("op", "DELETE").set("seq", seq).build());
                    continue;
                }
                String status;
                if (random.nextDouble() < nulls && (statusRepeats == 0 || statusNulls < statusRepeats)) {
                    status = null;
                    statusNulls++;
                } else {
                    status = statusRepeats > 0 ? statuses.remove(0) : STATUS[random.nextInt(statusCount)];
                }
                String note = random.nextDouble() < nulls ? null : NOTE[random.nextInt(NOTE.length)];
                rows.add(Row.builder(schema).set("order_id", key).set("status", status).set("note", note)
                        .set("op", "UPSERT").set("seq", seq).build());
            }
            if (newestComplete) {
                long newest = rows.stream().mapToLong(r -> r.longValue("seq")).max().orElseThrow();
                for (int i = 0; i < rows.size(); i++) {
                    Row r = rows.get(i);
                    if (r.longValue("seq") == newest && !IS_DELETE.test(r)) {
                        rows.set(i, r.with("status", r.string("status") == null ? "Z" : r.string("status"))
                                .with("note", r.string("note") == null ? "z" : r.string("note")));
                    }
                }
            }
            List<Row> extra = new ArrayList<>();
            for (Row r : rows) {
                if (random.nextDouble() < duplicates) {
                    extra.add(r);
                }
                if (!IS_DELETE.test(r) && random.nextDouble() < deleteTies) {
                    extra.add(
                            Row.builder(schema).set("order_id", key).set("op", "DELETE").set("seq", r.longValue("seq"))
                                    .build());
                }
            }
            rows.addAll(extra);
            for (Row r : rows) {
                out.add(new Change(key, r));
            }
        }
        // Sequence order; a stable sort keeps a key's ties in the order generated.
        out.sort(Comparator.comparingLong(c -> c.row().longValue("seq")));
        int count = tombstones == 0 ? 0 : random.nextInt(tombstones + 1);
        for (int i = 0; i < count; i++) {
            out.add(random.nextInt(out.size() + 1), new Change("k" + random.nextInt(keys), null));
        }
        return out;
    }

    /**
     * @param schema {@link #CDC} or {@link #HISTORY}
     * @param strategy the strategy under test
     * @return a scenario of the events, in sequence order, on a fresh hub keyed by {@code order_id}
     */
    CdcScenario scenario(Schema schema, MergeStrategy strategy) {
        CdcScenario s = CdcScenario.given(Pipeline.from(InMemoryHub.create("orders", 1)).bronze("bronze/orders")
                .silver("silver/orders", "order_id").withSchema(schema).withMergeStrategy(strategy)
                // every property run also checks that silver's change feed replays to silver
                .withChangeFeed("silver/orders_changes"));
        for (Change c : changes(schema)) {
            s = c.row() == null ? s.tombstone(c.key()) : s.events(c.row());
        }
        return s;
    }

    @Override
    public String toString() {
        return "RandomChanges.seed(" + seed + ")" + (deletes > 0 ? ".deletes(" + deletes + ")" : "")
                + (nulls > 0 ? ".nulls(" + nulls + ")" : "") + (tombstones > 0 ? ".tombstones(" + tombstones + ")" : "")
                + (ties > 0 ? ".ties(" + ties + ")" : "") + (duplicates > 0 ? ".duplicates(" + duplicates + ")" : "")
                + (deleteTies > 0 ? ".deleteTies(" + deleteTies + ")" : "")
                + (newestComplete ? ".newestComplete()" : "")
                + (statusRepeats == 1 ? ".distinctStatus()" : statusRepeats == 2 ? ".statusAtMostTwice()" : "")
                + (keys != 3 ? ".keys(" + keys + ")" : "")
                + (maxEventsPerKey != 4 ? ".eventsPerKey(" + maxEventsPerKey + ")" : "")
                + (statusCount != STATUS.length ? ".statuses(" + statusCount + ")" : "");
    }
}
