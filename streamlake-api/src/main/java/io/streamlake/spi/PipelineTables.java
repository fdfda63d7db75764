package io.streamlake.spi;

import io.streamlake.table.Table;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The tables a pipeline runs on, resolved once from its description (by
 * {@link io.streamlake.PipelineEngine#tables}) and handed to the engine: by the streaming run, the
 * quarantine replay and the testkit's driver alike, which may wrap them (fault injection) first.
 *
 * @param bronze the bronze table
 * @param silver the silver table, null for a bronze-only pipeline
 * @param quarantine the quarantine table, null to stop on records that cannot enter silver
 * @param deleteMarkers the delete-marker table, null when the strategy keeps none or silver is absent
 * @param eventLog the event-log table, null when the pipeline keeps none
 * @param changeFeed silver's change-feed table, null when the pipeline writes none
 */
public record PipelineTables(Table bronze, @Nullable Table silver, @Nullable Table quarantine,
        @Nullable Table deleteMarkers, @Nullable Table eventLog, @Nullable Table changeFeed) {

    /** @throws NullPointerException if bronze is null */
    public PipelineTables {
        Objects.requireNonNull(bronze, "bronze");
    }

    /**
     * Tables without a change feed.
     *
     * @param bronze the bronze table
     * @param silver the silver table, null for a bronze-only pipeline
     * @param quarantine the quarantine table, null to stop on records that cannot enter silver
     * @param deleteMarkers the delete-marker table, null when the strategy keeps none or silver is absent
     * @param eventLog the event-log table, null when the pipeline keeps none
     */
    public PipelineTables(Table bronze, @Nullable Table silver, @Nullable Table quarantine,
            @Nullable Table deleteMarkers, @Nullable Table eventLog) {
        this(bronze, silver, quarantine, deleteMarkers, eventLog, null);
    }

    /**
     * Tables without an event log or a change feed.
     *
     * @param bronze the bronze table
     * @param silver the silver table, null for a bronze-only pipeline
     * @param quarantine the quarantine table, null to stop on records that cannot enter silver
     * @param deleteMarkers the delete-marker table, null when the strategy keeps none or silver is absent
     */
    public PipelineTables(Table bronze, @Nullable Table silver, @Nullable Table quarantine,
            @Nullable Table deleteMarkers) {
        this(bronze, silver, quarantine, deleteMarkers, null, null);
    }
}
