/**
 * How silver upserts by key: the pure {@link io.streamlake.merge.MergeStrategy} SPI and the
 * built-ins in {@link io.streamlake.merge.MergeStrategies}.
 */
@NullMarked
package io.streamlake.merge;

import org.jspecify.annotations.NullMarked;
