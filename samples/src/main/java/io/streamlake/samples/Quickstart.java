package io.streamlake.samples;

import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.table.DataFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * The seed story on an embedded default, no cloud and no broker needed: order events stream into
 * a bronze Delta table of raw events and a silver Delta table with the latest state of each order.
 * Run it twice with the same options and the second run adds nothing; kill it and run it again and
 * it finishes the work, with every event exactly once.
 *
 * <pre>
 * mvn -q -DskipTests install &amp;&amp; mvn -q -pl samples exec:java -Dexec.args="--events 100000 --keys 10000 --lake ./lake"
 * </pre>
 */
public final class Quickstart {
    private Quickstart() {
    }

    /**
     * @param args {@code --events N} (default 100000), {@code --keys K} (default 10000),
     *     {@code --lake DIR} (default ./lake)
     */
    public static void main(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        if (options.help) {
            System.out.println(Options.USAGE);
            return;
        }
        run(options);
    }

    static Summary run(Options options) {
        Path lake = options.lake.toAbsolutePath().normalize();
        String bronzePath = lake.resolve("bronze/orders").toString();
        String silverPath = lake.resolve("silver/orders").toString();
        OrderEvents orders = new OrderEvents(options.events, options.keys, 4);

        Pipeline pipeline = Pipeline.from(orders)
                .bronze(bronzePath)
                .silver(silverPath, "order_id")
                .withSchema(OrderEvents.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withName("quickstart");

        System.out.printf(Locale.ROOT, "StreamLake quickstart: %,d order events over %,d orders -> %s%n",
                options.events, options.keys, lake);
        long start = System.nanoTime();
        PipelineProgress last;
        try (PipelineRun run = pipeline.start(RunMode.UNTIL_CAUGHT_UP)) {
            while (!run.awaitTermination(Duration.ofSeconds(2))) {
                PipelineProgress p = run.progress();
                System.out.printf(Locale.ROOT, "  ... %,d events ingested, %,.0f events/s, bronze v%d, silver v%d%n",
                        p.eventsIngested(), p.eventsPerSecond(), p.bronzeVersion(), p.silverVersion());
            }
            last = run.progress();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Summary summary = new Summary(last.eventsIngested(), rows(bronzePath), rows(silverPath), seconds);
        System.out.printf(Locale.ROOT, "Done: %,d events this run, bronze %,d rows, silver %,d rows, %.1f s, %,.0f events/s%n",
                summary.events(), summary.bronzeRows(), summary.silverRows(), seconds,
                seconds > 0 ? summary.events() / seconds : 0);
        System.out.println("Bronze: " + bronzePath);
        System.out.println("Silver: " + silverPath);
        return summary;
    }

    private static long rows(String path) {
        return DeltaTable.open(path, Map.of()).snapshot().files().stream().mapToLong(DataFile::rowCount).sum();
    }

    /** What a run did. */
    record Summary(long events, long bronzeRows, long silverRows, double seconds) {
    }

    /** Command-line options. */
    static final class Options {
        static final String USAGE = "usage: Quickstart [--events N] [--keys K] [--lake DIR]\n"
                + "  --events N   order events to generate (default 100000)\n"
                + "  --keys K     distinct orders (default 10000)\n"
                + "  --lake DIR   folder of the bronze and silver tables (default ./lake)";
        long events = 100_000;
        long keys = 10_000;
        Path lake = Path.of("lake");
        boolean help;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--events" -> o.events = number(a, value(args, ++i, a));
                    case "--keys" -> o.keys = number(a, value(args, ++i, a));
                    case "--lake" -> o.lake = Path.of(value(args, ++i, a));
                    case "-h", "--help" -> o.help = true;
                    default -> throw new IllegalArgumentException("unknown option '" + a + "'");
                }
            }
            if (o.keys < 1) {
                throw new IllegalArgumentException("--keys must be at least 1");
            }
            return o;
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }

        private static long number(String option, String text) {
            try {
                long n = Long.parseLong(text.replace("_", ""));
                if (n < 0) {
                    throw new IllegalArgumentException(option + " must not be negative, got " + text);
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " takes a whole number, got '" + text + "'");
            }
        }
    }
}
