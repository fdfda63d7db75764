package io.streamlake.core.eventhubs;

import com.azure.core.credential.TokenCredential;
import io.streamlake.core.kafka.EventProducer;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.core.util.Handoff;
import io.streamlake.exceptions.ConfigurationException;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.SaslConfigs;
import org.jspecify.annotations.Nullable;

/**
 * Azure Event Hubs signed in with Entra ID: no key in any setting. Through the Kafka endpoint, sources
 * and producers use SASL OAUTHBEARER with a token for {@code https://<namespace>/.default} from a
 * {@link TokenCredential} ({@code DefaultAzureCredential} unless you give one), refreshed by Kafka
 * before it expires. Everything else (SASL_SSL, port 9093, the timeouts Event Hubs recommends, gzip)
 * is as in {@link EventHubs}. The native AMQP source takes the credential directly:
 * {@link #amqp(String, String, String, TokenCredential)}.
 *
 * <pre>{@code
 * // a managed identity, workload identity, environment variables or 'az login':
 * Pipeline pipeline = Pipeline.from(EventHubsEntraId.kafka("mynamespace.servicebus.windows.net", "orders"))
 *     .bronze("abfss://lake@acct.dfs.core.windows.net/bronze/orders")
 *     .bronzeOnly();
 *
 * TokenCredential credential = new ClientSecretCredentialBuilder()...build();   // or any other
 * try (EventProducer producer = EventHubsEntraId.producer("mynamespace.servicebus.windows.net", "orders",
 *         credential).open()) {
 *     producer.send("ORD-1", "{\"order_id\":\"ORD-1\"}");
 * }
 * }</pre>
 *
 * <p>The identity needs the role <em>Azure Event Hubs Data Receiver</em> to read and <em>Azure Event
 * Hubs Data Sender</em> to send. The application needs {@code com.azure:azure-identity} (StreamLake
 * declares it optional); a credential object stays in this JVM, the settings carry only an opaque id
 * of it, so build the source or producer in the JVM that runs it. Kafka's refresh can be tuned with
 * {@code sasl.login.refresh.*} through {@code withConsumerProperty} / {@code withProducerProperty}.
 */
public final class EventHubsEntraId {
    private EventHubsEntraId() {
    }

    /**
     * @param fullyQualifiedNamespace the namespace's host name, such as {@code mynamespace.servicebus.windows.net}
     * @param eventHubName the event hub, which Kafka clients see as a topic
     * @return a source signed in with {@code DefaultAzureCredential}, the pipeline's name as consumer group
     * @throws ConfigurationException if the namespace or event hub name is malformed
     */
    public static KafkaSource kafka(String fullyQualifiedNamespace, String eventHubName) {
        return source(fullyQualifiedNamespace, eventHubName, null);
    }

    /**
     * @param fullyQualifiedNamespace the namespace's host name
     * @param eventHubName the event hub
     * @param credential signs in; asked for a new token before each one expires
     * @return a source signed in with the credential, the pipeline's name as consumer group
     * @throws ConfigurationException if the namespace or event hub name is malformed
     */
    public static KafkaSource kafka(String fullyQualifiedNamespace, String eventHubName, TokenCredential credential) {
        return source(fullyQualifiedNamespace, eventHubName, Objects.requireNonNull(credential, "credential"));
    }

    /**
     * @param fullyQualifiedNamespace the namespace's host name
     * @param eventHubName the event hub
     * @param consumerGroup the Kafka consumer group (Event Hubs creates it on first use)
     * @param credential signs in
     * @return a source signed in with the credential, in this consumer group
     * @throws ConfigurationException if the namespace or event hub name is malformed
     */
    public static KafkaSource kafka(String fullyQualifiedNamespace, String eventHubName, String consumerGroup,
            TokenCredential credential) {
        return kafka(fullyQualifiedNamespace, eventHubName, credential).withGroupId(consumerGroup);
    }

    /**
     * The native source (AMQP, the SDK's processor, ownership and checkpoints in a blob container; see
     * {@link EventHubs#amqp(String, String, String)}) signed in with {@code DefaultAzureCredential}.
     * Also needs {@code azure-messaging-eventhubs} and {@code azure-messaging-eventhubs-checkpointstore-blob}.
     *
     * <pre>{@code
     * EventHubsEntraId.amqp("mynamespace.servicebus.windows.net", "orders", "$Default")
     *     .withCheckpointStoreUrl("https://acct.blob.core.windows.net/checkpoints", null);
     * }</pre>
     *
     * @param fullyQualifiedNamespace the namespace's host name
     * @param eventHubName the event hub
     * @param consumerGroup the consumer group, such as {@code $Default}
     * @return the source; give it a checkpoint store with {@link EventHubsSource#withCheckpointStoreUrl}
     * @throws ConfigurationException if the namespace or event hub name is malformed
     */
    public static EventHubsSource amqp(String fullyQualifiedNamespace, String eventHubName, String consumerGroup) {
        return nativeSource(fullyQualifiedNamespace, eventHubName, consumerGroup, null);
    }

    /**
     * The native source signed in with a credential of your choice.
     *
     * @param fullyQualifiedNamespace the namespace's host name
     * @param eventHubName the event hub
     * @param consumerGroup the consumer group, such as {@code $Default}
     * @param credential the identity (role Azure Event Hubs Data Receiver)
     * @return the source; give it a checkpoint store with {@link EventHubsSource#withCheckpointStoreUrl}
     * @throws ConfigurationException if the namespace or event hub name is malformed
     */
    public static EventHubsSource amqp(String fullyQualifiedNamespace, String eventHubName, String consumerGroup,
            TokenCredential credential) {
        return nativeSource(fullyQualifiedNamespace, eventHubName, consumerGroup,
                Objects.requireNonNull(credential, "credential"));
    }

    private static EventHubsSource nativeSource(String fullyQualifiedNamespace, String eventHubName,
            String consumerGroup, @Nullable TokenCredential credential) {
        Namespace ns = Namespace.parse(fullyQualifiedNamespace);
        EventHubs.requireEventHubName(eventHubName);
        return EventHubsSource.create(ns.host(), eventHubName, consumerGroup, null, credential);
    }

    /**
     * @param fullyQualifiedNamespace the namespace's host name
     * @param eventHubName the event hub to send to
     * @return producer settings signed in with {@code DefaultAzureCredential}; {@link EventProducer.Builder#open()} connects
     * @throws ConfigurationException if the namespace or event hub name is malformed
     */
    public static EventProducer.Builder producer(String fullyQualifiedNamespace, String eventHubName) {
        return producerFor(fullyQualifiedNamespace, eventHubName, null);
    }

    /**
     * @param fullyQualifiedNamespace the namespace's host name
     * @param eventHubName the event hub to send to
     * @param credential signs in
     * @return producer settings signed in with the credential; {@link EventProducer.Builder#open()} connects
     * @throws ConfigurationException if the namespace or event hub name is malformed
     */
    public static EventProducer.Builder producer(String fullyQualifiedNamespace, String eventHubName,
            TokenCredential credential) {
        return producerFor(fullyQualifiedNamespace, eventHubName, Objects.requireNonNull(credential, "credential"));
    }

    private static EventProducer.Builder producerFor(String fullyQualifiedNamespace, String eventHubName,
            @Nullable TokenCredential credential) {
        Namespace ns = Namespace.parse(fullyQualifiedNamespace);
        EventHubs.requireEventHubName(eventHubName);
        return EventHubs.producer(ns.bootstrapServers(), eventHubName, signIn(ns, credential));
    }

    private static KafkaSource source(String fullyQualifiedNamespace, String eventHubName,
            @Nullable TokenCredential credential) {
        Namespace ns = Namespace.parse(fullyQualifiedNamespace);
        EventHubs.requireEventHubName(eventHubName);
        return EventHubs.source(ns.bootstrapServers(), eventHubName, signIn(ns, credential));
    }

    /**
     * OAUTHBEARER through {@link EntraIdLoginHandler}. A given credential is registered and named by an
     * opaque id; each call registers anew, so two clients with different credentials never share Kafka's
     * cached login (Kafka shares one login among clients with the same JAAS text).
     */
    private static Map<String, String> signIn(Namespace ns, @Nullable TokenCredential credential) {
        String module = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                + EntraIdLoginHandler.SCOPE_OPTION + "=\"" + ns.scope() + "\"";
        String jaas = credential == null ? module + ";"
                : Handoff.register(credential, id -> module + " " + EntraIdLoginHandler.CREDENTIAL_OPTION + "=\"" + id
                        + "\";");
        return Map.of(SaslConfigs.SASL_MECHANISM, "OAUTHBEARER",
                SaslConfigs.SASL_LOGIN_CALLBACK_HANDLER_CLASS, EntraIdLoginHandler.class.getName(),
                SaslConfigs.SASL_JAAS_CONFIG, jaas);
    }
}
