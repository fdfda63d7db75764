package io.streamlake.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.streamlake.core.delta.KernelReader;
import io.streamlake.core.kafka.EventProducer;
import io.streamlake.testkit.kafka.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The quickstart's promises, checked with Delta Kernel as an independent reader. */
class QuickstartTest {

    @Test
    void ingestsEveryEventOnceAndARerunAddsNothing(@TempDir Path lake) {
        Quickstart.Options options = Quickstart.Options.parse(
                new String[] {"--events", "5000", "--keys", "700", "--lake", lake.toString()});
        Quickstart.Summary first = Quickstart.run(options);
        assertThat(first.produced()).isEqualTo(5000);
        assertThat(first.events()).isEqualTo(5000);
        assertThat(first.bronzeRows()).isEqualTo(5000);
        assertThat(first.silverRows()).isEqualTo(700);

        Quickstart.Summary second = Quickstart.run(options); // the broker restarts on its data
        assertThat(second.produced()).isZero();
        assertThat(second.events()).isZero();
        assertThat(second.bronzeRows()).isEqualTo(5000);
        assertThat(second.silverRows()).isEqualTo(700);

        assertTablesExact(lake, 5000, 700);
    }

    @Test
    void progressShowsTheTablesVersionsFromTheFirstLineAndTheSummarySeparatesStartUp(@TempDir Path lake) {
        String[] args = {"--events", "3000", "--keys", "500", "--lake", lake.toString()};
        ProgramRun first = ProgramRun.of(() -> Quickstart.run(args, Map.of()));
        ProgramRun rerun = ProgramRun.of(() -> Quickstart.run(args, Map.of())); // the tables exist: never v-1
        for (ProgramRun run : List.of(first, rerun)) {
            assertThat(run.code()).isZero();
            assertThat(run.output().lines().filter(l -> l.startsWith("  ... "))).allSatisfy(
                    l -> assertThat(l).doesNotContain("v-1").containsPattern("bronze v\\d+, silver v\\d+$"));
            assertThat(run.output()).contains("\n  start-up ").contains(" events/s from the pipeline's start to its"
                    + " last commit), ");
        }
        assertThat(first.output()).contains("Done: 3,000 events ingested this run, bronze 3,000 rows, silver 500 rows");
        assertThat(rerun.output()).contains("Done: 0 events ingested this run, bronze 3,000 rows, silver 500 rows")
                .contains("ingest 0.0 s (0 events/s");
    }

    @Test
    void aRunKilledPartwayIsFinishedByTheNextRun(@TempDir Path lake) throws Exception {
        long events = 1_000_000;
        long keys = 50_000;
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Quickstart.class.getName(),
                "--events", Long.toString(events), "--keys", Long.toString(keys), "--lake", lake.toString())
                .redirectErrorStream(true)
                .redirectOutput(lake.resolve("first-run.log").toFile())
                .start();
        Path secondBronzeCommit = lake.resolve("bronze/orders/_delta_log/00000000000000000002.json");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(secondBronzeCommit) && process.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(process.isAlive()).as("the first run must still be working when it is killed").isTrue();
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: no shutdown hooks, no cleanup

        Quickstart.Summary resumed = Quickstart.run(Quickstart.Options.parse(new String[] {
                "--events", Long.toString(events), "--keys", Long.toString(keys), "--lake", lake.toString()}));
        assertThat(resumed.events()).isPositive().isLessThan(events);
        assertThat(resumed.bronzeRows()).isEqualTo(events);
        assertThat(resumed.silverRows()).isEqualTo(keys);
        assertTablesExact(lake, events, keys);
    }

    @Test
    void ingestsATopicThatAnotherProgramFilledAndProducesNothing(@TempDir Path dir) {
        Path lake = dir.resolve("lake");
        OrderEvents orders = new OrderEvents(3000, 500, 4);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("broker"))) {
            kafka.createTopic("orders", 4);
            // Another program fills the topic, keyed by order id as any producer would.
            try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), "orders").open()) {
                for (long i = 0; i < orders.size(); i++) {
                    producer.send(orders.key(i), orders.json(i).getBytes(StandardCharsets.UTF_8));
                }
            }
            String[] args = {"--bootstrap-servers", kafka.bootstrapServers(), "--topic", "orders",
                    "--lake", lake.toString(), "--events", "3000", "--keys", "500"};
            Quickstart.Summary first = Quickstart.run(Quickstart.Options.parse(args));
            assertThat(first.produced()).isZero();
            assertThat(first.events()).isEqualTo(3000);
            assertThat(Quickstart.run(Quickstart.Options.parse(args)).events()).isZero();
            assertThat(kafka.endOffsets("orders").values().stream().mapToLong(Long::longValue).sum()).isEqualTo(3000);
        }
        assertTablesExact(lake, 3000, 500);
    }

    @Test
    void optionsChooseTheTargetAndNeverShowTheConnectionString() {
        String secret = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=p;SharedAccessKey=c2VjcmV0";
        Quickstart.Options fromEnv = Quickstart.Options.parse(new String[] {"--eventhub", "orders"},
                Map.of(Quickstart.Options.ENV_CONNECTION_STRING, secret));
        assertThat(fromEnv.connectionString).isEqualTo(secret);
        assertThat(fromEnv.toString()).doesNotContain("c2VjcmV0");
        assertThat(Quickstart.Options.parse(new String[] {"--eventhub", "orders", "--eventhubs-connection-string",
                secret}, Map.of()).connectionString).isEqualTo(secret);
        assertThatThrownBy(() -> Quickstart.Options.parse(new String[] {"--eventhub", "orders"}, Map.of()))
                .hasMessageContaining(Quickstart.Options.ENV_CONNECTION_STRING);
        assertThatThrownBy(() -> Quickstart.Options.parse(new String[] {"--produce"}))
                .hasMessageContaining("--bootstrap-servers");
        assertThatThrownBy(() -> Quickstart.Options.parse(new String[] {"--bootstrap-servers", "h:1", "--eventhub",
                "x"})).hasMessageContaining("not both");
        // A connection string given without its option is named by its place, never echoed.
        assertThatThrownBy(() -> Quickstart.Options.parse(new String[] {"--eventhub", "orders", secret}, Map.of()))
                .hasMessageContaining("argument 3 is not an option").hasMessageNotContaining("c2VjcmV0")
                .hasMessageNotContaining("ns.servicebus");
        assertThatThrownBy(() -> Quickstart.Options.parse(new String[] {"--evnthub"}, Map.of()))
                .hasMessageContaining("unknown option '--evnthub'");
        // Without --eventhub the variable is ignored: the default stays the in-process broker.
        assertThat(Quickstart.Options.parse(new String[0],
                Map.of(Quickstart.Options.ENV_CONNECTION_STRING, secret)).eventHub).isNull();
    }

    @Test
    void aLakeThatIsAFileIsAOneLineErrorBeforeAnyWork(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("lake"), "not a folder");
        for (Path lake : List.of(file, file.resolve("below"))) {
            ProgramRun run = ProgramRun.of(() -> Quickstart.run(new String[] {"--lake", lake.toString()}, Map.of()));
            assertThat(run.code()).isEqualTo(1);
            assertThat(run.output().strip()).doesNotContain("\n").startsWith("Quickstart failed: --lake ")
                    .contains(dir.toString()).contains("give a folder");
        }
        assertThat(dir.resolve("kafka")).doesNotExist();
    }

    @Test
    void anUnwritableLakeIsAOneLineError(@TempDir Path dir) throws Exception {
        Path lake = Files.createDirectory(dir.resolve("lake"));
        Files.setPosixFilePermissions(lake, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(lake), "this user (root?) may write to a read-only folder");
            ProgramRun run = ProgramRun.of(() -> Quickstart.run(new String[] {"--lake", lake.toString()}, Map.of()));
            assertThat(run.code()).isEqualTo(1);
            assertThat(run.output().strip()).doesNotContain("\n").startsWith("Quickstart failed: --lake " + lake)
                    .contains("not writable");
        } finally {
            Files.setPosixFilePermissions(lake, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    private static void assertTablesExact(Path lake, long events, long keys) {
        List<Map<String, Object>> bronze = KernelReader.rows(lake.resolve("bronze/orders").toString());
        assertThat(bronze).hasSize((int) events);
        Set<String> positions = new HashSet<>();
        for (Map<String, Object> row : bronze) {
            assertThat(positions.add(row.get("partition") + "@" + row.get("position"))).isTrue();
        }
        List<Map<String, Object>> silver = KernelReader.rows(lake.resolve("silver/orders").toString());
        assertThat(silver).hasSize((int) keys);
        Set<Object> ids = new HashSet<>();
        for (Map<String, Object> row : silver) {
            assertThat(ids.add(row.get("order_id"))).isTrue();
        }
        // Every order got events 0, K, 2K, ...: the last one decides its status.
        OrderEvents generator = new OrderEvents(events, keys, 4);
        long lastRound = (events - 1) / keys;
        String expected = OrderEvents.STATUSES.get((int) Math.min(lastRound, 3));
        assertThat(silver).filteredOn(r -> r.get("order_id").equals(OrderEvents.orderId(0)))
                .singleElement().satisfies(r -> assertThat(r.get("status")).isEqualTo(expected));
        assertThat(generator.distinctOrders()).isEqualTo(keys);
    }
}
