package io.streamlake.core.kafka;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.source.GapCheckingSource;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourceReader;
import io.streamlake.source.StartPosition;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.jspecify.annotations.Nullable;

/**
 * Reads Kafka topics (or Azure Event Hubs through its Kafka endpoint, see
 * {@link io.streamlake.core.eventhubs.EventHubs#kafka}) into a pipeline, exactly once without Kafka
 * transactions. An immutable description: every {@code withX} returns a changed copy, and nothing
 * connects until the pipeline starts.
 *
 * <pre>{@code
 * KafkaSource orders = KafkaSource.topics("broker1:9092,broker2:9092", "orders")
 *     .withStartPosition(StartPosition.earliest())          // only where bronze holds no marker yet
 *     .withConsumerProperty("isolation.level", "read_committed");
 * Pipeline.from(orders).bronze("lake/bronze/orders").bronzeOnly().withName("orders-ingest").start();
 * }</pre>
 *
 * <p><b>Where progress lives.</b> The bronze table's Delta log holds the last offset of every
 * partition, committed atomically with the data. Whenever the consumer group assigns a partition
 * to this instance, the reader seeks to the offset after that marker, so a restart, a crash or a
 * rebalance neither loses nor repeats a record. Offsets are also copied to the consumer group
 * ({@link #withGroupId}, by default the pipeline's name) after each commit, so that lag tools see the
 * progress; the pipeline never reads them back. Auto commit is always off and
 * {@code auto.offset.reset} is always {@code none}, whatever the passthrough says: a position the broker
 * no longer holds must never be skipped silently.
 *
 * <p><b>Scale-out.</b> Start the same pipeline (same name, same tables) in more processes: the
 * consumer group spreads the partitions, and each instance commits its own partitions' markers.
 * Delta's optimistic concurrency fences an instance that still commits a partition it lost.
 *
 * <p><b>Bounded failure.</b> A source that cannot do its job says so instead of reading nothing
 * forever. Each rule names the bootstrap servers and the topics, never a consumer property's value.
 * <ul>
 * <li><b>No broker answers at start</b> (a wrong address or port, a broker that is down, a firewall,
 *     TLS settings that do not match the listener): the run fails with a
 *     {@link io.streamlake.exceptions.SourceException} after {@link #withConnectTimeout} (default
 *     {@link #DEFAULT_CONNECT_TIMEOUT}), whether it was started with {@code runUntilCaughtUp()} or
 *     {@code start()}.
 * <li><b>The brokers stop answering mid-run</b>: {@code runUntilCaughtUp()} fails once they have been
 *     silent for the connect timeout, so it always ends; a streaming run ({@code start()}) keeps
 *     retrying, because an outage is usually transient and everything committed is safe, and logs a
 *     warning naming the servers once the silence reaches the connect timeout, then every timeout
 *     (at least 30 s, at most 5 min apart) until they answer again.
 * <li><b>A topic does not exist</b> (or this consumer may not describe it): the run fails at once,
 *     naming the topic and the existing topics with a similar name. A {@linkplain #topicPattern pattern}
 *     that matches no topic fails the same way, listing some existing topics. With
 *     {@link #waitForTopics(Duration)} the source waits that long for every topic (for a pattern: for
 *     one match) before it fails.
 * <li><b>The consumer group assigns nothing</b> although the brokers answer (no group coordinator, a
 *     member that holds up the rebalance): {@code runUntilCaughtUp()} fails after the connect timeout
 *     plus {@code max.poll.interval.ms}, the longest a rebalance may take; a streaming run warns once
 *     after the connect timeout.
 * </ul>
 * The consumer never creates a topic by subscribing ({@code allow.auto.create.topics=false} unless the
 * passthrough says otherwise), so a typo cannot turn into a new, empty topic.
 *
 * <pre>{@code
 * KafkaSource.topics("broker1:9092", "orders")
 *     .withConnectTimeout(Duration.ofSeconds(20))   // give up sooner on a broker that does not answer
 *     .waitForTopics(Duration.ofMinutes(5));        // the topic is created by a deployment running beside this one
 * }</pre>
 *
 * <p><b>Records.</b> The bronze position is the Kafka offset, the timestamp the record's timestamp
 * (the Unix epoch for records that have none), and the headers a map by name: when a record repeats
 * a header name, the last value wins. Secrets given through {@link #withConsumerProperty} never
 * appear in {@link #toString()}, logs or messages.
 */
public final class KafkaSource implements GapCheckingSource {
    /** {@code group.protocol}: {@code classic}, or {@code consumer} for KIP-848's protocol (Kafka 4 brokers). */
    private static final String GROUP_PROTOCOL = "group.protocol";
    /**
     * Fetch settings the source uses unless {@link #withConsumerProperty} overrides them: larger polls
     * and fetches than Kafka's defaults (500 records, 1 MiB per partition, 50 MiB per fetch), because a
     * micro-batch gathers up to {@link io.streamlake.Pipeline#DEFAULT_MAX_BATCH_RECORDS} records and
     * fewer round trips to the brokers leave more time for writing: a 16 MiB fetch read small events
     * at a third of a 64 MiB one's rate (`KafkaBenchmark`, plain consumer). In a heap under 4 GiB the
     * whole fetch is a sixty-fourth of the heap instead ({@link #fetchMaxBytes}), as the consumer holds
     * about one fetch per broker besides the batch being gathered, which matters for large events.
     */
    public static final Map<String, String> FETCH_DEFAULTS = Map.of(
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000",
            ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(8 << 20),
            ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(64 << 20));
    /**
     * @param maxHeap the JVM's maximum heap
     * @return the whole-fetch bound for it: {@link #FETCH_DEFAULTS}' 64 MiB, or a sixty-fourth of the
     *     heap when that is less (4 MiB in 256 MiB), never under 2 MiB. The bound counts compressed
     *     bytes, and one poll decompresses up to {@code max.poll.records} of them at once: a fetch of
     *     8 MiB of 1 MB events compressed by zstd held 35 MB of records in a 256 MiB heap, most of them
     *     only to be read again by the next batch
     */
    static long fetchMaxBytes(long maxHeap) {
        return Math.min(Long.parseLong(FETCH_DEFAULTS.get(ConsumerConfig.FETCH_MAX_BYTES_CONFIG)),
                Math.max(2L << 20, maxHeap / 64));
    }

    /**
     * @param maxHeap the JVM's maximum heap
     * @return the most records one poll returns in it ({@code max.poll.records}): {@link #FETCH_DEFAULTS}'
     *     10,000, or fewer in a heap under 156 GiB, so that a poll of records of
     *     {@link #LARGE_RECORD_BYTES} each holds at most a sixteenth of the heap (16 records in 256 MiB,
     *     64 in 1 GiB, 384 in 6 GiB), never fewer than 16. The fetch bounds count compressed bytes, while
     *     a poll decompresses every record it returns: 1 MB events that compress to a few hundred bytes
     *     put thousands of records in one 4 MiB fetch, and a poll of 10,000 of them asked for 10 GB (it
     *     ran out of a 256 MiB heap; so did one of 64 beside a silver merge)
     */
    static int maxPollRecords(long maxHeap) {
        long records = maxHeap / 16 / LARGE_RECORD_BYTES;
        return (int) Math.max(MIN_POLL_RECORDS, Math.min(Long.parseLong(FETCH_DEFAULTS.get(
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG)), records));
    }

    /**
     * The record size a poll's bound is sized for: Kafka's default largest message
     * ({@code message.max.bytes}, about 1 MB) uncompressed. A record can be larger only where the
     * brokers allow larger messages or it was compressed beyond that.
     */
    static final long LARGE_RECORD_BYTES = 1L << 20;
    private static final int MIN_POLL_RECORDS = 16;
    /**
     * The {@code fetch.max.wait.ms} of a pipeline's consumer, at any heap: a hundred fetches a second
     * per broker when idle, instead of Kafka's 500 ms. A poll that returns fewer records than a fetch
     * brought drains the fetch over several polls, and the consumer asks for a partition's next fetch
     * only once its buffer is empty; the brokers then held those fetches for up to the whole wait,
     * though records were there. Measured (`KafkaBenchmark`): small heaps, whose polls are small
     * ({@link #maxPollRecords}), 3M events in 256 MiB with polls of 16: 74,000 events/s at 500 ms,
     * 140,000 at 100 ms, 215,000 at 5 ms; and in the default heap (polls of 384) with fetches of
     * 1.5 MB, as a user may set them: a plain {@code KafkaConsumer} read 21,720 events/s and bronze of
     * 10M events 23,240 at 500 ms, bronze 345,838 at 10 ms. With the default 64 MiB fetches 10 ms
     * changed nothing. It also bounds how long an idle consumer waits before it sees a new record.
     */
    static final String FETCH_WAIT_MS = "10";

    /**
     * How long a source waits for an answer from the brokers before it gives up, unless
     * {@link #withConnectTimeout} says otherwise: a minute, as long as Kafka's own API calls wait
     * ({@code default.api.timeout.ms}), which covers a slow TLS and SASL sign-in to a remote endpoint.
     */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");

    private final Spec spec;

    /**
     * The source's state, as {@code Pipeline} keeps its own: every option method returns a source over
     * a copy with its own component changed.
     *
     * @param topicPattern null for a source of named topics
     * @param groupId null for the pipeline's name
     * @param consumerProperties the passthrough, whose values are secrets
     */
    private record Spec(
            String bootstrapServers,
            List<String> topics,
            @Nullable Pattern topicPattern,
            @Nullable String groupId,
            StartPosition startPosition,
            boolean skipLostPositions,
            Map<String, String> consumerProperties,
            Duration connectTimeout,
            Duration topicWait) {

        /** @return the defaults, over the servers and the topics (or the pattern) */
        static Spec of(String bootstrapServers, List<String> topics, @Nullable Pattern topicPattern) {
            return new Spec(bootstrapServers, topics, topicPattern, null, StartPosition.earliest(), false, Map.of(),
                    DEFAULT_CONNECT_TIMEOUT, Duration.ZERO);
        }

        // One list of the components (Draft, build()) instead of one per option, and each option sets only its own.
        Spec with(Consumer<Draft> change) {
            Draft draft = new Draft();
            change.accept(draft);
            return draft.build();
        }

        /** A mutable copy of this spec, for {@link #with}: each field starts as the component of its name. */
        private final class Draft {
            String bootstrapServers = Spec.this.bootstrapServers;
            List<String> topics = Spec.this.topics;
            @Nullable Pattern topicPattern = Spec.this.topicPattern;
            @Nullable String groupId = Spec.this.groupId;
            StartPosition startPosition = Spec.this.startPosition;
            boolean skipLostPositions = Spec.this.skipLostPositions;
            Map<String, String> consumerProperties = Spec.this.consumerProperties;
            Duration connectTimeout = Spec.this.connectTimeout;
            Duration topicWait = Spec.this.topicWait;

            Spec build() {
                return new Spec(bootstrapServers, topics, topicPattern, groupId, startPosition, skipLostPositions,
                        consumerProperties, connectTimeout, topicWait);
            }
        }

        /** @return the description without consumer property values (the record's own would print secrets) */
        @Override
        public String toString() {
            return "KafkaSource[" + (topicPattern != null ? "pattern " + topicPattern.pattern() : "topics " + topics)
                    + " at " + bootstrapServers + ", group " + (groupId != null ? groupId : "<pipeline name>")
                    + ", start " + startPosition + (skipLostPositions ? ", skip lost positions" : "")
                    + (connectTimeout.equals(DEFAULT_CONNECT_TIMEOUT) ? "" : ", connect timeout " + connectTimeout)
                    + (topicWait.isZero() ? "" : ", wait for topics " + topicWait)
                    + (consumerProperties.isEmpty() ? "" : ", consumer properties "
                            + consumerProperties.keySet().stream().sorted().toList())
                    + "]";
        }
    }

    private KafkaSource(Spec spec) {
        this.spec = spec;
    }

    /**
     * @param bootstrapServers {@code host:port[,host:port...]}
     * @param topics one or more topic names
     * @return a source of these topics, starting at the earliest record
     */
    public static KafkaSource topics(String bootstrapServers, String... topics) {
        return topics(bootstrapServers, List.of(topics));
    }

    /**
     * @param bootstrapServers {@code host:port[,host:port...]}
     * @param topics one or more topic names
     * @return a source of these topics, starting at the earliest record
     */
    public static KafkaSource topics(String bootstrapServers, List<String> topics) {
        List<String> copy = List.copyOf(topics);
        if (copy.isEmpty()) {
            throw KafkaErrors.noTopics();
        }
        for (int i = 0; i < copy.size(); i++) {
            if (!TOPIC.matcher(copy.get(i)).matches()) {
                throw KafkaErrors.notATopicName(i, copy.size(), copy.get(i));
            }
        }
        return new KafkaSource(Spec.of(servers(bootstrapServers), copy, null));
    }

    /**
     * @param bootstrapServers {@code host:port[,host:port...]}
     * @param pattern topics whose whole name matches; topics created later join when the consumer
     *     refreshes its metadata ({@code metadata.max.age.ms}). At start at least one topic must match,
     *     as a misspelled pattern would otherwise read nothing without a word; to start before the
     *     first matching topic exists, add {@link #waitForTopics(Duration)}
     * @return a source of the matching topics, starting at the earliest record
     */
    public static KafkaSource topicPattern(String bootstrapServers, Pattern pattern) {
        Objects.requireNonNull(pattern, "pattern");
        return new KafkaSource(Spec.of(servers(bootstrapServers), List.of(), pattern));
    }

    private static String servers(String bootstrapServers) {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        if (bootstrapServers.isBlank()) {
            throw KafkaErrors.blankBootstrapServers();
        }
        return bootstrapServers.strip();
    }

    /**
     * @param group the consumer group that spreads partitions over instances and receives offset
     *     copies for lag tools; by default the pipeline's name
     * @return a copy with this group
     */
    public KafkaSource withGroupId(String group) {
        Objects.requireNonNull(group, "group");
        if (group.isBlank()) {
            throw KafkaErrors.blankGroupId();
        }
        return new KafkaSource(spec.with(d -> d.groupId = group));
    }

    /**
     * @param start where to start partitions that bronze holds no marker for (default earliest)
     * @return a copy with this start position
     */
    public KafkaSource withStartPosition(StartPosition start) {
        return new KafkaSource(spec.with(d -> d.startPosition = Objects.requireNonNull(start, "start")));
    }

    /**
     * When the broker no longer holds the offset after a partition's marker (retention deleted the
     * records before they were ingested), continue from the earliest offset it holds instead of failing.
     * The lost range is logged at error level and listed in {@link io.streamlake.PipelineProgress#gaps()}.
     *
     * @return a copy that skips lost positions
     */
    @Override
    public KafkaSource skipLostPositions() {
        return new KafkaSource(spec.with(d -> d.skipLostPositions = true));
    }

    /**
     * Sets how long the source waits for an answer from the brokers before it gives up: at start, a
     * source that reaches no broker within it fails the run; mid-run, a {@code runUntilCaughtUp()} run
     * fails after this much silence, while a streaming run keeps retrying and warns (see the class
     * comment). Kafka's own timeouts ({@code request.timeout.ms}, {@code socket.connection.setup.timeout.ms})
     * still apply to each request within it.
     *
     * <pre>{@code
     * KafkaSource.topics("broker1:9092", "orders").withConnectTimeout(Duration.ofSeconds(15));
     * }</pre>
     *
     * @param timeout at least a millisecond; default {@link #DEFAULT_CONNECT_TIMEOUT}
     * @return a copy with this timeout
     * @throws ConfigurationException for a zero or negative timeout
     */
    public KafkaSource withConnectTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.compareTo(Duration.ofMillis(1)) < 0) {
            throw KafkaErrors.connectTimeoutTooShort(timeout);
        }
        return new KafkaSource(spec.with(d -> d.connectTimeout = timeout));
    }

    /**
     * Lets the source start before its topics exist: it waits up to {@code upTo} for every topic to
     * be created (for a {@linkplain #topicPattern pattern}: for one matching topic), then reads them.
     * By default it does not wait and a missing topic fails the run at once, because a typo is far more
     * common than a topic that is created later. The brokers must still answer within the
     * {@linkplain #withConnectTimeout connect timeout}.
     *
     * <pre>{@code
     * KafkaSource.topics("broker1:9092", "orders").waitForTopics(Duration.ofMinutes(10));
     * }</pre>
     *
     * @param upTo how long to wait; {@link Duration#ZERO} does not wait (the default)
     * @return a copy that waits for its topics
     * @throws ConfigurationException for a negative duration
     */
    public KafkaSource waitForTopics(Duration upTo) {
        Objects.requireNonNull(upTo, "upTo");
        if (upTo.isNegative()) {
            throw KafkaErrors.negativeTopicWait(upTo);
        }
        return new KafkaSource(spec.with(d -> d.topicWait = upTo));
    }

    /**
     * @param records most records one consumer poll returns ({@code max.poll.records}); a micro-batch
     *     gathers several polls up to the pipeline's batch size. The default depends on the heap
     *     ({@link #maxPollRecords}): each record a poll returns is decompressed and held whole, so more
     *     records of a megabyte than a sixteenth of the heap can run out of memory beside the rest
     * @return a copy with this limit
     */
    public KafkaSource withMaxPollRecords(int records) {
        positive("max poll records", records);
        return withConsumerProperty(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(records));
    }

    /**
     * @param bytes most bytes one fetch from the brokers returns ({@code fetch.max.bytes}); the
     *     per-partition bound is {@code max.partition.fetch.bytes}
     * @return a copy with this limit
     */
    public KafkaSource withMaxFetchBytes(int bytes) {
        positive("max fetch bytes", bytes);
        return withConsumerProperty(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(bytes));
    }

    /**
     * @param wait longest time a broker holds a fetch open waiting for data ({@code fetch.max.wait.ms})
     * @return a copy with this limit
     */
    public KafkaSource withMaxFetchWait(Duration wait) {
        Objects.requireNonNull(wait, "wait");
        positive("max fetch wait (ms)", wait.toMillis());
        return withConsumerProperty(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, Long.toString(wait.toMillis()));
    }

    private static void positive(String what, long value) {
        if (value < 1) {
            throw KafkaErrors.notPositive(what, value);
        }
    }

    /**
     * Passes a setting to the Kafka consumer, for example security settings or
     * {@code isolation.level=read_committed}. Values are treated as secrets: never logged or printed.
     * {@code enable.auto.commit} and {@code auto.offset.reset} cannot be changed (see the class comment).
     *
     * @param key a Kafka consumer setting
     * @param value its value
     * @return a copy with this setting
     */
    public KafkaSource withConsumerProperty(String key, String value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Map<String, String> copy = new LinkedHashMap<>(spec.consumerProperties());
        copy.put(key, value);
        return new KafkaSource(spec.with(d -> d.consumerProperties = Map.copyOf(copy)));
    }

    /**
     * @param properties Kafka consumer settings, as {@link #withConsumerProperty} each
     * @return a copy with these settings
     */
    public KafkaSource withConsumerProperties(Map<String, String> properties) {
        KafkaSource s = this;
        for (Map.Entry<String, String> e : new LinkedHashMap<>(properties).entrySet()) {
            s = s.withConsumerProperty(e.getKey(), e.getValue());
        }
        return s;
    }

    /** @return the topic names, empty for a pattern source */
    public List<String> topics() {
        return spec.topics();
    }

    /** @return the topic pattern, if this source subscribes by pattern */
    public Optional<Pattern> topicPattern() {
        return Optional.ofNullable(spec.topicPattern());
    }

    /** @return the bootstrap servers */
    public String bootstrapServers() {
        return spec.bootstrapServers();
    }

    /** @return the explicit consumer group, empty when the pipeline's name is used */
    public Optional<String> groupId() {
        return Optional.ofNullable(spec.groupId());
    }

    /** @return where partitions without a marker start */
    public StartPosition startPosition() {
        return spec.startPosition();
    }

    /** @return true if lost positions are skipped and reported rather than failing the pipeline */
    public boolean skipsLostPositions() {
        return spec.skipLostPositions();
    }

    /** @return how long the source waits for an answer from the brokers before it gives up */
    public Duration connectTimeout() {
        return spec.connectTimeout();
    }

    /** @return how long the source waits for missing topics at start; zero when it does not wait */
    public Duration topicWait() {
        return spec.topicWait();
    }

    /** @return the names of the consumer properties passed through; their values are secrets */
    Map<String, String> consumerProperties() {
        return spec.consumerProperties();
    }

    @Override
    public String name() {
        Pattern pattern = spec.topicPattern();
        return pattern != null ? pattern.pattern() : String.join(",", spec.topics());
    }

    @Override
    public SourceReader open(SourceContext context) {
        return new KafkaReader(this, context, consumerConfig(context.pipelineName()));
    }

    /**
     * The consumer settings for a pipeline: ours, then the passthrough, then the two that exactly-once
     * rests on. Package-private so tests can check them without a broker.
     */
    Map<String, Object> consumerConfig(String pipelineName) {
        return consumerConfig(pipelineName, Runtime.getRuntime().maxMemory());
    }

    /** The consumer settings for a pipeline in a JVM of this maximum heap. */
    Map<String, Object> consumerConfig(String pipelineName, long maxHeap) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, spec.bootstrapServers());
        String group = spec.groupId();
        c.put(ConsumerConfig.GROUP_ID_CONFIG, group != null ? group : pipelineName);
        c.putAll(FETCH_DEFAULTS);
        long fetch = fetchMaxBytes(maxHeap);
        c.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Long.toString(fetch));
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                Long.toString(Math.min(fetch, Long.parseLong(FETCH_DEFAULTS.get(
                        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG)))));
        int pollRecords = maxPollRecords(maxHeap);
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(pollRecords));
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, FETCH_WAIT_MS);
        // A consumer's metadata request for a misspelled topic would create it on brokers that allow it.
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        c.putAll(spec.consumerProperties());
        // Cooperative incremental rebalancing: when an instance joins or leaves, the others keep the
        // partitions that stay theirs and go on committing, instead of all giving up every partition
        // first. Unless the user chose an assignor, or the consumer group protocol of KIP-848
        // (group.protocol=consumer), where the broker assigns and the setting is refused.
        boolean brokerAssigns = "consumer".equalsIgnoreCase(String.valueOf(c.get(GROUP_PROTOCOL)));
        if (!brokerAssigns) {
            c.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                    CooperativeStickyAssignor.class.getName());
        }
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        return c;
    }

    @Override
    public String toString() {
        return spec.toString();
    }
}
