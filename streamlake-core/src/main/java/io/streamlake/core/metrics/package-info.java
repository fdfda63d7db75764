/**
 * Micrometer meters for a pipeline, built from its events: {@link io.streamlake.core.metrics.PipelineMetrics}.
 * Micrometer is an optional dependency of streamlake-core: only this package names it, nothing else
 * loads it, so an application without Micrometer on its class path is unaffected unless it calls
 * {@code PipelineMetrics.listener}.
 */
@NullMarked
package io.streamlake.core.metrics;

import org.jspecify.annotations.NullMarked;
