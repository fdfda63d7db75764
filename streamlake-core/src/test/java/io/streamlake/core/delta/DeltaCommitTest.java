package io.streamlake.core.delta;

import static io.streamlake.core.delta.DeltaTableRoundTripTest.writeFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamlake.exceptions.CommitConflictException;
import io.streamlake.exceptions.SinkException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.TableChange;
import io.streamlake.table.TableCommit;
import io.streamlake.table.TableSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeltaCommitTest {

    static final Schema SCHEMA = Schema.builder()
            .required("id", DataType.LONG)
            .optional("value", DataType.STRING)
            .build();

    static DataFile file(DeltaTable table, long... ids) {
        List<Row> rows = LongStream.of(ids).mapToObj(i -> Row.of(SCHEMA, i, "v" + i)).toList();
        return writeFile(table, SCHEMA, rows);
    }

    static DeltaTable created(Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(SCHEMA);
        return table;
    }

    static List<Long> kernelIds(DeltaTable table) {
        return KernelReader.rows(table.location()).stream().map(r -> (Long) r.get("id")).sorted().toList();
    }

    @Test
    void transactionMarkersAreCommittedWithTheDataAndReadBack(@TempDir Path dir) {
        DeltaTable table = created(dir);
        long v = table.newCommit()
                .add(file(table, 1, 2))
                .setTransaction("pipe/orders/0", 41)
                .setTransaction("pipe/orders/1", 7)
                .commit("STREAMING UPDATE");
        table.newCommit().add(file(table, 3)).setTransaction("pipe/orders/0", 99).commit("STREAMING UPDATE");

        TableSnapshot s = table.snapshot();
        assertThat(s.version()).isEqualTo(v + 1);
        assertThat(s.transaction("pipe/orders/0")).isEqualTo(OptionalLong.of(99));
        assertThat(s.transaction("pipe/orders/1")).isEqualTo(OptionalLong.of(7));
        assertThat(s.transaction("pipe/other")).isEmpty();
        assertThat(KernelReader.transaction(table.location(), "pipe/orders/0")).contains(99L);
        assertThat(KernelReader.transaction(table.location(), "pipe/orders/1")).contains(7L);
        assertThat(KernelReader.transaction(table.location(), "pipe/other")).isEmpty();

        List<JsonNode> txns = DeltaLogFiles.actions(dir, v, "txn");
        assertThat(txns).extracting(t -> t.get("appId").textValue()).containsExactly("pipe/orders/0", "pipe/orders/1");
        assertThat(txns.get(0).get("version").longValue()).isEqualTo(41);
        assertThat(txns.get(0).get("lastUpdated").isNumber()).isTrue();
        JsonNode commitInfo = DeltaLogFiles.actions(dir, v, "commitInfo").get(0);
        assertThat(commitInfo.get("operation").textValue()).isEqualTo("STREAMING UPDATE");
        assertThat(commitInfo.get("engineInfo").textValue()).startsWith("StreamLake/");
        assertThat(kernelIds(table)).containsExactly(1L, 2L, 3L);
    }

    @Test
    void expectTransactionFencesAgainstAMovedMarker(@TempDir Path dir) {
        DeltaTable table = created(dir);
        table.newCommit().expectTransaction("app", -1).setTransaction("app", 5).commit("WRITE");
        long before = table.snapshot().version();

        DataFile orphan = file(table, 1);
        assertThatThrownBy(() -> table.newCommit().add(orphan).expectTransaction("app", 3).setTransaction("app", 9)
                .commit("WRITE"))
                .isInstanceOf(CommitConflictException.class)
                .hasMessageContaining("'app' is at 5")
                .hasMessageContaining("started from 3")
                .hasMessageContaining(table.location());
        assertThat(table.snapshot().version()).isEqualTo(before);
        assertThat(table.snapshot().transaction("app")).hasValue(5);

        assertThatThrownBy(() -> table.newCommit().expectTransaction("absent", 0).commit("WRITE"))
                .isInstanceOf(CommitConflictException.class)
                .hasMessageContaining("no marker");
        assertThat(table.newCommit().add(orphan).expectTransaction("app", 5).setTransaction("app", 9).commit("WRITE"))
                .isEqualTo(before + 1);
    }

    @Test
    void twoWritersMovingTheSameMarkerCannotBothCommit(@TempDir Path dir) {
        DeltaTable first = created(dir);
        // A second instance has its own Delta log, as another process would.
        DeltaTable second = DeltaTable.open(dir.toString(), Map.of());
        PendingCommit a = first.newCommit().add(file(first, 1)).setTransaction("app/0", 10);
        PendingCommit b = second.newCommit().add(file(second, 2)).setTransaction("app/0", 20);
        long committed = a.commit("STREAMING UPDATE");

        assertThatThrownBy(() -> b.commit("STREAMING UPDATE"))
                .isInstanceOf(CommitConflictException.class)
                .hasMessageContaining("concurrent commit")
                .hasMessageContaining("same transaction marker");
        assertThat(second.snapshot().version()).isEqualTo(committed);
        assertThat(second.snapshot().transaction("app/0")).hasValue(10);
        assertThat(kernelIds(first)).containsExactly(1L);
    }

    @Test
    void racingThreadsOnTheSameMarkerLetExactlyOneWin(@TempDir Path dir) throws Exception {
        created(dir);
        int writers = 4;
        CyclicBarrier ready = new CyclicBarrier(writers);
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<String>> results = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            long id = w;
            results.add(pool.submit(() -> {
                DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
                PendingCommit c = table.newCommit().add(file(table, id)).setTransaction("app/0", id);
                ready.await(30, TimeUnit.SECONDS);
                try {
                    c.commit("STREAMING UPDATE");
                    return "won";
                } catch (CommitConflictException e) {
                    return "conflict";
                }
            }));
        }
        List<String> outcomes = new ArrayList<>();
        for (Future<String> f : results) {
            outcomes.add(f.get(60, TimeUnit.SECONDS));
        }
        pool.shutdown();
        assertThat(outcomes).containsOnlyOnce("won").filteredOn("conflict"::equals).hasSize(writers - 1);
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        assertThat(table.snapshot().files()).hasSize(1);
        assertThat(kernelIds(table)).hasSize(1);
    }

    @Test
    void writersOfDifferentMarkersBothCommit(@TempDir Path dir) {
        DeltaTable first = created(dir);
        DeltaTable second = DeltaTable.open(dir.toString(), Map.of());
        PendingCommit a = first.newCommit().add(file(first, 1)).setTransaction("app/0", 1);
        PendingCommit b = second.newCommit().add(file(second, 2)).setTransaction("app/1", 1);
        long va = a.commit("STREAMING UPDATE");
        long vb = b.commit("STREAMING UPDATE");
        assertThat(vb).isEqualTo(va + 1);
        assertThat(kernelIds(first)).containsExactly(1L, 2L);
        assertThat(first.snapshot().transaction("app/1")).hasValue(1);
    }

    @Test
    void removeAndAddInOneCommitReplaceAFile(@TempDir Path dir) {
        DeltaTable table = created(dir);
        DataFile a = file(table, 1, 2);
        DataFile b = file(table, 3);
        table.newCommit().add(a).add(b).commit("WRITE");
        DataFile listedA = table.snapshot().files().stream().filter(f -> f.path().equals(a.path())).findFirst()
                .orElseThrow();
        DataFile c = file(table, 1, 20);
        long v = table.newCommit().remove(listedA).add(c).setTransaction("silver", 2).commit("MERGE");

        assertThat(table.snapshot().files()).extracting(DataFile::path).containsExactlyInAnyOrder(b.path(), c.path());
        assertThat(kernelIds(table)).containsExactly(1L, 3L, 20L);
        JsonNode remove = DeltaLogFiles.actions(dir, v, "remove").get(0);
        assertThat(remove.get("path").textValue()).isEqualTo(a.path());
        assertThat(remove.get("dataChange").booleanValue()).isTrue();
        assertThat(remove.get("deletionTimestamp").longValue()).isPositive();
        assertThat(remove.get("size").longValue()).isEqualTo(a.sizeBytes());
    }

    @Test
    void removingAFileThatIsNotLiveIsRefused(@TempDir Path dir) {
        DeltaTable table = created(dir);
        DataFile a = file(table, 1);
        table.newCommit().add(a).commit("WRITE");
        table.newCommit().remove(a).commit("DELETE");
        long v = table.snapshot().version();
        assertThatThrownBy(() -> table.newCommit().remove(a).add(file(table, 2)).commit("MERGE"))
                .isInstanceOf(CommitConflictException.class)
                .hasMessageContaining(a.path())
                .hasMessageContaining("not in version " + v);
        assertThat(table.snapshot().version()).isEqualTo(v);
    }

    @Test
    void concurrentRewritesOfTheSameFileConflict(@TempDir Path dir) {
        DeltaTable table = created(dir);
        DataFile a = file(table, 1);
        table.newCommit().add(a).commit("WRITE");
        PendingCommit first = table.newCommit().remove(a).add(file(table, 1));
        PendingCommit second = DeltaTable.open(dir.toString(), Map.of()).newCommit().remove(a).add(file(table, 1));
        first.commit("MERGE");
        assertThatThrownBy(() -> second.commit("MERGE"))
                .isInstanceOf(CommitConflictException.class)
                .hasMessageContaining("removed the same data files");
    }

    @Test
    void anOperationDeltaStandaloneHasNoNameForIsWrittenUnderItsOwnName(@TempDir Path dir) {
        DeltaTable table = created(dir);
        DataFile a = file(table, 1);
        DataFile b = file(table, 2);
        long v1 = table.newCommit().add(a).commit("WRITE");
        long v2 = table.newCommit().add(b).commit("WRITE");
        long v3 = table.newCommit().rearrangeOnly().replace(List.of(a, b), List.of(file(table, 1, 2)))
                .withOperationDetails(Map.of("predicate", "[]"), Map.of()).commit("OPTIMIZE");

        // as Spark finds it: the commit info's operation, and no trace of how it got there
        JsonNode info = DeltaLogFiles.actions(dir, v3, "commitInfo").get(0);
        assertThat(info.get("operation").textValue()).isEqualTo("OPTIMIZE");
        assertThat(info.get("operationParameters").has("operation")).isFalse();
        assertThat(info.get("operationParameters").get("predicate").textValue()).isEqualTo("[]");
        assertThat(info.get("operationMetrics").get("numRemovedFiles").textValue()).isEqualTo("2");
        assertThat(DeltaLogFiles.actions(dir, v2, "commitInfo").get(0).get("operation").textValue())
                .isEqualTo("WRITE");
        // delta-standalone, the library and Kernel read it as before
        DeltaTable reopened = DeltaTable.open(dir.toString(), Map.of());
        assertThat(reopened.history(v1, v3)).extracting(TableCommit::operation)
                .containsExactly("WRITE", "WRITE", "OPTIMIZE");
        assertThat(reopened.snapshot().files()).hasSize(1);
        assertThat(kernelIds(reopened)).containsExactly(1L, 2L);
    }

    @Test
    void theNamingLogStoreChangesOnlyACommitInfoThatCarriesTheName() {
        String unnamed = "{\"commitInfo\":{\"operation\":\"Manual Update\",\"operationParameters\":{}}}";
        String add = "{\"add\":{\"path\":\"Manual Update\",\"operation\":\"x\"}}";
        assertThat(OperationNamingLogStore.named(unnamed)).isSameAs(unnamed);
        assertThat(OperationNamingLogStore.named(add)).isSameAs(add);
        assertThat(OperationNamingLogStore.named("{\"commitInfo\":{\"operation\":\"Manual Update\","
                + "\"operationParameters\":{\"a\":\"[\\\"x\\\"]\",\"operation\":\"OPTIMIZE\",\"b\":\"1\"},"
                + "\"isBlindAppend\":false,\"tags\":[\"operation\"]}}"))
                .isEqualTo("{\"commitInfo\":{\"operation\":\"OPTIMIZE\",\"operationParameters\":{\"a\":\"[\\\"x\\\"]\","
                        + "\"b\":\"1\"},\"isBlindAppend\":false,\"tags\":[\"operation\"]}}");
    }

    @Test
    void changesListDataChangingAdditionsAndSkipRearrangements(@TempDir Path dir) {
        DeltaTable table = created(dir);
        DataFile a = file(table, 1, 2);
        long v1 = table.newCommit().add(a).commit("WRITE");
        DataFile compacted = file(table, 1, 2);
        long v2 = table.newCommit().remove(a).add(compacted).rearrangeOnly().commit("OPTIMIZE");
        DataFile b = file(table, 3);
        long v3 = table.newCommit().add(b).setTransaction("app", 3).commit("WRITE");
        long v4 = table.newCommit().setTransaction("app", 4).commit("WRITE");

        List<TableChange> changes = table.changes(v1, v4);
        assertThat(changes).extracting(TableChange::version).containsExactly(v1, v3);
        assertThat(changes.get(0).addedFiles()).extracting(DataFile::path).containsExactly(a.path());
        assertThat(changes.get(1).addedFiles()).singleElement().satisfies(f -> {
            assertThat(f.path()).isEqualTo(b.path());
            assertThat(f.rowCount()).isEqualTo(1);
            assertThat(f.minValues()).containsEntry("id", 3L).containsEntry("value", "v3");
        });
        assertThat(table.changes(v2, v2)).isEmpty();
        assertThat(table.changes(v3, v3 + 100)).extracting(TableChange::version).containsExactly(v3);
        assertThat(table.changes(v4, v1)).isEmpty();
        assertThat(table.changes(v4 + 1, v4 + 10)).isEmpty();
        assertThat(DeltaTable.open(dir.resolve("none").toString(), Map.of()).changes(0, 10)).isEmpty();
        assertThatThrownBy(() -> table.changes(-1, 3)).isInstanceOf(IllegalArgumentException.class);

        JsonNode rearranged = DeltaLogFiles.actions(dir, v2, "add").get(0);
        assertThat(rearranged.get("dataChange").booleanValue()).isFalse();
        assertThat(DeltaLogFiles.actions(dir, v2, "remove").get(0).get("dataChange").booleanValue()).isFalse();
        assertThat(kernelIds(table)).containsExactly(1L, 2L, 3L);
    }

    @Test
    void checkpointsEveryTenCommitsKeepTheTableReadable(@TempDir Path dir) {
        DeltaTable table = created(dir);
        List<Long> ids = new ArrayList<>();
        for (long i = 1; i <= 12; i++) {
            table.newCommit().add(file(table, i)).setTransaction("app/0", i).commit("STREAMING UPDATE");
            ids.add(i);
        }
        // written in the background, off the commit path (BackgroundCheckpoints)
        table.awaitCheckpoints();
        assertThat(dir.resolve("_delta_log/00000000000000000010.checkpoint.parquet")).exists();
        assertThat(dir.resolve("_delta_log/_last_checkpoint")).exists();

        // A fresh instance starts from the checkpoint.
        DeltaTable fresh = DeltaTable.open(dir.toString(), Map.of());
        TableSnapshot s = fresh.snapshot();
        assertThat(s.version()).isEqualTo(12);
        assertThat(s.files()).hasSize(12).allSatisfy(f -> assertThat(f.rowCount()).isEqualTo(1));
        assertThat(s.transaction("app/0")).hasValue(12);
        assertThat(s.files().stream().map(f -> f.minValues().get("id")).collect(Collectors.toSet()))
                .containsExactlyInAnyOrderElementsOf(ids);
        assertThat(fresh.changes(9, 12)).extracting(TableChange::version).containsExactly(9L, 10L, 11L, 12L);

        assertThat(KernelReader.version(table.location())).isEqualTo(12);
        assertThat(kernelIds(table)).containsExactlyElementsOf(ids);
        assertThat(KernelReader.transaction(table.location(), "app/0")).contains(12L);
        assertThat(KernelReader.scanFiles(table.location(), null)).allSatisfy(f -> assertThat(f.stats())
                .contains("\"numRecords\":1"));
    }

    @Test
    void committingToATableThatDoesNotExistAsksForCreate(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.resolve("none").toString(), Map.of());
        assertThat(table.snapshot().version()).isEqualTo(-1);
        assertThat(table.snapshot().schema()).isEmpty();
        assertThat(table.snapshot().files()).isEmpty();
        assertThat(table.snapshot().transaction("app")).isEmpty();
        assertThatThrownBy(() -> table.newCommit().setTransaction("app", 1).commit("WRITE"))
                .isInstanceOf(SinkException.class)
                .hasMessageContaining("does not exist")
                .hasMessageContaining("create(schema)");
        assertThat(Files.exists(dir.resolve("none/_delta_log/00000000000000000000.json"))).isFalse();
    }

    @Test
    void aCommitAppliesOnce(@TempDir Path dir) {
        DeltaTable table = created(dir);
        PendingCommit c = table.newCommit().setTransaction("app", 1);
        c.commit("WRITE");
        assertThatThrownBy(() -> c.commit("WRITE")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("newCommit()");
        assertThatThrownBy(() -> c.add(file(table, 1))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> table.newCommit().setTransaction("app", -2))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anyOperationNameIsRecordedWithoutBreakingTheLog(@TempDir Path dir) {
        DeltaTable table = created(dir);
        long v = table.newCommit().add(file(table, 1)).rearrangeOnly().commit("COMPACT \"bronze\" files");
        JsonNode info = DeltaLogFiles.actions(dir, v, "commitInfo").get(0);
        assertThat(info.get("operation").textValue()).isEqualTo("COMPACT \"bronze\" files");
        assertThat(info.get("operationParameters").has("operation")).isFalse();
        assertThat(table.history(v, v)).extracting(TableCommit::operation).containsExactly("COMPACT \"bronze\" files");
        assertThat(table.newCommit().setTransaction("app", 1).commit("MERGE")).isEqualTo(v + 1);
        assertThat(DeltaTable.open(dir.toString(), Map.of()).snapshot().version()).isEqualTo(v + 1);
        assertThat(kernelIds(table)).containsExactly(1L);
    }

    @Test
    void aProgressThreadReadsSnapshotsWhileTheWriterCommits(@TempDir Path dir) throws Exception {
        DeltaTable table = created(dir);
        AtomicBoolean done = new AtomicBoolean();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        List<Long> seen = new CopyOnWriteArrayList<>();
        Thread progress = new Thread(() -> {
            while (!done.get()) {
                try {
                    TableSnapshot s = table.snapshot();
                    long marker = s.transaction("app").orElse(0);
                    // The marker of a version is always the version's own: set in the same commit.
                    if (s.version() > 0 && marker != s.version()) {
                        errors.add(new AssertionError("marker " + marker + " at version " + s.version()));
                    }
                    seen.add(s.version());
                    s.files();
                } catch (Throwable t) {
                    errors.add(t);
                }
            }
        });
        progress.start();
        for (long i = 1; i <= 15; i++) {
            table.newCommit().add(file(table, i)).setTransaction("app", i).commit("STREAMING UPDATE");
        }
        done.set(true);
        progress.join(30_000);
        assertThat(errors).isEmpty();
        assertThat(seen).isSorted();
        assertThat(table.snapshot().files()).hasSize(15);
    }
}
