package io.streamlake.samples;

import io.streamlake.Pipeline;
import io.streamlake.PipelineEngine;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.merge.Scd2Strategy;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Schema;
import io.streamlake.spi.BatchEngine;
import io.streamlake.spi.BatchResult;
import io.streamlake.spi.PipelineTables;
import io.streamlake.table.DataFile;
import io.streamlake.table.Table;
import io.streamlake.table.TableSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Measures silver merge throughput: the order workload in 10 micro-batches over real Delta tables,
 * printing each batch's bronze and silver time and the silver table's size before it. The merge
 * cost should follow the batch, not the table: the last batch should take no more than about twice
 * the second.
 *
 * <pre>
 * java -cp ... io.streamlake.samples.SilverBenchmark --keys 100000 [--events 1000000] [--batches 10] [--dir /tmp/bench]
 *     [--strategy latest|scd2|scd2-status]
 * </pre>
 *
 * <p>{@code --strategy scd2} keeps history ({@code MergeStrategies.scd2("updated_at")}, every column
 * tracked), {@code scd2-status} tracks the status only: an order's events after DELIVERED repeat its
 * values, so its current version absorbs them in place, and the events it absorbed are kept in the
 * delete-marker table beside silver, whose size the run prints.
 *
 * <p>It drives the engine's micro-batch loop directly (an internal class) to time the two stages
 * of each batch apart; a pipeline started normally runs the same code.
 */
public final class SilverBenchmark {
    private SilverBenchmark() {
    }

    /** @param args {@code --keys K} (default 100000), {@code --events N} (default 10 K), {@code --batches B} (default 10), {@code --dir DIR} */
    public static void main(String[] args) throws IOException {
        long keys = 100_000;
        long events = -1;
        int batches = 10;
        Path dir = null;
        String strategy = "latest";
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--keys" -> keys = Long.parseLong(args[i + 1]);
                case "--events" -> events = Long.parseLong(args[i + 1]);
                case "--batches" -> batches = Integer.parseInt(args[i + 1]);
                case "--dir" -> dir = Path.of(args[i + 1]);
                case "--strategy" -> strategy = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (events < 0) {
            events = keys * 10;
        }
        Path root = dir != null ? dir : Files.createTempDirectory("streamlake-silver-bench");
        OrderEvents orders = new OrderEvents(events, keys, 4);
        int perBatch = (int) ((events + batches - 1) / batches);
        Schema schema = OrderEvents.SCHEMA;
        MergeStrategy merge = switch (strategy) {
            case "latest" -> MergeStrategies.latestBy("updated_at");
            case "scd2" -> MergeStrategies.scd2("updated_at");
            case "scd2-status" -> MergeStrategies.scd2("updated_at").trackHistoryOn("status");
            default -> throw new IllegalArgumentException("unknown strategy " + strategy + "; use latest, scd2 or"
                    + " scd2-status");
        };
        if (!strategy.equals("latest")) {
            schema = Schema.of(Stream.concat(schema.fields().stream(), Stream.of(
                    Field.optional(Scd2Strategy.START_AT, DataType.TIMESTAMP),
                    Field.optional(Scd2Strategy.END_AT, DataType.TIMESTAMP))).toList());
        }
        Pipeline pipeline = Pipeline.from(orders)
                .bronze(root.resolve("bronze").toString())
                .silver(root.resolve("silver").toString(), "order_id")
                .withSchema(schema)
                .withMergeStrategy(merge)
                .withMaxBatchRecords(perBatch);
        System.out.printf(Locale.ROOT, "silver benchmark (%s): %,d events, %,d keys, %d batches of %,d, %d cores, %s,"
                + " tables in %s%n", merge, events, keys, batches, perBatch, Runtime.getRuntime().availableProcessors(),
                SampleMain.heap(), root);
        // the engine driven one batch at a time, as the testkit's driver does, to time silver alone
        PipelineEngine engines = PipelineEngine.load();
        PipelineTables tables = engines.tables(pipeline);
        Table silver = java.util.Objects.requireNonNull(tables.silver());
        long silverNanos = 0;
        long total = 0;
        try (BatchEngine engine = engines.batchEngine(pipeline, tables)) {
            engine.open();
            for (int b = 1;; b++) {
                TableSnapshot before = silver.snapshot();
                long rowsBefore = before.files().stream().mapToLong(DataFile::rowCount).sum();
                BatchResult r = engine.runOnce(Duration.ZERO);
                if (r.events() == 0) {
                    break;
                }
                total += r.events();
                silverNanos += r.silverNanos();
                System.out.printf(Locale.ROOT, "batch %2d: %,9d events | silver before: %,9d rows in %3d files |"
                        + " bronze %6.2f s | silver %6.2f s = %,9.0f events/s%n", b, r.events(), rowsBefore,
                        before.files().size(), r.bronzeNanos() / 1e9, r.silverNanos() / 1e9,
                        r.events() / (r.silverNanos() / 1e9));
            }
        }
        System.out.printf(Locale.ROOT, "silver total: %,d events in %.1f s = %,.0f events/s%n", total,
                silverNanos / 1e9,
                total / (silverNanos / 1e9));
        Table markers = tables.deleteMarkers();
        if (markers != null) {
            TableSnapshot m = markers.snapshot();
            System.out.printf(Locale.ROOT, "delete-marker table: %s%n", m.version() < 0 ? "never written"
                    : String.format(Locale.ROOT, "%,d rows in %d files, %,d bytes", m.files().stream()
                            .mapToLong(DataFile::rowCount).sum(), m.files().size(),
                            m.files().stream().mapToLong(DataFile::sizeBytes).sum()));
        }
        if (dir == null) {
            try (Stream<Path> files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
