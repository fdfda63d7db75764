package io.streamlake.core.capture;

import java.util.Objects;

/**
 * Azure Event Hubs Capture archives: the backfill source that reads them. The other direction, an
 * archive in the Capture layout for sources without Capture, is
 * {@link CaptureArchive} (for {@link io.streamlake.Pipeline#withArchive}); its files are read by the same backfill.
 * Needs {@code org.apache.avro:avro} (an optional dependency of streamlake-core) on the class path.
 *
 * <pre>{@code
 * // rebuild the tables from the archive, then continue live, in one pipeline:
 * Source orders = Capture.backfill("abfss://capture@acct.dfs.core.windows.net/", "orders")
 *     .thenLive(EventHubs.kafka(connectionString, "orders"));
 * Pipeline.from(orders).bronze(bronzePath).silver(silverPath, "order_id").withSchema(schema).start();
 * }</pre>
 */
public final class Capture {
    /** Event Hubs Capture's default file name format (each file is this followed by {@code .avro}). */
    public static final String DEFAULT_LAYOUT =
            "{Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}";

    private Capture() {
    }

    /**
     * @param root the folder (local or a Hadoop URI such as {@code abfss://container@account.dfs.core.windows.net/})
     *     under which the {@linkplain #DEFAULT_LAYOUT layout} starts
     * @param eventHubName the event hub whose files are read; also the stream name of the records
     * @return a backfill source of that event hub's files
     */
    public static CaptureSource backfill(String root, String eventHubName) {
        Objects.requireNonNull(root, "root");
        if (root.isBlank()) {
            throw CaptureErrors.blankRoot();
        }
        return CaptureSource.of(root, CaptureSource.name("event hub", eventHubName));
    }
}
