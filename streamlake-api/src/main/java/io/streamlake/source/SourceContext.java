package io.streamlake.source;

import java.util.Map;
import java.util.OptionalLong;

/**
 * What the engine tells a {@link SourceReader}: where each partition's committed data ends. The
 * positions come from the bronze table's Delta log, which is the only truth about progress.
 *
 * <pre>{@code
 * long next = context.committedPosition(partition).stream().map(p -> p + 1).findFirst().orElse(0L);
 * }</pre>
 */
public interface SourceContext {

    /** @return the pipeline's name, for example to name a consumer group */
    String pipelineName();

    /**
     * Reads the table's progress marker for a partition. Call it whenever a partition is (re)assigned.
     *
     * @param partition a partition of this source
     * @return the position of the last record of this partition in bronze, or empty if none
     */
    OptionalLong committedPosition(SourcePartition partition);

    /**
     * Reports that positions were skipped because the source no longer holds them. The engine logs
     * it at error level and lists it in {@link io.streamlake.PipelineProgress#gaps()}. Only call it
     * when the user chose to skip lost positions; the default must be to fail.
     *
     * @param gap the lost range
     */
    void reportGap(PositionGap gap);

    /**
     * The pipeline's storage settings ({@link io.streamlake.Pipeline#withStorageOption}), for sources
     * that read files from the same storage as the tables (an archive on {@code abfss://}). The values
     * are secrets: never log or print them.
     *
     * @return Hadoop settings by name, possibly empty
     */
    default Map<String, String> storageOptions() {
        return Map.of();
    }
}
