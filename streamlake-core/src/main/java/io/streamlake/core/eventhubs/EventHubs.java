package io.streamlake.core.eventhubs;

import io.streamlake.core.kafka.EventProducer;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.exceptions.ConfigurationException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SaslConfigs;

/**
 * Azure Event Hubs through its Kafka endpoint: a namespace connection string and an event hub name
 * are all the configuration a source or a producer needs. The connection string is checked up front;
 * a malformed one fails at once with a message naming the wrong part, never the key.
 *
 * <pre>{@code
 * String connectionString = System.getenv("EVENTHUBS_CONNECTION_STRING");
 * Pipeline pipeline = Pipeline.from(EventHubs.kafka(connectionString, "orders"))
 *     .bronze("abfss://lake@acct.dfs.core.windows.net/bronze/orders")
 *     .bronzeOnly()
 *     .withName("orders-ingest");
 *
 * try (EventProducer producer = EventHubs.producer(connectionString, "orders").open()) {
 *     producer.send("ORD-1", "{\"order_id\":\"ORD-1\",\"status\":\"PAID\"}");
 * }
 * }</pre>
 *
 * <p>The clients connect to {@code <namespace>:9093} with SASL_SSL and PLAIN, user
 * {@code $ConnectionString} and the connection string as password, with the timeouts Event Hubs
 * recommends: {@code request.timeout.ms} 60 s, {@code session.timeout.ms} 30 s,
 * {@code metadata.max.age.ms} and {@code connections.max.idle.ms} 180 s (Event Hubs closes connections
 * idle for 240 s). Producers compress with gzip, the only codec besides none that Event Hubs takes,
 * and do not ask for idempotence, which the Standard tier lacks. Every setting can still be changed
 * through {@code withConsumerProperty} / {@code withProducerProperty}, for example a trust store.
 * Event Hubs Standard has no Kafka transactions: the pipeline's exactly-once does not need them.
 *
 * <p>To sign in with Entra ID instead of a key, use {@link EventHubsEntraId}, which builds the same
 * settings with SASL OAUTHBEARER (and needs {@code com.azure:azure-identity}; this class does not).
 *
 * <p>{@link #amqp(String, String, String)} and {@link EventHubsEntraId#amqp(String, String, String)} (Entra ID)
 * return the native source instead ({@link EventHubsSource}: AMQP, the SDK's EventProcessorClient,
 * checkpoints in Blob Storage), which needs the optional Azure SDK dependencies; the Kafka path above
 * never loads them.
 */
public final class EventHubs {
    private EventHubs() {
    }

    /**
     * @param connectionString a namespace connection string (or one whose EntityPath is this event hub)
     * @param eventHubName the event hub, which Kafka clients see as a topic
     * @return a source reading it with the pipeline's name as consumer group
     * @throws ConfigurationException if the connection string is malformed or names another event hub
     */
    public static KafkaSource kafka(String connectionString, String eventHubName) {
        ConnectionString cs = parse(connectionString, eventHubName);
        return source(cs.bootstrapServers(), eventHubName, plain(cs));
    }

    /**
     * @param connectionString a namespace connection string (or one whose EntityPath is this event hub)
     * @param eventHubName the event hub
     * @param consumerGroup the Kafka consumer group (Event Hubs creates it on first use)
     * @return a source reading it in this consumer group
     * @throws ConfigurationException if the connection string is malformed or names another event hub
     */
    public static KafkaSource kafka(String connectionString, String eventHubName, String consumerGroup) {
        return kafka(connectionString, eventHubName).withGroupId(consumerGroup);
    }

    /**
     * @param connectionString a namespace connection string, with Send rights
     * @param eventHubName the event hub to send to
     * @return producer settings; {@link EventProducer.Builder#open()} connects
     * @throws ConfigurationException if the connection string is malformed or names another event hub
     */
    public static EventProducer.Builder producer(String connectionString, String eventHubName) {
        ConnectionString cs = parse(connectionString, eventHubName);
        return producer(cs.bootstrapServers(), eventHubName, plain(cs));
    }

    /**
     * The source settings of every Event Hubs sign-in: the endpoint, its sign-in and the recommended timeouts.
     *
     * @param bootstrapServers the namespace's Kafka endpoint
     * @param eventHubName the event hub
     * @param signIn the SASL mechanism and JAAS settings
     */
    static KafkaSource source(String bootstrapServers, String eventHubName, Map<String, String> signIn) {
        Map<String, String> props = clientProperties(signIn);
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "30000");
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "3000");
        return KafkaSource.topics(bootstrapServers, eventHubName).withConsumerProperties(props);
    }

    /** The producer settings of every Event Hubs sign-in; see {@link #source}. */
    static EventProducer.Builder producer(String bootstrapServers, String eventHubName, Map<String, String> signIn) {
        Map<String, String> props = clientProperties(signIn);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip");
        // Event Hubs refuses requests above about 1 MB.
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "1000000");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        props.put(ProducerConfig.METADATA_MAX_IDLE_CONFIG, "180000");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
        return EventProducer.kafka(bootstrapServers, eventHubName).withProducerProperties(props);
    }

    /**
     * Checks the event hub name of every factory. A wrong one is not quoted: a connection string or a
     * key given in its place must not be printed.
     */
    static void requireEventHubName(String eventHubName) {
        Objects.requireNonNull(eventHubName, "eventHubName");
        if (eventHubName.isBlank()) {
            throw EventHubsErrors.blankEventHubName();
        }
        if (eventHubName.indexOf('=') >= 0 || eventHubName.indexOf(';') >= 0) {
            throw EventHubsErrors.eventHubNameLooksLikeASecret();
        }
        if (!ConnectionString.NAME.matcher(eventHubName).matches()) {
            throw EventHubsErrors.notAnEventHubName(eventHubName.length());
        }
    }

    /**
     * The native source: the Event Hubs SDK's processor over AMQP, with partition ownership and
     * checkpoints in a blob container. Needs {@code azure-messaging-eventhubs} and
     * {@code azure-messaging-eventhubs-checkpointstore-blob} on the class path (optional dependencies).
     *
     * <pre>{@code
     * Pipeline.from(EventHubs.amqp(connectionString, "orders", "$Default")
     *         .withCheckpointStore(storageConnectionString, "checkpoints"))
     *     .bronze("lake/bronze/orders").bronzeOnly().withName("orders-ingest").start();
     * }</pre>
     *
     * @param connectionString a namespace connection string (or one whose EntityPath is this event hub),
     *     with Listen rights
     * @param eventHubName the event hub
     * @param consumerGroup the consumer group, such as {@code $Default}
     * @return the source; give it a checkpoint store with {@link EventHubsSource#withCheckpointStore}
     * @throws ConfigurationException if the connection string is malformed or names another event hub
     */
    public static EventHubsSource amqp(String connectionString, String eventHubName, String consumerGroup) {
        ConnectionString cs = parse(connectionString, eventHubName);
        return EventHubsSource.create(cs.host(), eventHubName, consumerGroup, connectionString.strip(), null);
    }

    private static ConnectionString parse(String connectionString, String eventHubName) {
        Objects.requireNonNull(eventHubName, "eventHubName");
        ConnectionString cs = ConnectionString.parse(connectionString);
        requireEventHubName(eventHubName);
        cs.entityPath().ifPresent(path -> {
            if (!path.equals(eventHubName)) {
                throw EventHubsErrors.entityPathNamesAnotherHub(eventHubName);
            }
        });
        return cs;
    }

    /** PLAIN with user {@code $ConnectionString} and the connection string as password. */
    private static Map<String, String> plain(ConnectionString cs) {
        return Map.of(SaslConfigs.SASL_MECHANISM, "PLAIN", SaslConfigs.SASL_JAAS_CONFIG, cs.jaasConfig());
    }

    /** What source and producer share: SASL_SSL with the given sign-in, and the recommended timeouts. */
    private static Map<String, String> clientProperties(Map<String, String> signIn) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
        p.putAll(signIn);
        p.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, "60000");
        p.put(CommonClientConfigs.METADATA_MAX_AGE_CONFIG, "180000");
        // Below the 240 s after which Event Hubs closes idle connections, so the client closes first.
        p.put(CommonClientConfigs.CONNECTIONS_MAX_IDLE_MS_CONFIG, "180000");
        return p;
    }
}
