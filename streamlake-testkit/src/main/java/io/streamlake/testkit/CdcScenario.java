package io.streamlake.testkit;

import io.streamlake.Pipeline;
import io.streamlake.schema.Row;
import io.streamlake.table.TableRef;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.assertj.core.api.Assertions;
import org.jspecify.annotations.Nullable;

/**
 * A change-data-capture scenario written as a table: the events in arrival order, how they are cut
 * into micro-batches, and the silver rows expected afterwards. The events run through the real
 * engine with a {@link PipelineTestDriver}, so a scenario checks the merge strategy together with
 * decoding, batching and the copy-on-write merge.
 *
 * <pre>{@code
 * InMemoryHub hub = InMemoryHub.create("orders", 1);
 * Pipeline pipeline = Pipeline.from(hub).bronze("bronze").silver("silver", "order_id")
 *     .withSchema(SCHEMA)
 *     .withMergeStrategy(MergeStrategies.latestBy("updated_at").withDeletes(r -> "DELETE".equals(r.string("op"))));
 *
 * CdcScenario.given(pipeline)
 *     .events(
 *         Row.of(SCHEMA, "o-1", "CREATED", "UPSERT", t(1)),
 *         Row.of(SCHEMA, "o-1", "SHIPPED", "UPSERT", t(3)),
 *         Row.of(SCHEMA, "o-1", "PAID",    "UPSERT", t(2)))    // late: loses to SHIPPED
 *     .tombstone("o-2")
 *     .inBatches(2)
 *     .expectSilver(
 *         Row.of(SCHEMA, "o-1", "SHIPPED", "UPSERT", t(3)));
 * }</pre>
 *
 * <p>Events are rows of any schema, sent as JSON objects of their columns (nulls included) with
 * the silver key as the record key, all to partition 0 of the pipeline's {@link InMemoryHub} so
 * that arrival order is the order given. A scenario is an immutable value: each call returns a
 * copy, so a common prefix can be shared between cases. Running it sends its events to the hub, so
 * run each scenario on a fresh hub.
 *
 * <p>A strategy ordered by a sequence column should give the same silver table whatever order the
 * events arrive in and however they are cut into batches: {@link #inAnyOrder(long)} checks that
 * over many orders and batch splits, and {@link #replaying(AnyOrder.Run)} reruns one of them.
 */
public final class CdcScenario {
    private final Pipeline pipeline;
    private final InMemoryHub hub;
    private final List<Event> events;
    /** Events per batch, in turn; the last size repeats. */
    private final int[] batchSizes;
    private final boolean pipelineTables;
    private final boolean restarts;

    /** Where the source clock starts when a scenario moves it ({@link #later}). */
    public static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    /**
     * One step: a record to send (a key or none, and a value or none for a tombstone), or, with
     * neither key nor value, a move of the source clock.
     */
    private record Event(byte @Nullable [] key, byte @Nullable [] value, Duration advance) {
        Event(byte @Nullable [] key, byte @Nullable [] value) {
            this(key, value, Duration.ZERO);
        }

        boolean isRecord() {
            return key != null || value != null;
        }
    }

    private CdcScenario(Pipeline pipeline, InMemoryHub hub, List<Event> events, int[] batchSizes,
            boolean pipelineTables, boolean restarts) {
        this.pipeline = pipeline;
        this.hub = hub;
        this.events = List.copyOf(events);
        this.batchSizes = batchSizes.clone();
        this.pipelineTables = pipelineTables;
        this.restarts = restarts;
    }

    /**
     * @param pipeline a pipeline with a silver table whose source is an {@link InMemoryHub}
     * @return an empty scenario on in-memory tables, one batch for all events
     * @throws IllegalArgumentException if the pipeline reads from another source or has no silver
     */
    public static CdcScenario given(Pipeline pipeline) {
        Objects.requireNonNull(pipeline, "pipeline");
        if (!(pipeline.source() instanceof InMemoryHub hub)) {
            throw new IllegalArgumentException("a CdcScenario sends its events through an InMemoryHub, but pipeline "
                    + pipeline.name() + " reads from " + pipeline.source() + "; build it with Pipeline.from(hub)");
        }
        if (pipeline.silverKeys().isEmpty()) {
            throw new IllegalArgumentException("pipeline " + pipeline.name() + " has no silver table; a CdcScenario"
                    + " checks silver");
        }
        return new CdcScenario(pipeline, hub, List.of(), new int[] {Integer.MAX_VALUE}, false, false);
    }

    /** @return the pipeline the scenario runs, to build a driver for {@link #run(PipelineTestDriver)} */
    public Pipeline pipeline() {
        return pipeline;
    }

    /**
     * Adds events, in arrival order, after those already added.
     *
     * @param rows the events' values; each needs the silver key's columns
     * @return a copy with the events added
     */
    public CdcScenario events(Row... rows) {
        List<String> keyColumns = pipeline.silverKeys();
        List<Event> more = new ArrayList<>(events);
        for (Row r : rows) {
            List<@Nullable Object> key = new ArrayList<>(keyColumns.size());
            for (String c : keyColumns) {
                if (r.value(c) == null) {
                    throw new IllegalArgumentException("event " + r + " has no value in the key column " + c
                            + "; send events without a key with keylessEvents(...)");
                }
                key.add(r.value(c));
            }
            more.add(new Event(recordKey(key), bytes(json(r))));
        }
        return new CdcScenario(pipeline, hub, more, batchSizes, pipelineTables, restarts);
    }

    /**
     * Adds events without a key, sent with no record key, after the events already added: records
     * that act on the whole table, such as truncate records
     * ({@link io.streamlake.merge.Scd1Strategy#withTruncates}), or that silver must set aside.
     *
     * <pre>{@code
     * .events(upsert("o-1", 1), upsert("o-2", 5))
     * .keylessEvents(Row.of(SCHEMA, null, null, "TRUNCATE", t(3)))   // empties silver up to t(3)
     * }</pre>
     *
     * @param rows the events' values; the key column may be null
     * @return a copy with the events added
     */
    public CdcScenario keylessEvents(Row... rows) {
        List<Event> more = new ArrayList<>(events);
        for (Row r : rows) {
            more.add(new Event(null, bytes(json(r))));
        }
        return new CdcScenario(pipeline, hub, more, batchSizes, pipelineTables, restarts);
    }

    /**
     * Adds a tombstone, a record with this key and no value, after the events already added.
     *
     * @param key the key, written as text into the record key; for a key of several columns, their
     *     values in the key's order (written as a JSON object of the key's columns)
     * @param moreKeyValues the values of the key's other columns, if it has several
     * @return a copy with the tombstone added
     * @throws IllegalArgumentException if the number of values is not the number of key columns
     */
    public CdcScenario tombstone(Object key, Object... moreKeyValues) {
        List<@Nullable Object> values = new ArrayList<>();
        values.add(Objects.requireNonNull(key, "key"));
        values.addAll(Arrays.asList(moreKeyValues));
        if (values.size() != pipeline.silverKeys().size()) {
            throw new IllegalArgumentException("the silver key " + pipeline.silverKeys() + " has "
                    + pipeline.silverKeys().size() + " columns, but the tombstone gives " + values.size() + " values");
        }
        List<Event> more = new ArrayList<>(events);
        more.add(new Event(recordKey(values), null));
        return new CdcScenario(pipeline, hub, more, batchSizes, pipelineTables, restarts);
    }

    /**
     * The record key of an event with these key values: the value's text for a one-column key, as
     * producers write it; a JSON object of the key's columns for several, the form a tombstone of
     * such a key needs (and Debezium writes).
     */
    private byte[] recordKey(List<@Nullable Object> values) {
        List<String> columns = pipeline.silverKeys();
        if (columns.size() == 1) {
            return bytes(String.valueOf(values.get(0)));
        }
        Map<String, @Nullable Object> key = new LinkedHashMap<>();
        for (int i = 0; i < columns.size(); i++) {
            key.put(columns.get(i), values.get(i));
        }
        return bytes(json(key));
    }

    /**
     * Cuts the events into micro-batches: the first {@code size} are sent and piped, then the next,
     * so duplicates and out-of-order events can meet within a batch or across batches. A pipeline
     * whose {@code maxBatchRecords} is smaller cuts further.
     *
     * @param size events per batch, at least 1
     * @return a copy with this batch size
     */
    public CdcScenario inBatches(int size) {
        return inBatchesOf(size);
    }

    /**
     * Cuts the events into micro-batches of these sizes, in turn; the last size repeats for the
     * events left. A tombstone counts as an event, a move of the clock ({@link #later}) does not.
     * {@code inBatches(n)} is {@code inBatchesOf(n)}.
     *
     * <pre>{@code
     * scenario.inBatchesOf(3, 1, 4)   // 9 events: batches of 3, 1, 4 and 1
     * }</pre>
     *
     * @param sizes events per batch, each at least 1
     * @return a copy with these batches
     */
    public CdcScenario inBatchesOf(int... sizes) {
        if (sizes.length == 0) {
            throw new IllegalArgumentException("inBatchesOf needs at least one batch size");
        }
        for (int size : sizes) {
            if (size < 1) {
                throw new IllegalArgumentException("a batch needs at least one event, got " + Arrays.toString(sizes));
            }
        }
        return new CdcScenario(pipeline, hub, events, sizes, pipelineTables, restarts);
    }

    /**
     * Sends the events in another order: {@code order[i]} is the index, in the order they were
     * added (from 0), of the event that arrives {@code i}-th. Failures of {@link #inAnyOrder} print
     * the call that reproduces them.
     *
     * <pre>{@code
     * scenario.events(a, b, c).reordered(2, 0, 1)   // c arrives first, then a, then b
     * }</pre>
     *
     * @param order a permutation of {@code 0 .. n-1} for the scenario's {@code n} events (tombstones
     *     included)
     * @return a copy with the events in that order
     * @throws IllegalArgumentException if {@code order} is not such a permutation
     * @throws IllegalStateException if the scenario moves the clock ({@link #later}), whose place
     *     among the events an order could not keep
     */
    public CdcScenario reordered(int... order) {
        requireNoClockMoves("reordered");
        int n = events.size();
        boolean[] seen = new boolean[n];
        if (order.length != n) {
            throw new IllegalArgumentException("an order of " + n + " events needs " + n + " indexes, got "
                    + Arrays.toString(order));
        }
        List<Event> moved = new ArrayList<>(n);
        for (int i : order) {
            if (i < 0 || i >= n || seen[i]) {
                throw new IllegalArgumentException(Arrays.toString(order) + " is not an order of events 0.." + (n - 1)
                        + ": each index must appear once");
            }
            seen[i] = true;
            moved.add(events.get(i));
        }
        return new CdcScenario(pipeline, hub, moved, batchSizes, pipelineTables, restarts);
    }

    /**
     * The scenario as one run of an {@link #inAnyOrder} check: its order, batch sizes and restarts.
     * The scenario's own events are reordered, so a run can be replayed on another pipeline given
     * the same events, for example on Delta tables ({@link #onPipelineTables()}).
     *
     * <pre>{@code
     * AnyOrder.Run run = scenario.inAnyOrder(42L).runs().get(17);
     * CdcScenario.given(deltaPipeline).events(EVENTS).replaying(run).onPipelineTables().expectSilver(EXPECTED);
     * }</pre>
     *
     * @param run a run of a check of a scenario with as many events
     * @return a copy that arrives and batches as that run did
     */
    public CdcScenario replaying(AnyOrder.Run run) {
        CdcScenario s = reordered(run.order().stream().mapToInt(Integer::intValue).toArray())
                .inBatchesOf(run.batchSizes().stream().mapToInt(Integer::intValue).toArray());
        return run.restarts() ? s.restartingBetweenBatches() : s;
    }

    /**
     * Checks the scenario in many arrival orders and batch splits, drawn from this seed: see
     * {@link AnyOrder}. Each run uses fresh in-memory tables; the pipeline's hub is emptied before
     * and after each run, so do not share it with other tests.
     *
     * <pre>{@code
     * CdcScenario.given(pipeline)
     *     .events(upsert("o-1", "CREATED", 1), upsert("o-1", "PAID", 2), delete("o-1", 3))
     *     .inAnyOrder(42L)
     *     .orders(50)
     *     .expectSilver();
     * }</pre>
     *
     * @param seed the seed of the random orders and batch splits; a failure names it
     * @return the check, with {@link AnyOrder#DEFAULT_ORDERS} random orders
     * @throws IllegalStateException if the scenario moves the clock, runs on the pipeline's own tables,
     *     or the pipeline names a table instance (every run needs tables of its own)
     */
    public AnyOrder inAnyOrder(long seed) {
        requireNoClockMoves("inAnyOrder");
        if (pipelineTables) {
            throw new IllegalStateException("inAnyOrder runs the scenario many times, each on fresh in-memory tables,"
                    + " but this scenario runs on the pipeline's own tables, which would keep every run's rows; drop"
                    + " onPipelineTables(), and replay chosen runs on pipelines of their own with replaying(run)");
        }
        List<TableRef> refs = new ArrayList<>();
        refs.add(pipeline.bronze());
        pipeline.silver().ifPresent(refs::add);
        pipeline.quarantine().ifPresent(refs::add);
        pipeline.deleteMarkers().ifPresent(refs::add);
        for (TableRef ref : refs) {
            if (ref.table().isPresent()) {
                throw new IllegalStateException("inAnyOrder runs the scenario many times, each on fresh in-memory"
                        + " tables, but pipeline " + pipeline.name() + " names the table instance " + ref
                        + ", which every run would share; name tables by path instead");
            }
        }
        return AnyOrder.of(this, seed);
    }

    private void requireNoClockMoves(String what) {
        if (events.stream().anyMatch(e -> !e.isRecord())) {
            throw new IllegalStateException(what + " cannot keep a move of the source clock (later(...)) in its place"
                    + " among reordered events; leave the clock out of scenarios that are reordered");
        }
    }

    /** @return how many events (records and tombstones) the scenario sends */
    int eventCount() {
        return events.size();
    }

    /** @return the record key of event {@code i}, in the order added */
    byte[] eventKey(int i) {
        return Objects.requireNonNull(events.get(i).key()).clone();
    }

    /** @return event {@code i} as a line of a failure message: its key and value */
    String describeEvent(int i) {
        Event e = events.get(i);
        String key = new String(Objects.requireNonNull(e.key()), StandardCharsets.UTF_8);
        return key + " " + (e.value() == null ? "(tombstone)" : new String(e.value(), StandardCharsets.UTF_8));
    }

    /** Empties the hub, so that {@link AnyOrder} can run the scenario again on it. */
    void clearHub() {
        hub.clear();
    }

    /** @return whether the scenario restarts between batches */
    boolean restarts() {
        return restarts;
    }

    /**
     * Moves the source clock forward before the next events: records are stamped with source time,
     * which is what delete markers expire by. A scenario that moves the clock installs a
     * {@link ManualClock} starting at {@link #START} on its hub.
     *
     * <pre>{@code
     * .events(upsert("o-1", 1), delete("o-1", 3))
     * .later(Duration.ofDays(8))           // past the delete markers' retention
     * .events(upsert("o-1", 2))            // older than the delete, but the marker has expired
     * }</pre>
     *
     * @param time how far to move the clock
     * @return a copy with the move added
     */
    public CdcScenario later(Duration time) {
        Objects.requireNonNull(time, "time");
        if (time.isNegative()) {
            throw new IllegalArgumentException("the source clock only moves forward, got " + time);
        }
        List<Event> more = new ArrayList<>(events);
        more.add(new Event(null, null, time));
        return new CdcScenario(pipeline, hub, more, batchSizes, pipelineTables, restarts);
    }

    /**
     * Restarts the pipeline (as a new process would: from what its tables hold) before every batch
     * but the first, so that state kept across batches is seen to survive a restart.
     *
     * @return a copy that restarts between batches
     */
    public CdcScenario restartingBetweenBatches() {
        return new CdcScenario(pipeline, hub, events, batchSizes, pipelineTables, true);
    }

    /**
     * Runs on the pipeline's own tables ({@link PipelineTestDriver#create}), for example Delta
     * tables in a temporary folder, instead of in-memory tables.
     *
     * @return a copy that runs on the pipeline's tables
     */
    public CdcScenario onPipelineTables() {
        return new CdcScenario(pipeline, hub, events, batchSizes, true, restarts);
    }

    /**
     * Sends the events batch by batch, piping each batch through bronze and silver. A pipeline with a
     * change feed also has its feed checked: its changes must replay to silver's rows
     * ({@link TableContentsAssert#replaysTo}).
     *
     * @return silver afterwards
     * @throws IllegalStateException if the hub already holds events (from another run)
     */
    public TableContents run() {
        for (int p = 0; p < hub.partitionCount(); p++) {
            if (hub.size(p) > 0) {
                throw new IllegalStateException("hub " + hub.name() + " already holds events, so the scenario would"
                        + " not be alone in it; give each scenario run a fresh InMemoryHub");
            }
        }
        try (PipelineTestDriver driver = pipelineTables
                ? PipelineTestDriver.create(pipeline) : PipelineTestDriver.inMemory(pipeline)) {
            TableContents silver = run(driver).silver();
            if (pipeline.changeFeed().isPresent()) {
                // the feed starts with the scenario's empty silver, so its changes must give silver's rows
                StreamLakeAssertions.assertThat(driver.changeFeed()).replaysTo(silver);
            }
            return silver;
        }
    }

    /**
     * Sends the events batch by batch through a driver of the caller's, for scenarios that check
     * more than silver (the quarantine, the delete markers) or inject faults.
     *
     * @param driver a driver of this scenario's pipeline
     * @return the driver, after the last batch
     */
    public PipelineTestDriver run(PipelineTestDriver driver) {
        Objects.requireNonNull(driver, "driver");
        ManualClock clock = null;
        if (events.stream().anyMatch(e -> !e.isRecord())) {
            clock = new ManualClock(START);
            hub.withClock(clock);
        }
        int inBatch = 0;
        int batch = 0;
        boolean first = true;
        for (Event e : events) {
            if (!e.isRecord()) {
                Objects.requireNonNull(clock).advance(e.advance());
                continue;
            }
            hub.send(0, e.key(), e.value(), Map.of());
            if (++inBatch == batchSizes[Math.min(batch, batchSizes.length - 1)]) {
                pipeBatch(driver, first);
                first = false;
                inBatch = 0;
                batch++;
            }
        }
        if (inBatch > 0 || first) {
            pipeBatch(driver, first);
        }
        return driver;
    }

    private void pipeBatch(PipelineTestDriver driver, boolean first) {
        if (restarts && !first) {
            driver.restart();
        }
        driver.runUntilCaughtUp();
    }

    /**
     * Runs the scenario and checks silver holds exactly these rows, in any order.
     *
     * @param expected rows of the silver schema
     * @return silver afterwards, for further assertions
     */
    public TableContents expectSilver(Row... expected) {
        TableContents silver = run();
        Assertions.assertThat(silver.rows())
                .as("silver after %d events %s with %s", events.stream().filter(Event::isRecord).count(),
                        describeBatches(), pipeline.mergeStrategy())
                .containsExactlyInAnyOrder(expected);
        return silver;
    }

    private String describeBatches() {
        if (batchSizes.length == 1) {
            return batchSizes[0] == Integer.MAX_VALUE ? "in one batch" : "in batches of " + batchSizes[0];
        }
        return "in batches of " + Arrays.toString(batchSizes) + " (the last size repeats)";
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The row as the JSON object a producer would send, as the decoder reads each column type. */
    static String json(Row row) {
        return json(row.toMap());
    }

    private static String json(Map<String, @Nullable Object> values) {
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, @Nullable Object> e : values.entrySet()) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            quote(sb, e.getKey());
            sb.append(':');
            value(sb, e.getValue());
        }
        return sb.append('}').toString();
    }

    private static void value(StringBuilder sb, @Nullable Object v) {
        if (v == null || v instanceof Boolean || v instanceof Integer || v instanceof Long) {
            sb.append(v);
        } else if (v instanceof Double d) {
            if (d.isNaN() || d.isInfinite()) {
                throw new IllegalArgumentException("JSON has no " + d + "; use a finite number or null");
            }
            sb.append(d);
        } else if (v instanceof BigDecimal d) {
            sb.append(d.toPlainString());
        } else if (v instanceof Instant || v instanceof LocalDate || v instanceof String) {
            quote(sb, v.toString());
        } else if (v instanceof byte[] b) {
            quote(sb, Base64.getEncoder().encodeToString(b));
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                quote(sb, String.valueOf(e.getKey()));
                sb.append(':');
                value(sb, e.getValue());
            }
            sb.append('}');
        } else {
            throw new IllegalArgumentException("no JSON form for " + v.getClass().getName());
        }
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
