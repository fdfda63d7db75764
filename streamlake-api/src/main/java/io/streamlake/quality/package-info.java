/**
 * Data quality: {@link io.streamlake.quality.Expectation}s with warn, drop, fail and quarantine
 * actions, and their per-rule counts.
 */
@NullMarked
package io.streamlake.quality;

import org.jspecify.annotations.NullMarked;
