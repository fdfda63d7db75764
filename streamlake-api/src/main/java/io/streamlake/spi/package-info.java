/**
 * What an engine hands to whoever drives it one micro-batch at a time (the testkit's driver, a
 * benchmark): the {@link io.streamlake.spi.PipelineTables tables} it runs on, the
 * {@link io.streamlake.spi.BatchEngine batch engine} and its {@link io.streamlake.spi.BatchResult
 * results}. Found through {@link io.streamlake.PipelineEngine}. Applications start pipelines with
 * {@code Pipeline.start()} and need none of this. Names no type of {@code io.streamlake} itself, so
 * that the description and its engine do not import each other.
 */
@NullMarked
package io.streamlake.spi;

import org.jspecify.annotations.NullMarked;
