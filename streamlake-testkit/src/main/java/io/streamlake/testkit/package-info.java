/**
 * Test the pipelines you build: {@link io.streamlake.testkit.PipelineTestDriver} runs the real
 * engine synchronously, {@link io.streamlake.testkit.InMemoryHub} is a partitioned in-memory source,
 * {@link io.streamlake.testkit.InMemoryTable} an in-memory table, and
 * {@link io.streamlake.testkit.StreamLakeAssertions} adds AssertJ assertions for table contents.
 */
@NullMarked
package io.streamlake.testkit;

import org.jspecify.annotations.NullMarked;
