package io.streamlake.core.eventhubs;

import io.streamlake.exceptions.ConfigurationException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A parsed Event Hubs connection string,
 * {@code Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=<policy>;SharedAccessKey=<key>[;EntityPath=<hub>]}.
 * Every part is checked when it is parsed, and no message ever quotes a part's value: a malformed
 * string is named by the part that is wrong and what is wrong with it, because a key pasted into the
 * wrong part would otherwise be printed. {@link #toString()} shows only checked names (host, policy,
 * event hub), never the key.
 *
 * <p>An endpoint with a port ({@code sb://127.0.0.1:19093/}) makes Kafka clients use that port instead
 * of 9093; real namespaces never have one, it serves tests and emulators.
 */
final class ConnectionString {
    /** The port of Event Hubs' Kafka endpoint. */
    static final int KAFKA_PORT = 9093;
    private static final Pattern ENDPOINT =
            Pattern.compile("sb://([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(?::([0-9]{1,5}))?/?",
                    Pattern.CASE_INSENSITIVE);
    /**
     * Names of shared access policies and of event hubs: letters, digits, '.', '-', '_', starting and
     * ending with a letter or digit. A key is base64 and ends in '=', so a key pasted there is refused.
     */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,254}[A-Za-z0-9])?");

    private final String text;
    private final String host;
    private final int port;
    private final String keyName;
    private final @Nullable String entityPath;

    private ConnectionString(String text, String host, int port, String keyName, @Nullable String entityPath) {
        this.text = text;
        this.host = host;
        this.port = port;
        this.keyName = keyName;
        this.entityPath = entityPath;
    }

    /**
     * @param connectionString the connection string
     * @return the parsed string
     * @throws ConfigurationException naming the part that is missing or wrong, never its secret value
     */
    static ConnectionString parse(@Nullable String connectionString) {
        if (connectionString == null || connectionString.isBlank()) {
            throw EventHubsErrors.connectionStringEmpty();
        }
        String text = connectionString.strip();
        if (text.indexOf('"') >= 0 || text.indexOf('\\') >= 0 || text.chars().anyMatch(Character::isWhitespace)) {
            throw EventHubsErrors.connectionStringWithQuoteOrBlank();
        }
        String endpoint = null;
        String keyName = null;
        String key = null;
        String entityPath = null;
        String[] parts = text.split(";");
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw EventHubsErrors.connectionStringPartNotNameValue(i);
            }
            String value = part.substring(eq + 1);
            switch (part.substring(0, eq).toLowerCase(Locale.ROOT)) {
                case "endpoint" -> endpoint = once("Endpoint", endpoint, value);
                case "sharedaccesskeyname" -> keyName = once("SharedAccessKeyName", keyName, value);
                case "sharedaccesskey" -> key = once("SharedAccessKey", key, value);
                case "entitypath" -> entityPath = once("EntityPath", entityPath, value);
                case "sharedaccesssignature" -> throw EventHubsErrors.connectionStringWithSignature();
                default -> throw EventHubsErrors.connectionStringPartUnknown(i);
            }
        }
        if (endpoint == null) {
            throw EventHubsErrors.connectionStringWithoutEndpoint();
        }
        Matcher m = ENDPOINT.matcher(endpoint);
        if (!m.matches()) {
            throw EventHubsErrors.connectionStringEndpointNotSb();
        }
        int port = -1;
        if (m.group(3) != null) {
            port = Integer.parseInt(m.group(3));
            if (port < 1 || port > 65_535) {
                throw EventHubsErrors.connectionStringPortOutOfRange();
            }
        }
        if (keyName == null || keyName.isEmpty()) {
            throw EventHubsErrors.connectionStringWithoutKeyName();
        }
        if (!NAME.matcher(keyName).matches()) {
            throw EventHubsErrors.connectionStringKeyNameNotAName();
        }
        if (key == null || key.isEmpty()) {
            throw EventHubsErrors.connectionStringWithoutKey();
        }
        if (entityPath != null && entityPath.isEmpty()) {
            throw EventHubsErrors.connectionStringEntityPathEmpty();
        }
        if (entityPath != null && !NAME.matcher(entityPath).matches()) {
            throw EventHubsErrors.connectionStringEntityPathNotAName();
        }
        return new ConnectionString(text, m.group(1), port, keyName, entityPath);
    }

    private static String once(String name, @Nullable String previous, String value) {
        if (previous != null) {
            throw EventHubsErrors.connectionStringPartTwice(name);
        }
        return value;
    }

    /** @return the namespace host, such as {@code mynamespace.servicebus.windows.net} */
    String host() {
        return host;
    }

    /** @return {@code host:9093}, or the endpoint's own port if it has one */
    String bootstrapServers() {
        return host + ":" + (port > 0 ? port : KAFKA_PORT);
    }

    /** @return the shared access policy's name (not a secret) */
    String keyName() {
        return keyName;
    }

    /** @return the event hub the string is limited to, if it has an EntityPath */
    Optional<String> entityPath() {
        return Optional.ofNullable(entityPath);
    }

    /**
     * @return the JAAS line of Event Hubs' Kafka endpoint: PLAIN, user {@code $ConnectionString},
     *     password the whole connection string. A secret: never log it.
     */
    String jaasConfig() {
        return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"$ConnectionString\""
                + " password=\"" + text + "\";";
    }

    @Override
    public String toString() {
        return "EventHubsConnectionString[sb://" + host + (port > 0 ? ":" + port : "") + "/, SharedAccessKeyName "
                + keyName + (entityPath == null ? "" : ", EntityPath " + entityPath) + "]";
    }
}
