/**
 * A real Kafka broker for tests, inside the test JVM: {@link io.streamlake.testkit.kafka.EmbeddedKafka}.
 * Needs Kafka's broker jars ({@code kafka_2.13}, {@code kafka-server}, {@code kafka-server-common}) on
 * the test class path; the testkit declares them optional.
 */
@NullMarked
package io.streamlake.testkit.kafka;

import org.jspecify.annotations.NullMarked;
