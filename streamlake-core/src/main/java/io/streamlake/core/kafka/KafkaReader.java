package io.streamlake.core.kafka;

import io.streamlake.core.delta.Redactor;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.SourceException;
import io.streamlake.source.PositionGap;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running side of a {@link KafkaSource}: one consumer in the group, polled by the engine thread.
 *
 * <p>Exactly-once rests on three things. (1) Every assigned partition is positioned from the bronze
 * marker ({@link SourceContext#committedPosition}), never from the group's committed offsets; the
 * same call tells the engine which marker to expect at commit. (2) The rebalance listener runs only
 * inside {@link Consumer#poll}, that is inside {@link #poll}, before the engine holds the batch: on
 * revocation the records of revoked partitions are dropped from the batch being gathered, and
 * nothing the engine already holds needs undoing, because the engine commits a batch with the
 * markers it expects; if another instance committed those partitions meanwhile, the commit fails
 * and the engine calls {@link #rewind()}. (3) {@code auto.offset.reset=none}, so a position the
 * broker no longer holds surfaces here as an error, never as a silent jump.
 */
final class KafkaReader implements SourceReader, ConsumerRebalanceListener {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaReader.class);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final KafkaSource source;
    private final SourceContext context;
    private final Consumer<byte[], byte[]> consumer;
    /** One SourcePartition per TopicPartition, so records share it instead of allocating their own. */
    private final Map<TopicPartition, SourcePartition> partitions = new HashMap<>();
    /**
     * Where the start position put partitions without a marker, resolved once: a rewind or a
     * reassignment before their first commit must not resolve "latest" again and skip what arrived since.
     */
    private final Map<TopicPartition, Long> resolvedStart = new HashMap<>();
    /** The batch {@link #poll} is gathering, so that a revocation in the middle can drop its records. */
    private @Nullable List<SourceRecord> gathering;
    private @Nullable RuntimeException listenerFailure;
    private boolean assignedOnce;
    private boolean commitFailing;

    KafkaReader(KafkaSource source, SourceContext context, Map<String, Object> config) {
        this.source = source;
        this.context = context;
        try {
            this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        } catch (KafkaException e) {
            // Kafka's reason may quote a piece of sasl.jaas.config, a password in it
            Redactor redactor = KafkaSecrets.redactor(config, ConsumerConfig.configDef());
            throw new ConfigurationException("the Kafka consumer for " + source + " could not be created: "
                    + redactor.redact(messages(e)) + "; check the bootstrap servers and consumer properties",
                    redactor.sanitize(e));
        }
        try {
            if (source.topicPattern().isPresent()) {
                consumer.subscribe(source.topicPattern().get(), this);
            } else {
                consumer.subscribe(source.topics(), this);
            }
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
    }

    @Override
    public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
        List<SourceRecord> out = new ArrayList<>(Math.min(maxRecords, 16_384));
        gathering = out;
        try {
            long deadline = System.nanoTime() + maxWait.toNanos();
            Duration wait = maxWait;
            while (true) {
                ConsumerRecords<byte[], byte[]> polled = pollConsumer(wait);
                if (polled.isEmpty()) {
                    break; // waited the whole time for nothing, or a lost position was handled
                }
                add(polled, out, maxRecords);
                long left = deadline - System.nanoTime();
                // Gather more polls into one batch while records keep coming: a commit per
                // consumer poll would make tiny Delta files. Stop at the end of the data, so a
                // caught-up stream commits at once.
                if (out.size() >= maxRecords || left <= 0 || noLag()) {
                    break;
                }
                wait = Duration.ofNanos(left);
            }
        } finally {
            gathering = null;
        }
        return out;
    }

    private ConsumerRecords<byte[], byte[]> pollConsumer(Duration wait) {
        try {
            return consumer.poll(wait);
        } catch (OffsetOutOfRangeException e) {
            handleOutOfRange(e.offsetOutOfRangePartitions());
            return ConsumerRecords.empty();
        } catch (NoOffsetForPartitionException e) {
            // Only a partition whose seek failed half-way gets here: position it again.
            seekFromMarkers(e.partitions());
            return ConsumerRecords.empty();
        } catch (AuthenticationException e) {
            throw new SourceException("the Kafka brokers " + source.bootstrapServers() + " refused to authenticate"
                    + " this consumer: " + e.getMessage() + ". Check the credentials (for Event Hubs, the connection"
                    + " string's SharedAccessKeyName and SharedAccessKey, and that the key is not revoked)", e);
        } catch (AuthorizationException e) {
            throw new SourceException("the Kafka brokers " + source.bootstrapServers() + " denied this consumer: "
                    + e.getMessage() + ". Grant read on the topics and the consumer group, or use a policy that"
                    + " has Listen rights (Event Hubs)", e);
        } catch (KafkaException e) {
            RuntimeException f = listenerFailure;
            listenerFailure = null;
            if (f != null) {
                throw f; // the listener's own message, not Kafka's wrapper
            }
            throw e;
        }
    }

    private void add(ConsumerRecords<byte[], byte[]> polled, List<SourceRecord> out, int maxRecords) {
        for (TopicPartition tp : polled.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> records = polled.records(tp);
            int take = Math.min(records.size(), Math.max(0, maxRecords - out.size()));
            SourcePartition p = partition(tp);
            for (int i = 0; i < take; i++) {
                out.add(toRecord(p, records.get(i)));
            }
            if (take < records.size()) {
                // The batch is full: the next poll starts at the first record not taken.
                consumer.seek(tp, records.get(take).offset());
            }
        }
    }

    /** The last record time and its Instant: a producer batch's records share their millisecond. */
    private long lastMillis = Long.MIN_VALUE;
    private Instant lastTime = Instant.EPOCH;

    private SourceRecord toRecord(SourcePartition p, ConsumerRecord<byte[], byte[]> r) {
        Header[] hs = r.headers().toArray();
        Map<String, byte[]> headers;
        if (hs.length == 0) {
            headers = Map.of();
        } else if (hs.length == 1) {
            headers = Collections.singletonMap(hs[0].key(), hs[0].value());
        } else {
            headers = new HashMap<>(hs.length * 2);
            for (Header h : hs) {
                headers.put(h.key(), h.value()); // a repeated name: the last value wins
            }
        }
        long ts = r.timestamp();
        if (ts != lastMillis) {
            lastMillis = ts;
            lastTime = ts < 0 ? Instant.EPOCH : Instant.ofEpochMilli(ts);
        }
        return new SourceRecord(p, r.offset(), r.key(), r.value(), headers, lastTime);
    }

    private SourcePartition partition(TopicPartition tp) {
        SourcePartition p = partitions.get(tp);
        if (p == null) {
            p = new SourcePartition(tp.topic(), tp.partition());
            partitions.put(tp, p);
        }
        return p;
    }

    /** @return true when the last fetch of every assigned partition reached its end (no remote call) */
    private boolean noLag() {
        for (TopicPartition tp : consumer.assignment()) {
            OptionalLong lag = consumer.currentLag(tp);
            if (lag.isEmpty() || lag.getAsLong() > 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
        assignedOnce = true;
        if (assigned.isEmpty()) {
            return;
        }
        try {
            seekFromMarkers(assigned);
        } catch (RuntimeException e) {
            listenerFailure = e;
            throw e;
        }
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
        dropGathered(revoked);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
        dropGathered(lost);
    }

    private void dropGathered(Collection<TopicPartition> gone) {
        List<SourceRecord> batch = gathering;
        if (batch == null || batch.isEmpty() || gone.isEmpty()) {
            return;
        }
        Set<SourcePartition> drop = new HashSet<>();
        for (TopicPartition tp : gone) {
            drop.add(partition(tp));
        }
        batch.removeIf(r -> drop.contains(r.partition()));
    }

    /** Positions partitions after their bronze markers, or at the start position where there is none. */
    private void seekFromMarkers(Collection<TopicPartition> tps) {
        Map<TopicPartition, Long> resumed = new TreeMap<>(KafkaReader::compare);
        List<TopicPartition> fresh = new ArrayList<>();
        for (TopicPartition tp : tps) {
            OptionalLong marker = context.committedPosition(partition(tp));
            if (marker.isPresent()) {
                consumer.seek(tp, marker.getAsLong() + 1);
                resumed.put(tp, marker.getAsLong() + 1);
            } else if (resolvedStart.containsKey(tp)) {
                consumer.seek(tp, resolvedStart.get(tp));
            } else {
                fresh.add(tp);
            }
        }
        if (!fresh.isEmpty()) {
            seekToStart(fresh);
            for (TopicPartition tp : fresh) {
                resolvedStart.put(tp, consumer.position(tp, CALL_TIMEOUT));
            }
        }
        LOG.info("source '{}': reading {} from the bronze markers {}{}", source.name(), tps.size() == 1 ? "partition"
                : tps.size() + " partitions", resumed, fresh.isEmpty() ? "" : ", " + fresh + " from the start position "
                + source.startPosition());
    }

    private void seekToStart(List<TopicPartition> fresh) {
        StartPosition start = source.startPosition();
        if (start instanceof StartPosition.Latest) {
            consumer.seekToEnd(fresh);
        } else if (start instanceof StartPosition.Offsets o) {
            for (TopicPartition tp : fresh) {
                Long offset = o.offsets().get(partition(tp));
                if (offset == null) {
                    consumer.seekToBeginning(List.of(tp));
                } else {
                    consumer.seek(tp, offset);
                }
            }
        } else if (start instanceof StartPosition.AtTimestamp t) {
            Map<TopicPartition, Long> query = new HashMap<>();
            fresh.forEach(tp -> query.put(tp, t.time().toEpochMilli()));
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, CALL_TIMEOUT);
            for (TopicPartition tp : fresh) {
                OffsetAndTimestamp at = found.get(tp);
                if (at == null) {
                    consumer.seekToEnd(List.of(tp));
                } else {
                    consumer.seek(tp, at.offset());
                }
            }
        } else {
            consumer.seekToBeginning(fresh);
        }
    }

    /** A fetch asked for an offset the broker does not hold: retention passed it, or the topic was re-created. */
    private void handleOutOfRange(Map<TopicPartition, Long> wanted) {
        Map<TopicPartition, Long> earliest = consumer.beginningOffsets(wanted.keySet(), CALL_TIMEOUT);
        Map<TopicPartition, Long> latest = consumer.endOffsets(wanted.keySet(), CALL_TIMEOUT);
        for (Map.Entry<TopicPartition, Long> e : wanted.entrySet()) {
            TopicPartition tp = e.getKey();
            long want = e.getValue();
            long first = earliest.getOrDefault(tp, 0L);
            long end = latest.getOrDefault(tp, 0L);
            if (want < first) {
                if (!source.skipsLostPositions()) {
                    throw new SourceException("Kafka no longer holds offset " + want + " of topic " + tp.topic()
                            + " partition " + tp.partition() + ", the next record this pipeline needs: the earliest"
                            + " offset it holds is " + first + ", so offsets " + want + " to " + (first - 1)
                            + " were deleted (retention) before they were ingested. Nothing was skipped. Recover"
                            + " those records from an archive if you can, or restart with"
                            + " KafkaSource.skipLostPositions() to continue at offset " + first
                            + " (the gap is then reported in the logs and the run's progress)");
                }
                context.reportGap(new PositionGap(partition(tp), want, first));
                consumer.seek(tp, first);
            } else if (want > end) {
                throw new SourceException("topic " + tp.topic() + " partition " + tp.partition() + " ends at offset "
                        + end + ", before offset " + want + " that the bronze table's progress marker asks for: the"
                        + " topic was probably deleted and re-created. Nothing was read. Use a new bronze table, or a"
                        + " new pipeline name (Pipeline.withName) so that the start position applies again");
            } else {
                consumer.seek(tp, want); // the log moved while the fetch was in flight: try again
            }
        }
    }

    @Override
    public void rewind() {
        Set<TopicPartition> assignment = consumer.assignment();
        if (!assignment.isEmpty()) {
            seekFromMarkers(assignment);
        }
    }

    @Override
    public boolean caughtUp() {
        if (!assignedOnce) {
            return false; // the group has not settled: this instance may still get partitions
        }
        Set<TopicPartition> assignment = consumer.assignment();
        if (assignment.isEmpty()) {
            return true;
        }
        try {
            Map<TopicPartition, Long> ends = consumer.endOffsets(assignment, CALL_TIMEOUT);
            for (TopicPartition tp : assignment) {
                if (consumer.position(tp, CALL_TIMEOUT) < ends.getOrDefault(tp, 0L)) {
                    return false;
                }
            }
            return true;
        } catch (KafkaException e) {
            LOG.debug("source '{}': could not compare positions with end offsets: {}", source.name(), e.toString());
            return false;
        }
    }

    @Override
    public void committed(Map<SourcePartition, Long> lastPositions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(lastPositions.size() * 2);
        lastPositions.forEach((p, pos) -> offsets.put(new TopicPartition(p.stream(), p.id()),
                new OffsetAndMetadata(pos + 1)));
        // A copy for lag tools; a failure (a rebalance in progress, a lost partition) loses nothing.
        consumer.commitAsync(offsets, (done, error) -> {
            if (error == null) {
                commitFailing = false;
            } else if (!commitFailing) {
                commitFailing = true;
                LOG.warn("source '{}': copying committed offsets to the consumer group failed ({}); lag tools may"
                        + " show old offsets until a later copy succeeds. Progress is safe in the bronze table",
                        source.name(), error.toString());
            }
        });
    }

    @Override
    public void close() {
        try {
            consumer.close(CLOSE_TIMEOUT);
        } catch (RuntimeException e) {
            LOG.warn("source '{}': closing the Kafka consumer failed: {}", source.name(), e.toString());
        }
    }

    private static int compare(TopicPartition a, TopicPartition b) {
        int c = a.topic().compareTo(b.topic());
        return c != 0 ? c : Integer.compare(a.partition(), b.partition());
    }

    /** @return the messages of a throwable and its causes: Kafka puts the reason in a cause, often a deep one */
    static String messages(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            sb.append(": ").append(c.getMessage());
        }
        return sb.toString();
    }
}
