package io.streamlake.event;

import java.time.Instant;
import java.util.Objects;

/**
 * Another instance of the pipeline committed some of the batch's partitions first (a consumer-group
 * rebalance): the batch was dropped, and the source reads again from the committed positions.
 * Nothing is lost or written twice; frequent conflicts mean the instances fight over partitions.
 *
 * @param pipeline the pipeline's name
 * @param at when the commit was refused
 * @param table the table whose commit was refused (its location, without credentials)
 * @param events events of the dropped batch
 */
public record CommitConflicted(String pipeline, Instant at, String table, int events) implements PipelineEvent {

    /** Checks the required components. */
    public CommitConflicted {
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(table, "table");
    }
}
