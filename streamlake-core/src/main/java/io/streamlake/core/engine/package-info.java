/**
 * The engine, and the composition root: the micro-batch loop ({@code MicroBatchEngine}), the
 * streaming run, bronze's write and commit, the source hand-over and compaction. The only package
 * that names the Delta and Capture plugins. Internal: no compatibility promise; applications use
 * {@code io.streamlake} and the testkit instead.
 */
@NullMarked
package io.streamlake.core.engine;

import org.jspecify.annotations.NullMarked;
