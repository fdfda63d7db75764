package io.streamlake.core.delta;

import static io.streamlake.core.delta.DeltaCommitTest.SCHEMA;
import static io.streamlake.core.delta.DeltaCommitTest.file;
import static io.streamlake.core.delta.DeltaCommitTest.kernelIds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.streamlake.exceptions.CommitStateUnknownException;
import io.streamlake.exceptions.SinkException;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A commit whose log entry may or may not have reached storage is a {@link CommitStateUnknownException}
 * naming the table and the version it tried, and the table's markers tell which happened.
 */
class CommitStateUnknownTest {

    private static DeltaTable flaky(Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), FlakyLogStore.OPTIONS);
        table.create(SCHEMA);
        table.newCommit().add(file(table, 1)).setTransaction("app/0", 10).commit("STREAMING UPDATE");
        return table;
    }

    private static CommitStateUnknownException failedCommit(DeltaTable table, Path dir, FlakyLogStore.Fault fault) {
        long read = table.snapshot().version();
        FlakyLogStore.arm(dir, fault);
        CommitStateUnknownException e = catchThrowableOfType(() -> table.newCommit().add(file(table, 2))
                .expectTransaction("app/0", 10).setTransaction("app/0", 20).commit("STREAMING UPDATE"),
                CommitStateUnknownException.class);
        assertThat(e).isInstanceOf(SinkException.class).hasRootCauseInstanceOf(IOException.class)
                .hasMessageContaining(table.location()).hasMessageContaining("version " + (read + 1))
                .hasMessageContaining("resume from the committed markers");
        assertThat(e.tableLocation()).hasValue(table.location());
        assertThat(e.attemptedVersion()).hasValue(read + 1);
        return e;
    }

    @Test
    void aCommitStoredBeforeTheFailureIsUnknownAndTheMarkersShowItLanded(@TempDir Path dir) {
        DeltaTable table = flaky(dir);
        CommitStateUnknownException e = failedCommit(table, dir, FlakyLogStore.Fault.AFTER_WRITE);

        DeltaTable reread = DeltaTable.open(dir.toString(), FlakyLogStore.OPTIONS);
        assertThat(reread.snapshot().version()).isEqualTo(e.attemptedVersion().getAsLong());
        assertThat(reread.snapshot().transaction("app/0")).hasValue(20);
        assertThat(kernelIds(reread)).containsExactly(1L, 2L);
    }

    @Test
    void aCommitThatNeverReachedStorageIsUnknownTooAndTheMarkersShowItDidNotLand(@TempDir Path dir) {
        DeltaTable table = flaky(dir);
        CommitStateUnknownException e = failedCommit(table, dir, FlakyLogStore.Fault.BEFORE_WRITE);

        DeltaTable reread = DeltaTable.open(dir.toString(), FlakyLogStore.OPTIONS);
        assertThat(reread.snapshot().version()).isEqualTo(e.attemptedVersion().getAsLong() - 1);
        assertThat(reread.snapshot().transaction("app/0")).hasValue(10);
        assertThat(kernelIds(reread)).containsExactly(1L);
        // the writer may carry on from the markers: the retried batch lands once
        reread.newCommit().add(file(reread, 2)).expectTransaction("app/0", 10).setTransaction("app/0", 20)
                .commit("STREAMING UPDATE");
        assertThat(kernelIds(reread)).containsExactly(1L, 2L);
    }
}
