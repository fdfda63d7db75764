/**
 * Runnable programs that tell the StreamLake story end to end; start with
 * {@link io.streamlake.samples.Quickstart}.
 */
package io.streamlake.samples;
