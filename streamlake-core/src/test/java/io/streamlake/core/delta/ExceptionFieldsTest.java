package io.streamlake.core.delta;

import static io.streamlake.core.delta.DeltaCommitTest.SCHEMA;
import static io.streamlake.core.delta.DeltaCommitTest.created;
import static io.streamlake.core.delta.DeltaCommitTest.file;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.streamlake.exceptions.CommitConflictException;
import io.streamlake.exceptions.SinkException;
import io.streamlake.table.DataFile;
import io.streamlake.table.PendingCommit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The structured fields of the exceptions, as Delta tables fill them on real failures. */
class ExceptionFieldsTest {

    @Test
    void aFileThatCannotBeReadNamesItsTable(@TempDir Path dir) throws Exception {
        DeltaTable table = created(dir);
        DataFile f = file(table, 1);
        Files.delete(dir.resolve(f.path()));

        SinkException e = catchThrowableOfType(() -> table.read(f, SCHEMA), SinkException.class);
        assertThat(e).hasMessageContaining("cannot read data file");
        assertThat(e.tableLocation()).hasValue(table.location());
    }

    @Test
    void aCommitToATableNotCreatedNamesIt(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        PendingCommit commit = table.newCommit();

        SinkException e = catchThrowableOfType(() -> commit.commit("WRITE"), SinkException.class);
        assertThat(e).hasMessageContaining("does not exist yet");
        assertThat(e.tableLocation()).hasValue(table.location());
    }

    @Test
    void aMovedMarkerNamesTheTableTheMarkerAndBothVersions(@TempDir Path dir) {
        DeltaTable table = created(dir);
        table.newCommit().setTransaction("app", 5).commit("WRITE");
        long read = table.snapshot().version();

        CommitConflictException moved = catchThrowableOfType(() -> table.newCommit().add(file(table, 1))
                .expectTransaction("app", 3).setTransaction("app", 9).commit("WRITE"), CommitConflictException.class);
        assertThat(moved.tableLocation()).hasValue(table.location());
        assertThat(moved.readVersion()).hasValue(read);
        assertThat(moved.marker()).hasValue("app");
        assertThat(moved.expectedMarkerVersion()).hasValue(3);
        assertThat(moved.actualMarkerVersion()).hasValue(5);

        CommitConflictException absent = catchThrowableOfType(() -> table.newCommit().expectTransaction("other", 0)
                .commit("WRITE"), CommitConflictException.class);
        assertThat(absent.marker()).hasValue("other");
        assertThat(absent.expectedMarkerVersion()).hasValue(0);
        assertThat(absent.actualMarkerVersion()).isEmpty();
    }

    @Test
    void aConcurrentCommitNamesTheTableAndTheVersionReadButNoMarker(@TempDir Path dir) {
        DeltaTable first = created(dir);
        DeltaTable second = DeltaTable.open(dir.toString(), Map.of());
        long read = first.snapshot().version();
        PendingCommit a = first.newCommit().add(file(first, 1)).setTransaction("app/0", 10);
        PendingCommit b = second.newCommit().add(file(second, 2)).setTransaction("app/0", 20);
        a.commit("STREAMING UPDATE");

        CommitConflictException e = catchThrowableOfType(() -> b.commit("STREAMING UPDATE"),
                CommitConflictException.class);
        assertThat(e.tableLocation()).hasValue(second.location());
        assertThat(e.readVersion()).hasValue(read);
        assertThat(e.marker()).isEmpty();
        assertThat(e.expectedMarkerVersion()).isEmpty();
    }

    @Test
    void removingAFileAnotherWriterRemovedNamesTheTableAndTheVersionRead(@TempDir Path dir) {
        DeltaTable table = created(dir);
        DataFile f = file(table, 1);
        table.newCommit().add(f).commit("WRITE");
        table.newCommit().remove(f).commit("DELETE");
        long read = table.snapshot().version();

        CommitConflictException e = catchThrowableOfType(() -> table.newCommit().remove(f).commit("DELETE"),
                CommitConflictException.class);
        assertThat(e).hasMessageContaining("to remove is not in version " + read);
        assertThat(e.tableLocation()).hasValue(table.location());
        assertThat(e.readVersion()).hasValue(read);
    }
}
