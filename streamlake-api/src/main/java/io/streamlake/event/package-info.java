/**
 * What a running pipeline tells its {@link io.streamlake.event.PipelineListener listeners}: that it
 * started, committed a micro-batch (with its source positions, row counts, expectation results and
 * timings), skipped lost source positions, lost a commit race, failed or stopped. The same events
 * feed the metrics and the event log; a listener receives them one at a time, on the pipeline's threads.
 */
@NullMarked
package io.streamlake.event;

import org.jspecify.annotations.NullMarked;
