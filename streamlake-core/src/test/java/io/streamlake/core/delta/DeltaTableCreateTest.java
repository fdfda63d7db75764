package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamlake.core.storage.Redactor;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.exceptions.SinkException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.TableSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeltaTableCreateTest {

    static final Schema ORDERS = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("amount", DataType.decimal(12, 2))
            .optional("updated_at", DataType.TIMESTAMP)
            .build();

    @Test
    void createWritesProtocolOneTwoAndSparksSchemaJson(@TempDir Path dir) throws Exception {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        TableSnapshot s = table.create(DeltaTableRoundTripTest.ALL_TYPES);
        assertThat(s.version()).isZero();
        assertThat(s.schema()).contains(DeltaTableRoundTripTest.ALL_TYPES);
        assertThat(s.files()).isEmpty();

        JsonNode protocol = DeltaLogFiles.actions(dir, 0, "protocol").get(0);
        assertThat(protocol.get("minReaderVersion").intValue()).isEqualTo(1);
        assertThat(protocol.get("minWriterVersion").intValue()).isEqualTo(2);
        JsonNode metadata = DeltaLogFiles.actions(dir, 0, "metaData").get(0);
        assertThat(metadata.get("partitionColumns").size()).isZero();
        JsonNode schema = DeltaLogFiles.JSON.readTree(metadata.get("schemaString").textValue());
        assertThat(schema.get("type").textValue()).isEqualTo("struct");
        Map<String, String> types = new java.util.LinkedHashMap<>();
        for (JsonNode f : schema.get("fields")) {
            types.put(f.get("name").textValue(), f.get("type").toString());
            assertThat(f.has("nullable")).isTrue();
            assertThat(f.get("metadata").isObject()).isTrue();
        }
        assertThat(types).containsEntry("id", "\"long\"")
                .containsEntry("name", "\"string\"")
                .containsEntry("count", "\"integer\"")
                .containsEntry("score", "\"double\"")
                .containsEntry("active", "\"boolean\"")
                .containsEntry("payload", "\"binary\"")
                .containsEntry("ts", "\"timestamp\"")
                .containsEntry("day", "\"date\"")
                .containsEntry("amount", "\"decimal(12,2)\"")
                .containsEntry("headers",
                        "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"binary\",\"valueContainsNull\":true}");
        assertThat(schema.get("fields").get(0).get("nullable").booleanValue()).isFalse();
        assertThat(KernelReader.version(table.location())).isZero();
    }

    @Test
    void createIsIdempotentAndANullableColumnMayHoldARequiredOne(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(ORDERS);
        assertThat(table.create(ORDERS).version()).isZero();
        Schema stricter = Schema.builder()
                .required("order_id", DataType.STRING)
                .required("status", DataType.STRING)
                .optional("amount", DataType.decimal(12, 2))
                .optional("updated_at", DataType.TIMESTAMP)
                .build();
        assertThat(table.create(stricter).schema()).contains(ORDERS);
        Schema reordered = Schema.builder()
                .optional("updated_at", DataType.TIMESTAMP)
                .required("order_id", DataType.STRING)
                .optional("amount", DataType.decimal(12, 2))
                .optional("status", DataType.STRING)
                .build();
        assertThat(table.create(reordered).version()).isZero();
        assertThat(DeltaLogFiles.commitFile(dir, 1)).doesNotExist();
    }

    @Test
    void aNewNullableColumnIsAddedAndOldRowsReadItAsNull(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(ORDERS);
        try (var w = table.newDataFile(ORDERS)) {
            w.write(io.streamlake.schema.Row.of(ORDERS, "o-1", "PAID", null, null));
            table.newCommit().add(w.finish()).commit("WRITE");
        }
        Schema extra = Schema.builder().add(ORDERS.field(0)).add(ORDERS.field(1)).add(ORDERS.field(2))
                .add(ORDERS.field(3)).optional("note", DataType.STRING).build();
        assertThat(table.create(extra).schema()).contains(extra);
        assertThat(table.create(extra).version()).isEqualTo(2); // evolving twice adds nothing
        assertThat(KernelReader.schema(dir.toString()).fieldNames()).contains("note");
        assertThat(KernelReader.rows(dir.toString())).singleElement()
                .satisfies(r -> assertThat(r).containsEntry("order_id", "o-1").containsEntry("note", null));
        var file = table.snapshot().files().get(0);
        assertThat(table.read(file, extra).next().value("note")).isNull();
    }

    @Test
    void aMismatchNamesBothSchemasAndTheFirstDifference(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(ORDERS);
        Schema wider = Schema.builder()
                .required("order_id", DataType.STRING)
                .optional("status", DataType.STRING)
                .optional("amount", DataType.decimal(14, 2))
                .optional("updated_at", DataType.TIMESTAMP)
                .build();
        assertThatThrownBy(() -> table.create(wider))
                .isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining(ORDERS.toString())
                .hasMessageContaining(wider.toString())
                .hasMessageContaining("column 'amount' is decimal(12,2) in the table but decimal(14,2)")
                .hasMessageContaining("new table")
                .hasMessageContaining(table.location());

        Schema looser = Schema.builder()
                .optional("order_id", DataType.STRING)
                .optional("status", DataType.STRING)
                .optional("amount", DataType.decimal(12, 2))
                .optional("updated_at", DataType.TIMESTAMP)
                .build();
        assertThatThrownBy(() -> table.create(looser))
                .isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("column 'order_id' is required (not null) in the table but optional");

        Schema extraRequired = Schema.builder().add(ORDERS.field(0)).add(ORDERS.field(1)).add(ORDERS.field(2))
                .add(ORDERS.field(3)).required("note", DataType.STRING).build();
        assertThatThrownBy(() -> table.create(extraRequired))
                .isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("the new column 'note' is required");

        Schema fewer = Schema.builder().add(ORDERS.field(0)).build();
        assertThatThrownBy(() -> table.create(fewer))
                .isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("column 'status' (string) of the table is missing from the declared schema");
        assertThat(DeltaLogFiles.commitFile(dir, 1)).doesNotExist();
    }

    @Test
    void aTableWithTypesStreamLakeLacksIsRefusedNamingBothSchemas(@TempDir Path dir) throws IOException {
        writeCommit(dir, 0,
                "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}",
                metadata(
                        "{\"type\":\"struct\",\"fields\":[{\"name\":\"order_id\",\"type\":\"string\",\"nullable\":true,"
                                + "\"metadata\":{}},{\"name\":\"weight\",\"type\":\"float\",\"nullable\":true,\"metadata\":{}}]}"));
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        assertThatThrownBy(() -> table.create(ORDERS))
                .isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("'weight' of type float")
                .hasMessageContaining(ORDERS.toString())
                .hasMessageContaining("order_id");
    }

    @Test
    void aTableWithAColumnInvariantIsRefusedNamingColumnAndExpressionWithNothingWritten(@TempDir Path dir)
            throws IOException {
        // protocol (1, 2) allows invariants; delta-standalone ignores them, so StreamLake must refuse
        writeCommit(dir, 0,
                "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}",
                metadata("{\"type\":\"struct\",\"fields\":[{\"name\":\"order_id\",\"type\":\"string\","
                        + "\"nullable\":false,\"metadata\":{}},{\"name\":\"status\",\"type\":\"string\","
                        + "\"nullable\":true,\"metadata\":{\"delta.invariants\":"
                        + "\"{\\\"expression\\\":{\\\"expression\\\":\\\"status <> 'LOST'\\\"}}\"}}]}"));
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        Schema schema = Schema.builder().required("order_id", DataType.STRING).optional("status", DataType.STRING)
                .build();
        assertThatThrownBy(() -> table.create(schema))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("invariant on column 'status'")
                .hasMessageContaining("status <> 'LOST'")
                .hasMessageContaining(table.location());
        assertThat(DeltaLogFiles.commitFile(dir, 1)).doesNotExist();
    }

    private static final String ORDER_ID_ONLY = "{\"type\":\"struct\",\"fields\":[{\"name\":\"order_id\","
            + "\"type\":\"string\",\"nullable\":false,\"metadata\":{}}]}";

    /** @return the message of the refusal to create this table's one-column schema */
    private static String refusal(Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        Schema schema = Schema.builder().required("order_id", DataType.STRING).build();
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> table.create(schema));
        assertThat(t).isInstanceOf(SinkException.class);
        return t.getMessage();
    }

    @Test
    void aRefusedTableIsToldTheFeaturesItHasAndTheStatementsThatDropThem(@TempDir Path dir) throws IOException {
        writeCommit(dir.resolve("dv"), 0,
                "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[\"deletionVectors\"],"
                        + "\"writerFeatures\":[\"appendOnly\",\"invariants\",\"deletionVectors\",\"changeDataFeed\"]}}",
                metadata(ORDER_ID_ONLY, "{\"delta.enableDeletionVectors\":\"true\"}"));
        String dv = dir.resolve("dv").toString();
        assertThat(refusal(dir.resolve("dv")))
                .contains("protocol (reader 3, writer 7)")
                .contains("the table has deletionVectors, changeDataFeed.")
                .contains("ALTER TABLE delta.`" + DeltaTable.open(dv, Map.of()).location()
                        + "` DROP FEATURE deletionVectors")
                .contains("changeDataFeed cannot be dropped")
                .doesNotContain("appendOnly").doesNotContain("features such as");

        // a legacy protocol lists no features: its table properties say which it uses
        writeCommit(dir.resolve("cdf"), 0, "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":4}}",
                metadata(ORDER_ID_ONLY, "{\"delta.enableChangeDataFeed\":\"true\"}"));
        assertThat(refusal(dir.resolve("cdf"))).contains("protocol (reader 1, writer 4)")
                .contains("the table has changeDataFeed. Delta cannot drop it.")
                .doesNotContain("generatedColumns");

        writeCommit(dir.resolve("ict"), 0,
                "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":7,"
                        + "\"writerFeatures\":[\"inCommitTimestamp\",\"appendOnly\"]}}",
                metadata(ORDER_ID_ONLY, "{\"delta.enableInCommitTimestamps\":\"true\"}"));
        assertThat(refusal(dir.resolve("ict"))).contains("the table has inCommitTimestamp.")
                .contains("DROP FEATURE inCommitTimestamp removes them.");

        // nothing in the log says more than the versions: what they make possible
        writeCommit(dir.resolve("constraints"), 0, "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":3}}",
                metadata(ORDER_ID_ONLY));
        assertThat(refusal(dir.resolve("constraints"))).contains("the table has checkConstraints.")
                .contains("DROP FEATURE checkConstraints (drop the table's CHECK constraints first");
    }

    @Test
    void aTableOfANewerReaderProtocolIsRefused(@TempDir Path dir) throws IOException {
        writeCommit(dir, 0,
                "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[\"deletionVectors\"],"
                        + "\"writerFeatures\":[\"deletionVectors\"]}}",
                metadata(
                        "{\"type\":\"struct\",\"fields\":[{\"name\":\"order_id\",\"type\":\"string\",\"nullable\":false,"
                                + "\"metadata\":{}}]}"));
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        Schema schema = Schema.builder().required("order_id", DataType.STRING).build();
        assertThatThrownBy(() -> table.create(schema))
                .isInstanceOf(SinkException.class)
                .hasMessageContaining("protocol (reader 3, writer 7)")
                .hasMessageContaining("newer than StreamLake can write (reader 1, writer 2)")
                .hasMessageContaining("new table")
                .hasMessageContaining(table.location());
        assertThatThrownBy(table::snapshot).isInstanceOf(SinkException.class)
                .hasMessageContaining("protocol (reader 3, writer 7)");
        assertThatThrownBy(table::newCommit).isInstanceOf(SinkException.class);
    }

    @Test
    void aTableOfANewerWriterProtocolIsRefusedForWriting(@TempDir Path dir) throws IOException {
        writeCommit(dir, 0,
                "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":7,\"writerFeatures\":[\"appendOnly\","
                        + "\"invariants\",\"domainMetadata\"]}}",
                metadata(
                        "{\"type\":\"struct\",\"fields\":[{\"name\":\"order_id\",\"type\":\"string\",\"nullable\":false,"
                                + "\"metadata\":{}}]}"));
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        Schema schema = Schema.builder().required("order_id", DataType.STRING).build();
        assertThatThrownBy(() -> table.create(schema))
                .isInstanceOf(SinkException.class)
                .hasMessageContaining("protocol (reader 1, writer 7)");
        // Reading is fine; a commit that got this far is still refused before anything is written.
        assertThat(table.snapshot().version()).isZero();
        assertThatThrownBy(() -> table.newCommit().setTransaction("app", 1).commit("WRITE"))
                .isInstanceOf(SinkException.class)
                .hasMessageContaining("protocol (reader 1, writer 7)");
        assertThat(DeltaLogFiles.commitFile(dir, 1)).doesNotExist();
    }

    @Test
    void processesRacingToCreateAllSeeOneTable(@TempDir Path dir) throws Exception {
        int racers = 4;
        CyclicBarrier start = new CyclicBarrier(racers);
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        List<Future<TableSnapshot>> results = new ArrayList<>();
        for (int i = 0; i < racers; i++) {
            results.add(pool.submit(() -> {
                DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
                table.snapshot();
                start.await(30, TimeUnit.SECONDS);
                return table.create(ORDERS);
            }));
        }
        for (Future<TableSnapshot> r : results) {
            TableSnapshot s = r.get(60, TimeUnit.SECONDS);
            assertThat(s.version()).isZero();
            assertThat(s.schema()).contains(ORDERS);
        }
        pool.shutdown();
        assertThat(DeltaLogFiles.commitFile(dir, 0)).exists();
        assertThat(DeltaLogFiles.commitFile(dir, 1)).doesNotExist();
    }

    @Test
    void columnNamesDeltaRefusesAreReportedUpFront(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        Schema bad = Schema.builder().required("order id", DataType.STRING).build();
        assertThatThrownBy(() -> table.create(bad))
                .isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("'order id'")
                .hasMessageContaining("rename");
        assertThat(dir.resolve("_delta_log")).doesNotExist();
    }

    @Test
    void aBlankPathIsAConfigurationError() {
        assertThatThrownBy(() -> DeltaTable.open(" ", Map.of())).isInstanceOf(ConfigurationException.class);
    }

    @Test
    void hadoopOptionValuesNeverAppearInMessagesOrToString(@TempDir Path dir) throws IOException {
        String secret = "c2VjcmV0LWFjY291bnQta2V5LXZhbHVlLWZvci10ZXN0cy1vbmx5LTY0LWJ5dGVzLWxvbmctMDEyMzQ1Njc4OQ==";
        Map<String, String> options = Map.of(
                "fs.azure.account.key.acct.dfs.core.windows.net", secret,
                "fs.azure.account.auth.type", "SharedKey");
        // The secret even sits in the path, so storage errors quote it.
        Path folder = dir.resolve(secret).resolve("orders");
        DeltaTable table = DeltaTable.open(folder.toString(), options);
        assertThat(table.toString()).doesNotContain(secret).contains(Redactor.MASK);
        assertThat(table.location()).doesNotContain(secret);
        table.create(ORDERS);
        assertThat(table.snapshot().toString()).doesNotContain(secret);
        assertThat(table.newCommit().toString()).doesNotContain(secret);
        try (var w = table.newDataFile(ORDERS)) {
            assertThat(w.toString()).doesNotContain(secret);
        }

        List<Throwable> failures = new ArrayList<>();
        DataFile ghost = new DataFile("part-00000-" + secret + ".snappy.parquet", 1, 1, Map.of(), Map.of(), Map.of());
        failures.add(catchThrowable(() -> table.read(ghost, ORDERS)));
        failures.add(catchThrowable(() -> table.create(Schema.builder().required("x", DataType.INT).build())));
        failures.add(catchThrowable(() -> table.newCommit().expectTransaction("app", 3).commit("WRITE")));
        DeltaTable broken = DeltaTable.open("nosuchfs://bucket/orders",
                Map.of("fs.nosuchfs.impl", "com.example.MissingFileSystem" + secret));
        failures.add(catchThrowable(broken::snapshot));
        Path protocolDir = dir.resolve("newer");
        writeCommit(protocolDir, 0, "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7}}",
                metadata("{\"type\":\"struct\",\"fields\":[]}"));
        failures.add(catchThrowable(() -> DeltaTable.open(protocolDir.toString(), options).create(ORDERS)));

        assertThat(failures).hasSize(5).doesNotContainNull();
        for (Throwable t : failures) {
            StringWriter trace = new StringWriter();
            t.printStackTrace(new PrintWriter(trace));
            assertThat(trace.toString()).as(t.toString()).doesNotContain(secret).doesNotContain("SharedKey");
        }
    }

    static String metadata(String schemaJson) {
        return metadata(schemaJson, "{}");
    }

    /** @param configurationJson the table properties, a JSON object */
    static String metadata(String schemaJson, String configurationJson) {
        return "{\"metaData\":{\"id\":\"7d4c7f55-6a55-4f0c-9a57-6f7f0c4f9a11\",\"format\":{\"provider\":\"parquet\","
                + "\"options\":{}},\"schemaString\":" + DeltaStats.jsonString(schemaJson)
                + ",\"partitionColumns\":[],\"configuration\":" + configurationJson
                + ",\"createdTime\":1700000000000}}";
    }

    static void writeCommit(Path table, long version, String... actions) throws IOException {
        Path file = DeltaLogFiles.commitFile(table, version);
        Files.createDirectories(file.getParent());
        Files.writeString(file, String.join("\n", actions) + "\n");
    }
}
