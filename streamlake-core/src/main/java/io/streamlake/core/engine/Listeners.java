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
 * Hands a pipeline's events to its listeners, on the caller's thread (the pipeline's), in order. A
 * listener that throws is logged and skipped for that event: monitoring never stops ingestion.
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

    void fire(PipelineEvent event) {
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
