package io.streamlake.testkit;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;
import java.math.BigDecimal;
import java.time.Instant;

/** The order events of the seed story, as test fixtures. */
final class Orders {
    static final Schema SCHEMA = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("customer_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("amount", DataType.decimal(12, 2))
            .optional("currency", DataType.STRING)
            .optional("items", DataType.INT)
            .optional("updated_at", DataType.TIMESTAMP)
            .build();

    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private Orders() {
    }

    /** @param minute minutes after T0, the event's updated_at */
    static String json(String orderId, String status, int minute) {
        return "{\"order_id\":\"" + orderId + "\",\"customer_id\":\"c-" + orderId + "\",\"status\":\"" + status
                + "\",\"amount\":" + new BigDecimal("10.50").add(BigDecimal.valueOf(minute))
                + ",\"currency\":\"EUR\",\"items\":2,\"updated_at\":\"" + T0.plusSeconds(60L * minute) + "\"}";
    }
}
