/**
 * The source SPI: {@link io.streamlake.source.Source} describes a stream,
 * {@link io.streamlake.source.SourceReader} reads it partition by partition, one batch at a time
 * within {@link io.streamlake.source.BatchLimits}, and {@link io.streamlake.source.SourceContext}
 * tells a reader where committed data ends.
 */
@NullMarked
package io.streamlake.source;

import org.jspecify.annotations.NullMarked;
