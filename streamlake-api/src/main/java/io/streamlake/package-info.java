/**
 * The fluent pipeline: {@link io.streamlake.Pipeline} describes source, bronze and silver;
 * {@link io.streamlake.PipelineRun} is a running instance.
 *
 * <pre>{@code
 * Pipeline pipeline = Pipeline.from(source)
 *     .bronze("lake/bronze/orders")
 *     .silver("lake/silver/orders", "order_id")
 *     .withSchema(orderSchema)
 *     .withMergeStrategy(MergeStrategies.latestBy("updated_at"));
 * try (PipelineRun run = pipeline.start()) {
 *     run.awaitTermination();
 * }
 * }</pre>
 */
@NullMarked
package io.streamlake;

import org.jspecify.annotations.NullMarked;
