package io.streamlake.core.kafka;

import io.streamlake.core.storage.Redactor;
import io.streamlake.exceptions.StreamLakeException;
import io.streamlake.source.SourcePartition;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jspecify.annotations.Nullable;

/**
 * Sends events to one Kafka topic or, built with
 * {@link io.streamlake.core.eventhubs.EventHubs#producer}, to an event hub through its Kafka endpoint:
 * the producer side of the story, for applications that feed a pipeline. Events are batched
 * ({@code linger.ms}, {@code batch.size}) and sent in the background; each {@link #send} returns a
 * future, and {@link #flush()} waits for everything sent so far and throws the first failure, so an
 * application that only calls {@code send} and {@code flush} still never loses an event silently.
 *
 * <pre>{@code
 * try (EventProducer producer = EventProducer.kafka("localhost:9092", "orders").open()) {
 *     producer.send("ORD-1", "{\"order_id\":\"ORD-1\",\"status\":\"PAID\"}");
 *     producer.send("ORD-2", "{\"order_id\":\"ORD-2\",\"status\":\"CREATED\"}")
 *         .thenAccept(sent -> System.out.println("stored at " + sent));
 *     producer.flush();                 // throws if any send failed
 * }
 * }</pre>
 *
 * <p>Records with the same key go to the same partition, in order. One producer is safe to share
 * between threads.
 */
public final class EventProducer implements AutoCloseable {
    private final String topic;
    private final Producer<byte[], byte[]> producer;
    private final AtomicReference<@Nullable Throwable> firstFailure = new AtomicReference<>();
    private final AtomicLong failures = new AtomicLong();
    /** SourcePartition per partition number, so acknowledgements do not allocate one each. */
    private final AtomicReferenceArray<SourcePartition> partitions = new AtomicReferenceArray<>(1024);

    private EventProducer(String topic, Map<String, Object> config) {
        this.topic = topic;
        try {
            this.producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
        } catch (KafkaException e) {
            // Kafka's reason may quote a piece of sasl.jaas.config, a password in it
            Redactor redactor = KafkaSecrets.redactor(config, ProducerConfig.configDef());
            throw KafkaErrors.producerNotCreated(topic, redactor, e);
        }
    }

    /**
     * @param bootstrapServers {@code host:port[,host:port...]}
     * @param topic the topic to send to
     * @return producer settings; {@link Builder#open()} connects
     */
    public static Builder kafka(String bootstrapServers, String topic) {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(topic, "topic");
        if (bootstrapServers.isBlank() || topic.isBlank()) {
            throw KafkaErrors.producerNeedsServersAndTopic();
        }
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers.strip());
        // Throughput without losing order or acknowledgement: small waits fill large batches.
        defaults.put(ProducerConfig.LINGER_MS_CONFIG, "10");
        defaults.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
        defaults.put(ProducerConfig.ACKS_CONFIG, "all");
        return new Builder(topic, Map.copyOf(defaults));
    }

    /**
     * Immutable producer settings: every {@code withX} returns a copy, {@link #open()} connects.
     *
     * <pre>{@code
     * EventProducer.Builder settings = EventProducer.kafka("localhost:9092", "orders")
     *     .withLinger(Duration.ofMillis(20)).withCompression("lz4");
     * try (EventProducer producer = settings.open()) { ... }
     * }</pre>
     */
    public static final class Builder {
        private final String topic;
        private final Map<String, String> properties;

        private Builder(String topic, Map<String, String> properties) {
            this.topic = topic;
            this.properties = properties;
        }

        /**
         * @param linger how long the producer waits to fill a batch ({@code linger.ms}, default 10 ms)
         * @return a copy with this wait
         */
        public Builder withLinger(Duration linger) {
            return withProducerProperty(ProducerConfig.LINGER_MS_CONFIG, Long.toString(linger.toMillis()));
        }

        /**
         * @param bytes the largest batch per partition ({@code batch.size}, default 256 KiB)
         * @return a copy with this size
         */
        public Builder withBatchSize(int bytes) {
            if (bytes < 1) {
                throw KafkaErrors.batchSizeTooSmall(bytes);
            }
            return withProducerProperty(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(bytes));
        }

        /**
         * @param type {@code none}, {@code gzip}, {@code snappy}, {@code lz4} or {@code zstd}; Event Hubs
         *     accepts only {@code none} and {@code gzip} (its producer uses gzip)
         * @return a copy with this compression
         */
        public Builder withCompression(String type) {
            return withProducerProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, type);
        }

        /**
         * Passes a setting to the Kafka producer. Values are treated as secrets: never logged or printed.
         *
         * @param key a Kafka producer setting
         * @param value its value
         * @return a copy with this setting
         */
        public Builder withProducerProperty(String key, String value) {
            return withProducerProperties(Map.of(key, value));
        }

        /**
         * @param more Kafka producer settings, as {@link #withProducerProperty} each
         * @return a copy with these settings
         */
        public Builder withProducerProperties(Map<String, String> more) {
            Map<String, String> copy = new LinkedHashMap<>(properties);
            copy.putAll(more);
            return new Builder(topic, Map.copyOf(copy));
        }

        /** @return the topic */
        public String topic() {
            return topic;
        }

        /** @return a connected producer; close it when done */
        public EventProducer open() {
            return new EventProducer(topic, new HashMap<>(properties));
        }

        @Override
        public String toString() {
            return "EventProducer.Builder[topic " + topic + " at "
                    + properties.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)
                    + ", properties " + properties.keySet().stream().sorted().toList() + "]";
        }
    }

    /**
     * Where a sent event was stored.
     *
     * <pre>{@code
     * SentEvent sent = producer.send("ORD-1", json).join();   // sent.partition(), sent.position()
     * }</pre>
     *
     * @param partition the topic partition
     * @param position the record's offset
     */
    public record SentEvent(SourcePartition partition, long position) {
    }

    /**
     * Sends a keyed JSON (or any text) event, UTF-8 encoded.
     *
     * @param key the key, which picks the partition; null spreads events over partitions
     * @param json the payload
     * @return completes when the broker stored the event, or fails with the reason
     */
    public CompletableFuture<SentEvent> send(@Nullable String key, String json) {
        return send(key == null ? null : key.getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param key the key bytes, or null
     * @param value the payload, or null for a tombstone
     * @return completes when the broker stored the event, or fails with the reason
     */
    public CompletableFuture<SentEvent> send(byte @Nullable [] key, byte @Nullable [] value) {
        return send(new ProducerRecord<>(topic, key, value));
    }

    /**
     * Sends to a chosen partition instead of the key's.
     *
     * @param partition the partition number
     * @param key the key bytes, or null
     * @param value the payload, or null for a tombstone
     * @return completes when the broker stored the event, or fails with the reason
     */
    public CompletableFuture<SentEvent> send(int partition, byte @Nullable [] key, byte @Nullable [] value) {
        return send(new ProducerRecord<>(topic, partition, key, value));
    }

    private CompletableFuture<SentEvent> send(ProducerRecord<byte[], byte[]> record) {
        CompletableFuture<SentEvent> result = new CompletableFuture<>();
        try {
            producer.send(record, (meta, error) -> {
                if (error == null) {
                    result.complete(new SentEvent(partition(meta.partition()), meta.offset()));
                } else {
                    failures.incrementAndGet();
                    firstFailure.compareAndSet(null, error);
                    result.completeExceptionally(failure("sending an event to topic " + topic + " failed", error));
                }
            });
        } catch (KafkaException | IllegalStateException e) {
            throw failure("sending an event to topic " + topic + " failed", e);
        }
        return result;
    }

    private SourcePartition partition(int p) {
        if (p >= partitions.length()) {
            return new SourcePartition(topic, p);
        }
        SourcePartition sp = partitions.get(p);
        if (sp == null) {
            sp = new SourcePartition(topic, p);
            partitions.set(p, sp);
        }
        return sp;
    }

    /**
     * Sends everything buffered and waits until the broker acknowledged or refused it.
     *
     * @throws StreamLakeException with the first failure since the previous flush, if any send failed
     */
    public void flush() {
        try {
            producer.flush();
        } catch (KafkaException e) {
            throw failure("flushing events to topic " + topic + " failed", e);
        }
        Throwable first = firstFailure.getAndSet(null);
        long failed = failures.getAndSet(0);
        if (first != null) {
            throw failure(failed + " event(s) could not be sent to topic " + topic + "; the first failure", first);
        }
    }

    private static StreamLakeException failure(String what, Throwable cause) {
        return new StreamLakeException(what + ": " + cause.getMessage() + ". Check that the topic exists and the"
                + " brokers are reachable; events whose future failed were not stored", cause);
    }

    /**
     * Flushes, then releases the connections.
     *
     * @throws StreamLakeException with the first send failure, as {@link #flush()}
     */
    @Override
    public void close() {
        try {
            flush();
        } finally {
            producer.close(Duration.ofSeconds(30));
        }
    }

    @Override
    public String toString() {
        return "EventProducer[topic " + topic + "]";
    }
}
