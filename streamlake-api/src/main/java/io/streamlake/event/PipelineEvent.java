package io.streamlake.event;

import java.time.Instant;

/**
 * Something that happened to a running pipeline. Each kind is a record of its own, delivered to the
 * matching method of {@link PipelineListener}; all of them name the pipeline and the time.
 */
public sealed interface PipelineEvent permits PipelineStarted, BatchCommitted, PositionsSkipped, CommitConflicted,
        PipelineFailed, PipelineStopped {

    /** @return the pipeline's name ({@code Pipeline.withName}) */
    String pipeline();

    /** @return when it happened */
    Instant at();
}
