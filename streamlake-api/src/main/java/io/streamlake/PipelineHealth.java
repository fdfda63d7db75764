package io.streamlake;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A running pipeline's health, for a service's readiness and liveness checks: cheap to take at any
 * time, from any thread ({@link PipelineRun#health()}).
 *
 * <pre>{@code
 * PipelineHealth h = run.health();
 * if (!h.isLive()) {
 *     return Response.status(503).entity(h.failure() == null ? "stopped" : h.failure()).build();
 * }
 * }</pre>
 *
 * @param status where the run is
 * @param failure the failure's message when {@code status} is FAILED, else null
 * @param startedAt when the run began polling, null while it starts
 * @param lastCommitAt when the run last committed a micro-batch, null before its first
 */
public record PipelineHealth(Status status, @Nullable String failure, @Nullable Instant startedAt,
        @Nullable Instant lastCommitAt) {

    /** Where a run is, as a health check sees it. */
    public enum Status {
        /** Opening its tables (finishing silver work a crash left behind) and its source. */
        STARTING,
        /** Running, and less than a batch waits in the source: fresh to within a batch. */
        CAUGHT_UP,
        /**
         * Running, and its last micro-batch was full ({@code withMaxBatchRecords}), or the source
         * reports at least a batch more waiting ({@link PipelineProgress#recordsBehind()}): it works
         * through a backlog.
         */
        LAGGING,
        /** Paused by an operator ({@link PipelineRun#pause()}): alive, between batches, not polling. */
        PAUSED,
        /** Stopped as asked, or caught up in {@link RunMode#UNTIL_CAUGHT_UP}. */
        STOPPED,
        /** Stopped by an error; see {@link PipelineHealth#failure()}. */
        FAILED
    }

    /** Checks the required components. */
    public PipelineHealth {
        Objects.requireNonNull(status, "status");
    }

    /** @return true while the run polls and commits (caught up or lagging): a readiness check */
    public boolean isReady() {
        return status == Status.CAUGHT_UP || status == Status.LAGGING;
    }

    /** @return false once the run failed: a liveness check (restart the service, or start a new run) */
    public boolean isLive() {
        return status != Status.FAILED;
    }
}
