package io.streamlake.samples;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;
import io.streamlake.source.Source;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A deterministic stream of e-commerce order events, the seed story's workload: {@code events}
 * events over {@code keys} orders, each order moving through CREATED, PAID, SHIPPED, DELIVERED.
 * Event {@code i} belongs to order {@code i % keys}; an order's events go to partition
 * {@code order % partitions}, in order. Every event's partition and position are a pure function of
 * the options, so a rerun reproduces the same stream and a restarted pipeline resumes exactly after
 * its committed positions, as with a real broker.
 *
 * <pre>{@code
 * OrderEvents orders = new OrderEvents(100_000, 10_000, 4);
 * Pipeline.from(orders).bronze("lake/bronze/orders").silver("lake/silver/orders", "order_id")
 *     .withSchema(OrderEvents.SCHEMA).withMergeStrategy(MergeStrategies.latestBy("updated_at"));
 * }</pre>
 */
public final class OrderEvents implements Source {
    /** The silver schema of an order event. */
    public static final Schema SCHEMA = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("customer_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("amount", DataType.decimal(12, 2))
            .optional("currency", DataType.STRING)
            .optional("items", DataType.INT)
            .optional("updated_at", DataType.TIMESTAMP)
            .build();

    /** Statuses in the order an order moves through them. */
    public static final List<String> STATUSES = List.of("CREATED", "PAID", "SHIPPED", "DELIVERED");
    private static final String[] CURRENCIES = {"EUR", "USD", "GBP"};
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final Map<String, byte[]> HEADERS =
            Map.of("content-type", "application/json".getBytes(StandardCharsets.UTF_8));

    private final long events;
    private final long keys;
    private final int partitions;
    private final SourcePartition[] ids;

    /**
     * @param events how many events in all
     * @param keys how many distinct orders
     * @param partitions how many partitions
     */
    public OrderEvents(long events, long keys, int partitions) {
        if (events < 0 || keys < 1 || partitions < 1) {
            throw new IllegalArgumentException("need events >= 0, keys >= 1 and partitions >= 1; got events "
                    + events + ", keys " + keys + ", partitions " + partitions);
        }
        this.events = events;
        this.keys = keys;
        this.partitions = partitions;
        this.ids = new SourcePartition[partitions];
        for (int p = 0; p < partitions; p++) {
            ids[p] = new SourcePartition(name(), p);
        }
    }

    @Override
    public String name() {
        return "orders";
    }

    /** @return the number of orders that can have events: min(events, keys) */
    public long distinctOrders() {
        return Math.min(events, keys);
    }

    /** Keys whose events land in partition p: those with {@code key % partitions == p}. */
    private long keysIn(int p, long keyCount) {
        return keyCount > p ? (keyCount - p + partitions - 1) / partitions : 0;
    }

    /** @return how many events in all */
    public long size() {
        return events;
    }

    /**
     * @param i a global event index
     * @return the record key of the event: its order id, UTF-8
     */
    public byte[] key(long i) {
        return orderId(i % keys).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param p a partition
     * @return how many events the partition holds
     */
    public long size(int p) {
        return (events / keys) * keysIn(p, keys) + keysIn(p, events % keys);
    }

    /**
     * @param p a partition
     * @param position a position below {@link #size(int)}
     * @return the global index of the event at that place
     */
    long eventIndex(int p, long position) {
        long perRound = keysIn(p, keys);
        long round = position / perRound;
        long key = (position % perRound) * partitions + p;
        return round * keys + key;
    }

    /**
     * @param i a global event index
     * @return the event's JSON text
     */
    public String json(long i) {
        long key = i % keys;
        long step = i / keys;
        long mix = mix(key);
        long cents = 500 + Math.floorMod(mix, 50_000);
        return "{\"order_id\":\"" + orderId(key) + "\""
                + ",\"customer_id\":\"CUST-" + Math.floorMod(mix >>> 20, keys / 5 + 1) + "\""
                + ",\"status\":\"" + STATUSES.get((int) Math.min(step, STATUSES.size() - 1)) + "\""
                + ",\"amount\":" + cents / 100 + "." + (cents % 100 < 10 ? "0" : "") + cents % 100
                + ",\"currency\":\"" + CURRENCIES[Math.floorMod(mix >>> 40, 3)] + "\""
                + ",\"items\":" + (1 + Math.floorMod(mix >>> 8, 5))
                + ",\"updated_at\":\"" + ISO_MILLIS.format(updatedAt(i)) + "\"}";
    }

    /**
     * @param key an order number
     * @return its order id, such as {@code ORD-00000042}
     */
    public static String orderId(long key) {
        String digits = Long.toString(key);
        return "ORD-" + "00000000".substring(Math.min(8, digits.length())) + digits;
    }

    /** Later events of an order always carry a later time: event i happens at START + 7 ms * i. */
    private static Instant updatedAt(long i) {
        return START.plusMillis(7 * i);
    }

    private static long mix(long x) {
        long z = x * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 31);
    }

    @Override
    public SourceReader open(SourceContext context) {
        return new Reader(context);
    }

    /** Hands out each partition's next positions, a fair share of every batch per partition. */
    private final class Reader implements SourceReader {
        private final SourceContext context;
        private final long[] next = new long[partitions];

        Reader(SourceContext context) {
            this.context = context;
            rewind();
        }

        @Override
        public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
            List<SourceRecord> out = new ArrayList<>(Math.min(maxRecords, 65_536));
            int share = Math.max(1, maxRecords / partitions);
            for (int p = 0; p < partitions && out.size() < maxRecords; p++) {
                long end = Math.min(size(p), next[p] + Math.min(share, maxRecords - out.size()));
                for (long pos = next[p]; pos < end; pos++) {
                    long i = eventIndex(p, pos);
                    out.add(new SourceRecord(ids[p], pos, key(i),
                            json(i).getBytes(StandardCharsets.UTF_8), HEADERS, updatedAt(i)));
                }
                next[p] = Math.max(next[p], end);
            }
            return out;
        }

        @Override
        public void rewind() {
            for (int p = 0; p < partitions; p++) {
                next[p] = context.committedPosition(ids[p]).orElse(-1) + 1;
            }
        }

        @Override
        public boolean caughtUp() {
            for (int p = 0; p < partitions; p++) {
                if (next[p] < size(p)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void close() {
        }
    }
}
