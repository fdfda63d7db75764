package io.streamlake.testkit.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.table.TableCommit;
import io.streamlake.testkit.Orders;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Scale-out with processes that die: instances of one pipeline, each in a JVM of its own
 * ({@link ScaleOutInstance}), share a topic. Only the one holding the topic's first partition merges
 * silver; killed with SIGKILL, it is replaced by the member the group gives that partition to, within
 * the group's session timeout and a merge. Silver's history shows every bronze version merged once:
 * each merge starts right after the one before it ends, none lost, none done twice.
 */
class KafkaKillIT extends EmbeddedKafkaTest {
    private static final int EVENTS = 3000;
    /** The group's session timeout (6 s) and a rebalance, a poll and a merge. */
    private static final long TAKEOVER_BOUND_SECONDS = 30;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PROGRESS = Pattern.compile("PROGRESS events=(\\d+) silverRows=(\\d+).*");

    @TempDir Path lake;

    /** A running instance and what it last said. */
    private static final class Instance {
        final String name;
        final Process process;
        final AtomicLong events = new AtomicLong();
        final AtomicLong silverRows = new AtomicLong();
        /** Its last lines other than progress (a failure's stack trace), for an assertion's message. */
        final java.util.Deque<String> said = new java.util.concurrent.ConcurrentLinkedDeque<>();

        Instance(String name, Process process) {
            this.name = name;
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        Matcher m = PROGRESS.matcher(line);
                        if (m.matches()) {
                            events.set(Long.parseLong(m.group(1)));
                            silverRows.set(Long.parseLong(m.group(2)));
                        } else if (!line.contains(" INFO ") && !line.startsWith("\t")) {
                            said.add(line);
                            while (said.size() > 30) {
                                said.poll();
                            }
                        }
                    }
                } catch (IOException e) {
                    // the process died: its last figures stay
                }
            }, "output of " + name);
            reader.setDaemon(true);
            reader.start();
        }

        void stop() throws InterruptedException {
            try {
                process.getOutputStream().close(); // its standard input ends: it stops gracefully
            } catch (IOException e) {
                // already gone
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    private Instance start(String topic, String name) throws IOException {
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), ScaleOutInstance.class.getName(),
                kafka.bootstrapServers(), topic, lake.toString(), name)).redirectErrorStream(true).start();
        return new Instance(name, p);
    }

    @ParameterizedTest(name = "{0} instances")
    @ValueSource(ints = {2, 3})
    void theSilverWriterKilledWithSigkillIsReplacedAndEveryBronzeVersionIsMergedOnce(int count) throws Exception {
        String topic = "killed" + count;
        kafka.createTopic(topic, 4);
        AtomicBoolean producing = new AtomicBoolean(true);
        Thread producer = new Thread(() -> produce(topic, producing), "producer");
        List<Instance> instances = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                instances.add(start(topic, "i" + i));
            }
            await("every instance in the group", () -> assignment().size() == count && assigned() == 4);
            producer.start();
            Instance writer = byName(instances, firstPartitionOwner());
            await("the writer merges", () -> writer.silverRows.get() > 0);
            // while events keep coming for two seconds, the others ingest and commit bronze, and merge nothing
            long ingested = instances.stream().filter(i -> i != writer).mapToLong(i -> i.events.get()).sum();
            Thread.sleep(2000);
            assertThat(instances.stream().filter(i -> i != writer).mapToLong(i -> i.events.get()).sum())
                    .as("the others ingest").isGreaterThan(ingested);
            for (Instance other : instances) {
                if (other != writer) {
                    assertThat(other.silverRows.get()).as("%s holds no first partition: it merges nothing", other.name)
                            .isZero();
                }
            }

            writer.process.destroyForcibly(); // SIGKILL
            writer.process.waitFor();
            instances.remove(writer);
            long killedAt = System.nanoTime();
            await("another instance holds the first partition",
                    () -> assignment().size() == count - 1 && assigned() == 4 && firstPartitionOwner() != null);
            Instance next = byName(instances, firstPartitionOwner());
            long before = next.silverRows.get();
            await("the next writer merges", () -> next.silverRows.get() > before);
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killedAt)).as("takeover")
                    .isLessThanOrEqualTo(TAKEOVER_BOUND_SECONDS);

            producer.join();
            await("silver has every event", () -> silverHoldsEveryEvent(topic));
            for (Instance other : instances) {
                if (other != next) {
                    assertThat(other.silverRows.get()).as("%s never held the first partition", other.name).isZero();
                }
            }
        } finally {
            producing.set(false);
            producer.join();
            for (Instance i : instances) {
                i.stop();
            }
        }
        List<Map<String, Object>> rows = KernelReader.rows(lake.resolve("bronze").toString());
        assertThat(rows.stream().map(r -> r.get("partition") + "@" + r.get("position")).distinct()).hasSize(EVENTS);
        assertThat(rows).hasSize(EVENTS);
        Orders.assertSilverHoldsLatestStatus(lake.resolve("silver").toString(), EVENTS);
        assertEveryBronzeVersionMergedOnce();
    }

    /**
     * A storm: three instances, one of them killed with SIGKILL and started again every 10 s for two
     * minutes while events keep coming. The two that stay keep their partitions (cooperative
     * rebalancing) and go on committing bronze in every 10 s of it; at the end both tables are exact.
     */
    @Test
    void aStormOfKillsAndRestartsNeverStopsTheOthersAndLeavesTheTablesExact() throws Exception {
        String topic = "storm";
        kafka.createTopic(topic, 6);
        AtomicBoolean producing = new AtomicBoolean(true);
        AtomicLong produced = new AtomicLong();
        Thread producer = new Thread(
                () -> produced.set(KafkaTesting.produce(kafka, topic, Long.MAX_VALUE, 30, producing)), "producer");
        Instance a = start(topic, "a");
        Instance b = start(topic, "b");
        Instance victim = start(topic, "victim");
        try {
            await("three instances in the group", () -> assignment().size() == 3 && assigned() == 6);
            producer.start();
            for (int round = 0; round < 12; round++) {
                long aBefore = a.events.get();
                long bBefore = b.events.get();
                Thread.sleep(10_000);
                assertThat(a.events.get()).as("a commits in round %d; alive %s; it said %s", round,
                        a.process.isAlive(), a.said).isGreaterThan(aBefore);
                assertThat(b.events.get()).as("b commits in round %d; alive %s; it said %s", round,
                        b.process.isAlive(), b.said).isGreaterThan(bBefore);
                victim.process.destroyForcibly(); // SIGKILL
                victim.process.waitFor();
                victim = start(topic, "victim");
            }
            producing.set(false);
            producer.join();
            int events = (int) produced.get();
            await("silver has every event", () -> silverHoldsEvery(topic, events));
        } finally {
            producing.set(false);
            producer.join();
            for (Instance i : List.of(a, b, victim)) {
                i.stop();
            }
        }
        int events = (int) produced.get();
        List<Map<String, Object>> rows = KernelReader.rows(lake.resolve("bronze").toString());
        assertThat(rows.stream().map(r -> r.get("partition") + "@" + r.get("position")).distinct()).hasSize(events);
        assertThat(rows).hasSize(events);
        Orders.assertSilverHoldsLatestStatus(lake.resolve("silver").toString(), events);
        assertEveryBronzeVersionMergedOnce();
    }

    /** Silver's merges, in version order, each take the bronze versions right after the last one's. */
    private void assertEveryBronzeVersionMergedOnce() throws IOException {
        DeltaTable silver = DeltaTable.open(lake.resolve("silver").toString(), Map.of());
        long next = -1;
        for (TableCommit c : silver.history(0, silver.snapshot().version())) {
            if (c.userMetadata() == null) {
                continue;
            }
            JsonNode note = JSON.readTree(c.userMetadata());
            if (!"silver".equals(note.path("flow").asText())) {
                continue;
            }
            long from = note.get("bronzeFrom").asLong();
            if (next >= 0) {
                assertThat(from).as("silver version %d starts after the merge before it", c.version()).isEqualTo(next);
            }
            next = note.get("bronzeTo").asLong() + 1;
        }
        assertThat(next).as("some merges").isPositive();
    }

    private boolean silverHoldsEveryEvent(String topic) {
        return silverHoldsEvery(topic, EVENTS);
    }

    private boolean silverHoldsEvery(String topic, int events) {
        Map<Integer, Long> ends = kafka.endOffsets(topic);
        DeltaTable bronze = DeltaTable.open(lake.resolve("bronze").toString(), Map.of());
        boolean bronzeDone = ends.entrySet().stream().allMatch(e -> e.getValue() == 0 || bronze.snapshot()
                .transaction("killed/" + topic + "/" + e.getKey()).orElse(-1) == e.getValue() - 1);
        if (!bronzeDone) {
            return false;
        }
        try {
            Orders.assertSilverHoldsLatestStatus(lake.resolve("silver").toString(), events);
            return true;
        } catch (AssertionError e) {
            return false;
        }
    }

    private static Instance byName(List<Instance> instances, String name) {
        return instances.stream().filter(i -> i.name.equals(name)).findFirst().orElseThrow();
    }

    /** Events arrive over about ten seconds, so that the kill and the takeover see traffic. */
    private static void produce(String topic, AtomicBoolean producing) {
        KafkaTesting.produce(kafka, topic, EVENTS, 30, producing);
    }

    private static Map<String, Set<Integer>> assignment() {
        return KafkaTesting.assignment(kafka, "killed");
    }

    private static int assigned() {
        return assignment().values().stream().mapToInt(Set::size).sum();
    }

    private static String firstPartitionOwner() {
        return assignment().entrySet().stream().filter(e -> e.getValue().contains(0)).map(Map.Entry::getKey)
                .findFirst().orElse(null);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        KafkaTesting.await(what, condition, 120);
    }
}
