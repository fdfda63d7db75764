package io.streamlake.event;

/**
 * Receives a pipeline's events, for monitoring, alerting or tests: register one with
 * {@code Pipeline.withListener(listener)}. Every method has an empty default, so a listener
 * overrides what it needs; each passes its event on to {@link #onEvent}, so a listener that wants
 * every event (to forward it, or record it in a test) overrides that one alone.
 *
 * <p>Threads: the methods are called one at a time, each call happening-before the next, in the
 * order the events happened: {@link #onBatchCommitted} of a pipeline with silver on the thread that
 * merges silver (a batch is committed once silver has it), the others on the pipeline's own thread
 * (with the testkit's driver, on the test's thread). So a listener needs no locking of its own.
 * <b>They must not block</b> and should return within microseconds: ingestion waits for them. Hand slow work (a network call, a
 * write) to a thread of your own. A listener that throws is logged at WARN and otherwise ignored: a
 * monitoring hook never stops ingestion.
 *
 * <pre>{@code
 * Pipeline.from(source).bronze(bronzePath).silver(silverPath, "order_id")
 *     .withListener(new PipelineListener() {
 *         @Override
 *         public void onBatchCommitted(BatchCommitted batch) {
 *             if (batch.quarantined() > 0) {
 *                 alerts.offer(batch.quarantined() + " records quarantined in " + batch.pipeline());
 *             }
 *         }
 *     });
 * }</pre>
 */
public interface PipelineListener {

    /** @param event the pipeline opened its tables and source */
    default void onStarted(PipelineStarted event) {
        onEvent(event);
    }

    /** @param event a micro-batch reached bronze, and silver caught up with it */
    default void onBatchCommitted(BatchCommitted event) {
        onEvent(event);
    }

    /** @param event the source skipped positions it no longer held (data loss) */
    default void onPositionsSkipped(PositionsSkipped event) {
        onEvent(event);
    }

    /** @param event another instance committed first; the batch was dropped and is read again */
    default void onCommitConflicted(CommitConflicted event) {
        onEvent(event);
    }

    /** @param event the pipeline stopped on an error */
    default void onFailed(PipelineFailed event) {
        onEvent(event);
    }

    /** @param event the pipeline stopped as asked, or caught up */
    default void onStopped(PipelineStopped event) {
        onEvent(event);
    }

    /**
     * Called by every other method's default: override it to receive every event in one place.
     *
     * @param event any event of the pipeline
     */
    default void onEvent(PipelineEvent event) {
    }
}
