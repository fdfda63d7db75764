package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random and mutated JSON through the whole pipeline, decoders and Delta writers included, on real
 * tables: no record may stop it, and every record ends up exactly once in silver's input or in the
 * quarantine. The mutations aim at the edges that stopped pipelines before: exponents past any
 * number's range, unpaired surrogates in values and keys, control characters, deep nesting, cut
 * and flipped bytes, numbers in every column type.
 */
class FuzzedRecordsTest {
    private static final Schema SCHEMA = Schema.builder()
            .required("id", DataType.STRING)
            .optional("s", DataType.STRING)
            .optional("i", DataType.INT)
            .optional("l", DataType.LONG)
            .optional("d", DataType.DOUBLE)
            .optional("m", DataType.decimal(12, 2))
            .optional("b", DataType.BOOLEAN)
            .optional("t", DataType.TIMESTAMP)
            .optional("day", DataType.DATE)
            .optional("bin", DataType.BINARY)
            .optional("tags", DataType.map(DataType.STRING))
            .build();
    private static final String[] NUMBERS = {"0", "-0", "1e2147483648", "1e-2147483649", "-1e2147483647",
            "123456789012345678901234567890", "1.5e308", "1e309", "-1e-400", "0.0000001", "9223372036854775808",
            "2147483648", "1E+2", "3.00", "1e19", "NaN", "-", "1.", ".5", "01", "1e", "0x10"};
    private static final String[] STRINGS = {"\"\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\\ud83d\\ude00b\"",
            "\"\\ud83d\\ude00\"", "\"\\u0000\"", "\"\\ud800\\ud800\"", "\"é\"", "\"2026-01-02T03:04:05Z\"",
            "\"2026-02-30\"", "\"+999999999-12-31T23:59:59Z\"", "\"AAEC\"", "\"-_8=\"", "\"x\\\\\"", "\"\\t\\n\""};
    private static final String[] OTHERS = {"null", "true", "false", "{}", "[]", "[1,2]",
            "{\"k\":\"\\udfff\"}", "{\"\\ud800\":\"v\"}", "{\"k\":1e2147483648}",
            "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]"};
    private static final String[] COLUMNS = {"s", "i", "l", "d", "m", "b", "t", "day", "bin", "tags"};

    @Test
    void noRecordStopsThePipelineAndEachEndsUpOnce(@TempDir Path lake) {
        Random random = new Random(9);
        InMemoryHub hub = InMemoryHub.create("fuzz", 2);
        Pipeline pipeline = Pipeline.from(hub).bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "id")
                .withSchema(SCHEMA)
                .withMergeStrategy(MergeStrategies.lastWins())
                .withMaxBatchRecords(700);
        int records = 4_000;
        Set<Object> ids = new HashSet<>();
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            for (int n = 0; n < records; n++) {
                String id = "id-" + n;
                byte[] value = mutate(random, record(random, id), n);
                hub.send(n % 2, id.getBytes(StandardCharsets.UTF_8), value, Map.of());
                ids.add(id);
                if (n % 1_500 == 1_499) {
                    driver.runUntilCaughtUp();
                    driver.restart();
                }
            }
            driver.runUntilCaughtUp();
            TableContents silver = driver.silver();
            TableContents quarantine = driver.quarantine();
            assertThat(driver.bronze().rows()).hasSize(records);
            // Every record went somewhere, exactly once: to silver under its id (mutations keep the id
            // intact), or to the quarantine under its record key, with a reason.
            Set<Object> inSilver = new HashSet<>(silver.column("id"));
            assertThat(inSilver).hasSize(silver.rows().size());
            List<String> quarantined = new ArrayList<>();
            quarantine.rows().forEach(r -> quarantined.add(new String(r.bytes("key"), StandardCharsets.UTF_8)));
            assertThat(new HashSet<>(quarantined)).hasSameSizeAs(quarantined).doesNotContainAnyElementsOf(
                    inSilver.stream().map(String::valueOf).toList());
            Set<Object> everywhere = new HashSet<>(inSilver);
            everywhere.addAll(quarantined);
            assertThat(everywhere).isEqualTo(ids);
            assertThat(quarantined).hasSizeGreaterThan(records / 10);
            assertThat(inSilver).hasSizeGreaterThan(records / 10);
            assertThat(quarantine.rows()).allSatisfy(r -> assertThat(r.string("error")).isNotBlank());
        }
        // The independent reader reads both tables whole.
        assertThat(KernelReader.rows(lake.resolve("silver").toString())).isNotEmpty();
        assertThat(KernelReader.rows(lake.resolve("silver_quarantine").toString())).isNotEmpty();
    }

    /** A value of each column's own type, which decodes. */
    private static final String[] VALID = {"\"text\"", "7", "7000000000", "1.25", "12.50", "true",
            "\"2026-01-02T03:04:05Z\"", "\"2026-01-02\"", "\"AAEC\"", "{\"k\":\"v\"}"};

    /** A record with a random subset of columns: valid values, and in half the records one or two odd ones. */
    private static String record(Random random, String id) {
        StringBuilder sb = new StringBuilder("{\"id\":\"").append(id).append('"');
        boolean odd = random.nextBoolean();
        for (int c = 0; c < COLUMNS.length; c++) {
            if (random.nextInt(3) == 0) {
                continue;
            }
            String value = VALID[c];
            if (odd && random.nextInt(5) == 0) {
                value = switch (random.nextInt(3)) {
                    case 0 -> NUMBERS[random.nextInt(NUMBERS.length)];
                    case 1 -> STRINGS[random.nextInt(STRINGS.length)];
                    default -> OTHERS[random.nextInt(OTHERS.length)];
                };
            }
            sb.append(",\"").append(COLUMNS[c]).append("\":").append(value);
        }
        return sb.append('}').toString();
    }

    /** Leaves most records as they are; the rest get cut, flipped, duplicated or wrapped. */
    private static byte[] mutate(Random random, String json, int n) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        switch (random.nextInt(12)) {
            case 0 -> {
                return java.util.Arrays.copyOf(b, random.nextInt(b.length + 1));
            }
            case 1 -> {
                byte[] c = b.clone();
                int idEnd = ("{\"id\":\"id-" + n + "\"").length(); // the id stays intact
                if (c.length > idEnd) {
                    c[idEnd + random.nextInt(c.length - idEnd)] = (byte) random.nextInt(256);
                }
                return c;
            }
            case 2 -> {
                return (json + json).getBytes(StandardCharsets.UTF_8);
            }
            case 3 -> {
                return ("[" + json + "]").getBytes(StandardCharsets.UTF_8);
            }
            case 4 -> {
                return json.replace("\"id\":\"id-" + n + "\"", "\"id\":\"\\ud800" + n + "\"")
                        .getBytes(StandardCharsets.UTF_8);
            }
            default -> {
                return b;
            }
        }
    }
}
