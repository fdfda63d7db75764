package io.streamlake.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.core.delta.BronzeFileWriter;
import io.streamlake.core.delta.DamagedFiles;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.BronzeLayout;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The verification program on healthy and damaged tables, and its exit codes. */
class VerifyTableTest {
    private static final Instant INGESTED = Instant.parse("2026-12-04T06:00:00Z");

    /** A bronze file of 4 partitions from position {@code first} on; payloads that compress as real ones do. */
    private static DataFile bronzeFile(DeltaTable table, long first, int perPartition) {
        try (BronzeFileWriter w = table.newBronzeFile(INGESTED)) {
            for (int j = 0; j < 4 * perPartition; j++) {
                long position = first + j / 4;
                StringBuilder payload = new StringBuilder("{\"order\":\"o-" + position + "\",\"note\":\"");
                long x = position * 0x9E3779B97F4A7C15L + j % 4 + 1;
                for (int k = 0; k < 40 + position % 200; k++) {
                    x ^= x << 13;
                    x ^= x >>> 7;
                    x ^= x << 17;
                    payload.append(Character.forDigit((int) (x & 15), 16));
                }
                w.write(new SourceRecord(new SourcePartition("orders", j % 4), position,
                        ("k" + position % 300).getBytes(StandardCharsets.UTF_8),
                        payload.append("\"}").toString().getBytes(StandardCharsets.UTF_8), Map.of(),
                        Instant.ofEpochSecond(1_780_000_000L + position)));
            }
            return w.finish();
        }
    }

    private static DeltaTable bronze(Path dir) {
        DeltaTable table = DeltaTable.open(dir.resolve("bronze/orders").toString(), Map.of());
        table.create(BronzeLayout.SCHEMA);
        return table;
    }

    @Test
    void healthyTablesExitZero(@TempDir Path lake) {
        DeltaTable bronze = bronze(lake);
        bronze.newCommit().add(bronzeFile(bronze, 0, 500)).commit("WRITE");
        bronze.newCommit().add(bronzeFile(bronze, 500, 500)).commit("WRITE");
        Schema schema = Schema.builder().required("order_id", DataType.STRING).optional("status", DataType.STRING)
                .build();
        DeltaTable silver = DeltaTable.open(lake.resolve("silver/orders").toString(), Map.of());
        silver.create(schema);
        try (DataFileWriter w = silver.newDataFile(schema)) {
            for (int i = 0; i < 300; i++) {
                w.write(Row.of(schema, "order-" + i, i % 3 == 0 ? null : "shipped"));
            }
            silver.newCommit().add(w.finish()).commit("WRITE");
        }

        ProgramRun run = ProgramRun.of(() -> VerifyTable.run(new String[] {lake.resolve("bronze/orders").toString(),
                lake.resolve("silver/orders").toString()}, Map.of()));

        assertThat(run.code()).isZero();
        assertThat(run.output()).contains("version 2: 2 files, 4,000 rows, 44,000 values checked; no problems")
                .contains("version 1: 1 file, 300 rows, 600 values checked; no problems")
                .contains("2 of 2 tables healthy");
    }

    @Test
    void aDamagedTableExitsOneAndNamesTheFileThePageAndThePositionsToReingest(@TempDir Path lake) {
        DeltaTable table = bronze(lake);
        DataFile victim = bronzeFile(table, 0, 2_000);
        DataFile donor = bronzeFile(table, 2_000, 500);
        DataFile damaged = DamagedFiles.spliceIntoPage(table, victim, donor, BronzeLayout.VALUE, 0, 0);
        table.newCommit().add(damaged).add(donor).commit("WRITE");

        ProgramRun run =
                ProgramRun.of(() -> VerifyTable.run(new String[] {lake.resolve("bronze/orders").toString()}, Map.of()));

        assertThat(run.code()).isEqualTo(1);
        assertThat(run.output())
                .contains("UNREADABLE " + victim.path() + ", row group 0, column value, page 0: cannot decode value")
                .contains("RANGE " + victim.path() + ": source orders partition 2 positions 0..1999 (2,000 rows)")
                .contains("1 problem in 1 file");
    }

    @Test
    void aMissingTableExitsOneAndTheOthersAreStillVerified(@TempDir Path lake) {
        DeltaTable table = bronze(lake);
        table.newCommit().add(bronzeFile(table, 0, 100)).commit("WRITE");

        ProgramRun run = ProgramRun.of(() -> VerifyTable.run(new String[] {lake.resolve("nowhere").toString(),
                lake.resolve("bronze/orders").toString()}, Map.of()));

        assertThat(run.code()).isEqualTo(1);
        assertThat(run.output()).contains("cannot verify file:" + lake.resolve("nowhere") + ": there is no Delta"
                + " table there").contains("no problems").contains("1 of 2 tables healthy");
    }

    @Test
    void wrongArgumentsExitTwoWithTheUsage() {
        ProgramRun none = ProgramRun.of(() -> VerifyTable.run(new String[0], Map.of()));
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.output()).contains("give at least one table path").contains("usage: VerifyTable");
        ProgramRun unknown = ProgramRun.of(() -> VerifyTable.run(new String[] {"--deep", "lake/bronze"}, Map.of()));
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.output()).contains("unknown option '--deep'");
        ProgramRun help = ProgramRun.of(() -> VerifyTable.run(new String[] {"--help"}, Map.of()));
        assertThat(help.code()).isZero();
        assertThat(help.output()).startsWith("usage: VerifyTable");
    }

    @Test
    void abfssTablesSignInWithTheAccountKeyOrEntraIdAndLocalOnesNeedNothing() {
        String path = "abfss://lake@mylake.dfs.core.windows.net/bronze/orders";
        // an account key has the shape of one: base64 of 64 bytes
        String key = java.util.Base64.getEncoder().encodeToString(new byte[64]);
        assertThat(VerifyTable.storageOptions(path, Map.of(VerifyTable.ENV_ACCOUNT_KEY, key)))
                .containsEntry("fs.azure.account.key.mylake.dfs.core.windows.net", key);
        assertThat(VerifyTable.storageOptions(path, Map.of()))
                .containsEntry("fs.azure.account.auth.type.mylake.dfs.core.windows.net", "Custom");
        assertThat(VerifyTable.storageOptions("lake/bronze/orders", Map.of())).isEmpty();
    }
}
