package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.quality.Expectation;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;
import io.streamlake.source.Source;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The order events of the seed story, as test fixtures. */
public final class Orders {
    public static final Schema SCHEMA = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("customer_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("amount", DataType.decimal(12, 2))
            .optional("currency", DataType.STRING)
            .optional("items", DataType.INT)
            .optional("updated_at", DataType.TIMESTAMP)
            .build();

    /** {@link #SCHEMA} with the columns of SCD type 2 history, as {@code scd2("updated_at")} stores them. */
    public static final Schema HISTORY_SCHEMA = withHistory();

    public static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private Orders() {
    }

    /**
     * The orders pipeline the listener and metrics tests watch, on the driver's in-memory paths:
     * silver by order id (the latest updated_at wins), and an order without items quarantined by the
     * rule {@code positive_items}.
     */
    public static Pipeline checkedPipeline(Source source) {
        return checkedPipeline(source, "");
    }

    /**
     * @param source the events
     * @param lake the folder the tables go in, with a trailing slash, or "" for relative paths
     * @return {@link #checkedPipeline(Source)} with its tables under the folder (Delta tables on disk)
     */
    public static Pipeline checkedPipeline(Source source, String lake) {
        return Pipeline.from(source)
                .bronze(lake + "bronze/orders")
                .silver(lake + "silver/orders", "order_id")
                .withSchema(SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withQuarantine(lake + "quarantine/orders")
                .withExpectation(Expectation.quarantine("positive_items", r -> ((Integer) r.value("items")) > 0));
    }

    /**
     * @param source the events
     * @param lake the folder the tables go in
     * @return bronze at {@code lake/bronze}, silver at {@code lake/silver} by order id, the latest
     *     updated_at winning; no quarantine or expectations
     */
    public static Pipeline latestPipeline(Source source, java.nio.file.Path lake) {
        return Pipeline.from(source).bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id")
                .withSchema(SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"));
    }

    private static Schema withHistory() {
        Schema.Builder columns = Schema.builder();
        SCHEMA.fields().forEach(columns::add);
        return columns.optional("__START_AT", DataType.TIMESTAMP).optional("__END_AT", DataType.TIMESTAMP).build();
    }

    /** @param minute minutes after T0, the event's updated_at */
    public static String json(String orderId, String status, int minute) {
        return "{\"order_id\":\"" + orderId + "\",\"customer_id\":\"c-" + orderId + "\",\"status\":\"" + status
                + "\",\"amount\":" + new BigDecimal("10.50").add(BigDecimal.valueOf(minute))
                + ",\"currency\":\"EUR\",\"items\":2,\"updated_at\":\"" + T0.plusSeconds(60L * minute) + "\"}";
    }

    /**
     * Event n of the tests' order workload: order {@code o-(n % 100)}, status {@code S<n>}, at minute n,
     * except that every seventh event is five minutes late (it arrives out of order).
     */
    public static String event(int n) {
        int minute = (n % 7 == 0) ? n - 5 : n;
        return json(key(n), "S" + n, minute);
    }

    /**
     * @param json an order event
     * @param bytes the length wanted, in UTF-8 bytes
     * @return the event with a {@code pad} field that makes it that long, which the schema ignores
     */
    public static String padded(String json, int bytes) {
        String open = json.substring(0, json.length() - 1) + ",\"pad\":\"";
        return open + "x".repeat(Math.max(0, bytes - open.length() - 2)) + "\"}";
    }

    /** @return the order id, and record key, of event n */
    public static String key(int n) {
        return "o-" + (n % 100);
    }

    /**
     * Checks that silver, read with Delta Kernel, holds after events 0 to {@code events - 1} of
     * {@link #event(int)} the latest status of each order: the greatest minute wins, a later event on a tie.
     */
    public static void assertSilverHoldsLatestStatus(String silverPath, int events) {
        Map<String, Integer> latestMinute = new HashMap<>();
        Map<String, String> expected = new HashMap<>();
        for (int n = 0; n < events; n++) {
            int minute = (n % 7 == 0) ? n - 5 : n;
            if (!latestMinute.containsKey(key(n)) || minute >= latestMinute.get(key(n))) {
                latestMinute.put(key(n), minute);
                expected.put(key(n), "S" + n);
            }
        }
        List<Map<String, Object>> rows = KernelReader.rows(silverPath);
        assertThat(rows).hasSize(expected.size());
        for (Map<String, Object> row : rows) {
            assertThat(row.get("status")).as("status of %s", row.get("order_id"))
                    .isEqualTo(expected.get((String) row.get("order_id")));
        }
    }
}
