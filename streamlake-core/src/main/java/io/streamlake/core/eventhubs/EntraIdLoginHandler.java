package io.streamlake.core.eventhubs;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.streamlake.core.azure.EntraTokens;
import io.streamlake.exceptions.ConfigurationException;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.auth.SaslExtensionsCallback;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerToken;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerTokenCallback;
import org.jspecify.annotations.Nullable;

/**
 * Kafka's login callback handler for Event Hubs with Entra ID: asks a {@link TokenCredential} for a
 * token for {@code https://<namespace>/.default} and hands it to Kafka's OAUTHBEARER login with its real
 * expiry, so that Kafka's login refresh thread gets a new one before it expires
 * ({@code sasl.login.refresh.window.factor}, {@code sasl.login.refresh.min.period.seconds},
 * {@code sasl.login.refresh.buffer.seconds}). Public only because Kafka instantiates it by class name;
 * {@link EventHubsEntraId} writes its settings:
 *
 * <pre>{@code
 * sasl.mechanism=OAUTHBEARER
 * sasl.login.callback.handler.class=io.streamlake.core.eventhubs.EntraIdLoginHandler
 * sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required \
 *     scope="https://mynamespace.servicebus.windows.net/.default" credential="streamlake-<id>";
 * }</pre>
 *
 * <p>The {@code credential} option is an opaque id of a credential registered in this JVM (see
 * {@link io.streamlake.core.util.Handoff}); without it the handler builds a
 * {@code DefaultAzureCredential}. The handler holds the credential while its Kafka client is open and
 * drops it when Kafka closes the handler. A failed sign-in fails the login with a message that names
 * the namespace, the credential's class and what to check, never a token.
 */
public final class EntraIdLoginHandler implements AuthenticateCallbackHandler {
    static final String SCOPE_OPTION = "scope";
    static final String CREDENTIAL_OPTION = "credential";
    private static final JsonFactory JSON = new JsonFactory();

    private @Nullable TokenCredential credential;
    private String scope = "";
    private String resource = "";

    /** Called by Kafka. */
    public EntraIdLoginHandler() {
    }

    @Override
    public void configure(Map<String, ?> configs, String saslMechanism, List<AppConfigurationEntry> jaasEntries) {
        if (!OAuthBearerLoginModule.OAUTHBEARER_MECHANISM.equals(saslMechanism)) {
            throw EventHubsErrors.loginHandlerWrongMechanism(getClass().getSimpleName(), saslMechanism);
        }
        if (jaasEntries.size() != 1) {
            throw EventHubsErrors.loginHandlerModules(getClass().getSimpleName(), jaasEntries.size());
        }
        Map<String, ?> options = jaasEntries.get(0).getOptions();
        Object s = options.get(SCOPE_OPTION);
        if (s == null || s.toString().isBlank()) {
            throw EventHubsErrors.loginHandlerWithoutScope(getClass().getSimpleName());
        }
        scope = s.toString();
        resource = "Event Hubs namespace " + scope.replaceFirst("^https://", "").replaceFirst("/\\.default$", "");
        Object id = options.get(CREDENTIAL_OPTION);
        credential = EntraTokens.credential(id == null ? null : id.toString(), "the Kafka sign-in to " + resource);
    }

    @Override
    public void handle(Callback[] callbacks) throws IOException, UnsupportedCallbackException {
        for (Callback callback : callbacks) {
            if (callback instanceof OAuthBearerTokenCallback tokenCallback) {
                TokenCredential c = credential;
                if (c == null) {
                    throw new IllegalStateException("the Entra ID login handler is closed or was never configured");
                }
                try {
                    tokenCallback.token(new EntraToken(EntraTokens.token(c, scope, resource,
                            "Azure Event Hubs Data Receiver (sources) or Data Sender (producers)"), scope));
                } catch (ConfigurationException e) {
                    // Kafka's login fails with this description; a refresh retries with back-off
                    tokenCallback.error("invalid_grant", e.getMessage(), null);
                }
            } else if (callback instanceof SaslExtensionsCallback) {
                // Event Hubs needs no SASL extensions: leave them empty
                continue;
            } else {
                throw new UnsupportedCallbackException(callback);
            }
        }
    }

    @Override
    public void close() {
        credential = null;
    }

    /** An Entra ID access token as Kafka's OAUTHBEARER login wants it; never prints its value. */
    private static final class EntraToken implements OAuthBearerToken {
        private final String value;
        private final long startMs;
        private final long lifetimeMs;
        private final String principal;
        private final Set<String> scope;

        EntraToken(AccessToken token, String scope) {
            this.value = token.getToken();
            this.startMs = System.currentTimeMillis();
            this.lifetimeMs = token.getExpiresAt().toInstant().toEpochMilli();
            this.principal = subject(value);
            this.scope = Set.of(scope);
        }

        @Override
        public String value() {
            return value;
        }

        @Override
        public Set<String> scope() {
            return scope;
        }

        @Override
        public long lifetimeMs() {
            return lifetimeMs;
        }

        @Override
        public String principalName() {
            return principal;
        }

        @Override
        public Long startTimeMs() {
            return startMs;
        }

        @Override
        public String toString() {
            return "EntraToken[" + principal + ", " + scope + ", expires " + java.time.Instant.ofEpochMilli(lifetimeMs)
                    + "]";
        }
    }

    /** @return the JWT's {@code sub} claim (the identity's object id, no secret), or "unknown" */
    static String subject(String jwt) {
        int first = jwt.indexOf('.');
        int second = first < 0 ? -1 : jwt.indexOf('.', first + 1);
        if (second < 0) {
            return "unknown";
        }
        try (JsonParser p = JSON.createParser(Base64.getUrlDecoder().decode(jwt.substring(first + 1, second)))) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return "unknown";
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if ("sub".equals(name) && t == JsonToken.VALUE_STRING) {
                    return p.getText();
                }
                p.skipChildren();
            }
        } catch (IOException | IllegalArgumentException e) {
            // not a JWT we can read: Kafka needs a name only for its own logs
        }
        return "unknown";
    }
}
