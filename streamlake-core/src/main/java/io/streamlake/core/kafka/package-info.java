/**
 * Apache Kafka: {@link io.streamlake.core.kafka.KafkaSource} reads topics into a pipeline exactly once,
 * resuming from the bronze table's progress markers on every partition assignment, and
 * {@link io.streamlake.core.kafka.EventProducer} sends events to a topic.
 */
@NullMarked
package io.streamlake.core.kafka;

import org.jspecify.annotations.NullMarked;
