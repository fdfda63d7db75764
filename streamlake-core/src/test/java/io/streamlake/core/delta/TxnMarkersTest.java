package io.streamlake.core.delta;

import static io.streamlake.core.delta.DeltaCommitTest.created;
import static io.streamlake.core.delta.DeltaCommitTest.file;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.exceptions.CommitConflictException;
import io.streamlake.table.PendingCommit;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The markers a table keeps by version ({@link TxnMarkers}) answer as a replay of the log would, and a
 * commit that reads a marker from them still loses to a concurrent commit that moved it.
 */
class TxnMarkersTest {

    @Test
    void aMarkerMovedByAnotherWriterBetweenTwoOfOurCommitsIsSeen(@TempDir Path dir) {
        DeltaTable ours = created(dir);
        DeltaTable theirs = DeltaTable.open(dir.toString(), Map.of());
        ours.newCommit().add(file(ours, 1)).expectTransaction("app/0", -1).setTransaction("app/0", 5)
                .commit("STREAMING UPDATE");
        assertThat(ours.snapshot().transaction("app/0")).hasValue(5); // the cache now holds this version

        theirs.newCommit().add(file(theirs, 2)).expectTransaction("app/0", 5).setTransaction("app/0", 9)
                .setTransaction("app/1", 3).commit("STREAMING UPDATE");

        assertThat(ours.snapshot().transaction("app/0")).hasValue(9);
        assertThat(ours.snapshot().transaction("app/1")).hasValue(3);
        assertThatThrownBy(() -> ours.newCommit().add(file(ours, 3)).expectTransaction("app/0", 5)
                .setTransaction("app/0", 12).commit("STREAMING UPDATE"))
                .isInstanceOf(CommitConflictException.class)
                .hasMessageContaining("'app/0' is at 9");
        long v = ours.newCommit().add(file(ours, 3)).expectTransaction("app/0", 9).setTransaction("app/0", 12)
                .commit("STREAMING UPDATE");
        assertThat(ours.snapshot().transaction("app/0")).hasValue(12);
        assertThat(theirs.snapshot().transaction("app/0")).hasValue(12);
        assertThat(KernelReader.transaction(ours.location(), "app/0")).contains(12L);
        assertThat(ours.snapshot().version()).isEqualTo(v);
    }

    @Test
    void twoWritersWithWarmMarkersRacingOnOneMarkerOneWinsOneConflicts(@TempDir Path dir) {
        DeltaTable first = created(dir);
        DeltaTable second = DeltaTable.open(dir.toString(), Map.of());
        first.newCommit().setTransaction("app/0", 5).commit("STREAMING UPDATE");
        // both read the marker at the same version first, so the racing commits take it from their caches
        assertThat(first.snapshot().transaction("app/0")).hasValue(5);
        assertThat(second.snapshot().transaction("app/0")).hasValue(5);

        PendingCommit a = first.newCommit().add(file(first, 1)).expectTransaction("app/0", 5)
                .setTransaction("app/0", 6);
        PendingCommit b = second.newCommit().add(file(second, 2)).expectTransaction("app/0", 5)
                .setTransaction("app/0", 7);
        long won = a.commit("STREAMING UPDATE");

        assertThatThrownBy(() -> b.commit("STREAMING UPDATE"))
                .isInstanceOf(CommitConflictException.class)
                .hasMessageContaining("same transaction marker");
        assertThat(second.snapshot().version()).isEqualTo(won);
        assertThat(second.snapshot().transaction("app/0")).hasValue(6);
        assertThat(DeltaCommitTest.kernelIds(first)).containsExactly(1L);
    }

    @Test
    void aWriterOfOnlyAnotherMarkerStillCommitsBesideTheCache(@TempDir Path dir) {
        DeltaTable first = created(dir);
        DeltaTable second = DeltaTable.open(dir.toString(), Map.of());
        assertThat(first.snapshot().transaction("app/0")).isEmpty();
        PendingCommit a = first.newCommit().add(file(first, 1)).setTransaction("app/0", 1);
        PendingCommit b = second.newCommit().add(file(second, 2)).setTransaction("app/1", 1);
        a.commit("STREAMING UPDATE");
        b.commit("STREAMING UPDATE");
        assertThat(first.snapshot().transaction("app/0")).hasValue(1);
        assertThat(first.snapshot().transaction("app/1")).hasValue(1);
    }

    @Test
    void olderVersionsAndLongGapsAreReplayedFromTheLog(@TempDir Path dir) {
        DeltaTable ours = created(dir);
        DeltaTable theirs = DeltaTable.open(dir.toString(), Map.of());
        ours.newCommit().setTransaction("app/0", 1).commit("STREAMING UPDATE");
        long early = ours.snapshot().version();
        assertThat(ours.snapshot().transaction("app/0")).hasValue(1);
        // more commits than the cache reads one by one, with checkpoints between
        for (int i = 2; i <= TxnMarkers.MAX_COMMITS_TO_READ + 5; i++) {
            theirs.newCommit().setTransaction("app/0", i).commit("STREAMING UPDATE");
        }
        theirs.awaitCheckpoints();
        assertThat(ours.snapshot().transaction("app/0")).hasValue(TxnMarkers.MAX_COMMITS_TO_READ + 5);
        // a version older than the one cached: from the log at that version, not the newest answer
        assertThat(ours.markers().version(ours.log(), early, "app/0")).isEqualTo(1);
        assertThat(ours.markers().version(ours.log(), early + 1, "app/0")).isEqualTo(2);
        assertThat(ours.snapshot().transaction("app/0")).hasValue(TxnMarkers.MAX_COMMITS_TO_READ + 5);
    }
}
