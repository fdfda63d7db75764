package io.streamlake.table;

/**
 * What one {@link io.streamlake.PipelineRun#erase erasure} removed, table by table. Counts are of rows; a table the
 * pipeline does not have counts 0.
 *
 * <pre>{@code
 * Erasure e = run.erase(List.of("c-42"));
 * log.info("erasure {}: {} bronze events, {} silver rows", e.id(), e.bronzeRows(), e.silverRows());
 * }</pre>
 *
 * @param id the erasure's number in the pipeline's bronze table (1, 2, ...), which its commits record;
 *     0 when bronze does not exist yet (nothing was erased or recorded)
 * @param keys how many keys it was asked to erase
 * @param bronzeVersion the last bronze version it covers: events committed later are new events
 * @param bronzeRows bronze events it removed
 * @param silverRows silver rows it removed (each a {@code delete} change in the change feed)
 * @param quarantineRows quarantined records it removed
 * @param deleteMarkerRows delete markers it removed
 */
public record Erasure(long id, int keys, long bronzeVersion, long bronzeRows, long silverRows, long quarantineRows,
        long deleteMarkerRows) {
}
