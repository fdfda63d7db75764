package io.streamlake.core.kafka;

import io.streamlake.core.storage.Redactor;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.SourceException;
import io.streamlake.source.SourcePartition;
import java.time.Duration;
import org.apache.kafka.common.KafkaException;

/**
 * The kafka package's failures, written once: each message says what failed, why, and what to do,
 * and names the source, the servers, the topic or the partition, never a consumer or producer
 * property's value. Messages that quote Kafka's own words take them through the source's redactor
 * (or, for a client that could not be created, the redactor of its settings). Sources' failures carry
 * the source's name and, where one partition failed, the partition. Sites throw what these return:
 *
 * <pre>{@code
 * throw KafkaErrors.offsetExpired(source.name(), partition, want, first);
 * }</pre>
 */
final class KafkaErrors {
    private KafkaErrors() {
    }

    // ---- describing a source or a producer ----

    static ConfigurationException noTopics() {
        return new ConfigurationException("a Kafka source needs at least one topic");
    }

    /**
     * @param index the topic's place, from 0
     * @param count how many topics were given
     * @param topic the name; named by its place, not quoted: a connection string or key given in its
     *     place must not be printed
     */
    static ConfigurationException notATopicName(int index, int count, String topic) {
        return new ConfigurationException("topic " + (index + 1) + " of " + count + " (" + topic.length()
                + " characters) is not a Kafka topic name: use 1 to 249 letters, digits, '.', '_' or '-'"
                + (topic.indexOf('=') >= 0 ? "; it looks like a connection string or a key" : ""));
    }

    static ConfigurationException blankBootstrapServers() {
        return new ConfigurationException("Kafka bootstrap servers must not be blank: give host:port[,host:port]");
    }

    static ConfigurationException blankGroupId() {
        return new ConfigurationException("consumer group id must not be blank");
    }

    static ConfigurationException connectTimeoutTooShort(Duration timeout) {
        return new ConfigurationException("the Kafka connect timeout must be at least 1 ms, got " + timeout
                + "; it bounds how long the source waits for the brokers before it fails");
    }

    static ConfigurationException negativeTopicWait(Duration upTo) {
        return new ConfigurationException("the time to wait for Kafka topics must not be negative, got " + upTo
                + "; use Duration.ZERO not to wait");
    }

    /** @param what the setting, such as {@code max poll records} */
    static ConfigurationException notPositive(String what, long value) {
        return new ConfigurationException(what + " must be at least 1, got " + value);
    }

    static ConfigurationException producerNeedsServersAndTopic() {
        return new ConfigurationException("a producer needs bootstrap servers and a topic");
    }

    static ConfigurationException batchSizeTooSmall(int bytes) {
        return new ConfigurationException("batch size must be at least 1 byte, got " + bytes);
    }

    // ---- creating clients ----

    /**
     * @param source the source's description (its {@code toString()}, without secrets)
     * @param secrets the redactor of the consumer's settings: Kafka's reason may quote a piece of
     *     {@code sasl.jaas.config}, a password in it
     */
    static ConfigurationException consumerNotCreated(String source, Redactor secrets, KafkaException e) {
        return new ConfigurationException("the Kafka consumer for " + source + " could not be created: "
                + secrets.redact(KafkaReader.messages(e)) + "; check the bootstrap servers and consumer properties",
                secrets.sanitize(e));
    }

    /** @param secrets the redactor of the producer's settings, as for {@link #consumerNotCreated} */
    static ConfigurationException producerNotCreated(String topic, Redactor secrets, KafkaException e) {
        return new ConfigurationException("the Kafka producer for topic " + topic + " could not be created: "
                + secrets.redact(KafkaReader.messages(e)) + "; check the bootstrap servers and producer"
                + " properties", secrets.sanitize(e));
    }

    // ---- reading ----

    /**
     * @param missing which topics are missing, with the existing ones of a similar name
     * @param how what to do about it, which depends on whether the source waited
     */
    static SourceException topicsMissing(String source, String missing, String how) {
        return new SourceException("source '" + source + "' cannot start: " + missing + how + " Nothing was read",
                null, source, null);
    }

    /** @param error the first error since the brokers last answered, redacted */
    static SourceException unreachableAtStart(String source, String servers, String timeout, String error) {
        return new SourceException("source '" + source + "' could not reach the Kafka brokers "
                + servers + ": no answer within " + timeout
                + " (KafkaSource.withConnectTimeout; error: " + error + "). Nothing was read. Check the"
                + " bootstrap servers (host:port of a listener the brokers advertise; for Event Hubs"
                + " <namespace>.servicebus.windows.net:9093), that the brokers run and that this host can reach them"
                + " (firewall, proxy, DNS), and that security.protocol matches the listener (SASL_SSL for Event Hubs)."
                + " If the brokers are only slow to answer, raise the connect timeout", null, source, null);
    }

    /** @param error the first error since the brokers last answered, redacted */
    static SourceException lostMidRun(String source, String servers, String silence, String timeout, String error) {
        return new SourceException("source '" + source + "': the Kafka brokers " + servers
                + " stopped answering: no answer for " + silence + ", the connect timeout"
                + " is " + timeout + " (KafkaSource.withConnectTimeout;"
                + " error: " + error + "). A run until caught up ends rather than wait: everything committed is"
                + " safe in the bronze table, so run it again once the brokers are back (a streaming run,"
                + " Pipeline.start(), keeps retrying instead)", null, source, null);
    }

    static SourceException noAssignment(String source, String groupId, String bound, String servers) {
        return new SourceException("source '" + source + "': the consumer group '" + groupId + "' assigned"
                + " this consumer no partitions within " + bound + ", although the Kafka"
                + " brokers " + servers + " answer. The group coordinator may be unavailable (on a"
                + " self-managed cluster, __consumer_offsets cannot be created while offsets.topic.replication.factor"
                + " exceeds the number of brokers), or another member of the group holds up the rebalance (it gets"
                + " max.poll.interval.ms to rejoin). Check the brokers' logs for the group. Nothing was read", null,
                source, null);
    }

    /** @param redactor the source's redactor, for Kafka's reason and the cause */
    static SourceException authenticationRefused(String source, String servers, Redactor redactor, KafkaException e) {
        return new SourceException("the Kafka brokers " + servers + " refused to authenticate"
                + " this consumer: " + redactor.redact(e.getMessage()) + ". Check the credentials (for Event Hubs,"
                + " the connection string's SharedAccessKeyName and SharedAccessKey, and that the key is not"
                + " revoked)", redactor.sanitize(e), source, null);
    }

    /** @param redactor the source's redactor, for Kafka's reason and the cause */
    static SourceException denied(String source, String servers, Redactor redactor, KafkaException e) {
        return new SourceException("the Kafka brokers " + servers + " denied this consumer: "
                + redactor.redact(e.getMessage()) + ". Grant read on the topics and the consumer group, or use a"
                + " policy that has Listen rights (Event Hubs)", redactor.sanitize(e), source, null);
    }

    /**
     * @param want the offset after the partition's marker
     * @param first the earliest offset the broker holds
     */
    static SourceException offsetExpired(String source, SourcePartition partition, long want, long first) {
        return new SourceException("Kafka no longer holds offset " + want + " of topic " + partition.stream()
                + " partition " + partition.id() + ", the next record this pipeline needs: the earliest"
                + " offset it holds is " + first + ", so offsets " + want + " to " + (first - 1)
                + " were deleted (retention) before they were ingested. Nothing was skipped. Recover"
                + " those records from an archive if you can, or restart with"
                + " KafkaSource.skipLostPositions() to continue at offset " + first
                + " (the gap is then reported in the logs and the run's progress)", null, source, partition);
    }

    /**
     * @param end the offset the partition ends at
     * @param want the offset after the partition's marker
     */
    static SourceException partitionEndsBeforeMarker(String source, SourcePartition partition, long end, long want) {
        return new SourceException("topic " + partition.stream() + " partition " + partition.id()
                + " ends at offset " + end + ", before offset " + want + " that the bronze table's progress marker"
                + " asks for: the topic was probably deleted and re-created. Nothing was read. Use a new bronze"
                + " table, or a new pipeline name (Pipeline.withName) so that the start position applies again",
                null, source, partition);
    }
}
