package io.streamlake.core.eventhubs;

import io.streamlake.core.storage.Redactor;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.SourceException;
import io.streamlake.source.SourcePartition;
import java.net.URISyntaxException;

/**
 * The eventhubs package's failures about hubs, namespaces, checkpoint stores and reading, written
 * once: each message says what failed, why, and what to do, and names the event hub, the partition
 * or the checkpoint store, never a connection string, key or SAS token (a value that may be one is
 * named by its length or place, not quoted; a cause goes through the source's redactor). Sources'
 * failures carry the source's name and, where one partition failed, the partition. Sites throw what
 * these return:
 *
 * <pre>{@code
 * throw EventHubsErrors.sequenceNumbersLost(source.name(), partition, idText, want, from, first);
 * }</pre>
 */
final class EventHubsErrors {
    private EventHubsErrors() {
    }

    /** Where a connection string comes from, said by every message about one. */
    private static final String WHERE = "copy it from the Azure portal (Event Hubs namespace > Shared access policies"
            + " > a policy > Connection string-primary key)";

    // ---- connection strings: a part is named by its place or name, never quoted ----

    static ConfigurationException connectionStringEmpty() {
        return new ConfigurationException("the Event Hubs connection string is empty; " + WHERE);
    }

    static ConfigurationException connectionStringWithQuoteOrBlank() {
        return new ConfigurationException("the Event Hubs connection string contains a quote, a backslash or a"
                + " blank, which a connection string never holds; " + WHERE);
    }

    /** @param index the part's place, from 0 */
    static ConfigurationException connectionStringPartNotNameValue(int index) {
        return new ConfigurationException("part " + (index + 1) + " of the Event Hubs connection string is not"
                + " Name=value; expected Endpoint=...;SharedAccessKeyName=...;SharedAccessKey=...; " + WHERE);
    }

    static ConfigurationException connectionStringWithSignature() {
        return new ConfigurationException("the Event Hubs connection string"
                + " carries a SharedAccessSignature; the Kafka endpoint needs a SharedAccessKeyName and a"
                + " SharedAccessKey: " + WHERE);
    }

    /** @param index the part's place, from 0 */
    static ConfigurationException connectionStringPartUnknown(int index) {
        return new ConfigurationException("part " + (index + 1) + " of the Event Hubs connection string"
                + " is none of Endpoint, SharedAccessKeyName, SharedAccessKey, EntityPath; " + WHERE);
    }

    /** @param name the part's name, such as {@code Endpoint} */
    static ConfigurationException connectionStringPartTwice(String name) {
        return new ConfigurationException("the Event Hubs connection string has " + name + " twice; " + WHERE);
    }

    static ConfigurationException connectionStringWithoutEndpoint() {
        return new ConfigurationException("the Event Hubs connection string has no Endpoint part"
                + " (Endpoint=sb://<namespace>.servicebus.windows.net/); " + WHERE);
    }

    static ConfigurationException connectionStringEndpointNotSb() {
        return new ConfigurationException("the Endpoint part of the Event Hubs connection string is not an"
                + " sb://<namespace>.servicebus.windows.net/ URI; " + WHERE);
    }

    static ConfigurationException connectionStringPortOutOfRange() {
        return new ConfigurationException("the Endpoint part of the Event Hubs connection string has a port"
                + " outside 1-65535 (real namespaces have none; it serves tests and emulators); " + WHERE);
    }

    static ConfigurationException connectionStringWithoutKeyName() {
        return new ConfigurationException("the Event Hubs connection string has no SharedAccessKeyName (the"
                + " policy name, such as RootManageSharedAccessKey); " + WHERE);
    }

    static ConfigurationException connectionStringKeyNameNotAName() {
        return new ConfigurationException("the SharedAccessKeyName part of the Event Hubs connection string is not"
                + " a policy name (letters, digits, '.', '-', '_', such as RootManageSharedAccessKey); is the key"
                + " in the wrong part? " + WHERE);
    }

    static ConfigurationException connectionStringWithoutKey() {
        return new ConfigurationException("the Event Hubs connection string has no SharedAccessKey (the policy's"
                + " primary or secondary key); " + WHERE);
    }

    static ConfigurationException connectionStringEntityPathEmpty() {
        return new ConfigurationException("the EntityPath of the Event Hubs connection string is empty: remove"
                + " it, or name the event hub");
    }

    static ConfigurationException connectionStringEntityPathNotAName() {
        return new ConfigurationException("the EntityPath part of the Event Hubs connection string is not an event"
                + " hub name (letters, digits, '.', '-', '_'); is the key in the wrong part? " + WHERE);
    }

    // ---- the Kafka endpoint's Entra ID sign-in (settings EventHubsEntraId writes) ----

    /** @param handler the login handler's class name */
    static ConfigurationException loginHandlerWrongMechanism(String handler, String saslMechanism) {
        return new ConfigurationException(handler + " serves sasl.mechanism OAUTHBEARER, not " + saslMechanism);
    }

    /** @param handler the login handler's class name */
    static ConfigurationException loginHandlerModules(String handler, int count) {
        return new ConfigurationException(handler + " needs exactly one login module in sasl.jaas.config, got "
                + count);
    }

    /** @param handler the login handler's class name */
    static ConfigurationException loginHandlerWithoutScope(String handler) {
        return new ConfigurationException("sasl.jaas.config has no scope option; " + handler
                + " needs scope=\"https://<namespace>/.default\" (EventHubsEntraId writes it)");
    }

    // ---- event hubs and namespaces ----

    static ConfigurationException blankEventHubName() {
        return new ConfigurationException("the event hub name must not be blank");
    }

    static ConfigurationException eventHubNameLooksLikeASecret() {
        return new ConfigurationException("the event hub name looks like a connection string or a key; give the"
                + " event hub's name (such as orders) there, and the connection string as the first argument");
    }

    /** @param length the name's length: the name itself is not quoted */
    static ConfigurationException notAnEventHubName(int length) {
        return new ConfigurationException("the event hub name (" + length + " characters) is not an"
                + " event hub name: 1 to 256 letters, digits, '.', '-' and '_', starting and ending with a letter"
                + " or digit");
    }

    /** The EntityPath is named, not quoted: no part of a connection string is ever printed. */
    static ConfigurationException entityPathNamesAnotherHub(String eventHubName) {
        return new ConfigurationException("the connection string is limited to another event hub (its"
                + " EntityPath part) than event hub '" + eventHubName + "', which was asked for; use the event"
                + " hub it names, or a namespace-level connection string (without EntityPath)");
    }

    static ConfigurationException blankNamespace() {
        return new ConfigurationException("the Event Hubs namespace is empty; give its host name, such as"
                + " mynamespace.servicebus.windows.net (Azure portal: the namespace's Overview > Host name)");
    }

    /** Quite likely a connection string: never echoed. */
    static ConfigurationException namespaceLooksLikeASecret() {
        return new ConfigurationException("the Event Hubs namespace looks like a connection string or a key; Entra ID"
                + " sign-in takes the namespace's host name, such as mynamespace.servicebus.windows.net (use"
                + " EventHubs.kafka(connectionString, ...) to sign in with a connection string instead)");
    }

    /** @param length the text's length: whatever was pasted there may be a secret */
    static ConfigurationException notANamespace(int length) {
        return new ConfigurationException("the Event Hubs namespace (" + length + " characters) is not a host"
                + " name such as mynamespace.servicebus.windows.net (Azure portal: the namespace's Overview > Host"
                + " name)");
    }

    static ConfigurationException namespacePortOutOfRange() {
        return new ConfigurationException("the Event Hubs namespace has a port outside 1-65535");
    }

    // ---- describing the native source ----

    static ConfigurationException blankConsumerGroup() {
        return new ConfigurationException("the Event Hubs consumer group must not be blank; the default group is"
                + " named $Default");
    }

    /** @param what the setting, such as {@code max batch size} */
    static ConfigurationException notPositive(String what, long value) {
        return new ConfigurationException(what + " must be at least 1, got " + value);
    }

    static ConfigurationException checkpointStoreIncomplete() {
        return new ConfigurationException("the checkpoint store needs a storage connection string and a container"
                + " name; copy the connection string from the portal (Storage account > Access keys)");
    }

    static ConfigurationException checkpointUrlLooksLikeAConnectionString() {
        return new ConfigurationException("the checkpoint store URL looks like a connection string: use"
                + " withCheckpointStore(storageConnectionString, container) for one, or give"
                + " https://<account>.blob.core.windows.net/<container>[?<SAS token>]");
    }

    /**
     * Neither the URL nor the parser's message (which quotes it) is printed: it may hold a SAS; the
     * reason and the position are the parser's own words about it, never its text.
     *
     * @param length the URL's length
     */
    static ConfigurationException checkpointUrlUnparsable(URISyntaxException e, int length) {
        return new ConfigurationException("the checkpoint store URL is not a URL such as"
                + " https://<account>.blob.core.windows.net/<container>[?<SAS token>]: " + e.getReason()
                + (e.getIndex() >= 0 ? " at character " + (e.getIndex() + 1) + " of " + length : "")
                + " (a blank, a % not followed by two hex digits, as in a SAS token cut short, or another"
                + " character a URL never has)");
    }

    static ConfigurationException checkpointUrlNotHttp() {
        return new ConfigurationException("the checkpoint store URL is not an http(s) URL such as"
                + " https://<account>.blob.core.windows.net/<container>[?<SAS token>]");
    }

    static ConfigurationException checkpointUrlWithUserInfo() {
        return new ConfigurationException("the checkpoint store URL carries user information before its host; give"
                + " https://<account>.blob.core.windows.net/<container>, with a SAS token as its query string");
    }

    /** @param length the name's length: a wrong name is not quoted */
    static ConfigurationException notAContainerName(int length) {
        return new ConfigurationException("the checkpoint store's container name (" + length + " characters) is"
                + " not a blob container name: 3 to 63 lower-case letters, digits and single hyphens, starting and"
                + " ending with a letter or digit, such as checkpoints");
    }

    // ---- opening and reading ----

    static ConfigurationException noCheckpointStore(String eventHubName) {
        return new ConfigurationException("the Event Hubs source for " + eventHubName + " has no checkpoint store:"
                + " call withCheckpointStore(storageConnectionString, container) or withCheckpointStoreUrl(url,"
                + " credential); the processor keeps partition ownership there");
    }

    /**
     * The builders' messages can quote what they were given: only the class name is kept.
     *
     * @param store the checkpoint store's description, without secrets
     */
    static ConfigurationException checkpointStoreNotConfigured(String store, RuntimeException e) {
        return new ConfigurationException("the checkpoint store (" + store + ") could not be configured ("
                + e.getClass().getSimpleName() + "); check the storage connection string or container URL");
    }

    /**
     * @param store the checkpoint store's description, without secrets
     * @param redactor the source's secrets, for the cause
     */
    static SourceException checkpointStoreUnreachable(String source, String store, Redactor redactor,
            RuntimeException e) {
        return new SourceException("the checkpoint store (" + store
                + ") could not be reached or created: " + redactor.redact(e.toString()) + ". Check the account,"
                + " the container name and that the credential may read, write and list blobs there",
                redactor.sanitize(e), source, null);
    }

    /**
     * @param description the source's description, without secrets
     * @param redactor the source's secrets, for the cause
     */
    static SourceException processorNotStarted(String source, String description, Redactor redactor,
            RuntimeException e) {
        return new SourceException("the Event Hubs processor for " + description + " could not start: "
                + redactor.redact(e.toString()) + "; check the namespace, event hub, consumer group and"
                + " credentials", redactor.sanitize(e), source, null);
    }

    /** @param id the partition id as the hub gave it */
    static ConfigurationException partitionIdNotANumber(String id) {
        return new ConfigurationException("Event Hubs partition id '" + id + "' is not a number from 0: StreamLake"
                + " tracks progress per numbered partition, as Event Hubs numbers them (\"0\" to \"N-1\"); this"
                + " hub or emulator names its partitions otherwise and cannot be read");
    }

    /**
     * @param idText the partition id as the hub gives it
     * @param want the sequence number after the partition's marker
     * @param from where {@code want} comes from (the marker, a checkpoint, the start position)
     * @param first the first sequence number the hub delivered
     */
    static SourceException sequenceNumbersLost(String source, String eventHubName, SourcePartition partition,
            String idText, long want, String from, long first) {
        return new SourceException("event hub " + eventHubName + " partition " + idText + " no longer"
                + " holds sequence number " + want + ", the next event this pipeline needs (after "
                + from + "): the first event it delivered is " + first + ", so sequence numbers " + want
                + " to " + (first - 1) + " were dropped (retention) before they were ingested. Nothing was skipped."
                + " Recover those events from the Capture archive if you have one, or restart with"
                + " EventHubsSource.skipLostPositions() to continue at " + first
                + " (the gap is then reported in the logs and the run's progress)", null, source, partition);
    }
}
