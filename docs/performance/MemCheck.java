import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.PipelineRun;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.kafka.EventProducer;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.BronzeLayout;
import io.streamlake.table.DataFile;
import io.streamlake.table.Table;
import io.streamlake.testkit.kafka.EmbeddedKafka;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The memory check of issue 16 (not a test): large events through bronze and silver in a small heap.
 * Two processes, so that the broker's memory does not count against the pipeline's:
 *
 * <pre>
 * java -cp CP MemCheck.java broker DIR EVENTS BYTES [repetitive]
 *                                                        # starts a broker, fills topic "big", prints its address;
 *                                                        # repetitive: each event one 4 KB text repeated
 *                                                        # stops when the file DIR/../stop-broker appears
 * java -cp CP MemCheck.java serve DIR                    # the same over a DIR filled before, without producing
 * java -cp CP MemCheck.java verify DIR EVENTS MODE       # reads a pipeline run's tables back (also done at its end)
 * java -Xmx256m -cp CP MemCheck.java pipeline SERVERS DIR EVENTS KEYS MAX_BATCH_BYTES MODE [no-compaction]
 *     # MODE: caught-up (runUntilCaughtUp) | streaming (start(), with the fetch thread), bronze and silver;
 *     #       bronze-only | streaming-bronze-only: the same without silver. KEYS is informational: the
 *     #       broker keyed the events over EVENTS / 10 order ids, ten neighbouring events per id
 * </pre>
 */
public final class MemCheck {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("broker")) {
            broker(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                    args.length > 4 && args[4].equals("repetitive"));
        } else if (args[0].equals("verify")) {
            System.out.println(verify(Path.of(args[1]), Long.parseLong(args[2]), args[3].endsWith("bronze-only")));
        } else if (args[0].equals("serve")) {
            serve(EmbeddedKafka.start(Path.of(args[1])), Path.of(args[1]));
        } else {
            pipeline(args[1], Path.of(args[2]), Long.parseLong(args[3]), Integer.parseInt(args[4]),
                    Long.parseLong(args[5]), args[6], args.length > 7 && args[7].equals("no-compaction"));
        }
    }

    static void broker(Path dir, int events, int bytes, boolean repetitive) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.start(dir);
        kafka.createTopic("big", 4);
        // Varied JSON text, compressible as real events are (words, numbers), taken at a different
        // place for each event so that no two events carry the same content; produced with zstd so
        // that the broker's log holds a fraction of the bytes.
        java.util.Random random = new java.util.Random(16);
        String[] words = { "order", "customer", "shipped", "pending", "widget", "gadget", "berlin", "paris",
                "express", "standard", "refund", "invoice", "warehouse", "tracking", "priority", "discount" };
        StringBuilder text = new StringBuilder(2 * bytes + 1000);
        while (text.length() < 2 * bytes) {
            // single quotes: a cut anywhere in the text leaves a valid JSON string (no escapes to split)
            text.append("{'sku':'").append(words[random.nextInt(words.length)]).append('-')
                    .append(random.nextInt(100_000)).append("','qty':").append(random.nextInt(50))
                    .append(",'note':'").append(words[random.nextInt(words.length)]).append(' ')
                    .append(words[random.nextInt(words.length)]).append("'},");
        }
        String varied = text.toString();
        if (repetitive) {
            // the same 4 KB over and over: zstd stores a 1 MB event in a few hundred bytes, so a fetch
            // bounded by compressed bytes holds thousands of them
            varied = varied.substring(0, 4096).repeat(2 * bytes / 4096 + 1);
        }
        try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), "big").withCompression("zstd")
                .open()) {
            for (int n = 0; n < events; n++) {
                // keys of neighbouring events repeat (updates of an order come close together): ten per key
                String key = "o-" + (n / 10);
                String head = "{\"order_id\":\"" + key + "\",\"seq\":" + n + ",\"blob\":\"";
                int offset = random.nextInt(bytes);
                String json = head + varied.substring(offset, offset + bytes - head.length() - 2) + "\"}";
                producer.send(key.getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8));
            }
            producer.flush();
        }
        serve(kafka, dir);
    }

    /** Prints the broker's address and serves until the file DIR/../stop-broker appears. */
    static void serve(EmbeddedKafka kafka, Path dir) throws Exception {
        System.out.println("READY " + kafka.bootstrapServers());
        System.out.flush();
        Path stop = dir.resolveSibling("stop-broker");
        while (!Files.exists(stop)) { // runs until the file appears
            Thread.sleep(500);
        }
        kafka.close();
    }

    static void pipeline(String servers, Path dir, long events, int keys, long maxBatchBytes, String mode,
            boolean noCompaction) throws Exception {
        Schema schema = Schema.builder().required("order_id", DataType.STRING).optional("seq", DataType.LONG)
                .optional("blob", DataType.STRING).build();
        Files.createDirectories(dir);
        KafkaSource source = KafkaSource.topics(servers, "big");
        var p = Pipeline.from(source).bronze(dir.resolve("bronze").toString());
        Pipeline pipeline = (mode.endsWith("bronze-only") ? p.bronzeOnly()
                : p.silver(dir.resolve("silver").toString(), "order_id").withSchema(schema)
                        .withMergeStrategy(MergeStrategies.latestBy("seq")))
                .withName("memcheck-" + mode).withMaxBatchBytes(maxBatchBytes);
        if (noCompaction) {
            pipeline = pipeline.withoutCompaction();
        }
        long start = System.nanoTime();
        PipelineProgress progress;
        if (mode.startsWith("streaming")) {
            try (PipelineRun run = pipeline.start()) {
                while (run.progress().eventsIngested() < events) {
                    Thread.sleep(500);
                }
                Thread.sleep(mode.endsWith("bronze-only") ? 0 : 5_000); // silver catches up with the last batches
                run.stop();
                progress = run.progress();
            }
        } else {
            progress = pipeline.runUntilCaughtUp();
        }
        StringBuilder pools = new StringBuilder();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pools.append(pool.getName()).append(' ').append(pool.getPeakUsage().getUsed() >> 20).append(" MiB, ");
            }
        }
        String verdict = verify(dir, events, mode.endsWith("bronze-only"));
        String hwm = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM"))
                .findFirst().orElse("?");
        System.out.printf("mode %s: %d events in %d batches, silver rows changed %d, %.1f s; %s; peak per heap"
                + " pool: %smax heap %d MiB%n", mode, progress.eventsIngested(), progress.batches(),
                progress.silverRowsChanged(), (System.nanoTime() - start) / 1e9, hwm.replaceAll("\\s+", " "),
                pools, Runtime.getRuntime().maxMemory() >> 20);
        System.out.println(verdict);
    }

    /**
     * Reads both tables back row by row (a file at a time, as the heap is small): bronze holds every
     * partition and offset once, silver one row per order id with its last event's seq and a blob of
     * that event's length. The broker keyed event n as "o-" + n / 10 with seq n, over 4 partitions.
     */
    static String verify(Path dir, long events, boolean bronzeOnly) {
        Table bronze = DeltaTable.open(dir.resolve("bronze").toString(), Map.of());
        Map<Integer, BitSet> offsets = new HashMap<>();
        long bronzeRows = 0;
        for (DataFile file : bronze.snapshot().files()) {
            Iterator<Row> rows = bronze.read(file, BronzeLayout.SCHEMA);
            while (rows.hasNext()) {
                Row row = rows.next();
                int partition = ((Number) row.value(BronzeLayout.PARTITION)).intValue();
                long offset = ((Number) row.value(BronzeLayout.POSITION)).longValue();
                if (!offsets.computeIfAbsent(partition, p -> new BitSet()).get((int) offset)) {
                    offsets.get(partition).set((int) offset);
                } else {
                    throw new IllegalStateException("bronze holds partition " + partition + " offset " + offset + " twice");
                }
                bronzeRows++;
            }
        }
        if (bronzeRows != events) {
            throw new IllegalStateException("bronze holds " + bronzeRows + " events, not " + events);
        }
        if (bronzeOnly) {
            return "verified: bronze holds each of " + events + " events once";
        }
        Table silver = DeltaTable.open(dir.resolve("silver").toString(), Map.of());
        Schema schema = silver.snapshot().schema().orElseThrow();
        BitSet keys = new BitSet();
        for (DataFile file : silver.snapshot().files()) {
            Iterator<Row> rows = silver.read(file, schema);
            while (rows.hasNext()) {
                Row row = rows.next();
                int id = Integer.parseInt(((String) row.value("order_id")).substring(2));
                long seq = (Long) row.value("seq");
                if (keys.get(id) || seq != Math.min(events - 1, id * 10L + 9) || ((String) row.value("blob")).isEmpty()) {
                    throw new IllegalStateException("silver row of o-" + id + " has seq " + seq + " or is a repeat");
                }
                keys.set(id);
            }
        }
        if (keys.cardinality() != (events + 9) / 10) {
            throw new IllegalStateException("silver holds " + keys.cardinality() + " keys, not " + (events + 9) / 10);
        }
        return "verified: bronze holds each of " + events + " events once; silver one row per each of "
                + keys.cardinality() + " keys, with its last event's seq";
    }
}
