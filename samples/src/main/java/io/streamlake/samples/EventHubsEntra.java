package io.streamlake.samples;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.DefaultAzureCredentialBuilder;
import io.streamlake.core.azure.AdlsGen2;
import io.streamlake.core.eventhubs.EventHubsEntraId;
import io.streamlake.core.kafka.KafkaSource;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The quickstart's order events through Azure Event Hubs' Kafka endpoint, signed in with Entra ID (no
 * key anywhere): {@code DefaultAzureCredential} finds a managed identity, workload identity, the
 * {@code AZURE_CLIENT_ID} / {@code AZURE_TENANT_ID} / {@code AZURE_CLIENT_SECRET} variables or an
 * {@code az login}. Optionally sends the events, then ingests the event hub into bronze and silver
 * Delta tables, local or on ADLS Gen2 ({@code --lake abfss://...}), where the same credential signs in.
 *
 * <pre>
 * az login        # or a managed identity; roles: Azure Event Hubs Data Sender and Data Receiver on the
 *                 # namespace, Storage Blob Data Contributor on the storage account
 * mvn -q -pl samples exec:java -Dexec.mainClass=io.streamlake.samples.EventHubsEntra \
 *     -Dexec.args="--namespace mynamespace.servicebus.windows.net --eventhub orders --produce \
 *                  --lake abfss://lake@mylake.dfs.core.windows.net/streamlake"
 * </pre>
 */
public final class EventHubsEntra {
    static final String USAGE = "usage: EventHubsEntra --namespace HOST --eventhub NAME [options]\n"
            + "  --namespace HOST       the namespace, <name>.servicebus.windows.net (or "
            + EventHubsOptions.ENV_NAMESPACE + ")\n" + EventHubsOptions.COMMON_USAGE + "\n"
            + "  Signs in to Event Hubs and to abfss:// tables with DefaultAzureCredential.";

    private EventHubsEntra() {
    }

    /** @param args see {@link #USAGE} */
    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), null));
    }

    /**
     * @param credential the credential, or null for a {@code DefaultAzureCredential}
     * @return the exit code: 0 done, 1 failed, 2 wrong arguments
     */
    static int run(String[] args, Map<String, String> env, @Nullable TokenCredential credential) {
        return SampleMain.run("EventHubsEntra", USAGE, args, env,
                (a, e) -> EventHubsOptions.parse(a, e, EventHubsOptions.SignIn.ENTRA_ID), o -> o.help,
                o -> run(o, credential != null ? credential : new DefaultAzureCredentialBuilder().build()));
    }

    static Quickstart.Summary run(EventHubsOptions options, TokenCredential credential) {
        String namespace = Objects.requireNonNull(options.namespace);
        String hub = Objects.requireNonNull(options.eventHub);
        Map<String, String> storage = options.remoteLake()
                ? AdlsGen2.entraId(options.account(), credential) : Map.of();
        // built first: it checks the namespace, which is printed next
        KafkaSource source = options.consumerGroup == null ? EventHubsEntraId.kafka(namespace, hub, credential)
                : EventHubsEntraId.kafka(namespace, hub, options.consumerGroup, credential);
        long start = System.nanoTime();
        System.out.printf(Locale.ROOT, "StreamLake: event hub %s in %s (Entra ID) -> %s%n", hub, namespace,
                options.lake);
        long produced = 0;
        if (options.produce) {
            OrderEvents orders = new OrderEvents(options.events, options.keys, Quickstart.PARTITIONS);
            produced = Quickstart.produceAll(EventHubsEntraId.producer(namespace, hub, credential)
                    .withProducerProperties(options.kafkaProperties), orders);
        }
        return Quickstart.ingest(source.withConsumerProperties(options.kafkaProperties), options.table("bronze"),
                options.table("silver"), storage, "eventhubs-entra", options.keepRunning, produced, start);
    }
}
