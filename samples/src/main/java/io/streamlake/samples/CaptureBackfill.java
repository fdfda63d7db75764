package io.streamlake.samples;

import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.core.capture.Capture;
import io.streamlake.core.capture.CaptureSource;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.eventhubs.EventHubs;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.exceptions.StreamLakeException;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.source.Source;
import io.streamlake.table.DataFile;
import io.streamlake.testkit.kafka.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.avro.file.CodecFactory;

/**
 * Rebuilds bronze and silver from an Event Hubs Capture archive, then continues with the live event
 * hub through its Kafka endpoint, in one pipeline, each event exactly once.
 *
 * <p>With no arguments it runs a demo in this process: it writes Capture files for N order events in
 * 4 partitions, sends those N and M more events to a Kafka broker in this process, deletes the first
 * N from the broker as an event hub's retention would, and runs the pipeline: the first N can only
 * come from the archive, the next M only from the broker. It prints the counts.
 *
 * <pre>
 * mvn -q -B -ntp -DskipTests install
 * mvn -q -B -ntp -pl samples exec:java -Dexec.mainClass=io.streamlake.samples.CaptureBackfill
 * mvn -q -B -ntp -pl samples exec:java -Dexec.mainClass=io.streamlake.samples.CaptureBackfill -Dexec.args="--archived 1000000 --live 100000"
 * </pre>
 *
 * <p>Against a real namespace, give the Capture destination and the event hub; the connection
 * string comes from {@code EVENTHUBS_CONNECTION_STRING} (Listen rights) and the storage account's
 * settings from {@code --storage}, for example the account key:
 *
 * <pre>
 * export EVENTHUBS_CONNECTION_STRING='Endpoint=sb://my-namespace.servicebus.windows.net/;SharedAccessKeyName=...;SharedAccessKey=...'
 * mvn -q -B -ntp -pl samples exec:java -Dexec.mainClass=io.streamlake.samples.CaptureBackfill -Dexec.args="\
 *   --capture-root abfss://capture@myaccount.dfs.core.windows.net/ --namespace my-namespace --event-hub orders \
 *   --storage fs.azure.account.key.myaccount.dfs.core.windows.net=$STORAGE_KEY \
 *   --lake abfss://lake@myaccount.dfs.core.windows.net/ --keep-running"
 * </pre>
 */
public final class CaptureBackfill {
    static final String USAGE = "usage: CaptureBackfill [--archived N] [--live M] [--lake DIR]\n"
            + "       CaptureBackfill --capture-root URI --event-hub NAME [--namespace NS] [--lake DIR_OR_URI]"
            + " [--storage key=value]... [--keep-running]   (EVENTHUBS_CONNECTION_STRING in the environment)";
    static final String EVENT_HUB = "orders";

    private CaptureBackfill() {
    }

    /** What a run did. */
    record Summary(long archived, int captureFiles, long live, long events, long bronzeRows, long distinctBronzeEvents,
            long silverRows) {
        boolean exactlyOnce() {
            return bronzeRows == archived + live && distinctBronzeEvents == bronzeRows && silverRows == bronzeRows;
        }
    }

    /** @param args see {@link #USAGE} */
    public static void main(String[] args) {
        long archived = 40_000;
        long live = 10_000;
        String lake = "capture-demo";
        String captureRoot = null;
        String eventHub = null;
        String namespace = null;
        boolean keepRunning = false;
        Map<String, String> storage = new LinkedHashMap<>();
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--archived" -> archived = Long.parseLong(args[++i].replace("_", ""));
                    case "--live" -> live = Long.parseLong(args[++i].replace("_", ""));
                    case "--lake" -> lake = args[++i];
                    case "--capture-root" -> captureRoot = args[++i];
                    case "--event-hub" -> eventHub = args[++i];
                    case "--namespace" -> namespace = args[++i];
                    case "--keep-running" -> keepRunning = true;
                    case "--storage" -> {
                        String[] kv = args[++i].split("=", 2);
                        storage.put(kv[0], kv[1]);
                    }
                    default -> throw EventHubsOptions.unknown(args[i], i);
                }
            }
        } catch (RuntimeException e) {
            System.err.println(e.getMessage() == null ? e.toString() : e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        try {
            if (captureRoot == null) {
                Summary s = demo(archived, live, Path.of(lake).toAbsolutePath());
                if (!s.exactlyOnce()) {
                    System.exit(1);
                }
            } else {
                String connectionString = System.getenv(Quickstart.Options.ENV_CONNECTION_STRING);
                if (eventHub == null || connectionString == null) {
                    System.err.println(
                            "--capture-root needs --event-hub and " + Quickstart.Options.ENV_CONNECTION_STRING);
                    System.err.println(USAGE);
                    System.exit(2);
                    return;
                }
                CaptureSource archive = Capture.backfill(captureRoot, eventHub);
                if (namespace != null) {
                    archive = archive.withNamespace(namespace);
                }
                realNamespace(archive.thenLive(EventHubs.kafka(connectionString, eventHub)), lake, storage,
                        keepRunning);
            }
        } catch (StreamLakeException e) {
            System.err.println("CaptureBackfill failed: " + e.getMessage());
            System.exit(1);
        }
    }

    private static Pipeline pipeline(Source source, String lake, Map<String, String> storage) {
        String root = lake.endsWith("/") ? lake : lake + "/";
        Pipeline p = Pipeline.from(source)
                .bronze(root + "bronze/" + source.name())
                .silver(root + "silver/" + source.name(), "order_id")
                .withSchema(OrderEvents.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withName("capture-backfill");
        for (Map.Entry<String, String> e : storage.entrySet()) {
            p = p.withStorageOption(e.getKey(), e.getValue());
        }
        return p;
    }

    private static void realNamespace(Source source, String lake, Map<String, String> storage, boolean keepRunning) {
        Pipeline pipeline = pipeline(source, lake, storage);
        System.out.println("CaptureBackfill: " + source + " -> " + lake);
        try (PipelineRun run = pipeline.start(keepRunning ? RunMode.CONTINUOUS : RunMode.UNTIL_CAUGHT_UP)) {
            while (!run.awaitTermination(Duration.ofSeconds(5))) {
                PipelineProgress p = run.progress();
                System.out.printf(Locale.ROOT, "  ... %,d events ingested, %,.0f events/s, bronze v%d, silver v%d%n",
                        p.eventsIngested(), p.eventsPerSecond(), p.bronzeVersion(), p.silverVersion());
            }
            PipelineProgress p = run.progress();
            System.out.printf(Locale.ROOT, "Done: %,d events ingested, gaps %s%n", p.eventsIngested(), p.gaps());
        }
    }

    /** The embedded demo; see the class comment. */
    static Summary demo(long archived, long live, Path lake) {
        long total = archived + live;
        // one order per event, so silver holds one row per event and its count checks exactly-once too
        OrderEvents orders = new OrderEvents(total, Math.max(1, total), Quickstart.PARTITIONS);
        long[] inArchive = new long[Quickstart.PARTITIONS];
        for (int p = 0; p < inArchive.length; p++) {
            // with one order per event, event i is position i / 4 of partition i % 4
            inArchive[p] = Math.max(0, (archived - p + Quickstart.PARTITIONS - 1) / Quickstart.PARTITIONS);
        }
        Path capture = lake.resolve("capture");
        int files = CaptureWriter.write(capture, EVENT_HUB, orders, inArchive, 10_000, CodecFactory.deflateCodec(6));
        System.out.printf(Locale.ROOT, "CaptureBackfill demo: Capture files for %,d events in %d partitions (%d files"
                + " under %s)%n", archived, Quickstart.PARTITIONS, files, capture);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(lake.resolve("kafka"))) {
            kafka.createTopic(EVENT_HUB, Quickstart.PARTITIONS);
            Quickstart.produceMissing(kafka, EVENT_HUB, orders);
            for (int p = 0; p < inArchive.length; p++) {
                // the event hub's retention: the archived events are gone from the live stream
                kafka.deleteRecordsBefore(EVENT_HUB, p, inArchive[p]);
            }
            System.out.printf(Locale.ROOT, "  live: %,d more events in the broker at %s, which no longer holds the"
                    + " first %,d%n", live, kafka.bootstrapServers(), archived);
            Source source = Capture.backfill(capture.toString(), EVENT_HUB)
                    .thenLive(KafkaSource.topics(kafka.bootstrapServers(), EVENT_HUB));
            Pipeline pipeline = pipeline(source, lake.toString(), Map.of());
            long t0 = System.nanoTime();
            PipelineProgress progress = pipeline.runUntilCaughtUp();
            double seconds = (System.nanoTime() - t0) / 1e9;
            String bronze = lake.resolve("bronze/" + EVENT_HUB).toString();
            String silver = lake.resolve("silver/" + EVENT_HUB).toString();
            long bronzeRows = 0;
            Set<Long> distinct = new HashSet<>();
            DeltaTable table = DeltaTable.open(bronze, Map.of());
            Schema schema = table.snapshot().schema().orElseThrow();
            for (DataFile f : table.snapshot().files()) {
                for (Iterator<Row> it = table.read(f, schema); it.hasNext();) {
                    Row r = it.next();
                    bronzeRows++;
                    distinct.add(((long) r.intValue("partition") << 40) | r.longValue("position"));
                }
            }
            long silverRows = rows(silver);
            Summary s = new Summary(archived, files, live, progress.eventsIngested(), bronzeRows, distinct.size(),
                    silverRows);
            System.out.printf(Locale.ROOT, "Done in %.1f s: %,d archived + %,d live = %,d events; bronze %,d rows"
                    + " (%,d distinct events), silver %,d rows: %s%n", seconds, archived, live, total, bronzeRows,
                    distinct.size(), silverRows, s.exactlyOnce() ? "every event exactly once"
                            : "NOT exactly once");
            return s;
        }
    }

    private static long rows(String path) {
        return DeltaTable.open(path, Map.of()).snapshot().files().stream().mapToLong(DataFile::rowCount).sum();
    }
}
