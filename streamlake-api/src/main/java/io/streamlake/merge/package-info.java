/**
 * How silver upserts by key: the pure {@link io.streamlake.merge.MergeStrategy} SPI and the
 * built-ins in {@link io.streamlake.merge.MergeStrategies}. The built-ins are
 * {@link io.streamlake.merge.CdcStrategy} values with change-data-capture options: one row per key
 * ({@link io.streamlake.merge.Scd1Strategy}) or a history of versions
 * ({@link io.streamlake.merge.Scd2Strategy}). A strategy ordered by several sequence columns gives
 * each event a {@link io.streamlake.merge.CompositeSequence}, ordered column by column. What a
 * strategy keeps beside silver the engine reaches through capability interfaces, which the
 * built-ins implement: {@link io.streamlake.merge.DeleteMarkerStrategy},
 * {@link io.streamlake.merge.HistoryStrategy}, {@link io.streamlake.merge.ColumnSequenceStrategy} and
 * {@link io.streamlake.merge.TruncatingStrategy}.
 *
 * <pre>{@code
 * MergeStrategy s = MergeStrategies.latestBy("updated_at").withDeletes(r -> "DELETE".equals(r.string("op")));
 * assert s.merge(null, insert).kind() == MergeDecision.Kind.UPSERT;
 * }</pre>
 */
@NullMarked
package io.streamlake.merge;

import org.jspecify.annotations.NullMarked;
