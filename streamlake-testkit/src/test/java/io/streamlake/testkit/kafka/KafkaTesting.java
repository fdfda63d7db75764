package io.streamlake.testkit.kafka;

import io.streamlake.testkit.PipelineTestDriver;
import java.time.Duration;

/** What the Kafka integration tests share. */
final class KafkaTesting {
    private KafkaTesting() {
    }

    /**
     * Runs batches until the armed fault fires: with a real broker the first polls may return nothing
     * while the consumer joins its group.
     */
    static void runUntilFailure(PipelineTestDriver driver) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                driver.runOneBatch();
            } catch (RuntimeException | Error expected) {
                return;
            }
        }
        throw new AssertionError("the armed fault never fired");
    }

    /** @return the consumer group as the broker describes it */
    static org.apache.kafka.clients.admin.ConsumerGroupDescription group(EmbeddedKafka kafka, String group) {
        try {
            return kafka.admin().describeConsumerGroups(java.util.List.of(group)).all()
                    .get(30, java.util.concurrent.TimeUnit.SECONDS).get(group);
        } catch (Exception e) {
            throw new IllegalStateException("cannot describe consumer group " + group, e);
        }
    }

    /** @return each member's partitions, by the member's client id */
    static java.util.Map<String, java.util.Set<Integer>> assignment(EmbeddedKafka kafka, String group) {
        java.util.Map<String, java.util.Set<Integer>> by = new java.util.HashMap<>();
        for (org.apache.kafka.clients.admin.MemberDescription m : group(kafka, group).members()) {
            java.util.Set<Integer> partitions = by.computeIfAbsent(m.clientId(), k -> new java.util.TreeSet<>());
            m.assignment().topicPartitions().forEach(tp -> partitions.add(tp.partition()));
        }
        return by;
    }

    /**
     * Waits, looking every 200 ms, until the condition holds.
     *
     * @throws AssertionError naming what did not happen within {@code seconds}
     */
    static void await(String what, java.util.function.BooleanSupplier condition, int seconds)
            throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(200);
        }
    }

    /**
     * Sends order events 0, 1, 2, ... ({@code Orders.event}) until {@code limit} or until
     * {@code producing} is false, pausing 100 ms after every {@code perPause}, so that they arrive over
     * a while.
     *
     * @return how many were sent
     */
    static long produce(EmbeddedKafka kafka, String topic, long limit, int perPause,
            java.util.concurrent.atomic.AtomicBoolean producing) {
        long n = 0;
        try (io.streamlake.core.kafka.EventProducer producer =
                io.streamlake.core.kafka.EventProducer.kafka(kafka.bootstrapServers(), topic).open()) {
            while (n < limit && producing.get()) {
                producer.send(io.streamlake.testkit.Orders.key((int) n), io.streamlake.testkit.Orders.event((int) n));
                n++;
                if (n % perPause == 0) {
                    producer.flush();
                    Thread.sleep(100);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return n;
    }
}
