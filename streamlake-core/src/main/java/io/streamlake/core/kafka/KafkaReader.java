package io.streamlake.core.kafka;

import io.streamlake.core.storage.Redactor;
import io.streamlake.exceptions.SourceException;
import io.streamlake.source.BatchLimits;
import io.streamlake.source.PositionGap;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import io.streamlake.source.StartPosition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
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
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running side of a {@link KafkaSource}: one consumer in the group, called one call at a time,
 * possibly from different threads (see {@link io.streamlake.source.SourceReader}).
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
 *
 * <p>Bounded failure (see {@link KafkaSource}): the Kafka consumer retries forever and its
 * {@code poll} returns nothing both for an idle topic and for a broker that does not answer, so the
 * reader checks the brokers itself. The first polls fetch the cluster's topic list before subscribing
 * (a missing topic or a pattern that matches nothing fails or waits there, and no broker answering
 * within the connect timeout fails the run); after that, {@link BrokerContact} counts the silence.
 * Only {@link #caughtUp()} turns a silence of the connect timeout into a failure: the engine asks it
 * only in a run until caught up, which must end, while a streaming run, which never asks, keeps
 * polling and warns.
 */
final class KafkaReader implements SourceReader, ConsumerRebalanceListener {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaReader.class);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    /** The last offset copy at close waits at most this long: it is for lag tools, not for progress. */
    private static final Duration FINAL_COPY_TIMEOUT = Duration.ofSeconds(5);
    /**
     * A metadata request at start may take longer than a poll's wait: the first one to a remote
     * endpoint includes the TCP, TLS and SASL handshakes.
     */
    private static final Duration MIN_START_CALL = Duration.ofSeconds(1);
    /** A probe's request gets at least this long, even when polls wait less. */
    private static final Duration MIN_PROBE_CALL = Duration.ofMillis(500);
    /** While waiting for topics, the topic list is fetched again at most this often. */
    private static final Duration TOPIC_RECHECK = Duration.ofSeconds(1);
    private static final int MAX_SIMILAR = 5;
    private static final int MAX_LISTED = 10;

    private final KafkaSource source;
    private final SourceContext context;
    private final Consumer<byte[], byte[]> consumer;
    private final String groupId;
    /** Consumer property values may be secrets (SASL passwords, connection strings): never in a message. */
    private final Redactor redactor;
    private final BrokerContact contact;
    /**
     * How long a bounded run waits for the group to assign partitions while the brokers answer: a
     * rebalance may legitimately wait {@code max.poll.interval.ms} for other members.
     */
    private final Duration joinBound;
    /** One SourcePartition per TopicPartition, so records share it instead of allocating their own. */
    private final Map<TopicPartition, SourcePartition> partitions = new HashMap<>();
    /**
     * Where the start position put partitions without a marker, resolved once: a rewind or a
     * reassignment before their first commit must not resolve "latest" again and skip what arrived since.
     */
    private final Map<TopicPartition, Long> resolvedStart = new HashMap<>();
    /**
     * Offsets the engine committed that the consumer group does not hold yet. A failed copy is retried
     * with the next one, and the last is copied synchronously at close, so that lag tools see where a
     * run ended even when an asynchronous copy failed or had no time to finish.
     */
    private final Map<TopicPartition, OffsetAndMetadata> uncopied = new HashMap<>();
    /**
     * Records a poll returned past the end of a full batch, per partition in poll order: the next
     * batch's first. Seeking back to them instead made the consumer drop the partition's buffered fetch
     * (up to {@code max.partition.fetch.bytes} of records) and wait for the brokers to send it again:
     * with batches of 50,000 small events, each batch took about 270 ms however few events it held.
     * Dropped for partitions that are revoked, lost, assigned or repositioned, and by a rewind. Like
     * the consumer, used by one thread at a time (the engine's prefetch orders its calls).
     */
    private final Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> carried = new LinkedHashMap<>();
    /** The batch {@link #poll} is gathering, so that a revocation in the middle can drop its records. */
    private @Nullable List<SourceRecord> gathering;
    /**
     * The key and value bytes taken into {@link #gathering}. A revocation that drops records leaves it
     * counting them: the batch then ends a little early, which is harmless.
     */
    private long gatheredBytes;
    private @Nullable RuntimeException listenerFailure;
    private boolean began;
    private boolean subscribed;
    private Duration subscribedAfter = Duration.ZERO;
    private boolean assignedOnce;
    /**
     * Whether the assignment holds the first partition (see {@link #holdsFirstPartition()}): written by
     * the assignment callbacks, on the thread that polls, read by the engine's other threads.
     */
    private volatile boolean holdsFirst;
    private boolean commitFailing;
    private boolean hadRecords;
    private boolean slowStartLogged;
    private boolean topicWaitLogged;
    private boolean slowJoinLogged;
    /**
     * Set by the first {@link #caughtUp()}: the engine asks only in a run that must end, which then
     * fails on silence instead of warning that it retries.
     */
    private boolean bounded;
    private long nextTopicCheck;
    /** The first error since the brokers last answered: later ones are mostly timeouts of shorter calls. */
    private @Nullable String lastError;

    KafkaReader(KafkaSource source, SourceContext context, Map<String, Object> config) {
        this.source = source;
        this.context = context;
        this.groupId = String.valueOf(config.get(ConsumerConfig.GROUP_ID_CONFIG));
        this.redactor = new Redactor(source.consumerProperties().values());
        this.contact = new BrokerContact(source.connectTimeout(), System::nanoTime);
        this.joinBound = source.connectTimeout().plusMillis(millis(config, ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG,
                300_000));
        try {
            this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        } catch (KafkaException e) {
            // Kafka's reason may quote a piece of sasl.jaas.config, a password in it
            Redactor secrets = KafkaSecrets.redactor(config, ConsumerConfig.configDef());
            throw KafkaErrors.consumerNotCreated(source.toString(), secrets, e);
        }
        // Subscribing waits for the first poll, which checks that the topics exist.
    }

    @Override
    public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
        return poll(BatchLimits.of(maxRecords, maxWait));
    }

    /**
     * {@inheritDoc}
     *
     * <p>Gathers consumer polls until the batch is full (records or bytes), the first record gathered
     * has waited the limits' delay, the poll's wait is over, or the last fetch reached the end of every
     * partition. Records a consumer poll returned past a full batch are kept ({@code carried}) and
     * come first in the next poll, before the consumer is polled again.
     */
    @Override
    public List<SourceRecord> poll(BatchLimits limits) {
        Duration maxWait = limits.maxWait();
        int maxRecords = limits.maxRecords();
        if (!began) {
            began = true;
            contact.begin(); // a reader opened long before its first poll (after a backfill) starts counting now
        }
        if (!subscribed && !startReading(maxWait)) {
            return List.of();
        }
        if (hadRecords) {
            // The time since the previous poll went into writing its records, not into waiting for brokers.
            noteAnswer();
        }
        List<SourceRecord> out = new ArrayList<>(Math.min(maxRecords, 16_384));
        gathering = out;
        gatheredBytes = 0;
        try {
            // what the last batch left over comes first; the consumer is polled only once it is all taken
            boolean fullFromCarried = takeCarried(out, limits);
            long deadline = System.nanoTime() + limits.maxWaitNanos();
            long first = out.isEmpty() ? 0 : System.nanoTime();
            Duration wait = maxWait;
            while (!fullFromCarried) {
                ConsumerRecords<byte[], byte[]> polled = pollConsumer(wait);
                if (polled.isEmpty()) {
                    break; // waited the whole time for nothing, or a lost position was handled
                }
                if (out.isEmpty()) {
                    first = System.nanoTime();
                }
                boolean full = add(polled, out, limits);
                long now = System.nanoTime();
                // Gather more polls into one batch while records keep coming: a commit per
                // consumer poll would make tiny Delta files. Stop at the end of the data, so a
                // caught-up stream commits at once, and once the first record has waited the
                // delay, so a steady stream is committed at that pace.
                long left = out.isEmpty() ? deadline - now : limits.waitLeftNanos(first, deadline, now);
                if (full || out.size() >= maxRecords || left <= 0 || noLag()) {
                    break;
                }
                wait = Duration.ofNanos(left);
            }
        } finally {
            gathering = null;
        }
        hadRecords = !out.isEmpty();
        if (hadRecords) {
            noteAnswer();
        } else {
            checkContact(maxWait);
        }
        return out;
    }

    /**
     * Checks the brokers and the topics before subscribing.
     *
     * @return true once subscribed; false to poll again (the brokers did not answer yet, or a topic is
     *     awaited)
     * @throws SourceException when no broker answered within the connect timeout, or a topic is missing
     *     and not (or no longer) awaited
     */
    private boolean startReading(Duration maxWait) {
        long startNanos = System.nanoTime();
        if (contact.answeredOnce() && startNanos - nextTopicCheck < 0) {
            sleepRest(startNanos, maxWait); // waiting for topics: the list was fetched a moment ago
            return false;
        }
        Map<String, List<PartitionInfo>> existing;
        try {
            // A request for all topics: naming the topics would create them on brokers that allow it.
            existing = consumer.listTopics(contact.callTimeout(max(maxWait, MIN_START_CALL)));
        } catch (AuthenticationException | AuthorizationException e) {
            throw refused(e);
        } catch (KafkaException e) {
            noteFailure(e);
            if (contact.silentTooLong()) {
                throw unreachableAtStart();
            }
            if (!slowStartLogged) {
                slowStartLogged = true;
                LOG.info("source '{}': no answer yet from the Kafka brokers {} ({}); retrying for up to {}",
                        source.name(), source.bootstrapServers(), lastError,
                        BrokerContact.text(source.connectTimeout()));
            }
            sleepRest(startNanos, maxWait); // some failures return at once: do not spin
            return false;
        }
        noteAnswer();
        String missing = missingTopics(existing.keySet());
        if (missing == null) {
            subscribe();
            return true;
        }
        Duration waited = contact.sinceOpened();
        if (waited.compareTo(source.topicWait()) < 0) {
            if (!topicWaitLogged) {
                topicWaitLogged = true;
                LOG.info("source '{}' waits up to {} for its topics (KafkaSource.waitForTopics): {}", source.name(),
                        BrokerContact.text(source.topicWait()), missing);
            }
            nextTopicCheck = System.nanoTime() + TOPIC_RECHECK.toNanos();
            sleepRest(startNanos, maxWait);
            return false;
        }
        String how = source.topicWait().isZero()
                ? " If the topic is created after the pipeline starts, let the source wait for it with"
                        + " KafkaSource.waitForTopics(Duration)."
                : " It was still missing after the " + BrokerContact.text(source.topicWait())
                        + " the source waits for its topics (KafkaSource.waitForTopics).";
        throw KafkaErrors.topicsMissing(source.name(), missing, how);
    }

    private void subscribe() {
        if (source.topicPattern().isPresent()) {
            consumer.subscribe(source.topicPattern().get(), this);
        } else {
            consumer.subscribe(source.topics(), this);
        }
        subscribed = true;
        subscribedAfter = contact.sinceOpened();
        if (topicWaitLogged) {
            LOG.info("source '{}': its topics exist after {}; reading them", source.name(),
                    BrokerContact.text(subscribedAfter));
        }
    }

    /**
     * @param existing the topics the brokers listed
     * @return what is missing, as the start of a message, or null when every topic exists (for a
     *     pattern: when one topic matches)
     */
    private @Nullable String missingTopics(Set<String> existing) {
        // Internal topics (__consumer_offsets) are never subscribed to or suggested.
        List<String> visible = existing.stream().filter(t -> !t.startsWith("__")).sorted().toList();
        Pattern pattern = source.topicPattern().orElse(null);
        if (pattern != null) {
            if (visible.stream().anyMatch(t -> pattern.matcher(t).matches())) {
                return null;
            }
            return "no Kafka topic on the brokers " + source.bootstrapServers() + " matches the pattern '"
                    + pattern.pattern() + "' (or this consumer may not describe the ones that do). "
                    + (visible.isEmpty() ? "The brokers list no topic at all." : "Existing topics: " + listed(visible)
                            + ".")
                    + " Check the pattern: it must match whole topic names.";
        }
        List<String> missing = source.topics().stream().filter(t -> !existing.contains(t)).toList();
        if (missing.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder(missing.size() == 1 ? "Kafka topic " : "Kafka topics ");
        sb.append(missing.stream().map(t -> "'" + t + "'").collect(Collectors.joining(", ")));
        sb.append(missing.size() == 1 ? " does not exist" : " do not exist").append(" on the brokers ")
                .append(source.bootstrapServers()).append(" (or this consumer may not describe ")
                .append(missing.size() == 1 ? "it" : "them").append(").");
        for (String t : missing) {
            List<String> similar = similar(t, visible);
            sb.append(similar.isEmpty() ? " No existing topic has a name like '" + t + "'."
                    : " Existing topics with a name like '" + t + "': " + listed(similar) + ".");
        }
        sb.append(" Check the topic name (for Event Hubs, the event hub's name).");
        return sb.toString();
    }

    /** @return the existing names closest to a missing one: same letters in another case, a few edits, or a part of it */
    static List<String> similar(String wanted, Collection<String> existing) {
        String w = wanted.toLowerCase(Locale.ROOT);
        int allowed = Math.max(1, Math.min(3, w.length() / 3));
        record Candidate(String name, int distance) {
        }
        List<Candidate> found = new ArrayList<>();
        for (String t : existing) {
            String n = t.toLowerCase(Locale.ROOT);
            int d = distance(w, n, allowed);
            if (d <= allowed) {
                found.add(new Candidate(t, d));
            } else if (w.length() >= 3 && n.length() >= 3 && (n.contains(w) || w.contains(n))) {
                found.add(new Candidate(t, allowed + 1));
            }
        }
        return found.stream().sorted(Comparator.comparingInt(Candidate::distance).thenComparing(Candidate::name))
                .limit(MAX_SIMILAR).map(Candidate::name).toList();
    }

    /** @return the edit distance of two names, or {@code limit + 1} as soon as it must exceed the limit */
    private static int distance(String a, String b, int limit) {
        if (Math.abs(a.length() - b.length()) > limit) {
            return limit + 1;
        }
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            int rowMin = cur[0];
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
                rowMin = Math.min(rowMin, cur[j]);
            }
            if (rowMin > limit) {
                return limit + 1;
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return Math.min(prev[b.length()], limit + 1);
    }

    private static String listed(List<String> names) {
        String shown = names.stream().limit(MAX_LISTED).map(t -> "'" + t + "'").collect(Collectors.joining(", "));
        return names.size() > MAX_LISTED ? shown + " and " + (names.size() - MAX_LISTED) + " more" : shown;
    }

    private SourceException unreachableAtStart() {
        return KafkaErrors.unreachableAtStart(source.name(), source.bootstrapServers(),
                BrokerContact.text(source.connectTimeout()), errorText());
    }

    private SourceException lostMidRun() {
        return KafkaErrors.lostMidRun(source.name(), source.bootstrapServers(), BrokerContact.text(contact.silence()),
                BrokerContact.text(source.connectTimeout()), errorText());
    }

    private SourceException noAssignment() {
        return KafkaErrors.noAssignment(source.name(), groupId, BrokerContact.text(joinBound),
                source.bootstrapServers());
    }

    private SourceException refused(KafkaException e) {
        if (e instanceof AuthenticationException) {
            return KafkaErrors.authenticationRefused(source.name(), source.bootstrapServers(), redactor, e);
        }
        return KafkaErrors.denied(source.name(), source.bootstrapServers(), redactor, e);
    }

    /** The brokers answered something: the silence ends, and an outage that was reported is over. */
    private void noteAnswer() {
        Duration outage = contact.answered();
        lastError = null;
        if (outage != null) {
            LOG.info("source '{}': the Kafka brokers {} answer again after {} of silence; reading on",
                    source.name(), source.bootstrapServers(), BrokerContact.text(outage));
        }
    }

    private String errorText() {
        return lastError == null ? "none, the requests went unanswered" : lastError;
    }

    private void noteFailure(KafkaException e) {
        if (lastError == null) {
            lastError = redact(e.getClass().getSimpleName() + ": " + messages(e));
        }
    }

    /**
     * After a poll that returned nothing: probes the brokers once in a while, so that silence is told
     * apart from an idle topic, and warns while a streaming run cannot reach them. Never fails: only
     * {@link #caughtUp()} does.
     */
    private void checkContact(Duration maxWait) {
        if (contact.probeDue()) {
            probe(max(maxWait, MIN_PROBE_CALL));
        }
        if (!bounded && contact.warnDue()) {
            LOG.warn("source '{}': no answer from the Kafka brokers {} for {} (connect timeout {}; error: {});"
                    + " still retrying, as a streaming run does. Nothing is lost: progress is safe in the bronze table."
                    + " Check that the brokers run and that this host can reach them", source.name(),
                    source.bootstrapServers(), BrokerContact.text(contact.silence()),
                    BrokerContact.text(source.connectTimeout()), errorText());
        }
        if (subscribed && !assignedOnce && !slowJoinLogged
                && contact.sinceOpened().minus(subscribedAfter).compareTo(source.connectTimeout()) >= 0) {
            slowJoinLogged = true;
            LOG.warn("source '{}': the consumer group '{}' has assigned this consumer no partitions after {}; the"
                    + " group coordinator may be unavailable or another member may hold up the rebalance",
                    source.name(),
                    groupId, BrokerContact.text(contact.sinceOpened().minus(subscribedAfter)));
        }
    }

    /** Asks the brokers something cheap: the end offsets of what is assigned, else the topics' metadata. */
    private void probe(Duration timeout) {
        try {
            Set<TopicPartition> assignment = consumer.assignment();
            if (!assignment.isEmpty()) {
                consumer.endOffsets(assignment, timeout);
            } else if (source.topicPattern().isEmpty()) {
                consumer.partitionsFor(source.topics().get(0), timeout);
            } else {
                consumer.listTopics(timeout);
            }
            noteAnswer();
        } catch (AuthenticationException | AuthorizationException e) {
            throw refused(e);
        } catch (KafkaException e) {
            noteFailure(e);
        }
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
        } catch (AuthenticationException | AuthorizationException e) {
            throw refused(e);
        } catch (KafkaException e) {
            RuntimeException f = listenerFailure;
            listenerFailure = null;
            if (f != null) {
                throw f; // the listener's own message, not Kafka's wrapper
            }
            throw e;
        }
    }

    /**
     * Takes the polled records the limits admit; the rest is carried to the next batch.
     *
     * @return true when the batch is full: some record was left for the next poll
     */
    private boolean add(ConsumerRecords<byte[], byte[]> polled, List<SourceRecord> out, BatchLimits limits) {
        boolean full = false;
        for (TopicPartition tp : polled.partitions()) {
            full = take(tp, polled.records(tp), out, limits, full);
        }
        return full;
    }

    /**
     * Takes what the last batch left over, as far as the limits admit; the rest stays carried.
     *
     * @return true when the batch is full
     */
    private boolean takeCarried(List<SourceRecord> out, BatchLimits limits) {
        if (carried.isEmpty()) {
            return false;
        }
        List<Map.Entry<TopicPartition, List<ConsumerRecord<byte[], byte[]>>>> left =
                new ArrayList<>(carried.entrySet());
        carried.clear();
        boolean full = false;
        for (Map.Entry<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> e : left) {
            full = take(e.getKey(), e.getValue(), out, limits, full);
        }
        return full;
    }

    /**
     * Takes one partition's records, in order, as far as the limits admit; what is left is carried
     * to the next batch.
     *
     * @param full whether the batch was full already: then nothing is taken
     * @return whether the batch is full
     */
    private boolean take(TopicPartition tp, List<ConsumerRecord<byte[], byte[]>> records, List<SourceRecord> out,
            BatchLimits limits, boolean full) {
        int take = 0;
        if (!full) {
            SourcePartition p = partition(tp);
            for (; take < records.size(); take++) {
                ConsumerRecord<byte[], byte[]> r = records.get(take);
                long b = Math.max(0, r.serializedKeySize()) + (long) Math.max(0, r.serializedValueSize());
                if (!limits.admits(out.size(), gatheredBytes, b)) {
                    full = true;
                    break;
                }
                gatheredBytes += b;
                out.add(toRecord(p, r));
            }
        }
        if (take < records.size()) {
            carried.put(tp, take == 0 ? records : List.copyOf(records.subList(take, records.size())));
        }
        return full;
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

    /**
     * {@inheritDoc}
     *
     * <p>From the consumer's last fetch ({@link Consumer#currentLag}: the partition's high watermark,
     * or last stable offset under read_committed, less the consumer's position), without a call to the
     * brokers; a partition not fetched yet is left out.
     */
    @Override
    public Map<SourcePartition, Long> recordsBehind() {
        Set<TopicPartition> assignment = consumer.assignment();
        Map<SourcePartition, Long> behind = new HashMap<>(assignment.size() * 2);
        for (TopicPartition tp : assignment) {
            OptionalLong lag = consumer.currentLag(tp);
            if (lag.isPresent()) {
                // the consumer's position is past the records carried to the next batch
                List<ConsumerRecord<byte[], byte[]>> left = carried.get(tp);
                behind.put(partition(tp), Math.max(0, lag.getAsLong()) + (left == null ? 0 : left.size()));
            }
        }
        return behind;
    }

    /** Partition 0 of the first subscribed topic by name: the group gives it to one member at a time. */
    @Override
    public boolean holdsFirstPartition() {
        return holdsFirst;
    }

    /** In an assignment callback, on the polling thread: looks at the consumer's whole assignment. */
    private void noteFirstPartition() {
        java.util.Set<String> topics = consumer.subscription();
        holdsFirst = !topics.isEmpty()
                && consumer.assignment().contains(new TopicPartition(java.util.Collections.min(topics), 0));
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
        assignedOnce = true;
        noteFirstPartition();
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
        if (revoked.stream().anyMatch(tp -> tp.partition() == 0)) {
            holdsFirst = false; // the assignment still lists revoked partitions during the callback
        }
        dropGathered(revoked);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
        if (lost.stream().anyMatch(tp -> tp.partition() == 0)) {
            holdsFirst = false;
        }
        dropGathered(lost);
    }

    private void dropGathered(Collection<TopicPartition> gone) {
        // Another instance copies these partitions' offsets from now on: an old copy must not overwrite its.
        gone.forEach(uncopied::remove);
        gone.forEach(carried::remove);
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
        tps.forEach(carried::remove); // read again from the marker
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
                : tps.size() + " partitions", resumed,
                fresh.isEmpty() ? "" : ", " + fresh + " from the start position "
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
                    throw KafkaErrors.offsetExpired(source.name(), partition(tp), want, first);
                }
                context.reportGap(new PositionGap(partition(tp), want, first));
                consumer.seek(tp, first);
            } else if (want > end) {
                throw KafkaErrors.partitionEndsBeforeMarker(source.name(), partition(tp), end, want);
            } else {
                consumer.seek(tp, want); // the log moved while the fetch was in flight: try again
            }
        }
    }

    @Override
    public void rewind() {
        carried.clear();
        Set<TopicPartition> assignment = consumer.assignment();
        if (!assignment.isEmpty()) {
            seekFromMarkers(assignment);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Asked only by a run that must end (until caught up), so this is where silence becomes a
     * failure: when the brokers have not answered for the connect timeout, or the group assigned
     * nothing for longer than a rebalance may take, the answer would never come.
     *
     * @throws SourceException when the brokers have been silent for the connect timeout, or the group
     *     assigned this consumer nothing within the connect timeout plus {@code max.poll.interval.ms}
     */
    @Override
    public boolean caughtUp() {
        bounded = true;
        if (!carried.isEmpty()) {
            return false; // read, not yet handed out: past them the consumer's positions say nothing
        }
        if (!subscribed) {
            return false; // poll() is still checking the brokers and the topics, within bounds of its own
        }
        if (!assignedOnce) {
            // The group has not settled: this instance may still get partitions.
            if (contact.silentTooLong()) {
                throw lostMidRun();
            }
            if (contact.sinceOpened().minus(subscribedAfter).compareTo(joinBound) >= 0) {
                throw noAssignment();
            }
            return false;
        }
        Set<TopicPartition> assignment = consumer.assignment();
        if (assignment.isEmpty()) {
            return true;
        }
        try {
            Map<TopicPartition, Long> ends = consumer.endOffsets(assignment, contact.callTimeout(CALL_TIMEOUT));
            noteAnswer();
            for (TopicPartition tp : assignment) {
                if (consumer.position(tp, contact.callTimeout(CALL_TIMEOUT)) < ends.getOrDefault(tp, 0L)) {
                    return false;
                }
            }
            return true;
        } catch (AuthenticationException | AuthorizationException e) {
            throw refused(e);
        } catch (KafkaException e) {
            noteFailure(e);
            if (contact.silentTooLong()) {
                throw lostMidRun();
            }
            LOG.debug("source '{}': could not compare positions with end offsets: {}", source.name(), lastError);
            return false;
        }
    }

    @Override
    public void committed(Map<SourcePartition, Long> lastPositions) {
        lastPositions.forEach((p, pos) -> uncopied.put(new TopicPartition(p.stream(), p.id()),
                new OffsetAndMetadata(pos + 1)));
        // A copy for lag tools; a failure (a rebalance in progress, a lost partition) loses nothing, and
        // what it did not copy goes again with the next batch's copy and at close.
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(uncopied);
        consumer.commitAsync(offsets, (done, error) -> {
            if (error == null) {
                // Runs inside a later consumer call, on the thread that polls: a newer offset stays to be copied.
                done.forEach(uncopied::remove);
                commitFailing = false;
            } else if (!commitFailing) {
                commitFailing = true;
                LOG.warn("source '{}': copying committed offsets to the consumer group failed ({}); lag tools may"
                        + " show old offsets until a later copy succeeds. Progress is safe in the bronze table",
                        source.name(), redact(error.toString()));
            }
        });
    }

    @Override
    public void close() {
        boolean silent = contact.silentTooLong();
        if (!silent) {
            copyLastOffsets();
        }
        try {
            // Brokers known to be gone would only make the close wait for requests that cannot be sent.
            consumer.close(silent ? Duration.ZERO : CLOSE_TIMEOUT);
        } catch (RuntimeException e) {
            LOG.warn("source '{}': closing the Kafka consumer failed: {}", source.name(), redact(e.toString()));
        }
    }

    /**
     * Copies the offsets of the last batches synchronously: an asynchronous copy is only sent, and a
     * close that runs out of time, or a copy that failed, would leave lag tools showing the run behind
     * where it ended. Only partitions this consumer still owns: the others are another instance's now.
     */
    private void copyLastOffsets() {
        Set<TopicPartition> owned = consumer.assignment();
        Map<TopicPartition, OffsetAndMetadata> last = new HashMap<>();
        uncopied.forEach((tp, o) -> {
            if (owned.contains(tp)) {
                last.put(tp, o);
            }
        });
        if (last.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(last, FINAL_COPY_TIMEOUT);
            uncopied.clear();
        } catch (RuntimeException e) {
            LOG.warn("source '{}': copying the last committed offsets to the consumer group failed ({}); lag tools"
                    + " may show old offsets until the next run. Progress is safe in the bronze table", source.name(),
                    redact(e.toString()));
        }
    }

    private static int compare(TopicPartition a, TopicPartition b) {
        int c = a.topic().compareTo(b.topic());
        return c != 0 ? c : Integer.compare(a.partition(), b.partition());
    }

    private String redact(@Nullable String text) {
        return redactor.redact(text);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** @return a millisecond setting of the consumer's configuration, or the default when it is absent */
    private static long millis(Map<String, Object> config, String key, long defaultMillis) {
        Object v = config.get(key);
        if (v == null) {
            return defaultMillis;
        }
        try {
            return Long.parseLong(v.toString().strip());
        } catch (NumberFormatException e) {
            return defaultMillis; // the consumer refuses it when created
        }
    }

    /** Sleeps for what is left of a poll's wait, so that a caller polling again at once does not spin. */
    private static void sleepRest(long beganNanos, Duration maxWait) {
        long left = BrokerContact.nanos(maxWait) - (System.nanoTime() - beganNanos);
        if (left > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
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
