package io.streamlake.core.eventhubs;

import io.streamlake.exceptions.ConfigurationException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A fully qualified Event Hubs namespace, {@code <name>.servicebus.windows.net}, as Entra ID sign-in
 * names it. A port ({@code 127.0.0.1:19093}) serves tests and emulators, as in {@link ConnectionString}.
 *
 * @param host the host, such as {@code mynamespace.servicebus.windows.net}
 * @param port the Kafka port, or -1 for the endpoint's 9093
 */
record Namespace(String host, int port) {
    private static final Pattern NAMESPACE = Pattern.compile(
            "(?:sb://)?([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(?::([0-9]{1,5}))?/?", Pattern.CASE_INSENSITIVE);

    /**
     * @param fullyQualifiedNamespace such as {@code mynamespace.servicebus.windows.net}
     * @return the parsed namespace
     * @throws ConfigurationException if it is blank, a connection string, or not a host name
     */
    static Namespace parse(@Nullable String fullyQualifiedNamespace) {
        if (fullyQualifiedNamespace == null || fullyQualifiedNamespace.isBlank()) {
            throw EventHubsErrors.blankNamespace();
        }
        String text = fullyQualifiedNamespace.strip();
        if (text.contains("=") || text.contains(";")) {
            throw EventHubsErrors.namespaceLooksLikeASecret();
        }
        Matcher m = NAMESPACE.matcher(text);
        if (!m.matches()) {
            throw EventHubsErrors.notANamespace(text.length());
        }
        int port = -1;
        if (m.group(3) != null) {
            port = Integer.parseInt(m.group(3));
            if (port < 1 || port > 65_535) {
                throw EventHubsErrors.namespacePortOutOfRange();
            }
        }
        return new Namespace(m.group(1), port);
    }

    /** @return {@code host:9093}, or the given port */
    String bootstrapServers() {
        return host + ":" + (port > 0 ? port : ConnectionString.KAFKA_PORT);
    }

    /** @return the Entra ID scope of the namespace, {@code https://<host>/.default} */
    String scope() {
        return "https://" + host + "/.default";
    }
}
