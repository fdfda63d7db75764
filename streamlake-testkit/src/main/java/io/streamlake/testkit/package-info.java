/**
 * Test the pipelines you build: {@link io.streamlake.testkit.PipelineTestDriver} runs the real
 * engine synchronously, {@link io.streamlake.testkit.InMemoryHub} is a partitioned in-memory source,
 * {@link io.streamlake.testkit.InMemoryTable} an in-memory table, and
 * {@link io.streamlake.testkit.StreamLakeAssertions} adds AssertJ assertions for table contents.
 * {@link io.streamlake.testkit.CdcScenario} writes a change-data-capture case as events and the
 * silver rows expected, and {@link io.streamlake.testkit.AnyOrder} checks that a case gives those
 * rows in every arrival order and batch split, naming the run that does not.
 */
@NullMarked
package io.streamlake.testkit;

import org.jspecify.annotations.NullMarked;
