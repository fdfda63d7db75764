/**
 * Azure Event Hubs Capture archives: {@link io.streamlake.core.capture.Capture#backfill} reads Capture
 * Avro files into a pipeline and hands over to the live stream without a gap or a duplicate
 * ({@link io.streamlake.core.capture.CaptureSource#thenLive}); {@link io.streamlake.core.capture.CaptureArchive}
 * writes the same layout for sources without Capture ({@link io.streamlake.Pipeline#withArchive}). The classes here
 * use Apache Avro, an optional dependency: nothing outside this package loads them unless asked to.
 *
 * <pre>{@code
 * Pipeline.from(Capture.backfill("abfss://capture@acct.dfs.core.windows.net/", "orders"))
 *     .bronze("lake/bronze/orders").bronzeOnly().runUntilCaughtUp();
 * }</pre>
 */
@NullMarked
package io.streamlake.core.capture;

import org.jspecify.annotations.NullMarked;
