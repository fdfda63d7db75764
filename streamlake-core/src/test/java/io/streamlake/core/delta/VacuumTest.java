package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamlake.core.util.Tables;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.TableCommit;
import io.streamlake.table.Vacuumed;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DeltaTable#vacuum()}, Delta's VACUUM: deletes the data files no version within the table's
 * retention needs, and only those older than the retention; keeps the live files, the files removed
 * within the retention (time travel), young files (a commit in flight) and the log. Every version
 * within the retention still reads with Delta Kernel afterwards.
 */
class VacuumTest {
    private static final Schema SCHEMA = Schema.builder().required("id", DataType.LONG).build();

    private static void age(Path file, Duration by) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(by)));
    }

    private static List<String> dataFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.toString().endsWith(".parquet") && !p.toString().contains("_delta_log"))
                    .map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void deletesWhatNoVersionWithinTheRetentionNeedsAndOnlyWhatIsOlderThanIt(@TempDir Path dir) throws IOException {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(SCHEMA);
        DataFile first = Tables.writeFile(table, SCHEMA, List.of(Row.of(SCHEMA, 1L)));
        table.newCommit().add(first).commit("WRITE");
        DataFile second = Tables.writeFile(table, SCHEMA, List.of(Row.of(SCHEMA, 1L), Row.of(SCHEMA, 2L)));
        table.newCommit().remove(first).add(second).commit("MERGE"); // first: removed just now
        DataFile oldOrphan = Tables.writeFile(table, SCHEMA, List.of(Row.of(SCHEMA, 9L))); // a crashed write
        DataFile youngOrphan = Tables.writeFile(table, SCHEMA, List.of(Row.of(SCHEMA, 8L))); // a commit in flight
        // every data file is older than the week of retention, but the young orphan
        for (DataFile f : List.of(first, second, oldOrphan)) {
            age(dir.resolve(f.path()), Duration.ofDays(30));
        }
        age(dir.resolve(youngOrphan.path()), Duration.ofDays(1));

        Vacuumed v = table.vacuum();

        assertThat(v.files()).isEqualTo(1);
        assertThat(v.bytes()).isPositive();
        assertThat(dataFiles(dir)).containsExactlyInAnyOrder(first.path(), second.path(), youngOrphan.path());
        // time travel within the retention still works: version 1 needs the file removed at version 2
        assertThat(KernelReader.rowsAt(dir.toString(), 1)).hasSize(1);
        assertThat(KernelReader.rows(dir.toString())).hasSize(2);
        assertThat(table.vacuum()).isEqualTo(Vacuumed.NOTHING);
    }

    @Test
    void withAShorterRetentionTheReplacedFilesGoAndOlderVersionsNoLongerRead(@TempDir Path dir) throws IOException {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(SCHEMA);
        DataFile first = Tables.writeFile(table, SCHEMA, List.of(Row.of(SCHEMA, 1L)));
        table.newCommit().add(first).commit("WRITE");
        DataFile second = Tables.writeFile(table, SCHEMA, List.of(Row.of(SCHEMA, 2L)));
        table.newCommit().remove(first).add(second).commit("MERGE");
        age(dir.resolve(first.path()), Duration.ofHours(3));
        age(dir.resolve(second.path()), Duration.ofHours(3));
        // the remove of first is recorded with the time of its commit: make it older than the retention
        DeltaLogFiles.shiftRemoveTimestamps(dir, Duration.ofHours(2));
        // as ALTER TABLE ... SET TBLPROPERTIES ('delta.deletedFileRetentionDuration' = 'interval 1 hours')
        TableProperties.set(table.location(), "delta.deletedFileRetentionDuration", "interval 1 hours");

        long before = table.snapshot().version();
        assertThat(table.vacuum().files()).isEqualTo(1);
        assertThat(dataFiles(dir)).containsExactly(second.path());
        assertThat(KernelReader.rows(dir.toString())).hasSize(1);
        assertThatThrownBy(() -> KernelReader.rowsAt(dir.toString(), 1)).isInstanceOf(Exception.class);
        // recorded as Spark records a vacuum with its vacuum logging on: a commit before and one after
        assertThat(table.history(before + 1, before + 2)).extracting(TableCommit::operation)
                .containsExactly("VACUUM START", "VACUUM END");
        assertThat(table.snapshot().files()).extracting(DataFile::path).containsExactly(second.path());
        JsonNode start = DeltaLogFiles.actions(dir, before + 1, "commitInfo").get(0);
        assertThat(start.get("operationMetrics").get("numFilesToDelete").textValue()).isEqualTo("1");
        assertThat(start.get("operationParameters").get("defaultRetentionMillis").textValue()).isEqualTo("3600000");
        JsonNode end = DeltaLogFiles.actions(dir, before + 2, "commitInfo").get(0);
        assertThat(end.get("operationParameters").get("status").textValue()).isEqualTo("COMPLETED");
        assertThat(end.get("operationMetrics").get("numDeletedFiles").textValue()).isEqualTo("1");
        // a vacuum with nothing to delete records nothing
        assertThat(table.vacuum()).isEqualTo(Vacuumed.NOTHING);
        assertThat(table.snapshot().version()).isEqualTo(before + 2);
        // the log and its checkpoints are never touched
        assertThat(dir.resolve("_delta_log").resolve("00000000000000000000.json")).exists();
    }

    @Test
    void aFileYoungerThanAnHourIsKeptWhateverTheRetentionForItMayBeACommitsInFlight(@TempDir Path dir)
            throws IOException {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(SCHEMA);
        TableProperties.set(table.location(), "delta.deletedFileRetentionDuration", "interval 0 seconds");
        DataFile inFlight = Tables.writeFile(table, SCHEMA, List.of(Row.of(SCHEMA, 1L)));
        DataFile orphan = Tables.writeFile(table, SCHEMA, List.of(Row.of(SCHEMA, 2L)));
        age(dir.resolve(inFlight.path()), Duration.ofMinutes(30));
        age(dir.resolve(orphan.path()), Duration.ofMinutes(90));

        assertThat(table.vacuum().files()).isEqualTo(1);
        assertThat(dataFiles(dir)).containsExactly(inFlight.path());
        table.newCommit().add(inFlight).commit("WRITE");
        assertThat(KernelReader.rows(dir.toString())).hasSize(1);
    }

    @Test
    void aTableThatDoesNotExistYetHasNothingToVacuum(@TempDir Path dir) {
        assertThat(DeltaTable.open(dir.resolve("none").toString(), Map.of()).vacuum()).isEqualTo(Vacuumed.NOTHING);
    }
}
