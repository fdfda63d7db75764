package io.streamlake.core.eventhubs;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.messaging.eventhubs.LoadBalancingStrategy;
import com.azure.messaging.eventhubs.checkpointstore.blob.BlobCheckpointStore;
import com.azure.messaging.eventhubs.models.EventPosition;
import com.azure.storage.blob.BlobContainerAsyncClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import io.streamlake.core.azure.StorageCredentials;
import io.streamlake.core.storage.Redactor;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.source.GapCheckingSource;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.StartPosition;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Reads an event hub through the native Event Hubs SDK (AMQP): an {@code EventProcessorClient} whose
 * partition ownership and load balancing live in a Blob Storage container, as every Event Hubs tool
 * expects, and whose progress truth lives in the bronze table. Immutable: every {@code withX} returns
 * a changed copy, and nothing connects until the pipeline starts. Create it with
 * {@link EventHubs#amqp(String, String, String)} (a connection string) or
 * {@link EventHubsEntraId#amqp(String, String, String, TokenCredential)} (Entra ID).
 *
 * <pre>{@code
 * EventHubsSource orders = EventHubs.amqp(System.getenv("EVENTHUBS_CONNECTION_STRING"), "orders", "$Default")
 *     .withCheckpointStore(System.getenv("STORAGE_CONNECTION_STRING"), "checkpoints")
 *     .withStartPosition(StartPosition.earliest())      // only where bronze holds no marker yet
 *     .withMaxBatchSize(500)
 *     .withMaxWait(Duration.ofSeconds(1));
 * Pipeline.from(orders).bronze("abfss://lake@acct.dfs.core.windows.net/bronze/orders").bronzeOnly()
 *     .withName("orders-ingest").start();
 * }</pre>
 *
 * <p><b>Where progress lives.</b> When the processor claims a partition, it asks its checkpoint store
 * where to start; StreamLake's store answers with the sequence number in the bronze table's marker
 * for that partition, and only where bronze has no marker yet with the blob checkpoint, and where
 * neither exists the processor uses {@link #withStartPosition the start position}. After each bronze
 * commit, the blob checkpoint (offset and sequence number) is written as a copy for monitoring and
 * other Event Hubs tools; a crash between the two only leaves the copy behind, never the table.
 *
 * <p><b>Records.</b> The bronze position is the sequence number, the timestamp the enqueued time, the
 * key the partition key (UTF-8), the headers the application properties (the UTF-8 bytes of each
 * value's text; byte arrays as they are; dates as ISO-8601 instants) and the metadata column holds
 * {@code offset}, {@code partition_key} (when set) and every other system property under its Event
 * Hubs name, such as {@code message-id}, {@code correlation-id}, {@code content-type} (see
 * {@link #METADATA_OFFSET}). Partition ids must be {@code "0"} to {@code "N-1"}, which Event Hubs uses.
 *
 * <p><b>Lost positions.</b> If the sequence number after a marker (or a blob checkpoint, or a
 * sequence-number start position) is older than the hub retains, the first event the processor
 * delivers comes later than expected; the pipeline then fails with a message naming the range,
 * unless {@link #skipLostPositions()} was chosen, which continues and reports the gap.
 *
 * <p>Secrets (connection strings, SAS tokens, account keys) never appear in {@link #toString()},
 * logs or messages.
 */
public final class EventHubsSource implements GapCheckingSource {
    /** Metadata key of the event's offset in its partition (text, as the service gives it). */
    public static final String METADATA_OFFSET = "offset";
    /** Metadata key of the event's partition key, present when the sender set one. */
    public static final String METADATA_PARTITION_KEY = "partition_key";
    /** Default most events per processor batch. */
    public static final int DEFAULT_MAX_BATCH_SIZE = 1000;
    /** Default longest wait for a processor batch to fill before it is delivered, possibly empty. */
    public static final Duration DEFAULT_MAX_WAIT = Duration.ofSeconds(1);
    /** Default number of processor batches queued for the pipeline before the processor waits. */
    public static final int DEFAULT_QUEUED_BATCHES = 16;
    private static final java.util.regex.Pattern CONTAINER =
            java.util.regex.Pattern.compile("[a-z0-9][a-z0-9-]{1,61}[a-z0-9]");

    private final Spec spec;

    /**
     * The source's state, as {@code Pipeline} keeps its own: every option method returns a source over
     * a copy with its own component changed.
     *
     * @param connectionString the namespace's connection string (a secret), or null for Entra ID
     * @param credential the Entra ID credential given, or null for {@code DefaultAzureCredential}
     * @param loadBalancing the processor's load balancing, or null for the SDK's defaults
     * @param prefetchCount -1 for the SDK's default
     */
    private record Spec(
            String namespace,
            String eventHubName,
            String consumerGroup,
            @Nullable String connectionString,
            @Nullable TokenCredential credential,
            @Nullable CheckpointStoreSpec checkpointStore,
            int maxBatchSize,
            Duration maxWait,
            StartPosition startPosition,
            boolean skipLostPositions,
            @Nullable LoadBalancing loadBalancing,
            int prefetchCount,
            int queuedBatches) {

        /** @return the defaults, over a hub and how to sign in to it */
        static Spec of(String namespace, String eventHubName, String consumerGroup, @Nullable String connectionString,
                @Nullable TokenCredential credential) {
            return new Spec(namespace, eventHubName, consumerGroup, connectionString, credential, null,
                    DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_WAIT, StartPosition.earliest(), false, null, -1,
                    DEFAULT_QUEUED_BATCHES);
        }

        // One list of the components (Draft, build()) instead of one per option, and each option sets only its own.
        Spec with(Consumer<Draft> change) {
            Draft draft = new Draft();
            change.accept(draft);
            return draft.build();
        }

        /** A mutable copy of this spec, for {@link #with}: each field starts as the component of its name. */
        private final class Draft {
            String namespace = Spec.this.namespace;
            String eventHubName = Spec.this.eventHubName;
            String consumerGroup = Spec.this.consumerGroup;
            @Nullable String connectionString = Spec.this.connectionString;
            @Nullable TokenCredential credential = Spec.this.credential;
            @Nullable CheckpointStoreSpec checkpointStore = Spec.this.checkpointStore;
            int maxBatchSize = Spec.this.maxBatchSize;
            Duration maxWait = Spec.this.maxWait;
            StartPosition startPosition = Spec.this.startPosition;
            boolean skipLostPositions = Spec.this.skipLostPositions;
            @Nullable LoadBalancing loadBalancing = Spec.this.loadBalancing;
            int prefetchCount = Spec.this.prefetchCount;
            int queuedBatches = Spec.this.queuedBatches;

            Spec build() {
                return new Spec(namespace, eventHubName, consumerGroup, connectionString, credential, checkpointStore,
                        maxBatchSize, maxWait, startPosition, skipLostPositions, loadBalancing, prefetchCount,
                        queuedBatches);
            }
        }

        /** @return the description without secrets (the record's own would print the connection string) */
        @Override
        public String toString() {
            return "EventHubsSource[" + namespace + "/" + eventHubName + ", consumer group " + consumerGroup
                    + ", " + (connectionString != null ? "connection string" : "Entra ID")
                    + ", checkpoints " + (checkpointStore == null ? "<none>" : checkpointStore.describe())
                    + ", start " + startPosition + (skipLostPositions ? ", skip lost positions" : "")
                    + ", batches of " + maxBatchSize + " within " + maxWait + "]";
        }
    }

    /**
     * The processor's load balancing, set together by {@link #withLoadBalancing}.
     *
     * @param updateInterval null for the SDK's default
     * @param ownershipExpiration null for the SDK's default
     */
    record LoadBalancing(LoadBalancingStrategy strategy, @Nullable Duration updateInterval,
            @Nullable Duration ownershipExpiration) {
    }

    /** Where the blob checkpoint store's container is and how to sign in to it. */
    sealed interface CheckpointStoreSpec {
        /** @return a description without secrets */
        String describe();
    }

    record ContainerConnectionString(String connectionString, String container) implements CheckpointStoreSpec {
        @Override
        public String toString() {
            return describe();
        }

        @Override
        public String describe() {
            // checked when given, so the account name or endpoint it names is no secret
            return "container " + container + " of " + StorageCredentials.connectionString(
                    "the checkpoint store's storage connection string", connectionString).describe();
        }
    }

    record ContainerUrl(String url, @Nullable TokenCredential credential) implements CheckpointStoreSpec {
        @Override
        public String toString() {
            return describe();
        }

        @Override
        public String describe() {
            return "container " + withoutQuery(url);
        }
    }

    record ContainerClient(BlobContainerAsyncClient client) implements CheckpointStoreSpec {
        @Override
        public String describe() {
            return "container " + client.getBlobContainerName() + " of account " + client.getAccountName();
        }
    }

    private EventHubsSource(Spec spec) {
        this.spec = spec;
    }

    static EventHubsSource create(String namespace, String eventHubName, String consumerGroup,
            @Nullable String connectionString, @Nullable TokenCredential credential) {
        Objects.requireNonNull(consumerGroup, "consumerGroup");
        if (consumerGroup.isBlank()) {
            throw EventHubsErrors.blankConsumerGroup();
        }
        return new EventHubsSource(Spec.of(namespace, eventHubName, consumerGroup, connectionString, credential));
    }

    /**
     * @param storageConnectionString a storage account connection string (account key or SAS)
     * @param container the blob container holding ownership records and checkpoints; created if missing
     * @return a copy that keeps ownership and checkpoints there
     * @throws ConfigurationException if the connection string or the container name is malformed, naming
     *     the part that is wrong, never its value
     */
    public EventHubsSource withCheckpointStore(String storageConnectionString, String container) {
        Objects.requireNonNull(storageConnectionString, "storageConnectionString");
        Objects.requireNonNull(container, "container");
        if (storageConnectionString.isBlank() || container.isBlank()) {
            throw EventHubsErrors.checkpointStoreIncomplete();
        }
        // checked before the Azure SDK sees it: its parser quotes what it cannot read
        StorageCredentials.connectionString("the checkpoint store's storage connection string",
                storageConnectionString);
        CheckpointStoreSpec store = new ContainerConnectionString(storageConnectionString.strip(),
                containerName(container));
        return new EventHubsSource(spec.with(d -> d.checkpointStore = store));
    }

    /**
     * @param containerUrl {@code https://<account>.blob.core.windows.net/<container>}, possibly with a SAS
     *     query string (then no other credential is used)
     * @param credential Entra ID credential for the container, or null to use the SAS in the URL, or
     *     the source's own credential, or {@code DefaultAzureCredential}, in this order
     * @return a copy that keeps ownership and checkpoints there
     * @throws ConfigurationException if the URL is not an http(s) URL or its query string is not a SAS token
     */
    public EventHubsSource withCheckpointStoreUrl(String containerUrl, @Nullable TokenCredential credential) {
        Objects.requireNonNull(containerUrl, "containerUrl");
        String url = containerUrl.strip();
        if (url.indexOf(';') >= 0 && url.indexOf('=') >= 0) {
            throw EventHubsErrors.checkpointUrlLooksLikeAConnectionString();
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (java.net.URISyntaxException e) {
            throw EventHubsErrors.checkpointUrlUnparsable(e, url.length());
        }
        if (uri.getScheme() == null || !uri.getScheme().toLowerCase(java.util.Locale.ROOT).startsWith("http")
                || uri.getHost() == null) {
            throw EventHubsErrors.checkpointUrlNotHttp();
        }
        if (uri.getRawUserInfo() != null) {
            throw EventHubsErrors.checkpointUrlWithUserInfo();
        }
        if (uri.getRawQuery() != null) {
            StorageCredentials.sasToken("the SAS token in the checkpoint store URL (its query string)",
                    uri.getRawQuery());
        }
        return new EventHubsSource(spec.with(d -> d.checkpointStore = new ContainerUrl(url, credential)));
    }

    /** Blob container names: 3 to 63 lower-case letters, digits and single hyphens; not quoted when wrong. */
    private static String containerName(String container) {
        String c = container.strip();
        if (!CONTAINER.matcher(c).matches() || c.contains("--")) {
            throw EventHubsErrors.notAContainerName(c.length());
        }
        return c;
    }

    /**
     * @param container a container client configured as you need (retries, proxy, credential)
     * @return a copy that keeps ownership and checkpoints there
     */
    public EventHubsSource withCheckpointStore(BlobContainerAsyncClient container) {
        return new EventHubsSource(spec.with(d -> d.checkpointStore =
                new ContainerClient(Objects.requireNonNull(container, "container"))));
    }

    /**
     * @param events most events the processor delivers per partition batch (default 1000)
     * @return a copy with this batch size
     */
    public EventHubsSource withMaxBatchSize(int events) {
        positive("max batch size", events);
        return new EventHubsSource(spec.with(d -> d.maxBatchSize = events));
    }

    /**
     * @param wait longest time the processor waits for a batch to fill (default 1 s); it then delivers
     *     what it has, possibly nothing, which is how the source learns a partition is caught up
     * @return a copy with this wait
     */
    public EventHubsSource withMaxWait(Duration wait) {
        Objects.requireNonNull(wait, "wait");
        positive("max wait (ms)", wait.toMillis());
        return new EventHubsSource(spec.with(d -> d.maxWait = wait));
    }

    /**
     * @param start where to start partitions that have neither a bronze marker nor a blob checkpoint
     *     (default earliest); {@link StartPosition#offsets} takes sequence numbers (the first to read),
     *     {@link StartPosition#timestamp} an enqueued time
     * @return a copy with this start position
     */
    public EventHubsSource withStartPosition(StartPosition start) {
        Objects.requireNonNull(start, "start");
        return new EventHubsSource(spec.with(d -> d.startPosition = start));
    }

    /**
     * When the hub no longer holds the events after a partition's marker (retention passed them),
     * continue at the first event it still holds instead of failing. The lost range is logged at
     * error level and listed in {@link io.streamlake.PipelineProgress#gaps()}.
     *
     * @return a copy that skips lost positions
     */
    @Override
    public EventHubsSource skipLostPositions() {
        return new EventHubsSource(spec.with(d -> d.skipLostPositions = true));
    }

    /**
     * The processor's load balancing, as the SDK offers it; unset values keep the SDK's defaults
     * (balanced, every 10 s, ownership expires after 60 s).
     *
     * @param strategy {@code BALANCED} claims one partition per cycle, {@code GREEDY} all it should own at once
     * @param updateInterval how often ownership is renewed and rebalanced, or null
     * @param ownershipExpiration how long an ownership record stays valid without renewal, or null
     * @return a copy with these settings
     */
    public EventHubsSource withLoadBalancing(LoadBalancingStrategy strategy, @Nullable Duration updateInterval,
            @Nullable Duration ownershipExpiration) {
        Objects.requireNonNull(strategy, "strategy");
        return new EventHubsSource(spec.with(d -> d.loadBalancing =
                new LoadBalancing(strategy, updateInterval, ownershipExpiration)));
    }

    /**
     * @param events how many events each partition receiver fetches ahead (the SDK's prefetch count)
     * @return a copy with this prefetch
     */
    public EventHubsSource withPrefetchCount(int events) {
        positive("prefetch count", events);
        return new EventHubsSource(spec.with(d -> d.prefetchCount = events));
    }

    /**
     * @param batches how many processor batches may wait for the pipeline (default 16); when they
     *     are all taken, the processor's callbacks wait, which holds back the receivers
     * @return a copy with this bound
     */
    public EventHubsSource withQueuedBatches(int batches) {
        positive("queued batches", batches);
        return new EventHubsSource(spec.with(d -> d.queuedBatches = batches));
    }

    private static void positive(String what, long value) {
        if (value < 1) {
            throw EventHubsErrors.notPositive(what, value);
        }
    }

    /** @return the namespace host, such as {@code mynamespace.servicebus.windows.net} */
    public String fullyQualifiedNamespace() {
        return spec.namespace();
    }

    /** @return the event hub */
    public String eventHubName() {
        return spec.eventHubName();
    }

    /** @return the consumer group */
    public String consumerGroup() {
        return spec.consumerGroup();
    }

    /** @return where partitions without marker and checkpoint start */
    public StartPosition startPosition() {
        return spec.startPosition();
    }

    /** @return true if lost positions are skipped and reported rather than failing the pipeline */
    public boolean skipsLostPositions() {
        return spec.skipLostPositions();
    }

    @Nullable
    String connectionString() {
        return spec.connectionString();
    }

    int maxBatchSize() {
        return spec.maxBatchSize();
    }

    Duration maxWait() {
        return spec.maxWait();
    }

    @Nullable
    LoadBalancingStrategy loadBalancingStrategy() {
        LoadBalancing l = spec.loadBalancing();
        return l == null ? null : l.strategy();
    }

    @Nullable
    Duration loadBalancingUpdateInterval() {
        LoadBalancing l = spec.loadBalancing();
        return l == null ? null : l.updateInterval();
    }

    @Nullable
    Duration ownershipExpiration() {
        LoadBalancing l = spec.loadBalancing();
        return l == null ? null : l.ownershipExpiration();
    }

    int prefetchCount() {
        return spec.prefetchCount();
    }

    int queuedBatches() {
        return spec.queuedBatches();
    }

    @Override
    public String name() {
        return spec.eventHubName();
    }

    @Override
    public SourceReader open(SourceContext context) {
        return open(context, new SdkProcessor.Factory(this));
    }

    /** Opens with another processor, which is how tests drive the reader without an AMQP endpoint. */
    EventHubsReader open(SourceContext context, EventHubsReader.ProcessorFactory processors) {
        if (spec.checkpointStore() == null) {
            throw EventHubsErrors.noCheckpointStore(spec.eventHubName());
        }
        BlobContainerAsyncClient container = container();
        ensureExists(container);
        EventHubsReader reader = new EventHubsReader(this, context, new BlobCheckpointStore(container), secrets());
        reader.start(processors);
        return reader;
    }

    /** @return the credential for the hub: the given one, or DefaultAzureCredential; null with a connection string */
    @Nullable
    TokenCredential credential() {
        if (spec.connectionString() != null) {
            return null;
        }
        TokenCredential given = spec.credential();
        return given != null ? given : new DefaultAzureCredentialBuilder().build();
    }

    private BlobContainerAsyncClient container() {
        CheckpointStoreSpec store = Objects.requireNonNull(spec.checkpointStore());
        BlobContainerAsyncClient client;
        try {
            if (store instanceof ContainerClient c) {
                return c.client();
            } else if (store instanceof ContainerConnectionString c) {
                client = new BlobContainerClientBuilder().connectionString(c.connectionString())
                        .containerName(c.container()).buildAsyncClient();
            } else {
                ContainerUrl u = (ContainerUrl) store;
                BlobContainerClientBuilder b = new BlobContainerClientBuilder().endpoint(u.url());
                if (u.credential() != null) {
                    b.credential(u.credential());
                } else if (!u.url().contains("sig=")) {
                    TokenCredential given = spec.credential();
                    TokenCredential own = given != null ? given : new DefaultAzureCredentialBuilder().build();
                    b.credential(own);
                }
                client = b.buildAsyncClient();
            }
        } catch (RuntimeException e) {
            throw EventHubsErrors.checkpointStoreNotConfigured(store.describe(), e);
        }
        return client;
    }

    private void ensureExists(BlobContainerAsyncClient container) {
        try {
            if (!Boolean.TRUE.equals(container.exists().block(Duration.ofSeconds(60)))) {
                container.createIfNotExists().block(Duration.ofSeconds(60));
            }
        } catch (RuntimeException e) {
            throw EventHubsErrors.checkpointStoreUnreachable(spec.eventHubName(),
                    Objects.requireNonNull(spec.checkpointStore()).describe(), new Redactor(secrets()), e);
        }
    }

    /** @return every secret this source holds, for masking messages */
    List<String> secrets() {
        List<String> out = new ArrayList<>();
        String connectionString = spec.connectionString();
        if (connectionString != null) {
            out.add(connectionString);
            addParts(out, connectionString);
        }
        CheckpointStoreSpec store = spec.checkpointStore();
        if (store instanceof ContainerConnectionString c) {
            out.add(c.connectionString());
            addParts(out, c.connectionString());
        } else if (store instanceof ContainerUrl u && u.url().contains("?")) {
            out.add(u.url().substring(u.url().indexOf('?') + 1));
        }
        return out;
    }

    private static void addParts(List<String> out, String connectionString) {
        for (String part : connectionString.split(";")) {
            int eq = part.indexOf('=');
            String name = eq < 0 ? "" : part.substring(0, eq).toLowerCase(java.util.Locale.ROOT);
            if (name.contains("key") || name.contains("signature")) {
                out.add(part.substring(eq + 1));
            }
        }
    }

    /** The position the processor starts at for a partition with no marker and no checkpoint. */
    EventPosition initialPosition(String partitionId) {
        StartPosition start = spec.startPosition();
        if (start instanceof StartPosition.Latest) {
            return EventPosition.latest();
        } else if (start instanceof StartPosition.AtTimestamp t) {
            return EventPosition.fromEnqueuedTime(t.time());
        } else if (start instanceof StartPosition.Offsets o) {
            Long seq = o.offsets().get(
                    new SourcePartition(spec.eventHubName(), EventHubsReader.partitionNumber(partitionId)));
            return seq == null ? EventPosition.earliest() : EventPosition.fromSequenceNumber(seq, true);
        }
        return EventPosition.earliest();
    }

    /** @return the first sequence number the start position asks for, or -1 where it names none */
    long startSequenceNumber(int partition) {
        if (spec.startPosition() instanceof StartPosition.Offsets o) {
            Long seq = o.offsets().get(new SourcePartition(spec.eventHubName(), partition));
            return seq == null ? -1 : seq;
        }
        return -1;
    }

    static String withoutQuery(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q) + "?<SAS hidden>";
    }

    @Override
    public String toString() {
        return spec.toString();
    }
}
