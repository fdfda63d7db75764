package io.streamlake.table;

import java.util.List;
import java.util.Map;

/**
 * Changes staged against a table and committed atomically, once, in the style of Iceberg's pending
 * updates: data files added and removed, and transaction markers (application id to version) that
 * record progress in the same commit as the data.
 *
 * <pre>{@code
 * long version = table.newCommit()
 *     .add(file)
 *     .expectTransaction("orders-pipeline/orders/0", 41)   // fence: nobody else moved the marker
 *     .setTransaction("orders-pipeline/orders/0", 99)
 *     .commit("STREAMING UPDATE");
 * }</pre>
 */
public interface PendingCommit {

    /**
     * @param file a finished data file to add
     * @return this commit
     */
    PendingCommit add(DataFile file);

    /**
     * @param file a file of the table's current snapshot to remove
     * @return this commit
     */
    PendingCommit remove(DataFile file);

    /**
     * Replaces files by files that hold the same rows in the same order (compaction): the added
     * files take the removed files' place in the table's {@linkplain TableSnapshot#files() file
     * order}, instead of going last as {@link #add} would. Use it with {@link #rearrangeOnly()}.
     *
     * <pre>{@code
     * table.newCommit().rearrangeOnly().replace(List.of(small1, small2, small3), List.of(combined)).commit("OPTIMIZE");
     * }</pre>
     *
     * <p>The default removes and adds, for tables that keep no file order.
     *
     * @param removed files of the table's current snapshot, consecutive in its file order, first one first
     * @param added finished files holding the removed files' rows, in the same order
     * @return this commit
     */
    default PendingCommit replace(List<DataFile> removed, List<DataFile> added) {
        removed.forEach(this::remove);
        added.forEach(this::add);
        return this;
    }

    /**
     * Records progress: after the commit, {@link TableSnapshot#transaction(String)} returns this version.
     *
     * @param appId a stable id of what made progress
     * @param version its new version (an offset, a table version)
     * @return this commit
     */
    PendingCommit setTransaction(String appId, long version);

    /**
     * Makes the commit fail with {@link io.streamlake.exceptions.CommitConflictException} unless,
     * when it is applied, the marker still holds {@code expectedVersion} (-1 for no marker).
     *
     * @param appId the marker
     * @param expectedVersion the version this batch started from
     * @return this commit
     */
    PendingCommit expectTransaction(String appId, long expectedVersion);

    /**
     * Records properties in the table with this commit (added to, or replacing, those it has).
     *
     * <pre>{@code
     * table.newCommit().setProperties(Map.of("streamlake.silver.key", "order_id")).commit("SET TABLE PROPERTIES");
     * }</pre>
     *
     * @param properties names and values; names starting with {@code delta.} are Delta's own, not for this
     * @return this commit
     * @throws UnsupportedOperationException by default, for tables that keep no properties
     */
    default PendingCommit setProperties(Map<String, String> properties) {
        throw new UnsupportedOperationException(getClass().getName() + " keeps no table properties");
    }

    /**
     * Attaches a text to the commit, kept in the table's history with it (Delta: the commit's
     * {@code userMetadata}, which {@code DESCRIBE HISTORY} shows) and read back by
     * {@link Table#history}. The engine records there, as JSON, what the micro-batch that made the
     * commit did, so that what is derived from it (the event log) comes from the commit itself: exactly
     * once, also across crashes.
     *
     * <pre>{@code
     * table.newCommit().add(file).withUserMetadata("{\"batch\":12}").commit("STREAMING UPDATE");
     * }</pre>
     *
     * <p>The default ignores it, for tables that keep no history (their {@link Table#history} is
     * unsupported too).
     *
     * @param userMetadata the text
     * @return this commit
     */
    default PendingCommit withUserMetadata(String userMetadata) {
        return this;
    }

    /**
     * Attaches what the table's history shows beside the operation's name, as Spark shows its own
     * (Delta: the commit's {@code operationParameters} and {@code operationMetrics}, which
     * {@code DESCRIBE HISTORY} lists): a merge's predicate and how many rows it inserted, updated and
     * deleted, a streaming append's output mode.
     *
     * <pre>{@code
     * commit.withOperationDetails(Map.of("predicate", "target.order_id = source.order_id"),
     *         Map.of("numTargetRowsInserted", 12L)).commit("MERGE");
     * }</pre>
     *
     * <p>The default ignores them, for tables that keep no history.
     *
     * @param parameters names and values, as text
     * @param metrics names and counts; they join the file counts the commit records itself
     * @return this commit
     */
    default PendingCommit withOperationDetails(Map<String, String> parameters, Map<String, Long> metrics) {
        return this;
    }

    /**
     * Marks the commit as a rearrangement of existing rows (compaction) so streaming readers skip it.
     *
     * @return this commit
     */
    PendingCommit rearrangeOnly();

    /**
     * Applies the staged changes atomically.
     *
     * @param operation a short operation name recorded in the table history
     * @return the new table version
     * @throws io.streamlake.exceptions.CommitConflictException if a concurrent commit conflicts;
     *     nothing was applied and the batch can be retried from the committed markers
     * @throws io.streamlake.exceptions.CommitStateUnknownException if writing the commit failed in a
     *     way that may or may not have applied it; re-read the table's markers to tell which
     * @throws io.streamlake.exceptions.SinkException if storage failed before anything was written
     */
    long commit(String operation);
}
