package io.streamlake.testkit.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.core.delta.KernelReader;
import io.streamlake.core.kafka.EventProducer;
import io.streamlake.table.BronzeLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events of 1 MB that compress to almost nothing, through bronze + silver in a 256 MiB heap. The
 * consumer's fetch bounds count compressed bytes, so one fetch holds all of them, and a poll
 * decompresses every record it returns: with Kafka's poll of up to 10,000 records the pipeline asked
 * for 320 MB at once and ran out of memory. The pipeline runs in a JVM of its own
 * ({@link SmallHeapPipeline}), and both tables are read back whole by Delta Kernel.
 */
class LargeCompressedEventsIT extends EmbeddedKafkaTest {
    private static final int EVENTS = 320;
    private static final int EVENTS_PER_KEY = 10;
    private static final int VALUE_BYTES = 1_000_000;
    /** Start-up, 320 MB through bronze and silver with a small heap's batches, on a loaded machine. */
    private static final long BOUND_SECONDS = 240;

    @TempDir Path lake;

    @Test
    void oneMegabyteEventsThatCompressToAlmostNothingGoThroughBronzeAndSilverInA256MibHeap() throws Exception {
        kafka.createTopic("compressed", 4);
        try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), "compressed")
                .withCompression("zstd").open()) {
            for (int n = 0; n < EVENTS; n++) {
                producer.send(key(n), json(n));
            }
            producer.flush();
        }

        Process child = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                SmallHeapPipeline.class.getName(), kafka.bootstrapServers(), "compressed", lake.toString()))
                .redirectErrorStream(true).redirectOutput(lake.resolve("pipeline.log").toFile()).start();
        boolean ended = child.waitFor(BOUND_SECONDS, TimeUnit.SECONDS);
        if (!ended) {
            child.destroyForcibly().waitFor();
        }
        String said = tail(lake.resolve("pipeline.log"));
        assertThat(ended).as("the pipeline ended within %d s; its output ends with:%n%s", BOUND_SECONDS, said).isTrue();
        assertThat(child.exitValue()).as("the pipeline's exit code; its output ends with:%n%s", said).isZero();
        assertThat(said).contains("DONE events=" + EVENTS);

        // bronze: every event once, its value byte for byte
        List<Map<String, Object>> bronze = KernelReader.rows(lake.resolve("bronze").toString());
        assertThat(bronze).hasSize(EVENTS);
        Set<String> positions = new HashSet<>();
        Set<Integer> seen = new HashSet<>();
        for (Map<String, Object> row : bronze) {
            assertThat(positions.add(row.get(BronzeLayout.PARTITION) + "@" + row.get(BronzeLayout.POSITION))).isTrue();
            String value = new String((byte[]) row.get(BronzeLayout.VALUE), StandardCharsets.UTF_8);
            int n = seq(value);
            assertThat(value).as("event %d", n).isEqualTo(json(n));
            assertThat(new String((byte[]) row.get(BronzeLayout.KEY), StandardCharsets.UTF_8)).isEqualTo(key(n));
            seen.add(n);
        }
        assertThat(seen).hasSize(EVENTS);

        // silver: one row per key, its last event's
        List<Map<String, Object>> silver = KernelReader.rows(lake.resolve("silver").toString());
        assertThat(silver).hasSize(EVENTS / EVENTS_PER_KEY);
        for (Map<String, Object> row : silver) {
            int last = (int) (long) (Long) row.get("seq");
            assertThat(row.get("order_id")).isEqualTo(key(last));
            assertThat(last % EVENTS_PER_KEY).isEqualTo(EVENTS_PER_KEY - 1);
            assertThat(row.get("blob")).as("the blob of event %d", last).isEqualTo(blob(last));
        }
    }

    private static String key(int n) {
        return "o-" + n / EVENTS_PER_KEY;
    }

    private static String json(int n) {
        String head = "{\"order_id\":\"" + key(n) + "\",\"seq\":" + n + ",\"blob\":\"";
        return head + blob(n) + "\"}";
    }

    /** About a megabyte of one short text repeated: zstd keeps a few hundred bytes of it. */
    private static String blob(int n) {
        String unit = "sku widget-" + n + " qty " + n % 50 + " note express tracking; ";
        return unit.repeat(VALUE_BYTES / unit.length());
    }

    private static int seq(String json) {
        int at = json.indexOf("\"seq\":") + 6;
        return Integer.parseInt(json.substring(at, json.indexOf(',', at)));
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(log));
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
