package io.streamlake.testkit;

import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import org.assertj.core.api.Assertions;
import org.jspecify.annotations.Nullable;

/**
 * Checks that a {@link CdcScenario} gives one silver table whatever order its events arrive in and
 * however they are cut into micro-batches, as a strategy ordered by a sequence column promises
 * ({@code latestBy}, {@code scd2}; not {@code firstWins} or {@code lastWins}, which go by arrival on
 * purpose). Made by {@link CdcScenario#inAnyOrder(long)}.
 *
 * <pre>{@code
 * CdcScenario.given(pipeline)
 *     .events(upsert("o-1", "CREATED", 1), upsert("o-1", "PAID", 2), delete("o-1", 3), upsert("o-2", "NEW", 1))
 *     .inAnyOrder(42L)                // the seed of the random orders and batch splits
 *     .orders(50)                     // random orders of all events, besides the order given
 *     .everyOrderOfEachKey()          // and every order of each key's own events
 *     .restartingBetweenBatches()
 *     .expectSilver(stored("o-2", "NEW", 1));
 * }</pre>
 *
 * <h2>Runs</h2>
 * The orders are: the events as given; then, with {@link #everyOrderOfEachKey()}, every order of
 * each key's events among the places that key's events take; then {@link #orders(int)} random
 * permutations of all the events, drawn from the seed. Each order is sent in every batch split:
 * all in one batch, then batches of 1, 2, ... up to n - 1 events; when there are more events than
 * {@link #batchSplits(int)}, one batch, batches of one event, and random cuts drawn from the seed.
 * Every run starts from empty in-memory tables on the scenario's pipeline, whose hub is emptied
 * before and after each run. An in-memory run takes a few milliseconds, so a few hundred runs take about a second.
 *
 * <h2>Failures</h2>
 * The first run whose silver differs fails with an {@link AssertionError} that names the seed, the
 * run, its arrival order and batch sizes, the events as they arrived, the rows expected and found,
 * and the calls that replay it alone: {@code scenario.reordered(...).inBatchesOf(...)}, or
 * {@link CdcScenario#replaying(Run)} with the run from {@link #runs()}.
 *
 * <p>An immutable value: each option returns a copy.
 */
public final class AnyOrder {
    /** Random orders a check runs unless {@link #orders(int)} says otherwise. */
    public static final int DEFAULT_ORDERS = 20;
    /** Batch splits per order unless {@link #batchSplits(int)} says otherwise. */
    public static final int DEFAULT_BATCH_SPLITS = 12;
    /** The most orders {@link #everyOrderOfEachKey()} runs; more are refused. */
    public static final int MAX_KEY_ORDERS = 10_000;

    private final CdcScenario scenario;
    private final long seed;
    private final int orders;
    private final boolean eachKey;
    private final int batchSplits;
    private final boolean restarts;
    private final @Nullable List<String> columns;

    private AnyOrder(CdcScenario scenario, long seed, int orders, boolean eachKey, int batchSplits, boolean restarts,
            @Nullable List<String> columns) {
        this.scenario = scenario;
        this.seed = seed;
        this.orders = orders;
        this.eachKey = eachKey;
        this.batchSplits = batchSplits;
        this.restarts = restarts;
        this.columns = columns;
    }

    static AnyOrder of(CdcScenario scenario, long seed) {
        return new AnyOrder(scenario, seed, DEFAULT_ORDERS, false, DEFAULT_BATCH_SPLITS, scenario.restarts(), null);
    }

    /**
     * One run of a check: the order its events arrive in and how they are cut into batches. Runs
     * come from {@link AnyOrder#runs()}; {@link CdcScenario#replaying(Run)} runs one alone.
     *
     * <pre>{@code
     * AnyOrder.Run run = scenario.inAnyOrder(42L).runs().get(16);
     * scenario.replaying(run).expectSilver(expected);      // that run, alone
     * }</pre>
     */
    public static final class Run {
        private final int number;
        private final List<Integer> order;
        private final List<Integer> batchSizes;
        private final boolean restarts;

        private Run(int number, int[] order, int[] batchSizes, boolean restarts) {
            this.number = number;
            this.order = Arrays.stream(order).boxed().toList();
            this.batchSizes = Arrays.stream(batchSizes).boxed().toList();
            this.restarts = restarts;
        }

        /** @return the run's place in {@link AnyOrder#runs()}, from 1 */
        public int number() {
            return number;
        }

        /** @return for each arrival, the index (in the order the events were added, from 0) of the event that arrives */
        public List<Integer> order() {
            return order;
        }

        /** @return events per batch, in turn; they add up to the number of events */
        public List<Integer> batchSizes() {
            return batchSizes;
        }

        /** @return whether the pipeline restarts between batches */
        public boolean restarts() {
            return restarts;
        }

        /**
         * The calls that make a scenario arrive and batch as this run.
         *
         * <pre>{@code
         * run.replay();   // ".reordered(2, 0, 1).inBatchesOf(1, 2)"
         * }</pre>
         *
         * @return the calls, to paste after a scenario
         */
        public String replay() {
            return ".reordered(" + join(order) + ").inBatchesOf(" + join(batchSizes) + ")"
                    + (restarts ? ".restartingBetweenBatches()" : "");
        }

        private static String join(List<Integer> values) {
            StringBuilder sb = new StringBuilder();
            for (Integer v : values) {
                if (sb.length() > 0) {
                    sb.append(", ");
                }
                sb.append(v);
            }
            return sb.toString();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Run r && number == r.number && restarts == r.restarts && order.equals(r.order)
                    && batchSizes.equals(r.batchSizes);
        }

        @Override
        public int hashCode() {
            return Objects.hash(number, order, batchSizes, restarts);
        }

        @Override
        public String toString() {
            return "run " + number + ": " + replay();
        }
    }

    /**
     * Sets how many random permutations of all the events run, besides the order given (and the
     * orders of {@link #everyOrderOfEachKey()}).
     *
     * <pre>{@code
     * scenario.inAnyOrder(42L).orders(200).expectSameSilver();
     * }</pre>
     *
     * @param count random orders, 0 or more
     * @return a copy with this many
     */
    public AnyOrder orders(int count) {
        if (count < 0) {
            throw new IllegalArgumentException(
                    "orders(" + count + "): the count of random orders must not be negative");
        }
        return new AnyOrder(scenario, seed, count, eachKey, batchSplits, restarts, columns);
    }

    /**
     * Also runs every order of each key's events: the events of each key take turns in the places
     * that key's events take in the order given, in every combination. A key's silver rows depend
     * only on its own events, so these are all the orders that can differ, up to batching and
     * interleaving (which the random orders vary): 3 events of one key and 2 of another give 12.
     *
     * <pre>{@code
     * scenario.inAnyOrder(7L).everyOrderOfEachKey().orders(10).expectSilver(expected);
     * }</pre>
     *
     * @return a copy that also runs these orders
     * @throws IllegalStateException from {@link #runs()} if they are more than {@link #MAX_KEY_ORDERS}
     */
    public AnyOrder everyOrderOfEachKey() {
        return new AnyOrder(scenario, seed, orders, true, batchSplits, restarts, columns);
    }

    /**
     * Sets how many batch splits each order runs in. With at most this many events, every batch
     * size runs: one batch, then batches of 1, 2, ... up to n - 1 events; with more events, one
     * batch, batches of one event, and random cuts drawn from the seed, this many in all.
     *
     * <pre>{@code
     * scenario.inAnyOrder(42L).batchSplits(30).expectSameSilver();
     * }</pre>
     *
     * @param count splits per order, at least 2
     * @return a copy with this many
     */
    public AnyOrder batchSplits(int count) {
        if (count < 2) {
            throw new IllegalArgumentException("batchSplits(" + count + "): at least 2, one batch and batches of one");
        }
        return new AnyOrder(scenario, seed, orders, eachKey, count, restarts, columns);
    }

    /**
     * Restarts the pipeline between batches in every run, as a new process would (see
     * {@link CdcScenario#restartingBetweenBatches()}).
     *
     * <pre>{@code
     * scenario.inAnyOrder(42L).restartingBetweenBatches().expectSameSilver();
     * }</pre>
     *
     * @return a copy whose runs restart between batches
     */
    public AnyOrder restartingBetweenBatches() {
        return new AnyOrder(scenario, seed, orders, eachKey, batchSplits, true, columns);
    }

    /**
     * Compares only these columns of silver, for example those a documented table shows. The
     * expected rows need these columns and may have others, which are ignored too.
     *
     * <pre>{@code
     * scenario.inAnyOrder(42L).comparingColumns("userId", "name", "city").expectSilver(
     *     Row.of(SHOWN, 124, "Raul", "Oaxaca"));
     * }</pre>
     *
     * @param names the columns compared, at least one
     * @return a copy that compares only these
     */
    public AnyOrder comparingColumns(String... names) {
        if (names.length == 0) {
            throw new IllegalArgumentException("comparingColumns needs at least one column");
        }
        for (String c : names) {
            Objects.requireNonNull(c, "column");
        }
        return new AnyOrder(scenario, seed, orders, eachKey, batchSplits, restarts, List.of(names));
    }

    /**
     * The runs the check makes, in order; the same for the same scenario, seed and options.
     *
     * <pre>{@code
     * List<AnyOrder.Run> runs = scenario.inAnyOrder(42L).orders(5).runs();
     * }</pre>
     *
     * @return the runs: first the events as given, all in one batch
     * @throws IllegalStateException for a scenario without events, or more than {@link #MAX_KEY_ORDERS}
     *     orders of each key's events
     */
    public List<Run> runs() {
        int n = scenario.eventCount();
        if (n == 0) {
            throw new IllegalStateException("the scenario has no events to send in any order; add events first");
        }
        Random orderRandom = new Random(seed);
        // Splits draw from their own stream, so that more or fewer splits leave the orders alone.
        Random splitRandom = new Random(Long.rotateLeft(seed, 32) ^ 0x9E3779B97F4A7C15L);
        List<int[]> all = new ArrayList<>();
        all.add(identity(n));
        if (eachKey) {
            all.addAll(keyOrders(n));
        }
        for (int i = 0; i < orders; i++) {
            int[] order = identity(n);
            for (int j = n - 1; j > 0; j--) { // Fisher-Yates, spelled out so that a seed means the same everywhere
                int k = orderRandom.nextInt(j + 1);
                int t = order[j];
                order[j] = order[k];
                order[k] = t;
            }
            all.add(order);
        }
        List<Run> runs = new ArrayList<>();
        for (int[] order : all) {
            for (int[] split : splits(n, splitRandom)) {
                runs.add(new Run(runs.size() + 1, order, split, restarts));
            }
        }
        return List.copyOf(runs);
    }

    /**
     * Runs every run and checks silver holds exactly these rows each time, in any row order.
     *
     * <pre>{@code
     * scenario.inAnyOrder(42L).expectSilver(stored("o-1", "SHIPPED", 9));
     * }</pre>
     *
     * @param expected rows of the silver schema (or with the {@link #comparingColumns compared columns})
     * @return silver after the first run (the events as given, in one batch)
     * @throws AssertionError for the first run whose silver differs, naming the seed, the run and how to replay it
     */
    public TableContents expectSilver(Row... expected) {
        List<Row> want = project(Arrays.asList(expected));
        List<Run> runs = runs();
        TableContents first = null;
        for (Run run : runs) {
            TableContents silver = run(run);
            if (first == null) {
                first = silver;
            }
            check(run, runs.size(), silver, want, "the expected rows");
        }
        return Objects.requireNonNull(first);
    }

    /**
     * Runs every run and checks each gives the silver table of the first (the events as given, in
     * one batch), for event sets whose outcome is not written down: give the events in sequence
     * order, and the first run is what the strategy makes of them in order.
     *
     * <pre>{@code
     * scenario.events(generatedInSequenceOrder).inAnyOrder(seed).orders(100).expectSameSilver();
     * }</pre>
     *
     * @return silver after the first run
     * @throws AssertionError for the first run whose silver differs, naming the seed, the run and how to replay it
     */
    public TableContents expectSameSilver() {
        List<Run> runs = runs();
        TableContents first = null;
        List<Row> want = List.of();
        for (Run run : runs) {
            TableContents silver = run(run);
            if (first == null) {
                first = silver;
                want = project(silver.rows());
                continue;
            }
            check(run, runs.size(), silver, want, "silver of run 1 (the events as given, in one batch)");
        }
        return Objects.requireNonNull(first);
    }

    private TableContents run(Run run) {
        scenario.clearHub();
        try {
            return scenario.replaying(run).run();
        } finally {
            scenario.clearHub(); // so that the scenario, or a replay of a run, can run on the hub next
        }
    }

    private void check(Run run, int of, TableContents silver, List<Row> want, String what) {
        List<Row> got = project(silver.rows());
        if (sameRows(got, want)) {
            return; // the common case: no description to build
        }
        Assertions.assertThat(got).as("%s", describe(run, of, what)).containsExactlyInAnyOrderElementsOf(want);
        throw new AssertionError(describe(run, of, what) + "\nexpected " + want + "\nbut found " + got);
    }

    private static boolean sameRows(List<Row> got, List<Row> want) {
        if (got.size() != want.size()) {
            return false;
        }
        Map<Row, Integer> counts = new java.util.HashMap<>();
        for (Row r : want) {
            counts.merge(r, 1, Integer::sum);
        }
        for (Row r : got) {
            Integer c = counts.get(r);
            if (c == null) {
                return false;
            }
            if (c == 1) {
                counts.remove(r);
            } else {
                counts.put(r, c - 1);
            }
        }
        return counts.isEmpty();
    }

    private String describe(Run run, int of, String what) {
        StringBuilder sb = new StringBuilder();
        sb.append("silver of run ").append(run.number()).append(" of ").append(of).append(" differs from ").append(what)
                .append("\n  seed: ").append(seed).append(", check: ").append(describeCheck())
                .append("\n  arrival order (event indexes as added): ").append(run.order())
                .append("\n  batch sizes: ").append(run.batchSizes())
                .append(run.restarts() ? ", restarting between batches" : "")
                .append("\n  events as they arrived:");
        int shown = 0;
        for (int i : run.order()) {
            if (++shown > 60) {
                sb.append("\n    ... ").append(run.order().size() - 60).append(" more");
                break;
            }
            sb.append("\n    #").append(i).append(' ').append(scenario.describeEvent(i));
        }
        sb.append("\n  replay it: scenario").append(run.replay())
                .append("\n         or: scenario.replaying(scenario.").append(describeCheck()).append(".runs().get(")
                .append(run.number() - 1).append("))");
        return sb.toString();
    }

    /** @return the calls that make this check, such as {@code inAnyOrder(42L).orders(5)} */
    private String describeCheck() {
        StringBuilder sb = new StringBuilder("inAnyOrder(").append(seed).append("L)");
        sb.append(".orders(").append(orders).append(')');
        if (eachKey) {
            sb.append(".everyOrderOfEachKey()");
        }
        if (batchSplits != DEFAULT_BATCH_SPLITS) {
            sb.append(".batchSplits(").append(batchSplits).append(')');
        }
        if (restarts && !scenario.restarts()) {
            sb.append(".restartingBetweenBatches()");
        }
        return sb.toString();
    }

    /** The rows cut to the compared columns, as rows of a schema of those columns, all optional. */
    private List<Row> project(List<Row> rows) {
        List<String> cols = columns;
        if (cols == null) {
            return rows;
        }
        Map<Schema, Schema> projected = new IdentityHashMap<>();
        List<Row> out = new ArrayList<>(rows.size());
        for (Row r : rows) {
            Schema s = projected.computeIfAbsent(r.schema(), full -> {
                List<Field> fields = new ArrayList<>();
                for (String c : cols) {
                    Field f = full.field(c).orElseThrow(() -> new IllegalArgumentException("row " + r
                            + " has no column '" + c + "' to compare; comparingColumns(" + cols + ") needs it"));
                    fields.add(Field.optional(c, f.type()));
                }
                return Schema.of(fields);
            });
            Object[] values = new Object[cols.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = r.value(cols.get(i));
            }
            out.add(Row.of(s, values));
        }
        return out;
    }

    private static int[] identity(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        return order;
    }

    /** One batch; then every batch size, or with more events than splits, batches of one and random cuts. */
    private List<int[]> splits(int n, Random random) {
        List<int[]> out = new ArrayList<>();
        out.add(new int[] {n});
        if (n <= batchSplits) {
            for (int size = 1; size < n; size++) {
                out.add(uniform(n, size));
            }
            return out;
        }
        out.add(uniform(n, 1));
        Set<List<Integer>> seen = new HashSet<>();
        seen.add(List.of(n));
        seen.add(Arrays.stream(uniform(n, 1)).boxed().toList());
        for (int attempt = 0; out.size() < batchSplits && attempt < 100 * batchSplits; attempt++) {
            double cut = random.nextDouble(); // from few cuts to many, so both big and small batches occur
            List<Integer> sizes = new ArrayList<>();
            int size = 1;
            for (int i = 1; i < n; i++) {
                if (random.nextDouble() < cut) {
                    sizes.add(size);
                    size = 1;
                } else {
                    size++;
                }
            }
            sizes.add(size);
            if (seen.add(sizes)) {
                out.add(sizes.stream().mapToInt(Integer::intValue).toArray());
            }
        }
        return out;
    }

    private static int[] uniform(int n, int size) {
        int[] sizes = new int[(n + size - 1) / size];
        Arrays.fill(sizes, size);
        sizes[sizes.length - 1] = n - size * (sizes.length - 1);
        return sizes;
    }

    /** Every order of each key's events within that key's places, but the order given. */
    private List<int[]> keyOrders(int n) {
        Map<ByteBuffer, List<Integer>> places = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            places.computeIfAbsent(ByteBuffer.wrap(scenario.eventKey(i)), k -> new ArrayList<>()).add(i);
        }
        List<List<Integer>> groups = new ArrayList<>(places.values());
        long count = 1;
        for (List<Integer> g : groups) {
            for (int k = 2; k <= g.size(); k++) {
                count *= k;
                if (count > MAX_KEY_ORDERS) {
                    throw new IllegalStateException("everyOrderOfEachKey: the keys' events have more than "
                            + MAX_KEY_ORDERS + " orders (a key has " + g.size() + " events); use orders(n) for a"
                            + " random sample instead");
                }
            }
        }
        List<List<int[]>> perms = new ArrayList<>();
        for (List<Integer> g : groups) {
            perms.add(permutations(g.stream().mapToInt(Integer::intValue).toArray()));
        }
        List<int[]> out = new ArrayList<>();
        int[] choice = new int[groups.size()];
        while (true) {
            int[] order = new int[n];
            boolean given = true;
            for (int g = 0; g < groups.size(); g++) {
                int[] perm = perms.get(g).get(choice[g]);
                List<Integer> slots = groups.get(g);
                for (int j = 0; j < slots.size(); j++) {
                    order[slots.get(j)] = perm[j];
                    given &= perm[j] == slots.get(j);
                }
            }
            if (!given) {
                out.add(order);
            }
            int g = 0;
            while (g < choice.length && ++choice[g] == perms.get(g).size()) {
                choice[g++] = 0;
            }
            if (g == choice.length) {
                return out;
            }
        }
    }

    /** Every permutation of the values, the given order first. */
    private static List<int[]> permutations(int[] values) {
        List<int[]> out = new ArrayList<>();
        permute(values.clone(), 0, out);
        return out;
    }

    private static void permute(int[] a, int from, List<int[]> out) {
        if (from >= a.length - 1) {
            out.add(a.clone());
            return;
        }
        for (int i = from; i < a.length; i++) {
            swap(a, from, i);
            permute(a, from + 1, out);
            swap(a, from, i);
        }
    }

    private static void swap(int[] a, int i, int j) {
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }

    @Override
    public String toString() {
        return "AnyOrder[" + describeCheck() + "]";
    }
}
