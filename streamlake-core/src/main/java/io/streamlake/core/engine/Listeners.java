package io.streamlake.core.engine;

import io.streamlake.event.BatchCommitted;
import io.streamlake.event.CommitConflicted;
import io.streamlake.event.PipelineEvent;
import io.streamlake.event.PipelineFailed;
import io.streamlake.event.PipelineListener;
import io.streamlake.event.PipelineStarted;
import io.streamlake.event.PipelineStopped;
import io.streamlake.event.PositionsSkipped;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a pipeline's events to its listeners, on the caller's thread, in order. A listener that
 * throws is logged and skipped for that event: monitoring never stops ingestion.
 *
 * <p>Threads: events come from the pipeline's thread and, for a pipeline with silver, from the
 * thread that merges silver ({@code BatchCommitted} once silver has the batch). {@link #fire} is
 * synchronized, so a listener is called by one thread at a time and each call happens-before the
 * next: listeners need no locking of their own, as before silver had a thread.
 */
final class Listeners {
    private static final Logger LOG = LoggerFactory.getLogger(Listeners.class);

    private final String pipeline;
    private final List<PipelineListener> listeners;

    Listeners(String pipeline, List<PipelineListener> listeners) {
        this.pipeline = pipeline;
        this.listeners = List.copyOf(listeners);
    }

    /** @return true if anyone listens, so that callers skip building events nobody reads */
    boolean any() {
        return !listeners.isEmpty();
    }

    synchronized void fire(PipelineEvent event) {
        for (PipelineListener l : listeners) {
            try {
                deliver(l, event);
            } catch (RuntimeException e) {
                LOG.warn("pipeline {}: listener {} failed on {}; ingestion goes on: {}", pipeline,
                        l.getClass().getName(),
                        event.getClass().getSimpleName(), e.toString());
            }
        }
    }

    private static void deliver(PipelineListener l, PipelineEvent event) {
        // the event types are sealed: each has its method
        if (event instanceof BatchCommitted e) {
            l.onBatchCommitted(e);
        } else if (event instanceof PipelineStarted e) {
            l.onStarted(e);
        } else if (event instanceof PositionsSkipped e) {
            l.onPositionsSkipped(e);
        } else if (event instanceof CommitConflicted e) {
            l.onCommitConflicted(e);
        } else if (event instanceof PipelineFailed e) {
            l.onFailed(e);
        } else if (event instanceof PipelineStopped e) {
            l.onStopped(e);
        } else {
            throw new IllegalStateException("no listener method for " + event.getClass());
        }
    }
}
