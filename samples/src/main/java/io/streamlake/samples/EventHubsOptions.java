package io.streamlake.samples;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The command line of the Event Hubs samples ({@link EventHubsKafka}, {@link EventHubsEntra}): names
 * come from options or environment variables, secrets only from the environment (a command line is
 * visible to every user of the machine), and nothing here ever prints a secret.
 */
final class EventHubsOptions {
    static final String ENV_CONNECTION_STRING = "EVENTHUBS_CONNECTION_STRING";
    static final String ENV_NAMESPACE = "EVENTHUBS_NAMESPACE";
    static final String ENV_EVENTHUB = "EVENTHUB_NAME";
    static final String COMMON_USAGE = ""
            + "  --eventhub NAME        the event hub (or " + ENV_EVENTHUB + ")\n"
            + "  --consumer-group NAME  the Kafka consumer group (default: the pipeline's name)\n"
            + "  --lake DIR|URI         where the tables go: a local folder (default ./lake) or\n"
            + "                         abfss://<container>@<account>.dfs.core.windows.net/<path>\n"
            + "  --produce              send the generated order events first (every run sends them again)\n"
            + "  --events N             order events to generate with --produce (default 100000)\n"
            + "  --keys K               distinct orders among them (default 10000)\n"
            + "  --kafka-property K=V   a Kafka client setting for the producer and the source (repeatable)\n"
            + "  --keep-running         keep ingesting until Ctrl-C instead of stopping when caught up";

    long events = 100_000;
    long keys = 10_000;
    String lake = "lake";
    @Nullable String eventHub;
    @Nullable String consumerGroup;
    @Nullable String namespace;
    @Nullable String connectionString;
    final Map<String, String> kafkaProperties = new LinkedHashMap<>();
    boolean produce;
    boolean keepRunning;
    boolean help;

    /**
     * @param args the command line
     * @param env the environment
     * @param signIn how the sample signs in: it decides which names and secrets are needed
     * @return the options
     * @throws IllegalArgumentException saying what is wrong, never quoting a secret
     */
    static EventHubsOptions parse(String[] args, Map<String, String> env, SignIn signIn) {
        EventHubsOptions o = new EventHubsOptions();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--eventhub" -> o.eventHub = SampleMain.value(args, ++i, a);
                case "--namespace" -> {
                    if (signIn != SignIn.ENTRA_ID) {
                        throw new IllegalArgumentException("--namespace is for Entra ID sign-in; with a connection"
                                + " string the namespace is in " + ENV_CONNECTION_STRING);
                    }
                    o.namespace = SampleMain.value(args, ++i, a);
                }
                case "--consumer-group" -> o.consumerGroup = SampleMain.value(args, ++i, a);
                case "--lake" -> o.lake = SampleMain.value(args, ++i, a);
                case "--events" -> o.events = SampleMain.number(a, SampleMain.value(args, ++i, a));
                case "--keys" -> o.keys = SampleMain.number(a, SampleMain.value(args, ++i, a));
                case "--kafka-property" -> {
                    String kv = SampleMain.value(args, ++i, a);
                    int eq = kv.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--kafka-property takes KEY=VALUE");
                    }
                    o.kafkaProperties.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
                case "--produce" -> o.produce = true;
                case "--keep-running" -> o.keepRunning = true;
                case "-h", "--help" -> o.help = true;
                default -> throw unknown(a, i);
            }
        }
        if (o.help) {
            return o;
        }
        if (o.keys < 1) {
            throw new IllegalArgumentException("--keys must be at least 1");
        }
        if (o.eventHub == null) {
            o.eventHub = blankToNull(env.get(ENV_EVENTHUB));
        }
        if (o.eventHub == null) {
            throw new IllegalArgumentException("name the event hub: --eventhub NAME or " + ENV_EVENTHUB);
        }
        if (signIn == SignIn.ENTRA_ID) {
            if (o.namespace == null) {
                o.namespace = blankToNull(env.get(ENV_NAMESPACE));
            }
            if (o.namespace == null) {
                throw new IllegalArgumentException("name the Event Hubs namespace: --namespace"
                        + " <name>.servicebus.windows.net or " + ENV_NAMESPACE);
            }
            if (o.namespace.contains("=") || o.namespace.contains(";")) {
                throw new IllegalArgumentException("the namespace looks like a connection string; give its host"
                        + " name, <name>.servicebus.windows.net (and never put a key on the command line)");
            }
        } else {
            o.connectionString = blankToNull(env.get(ENV_CONNECTION_STRING));
            if (o.connectionString == null) {
                throw new IllegalArgumentException("set " + ENV_CONNECTION_STRING + " to the namespace's connection"
                        + " string (Azure portal: Event Hubs namespace > Shared access policies)");
            }
        }
        return o;
    }

    /** How the sample signs in. */
    enum SignIn { CONNECTION_STRING, ENTRA_ID }

    /** @return true if the tables go to a Hadoop URI such as abfss://, not a local folder */
    boolean remoteLake() {
        return lake.matches("^[A-Za-z][A-Za-z0-9+.-]+://.*");
    }

    /** @return the table path for a layer ("bronze", "silver") of this event hub */
    String table(String layer) {
        if (remoteLake()) {
            return lake.replaceAll("/+$", "") + "/" + layer + "/" + eventHub;
        }
        return Path.of(lake).toAbsolutePath().normalize().resolve(layer).resolve(String.valueOf(eventHub)).toString();
    }

    /** @return the account host of an {@code abfss://container@account.dfs.core.windows.net/...} lake */
    String account() {
        String host = java.net.URI.create(lake).getHost();
        if (host == null) {
            throw new IllegalArgumentException("--lake " + lake + " is not abfss://<container>@<account>"
                    + ".dfs.core.windows.net/<path>");
        }
        return host;
    }

    /** An argument that is not an option may be a pasted secret: it is named by its place, never quoted. */
    static IllegalArgumentException unknown(String arg, int index) {
        if (arg.startsWith("-") && arg.length() <= 40 && arg.matches("[-A-Za-z0-9]+")) {
            return new IllegalArgumentException("unknown option '" + arg + "'");
        }
        return new IllegalArgumentException("argument " + (index + 1) + " is not an option" + (arg.contains("=")
                ? "; a connection string or key belongs in " + ENV_CONNECTION_STRING + ", never on the command line"
                : ""));
    }

    private static @Nullable String blankToNull(@Nullable String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    @Override
    public String toString() {
        // Never the connection string nor Kafka property values (they may hold a trust store password).
        return "EventHubsOptions[event hub " + eventHub + (namespace == null ? "" : ", namespace " + namespace)
                + ", lake " + lake + ", kafka properties " + kafkaProperties.keySet() + "]";
    }
}
