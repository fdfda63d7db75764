package io.streamlake.core.azure;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.DefaultAzureCredentialBuilder;
import io.streamlake.core.util.Handoff;
import io.streamlake.exceptions.ConfigurationException;
import org.jspecify.annotations.Nullable;

/**
 * Entra ID tokens for the classes that Kafka and Hadoop instantiate by name (the Event Hubs login
 * handler, the ABFS token provider): finds the {@link TokenCredential} their settings name and asks it
 * for a token, turning every failure into a message that says what to check and never holds a token.
 * Not meant for application code: use {@link io.streamlake.core.eventhubs.EventHubsEntraId} and
 * {@link AdlsGen2}.
 *
 * <pre>{@code
 * TokenCredential credential = EntraTokens.credential(idFromSettings, "the Event Hubs Kafka login");
 * AccessToken token = EntraTokens.token(credential, "https://ns.servicebus.windows.net/.default",
 *         "Event Hubs namespace ns.servicebus.windows.net", "Azure Event Hubs Data Receiver");
 * }</pre>
 */
public final class EntraTokens {
    /** The scope of Azure Storage (Blob and ADLS Gen2) tokens. */
    public static final String STORAGE_SCOPE = "https://storage.azure.com/.default";

    private EntraTokens() {
    }

    /**
     * @param id the id of a credential handed over with {@link Handoff}, or null for a new
     *     {@code DefaultAzureCredential}
     * @param usedBy what needs it, for the message if the id is unknown
     * @return the credential
     * @throws ConfigurationException if the id names no live credential
     */
    public static TokenCredential credential(@Nullable String id, String usedBy) {
        if (id == null) {
            return new DefaultAzureCredentialBuilder().build();
        }
        return Handoff.lookup(id, TokenCredential.class).orElseThrow(() -> new ConfigurationException(
                // the id is not printed: it stands for a live credential to any code in this JVM that holds it
                usedBy + " names an Entra ID credential that is not registered in this JVM: the settings"
                        + " were built elsewhere or copied as text. Build them in this JVM with EventHubsEntraId or"
                        + " AdlsGen2.entraId(...), which register the credential"));
    }

    /**
     * @param credential the credential
     * @param scope the scope, such as {@code https://<namespace>/.default}
     * @param resource what the token is for, named in messages
     * @param role the Azure role the identity needs on that resource, named in messages
     * @return the token
     * @throws ConfigurationException if the credential gives no token, saying why and what to check
     */
    public static AccessToken token(TokenCredential credential, String scope, String resource, String role) {
        AccessToken token;
        try {
            token = credential.getTokenSync(new TokenRequestContext().addScopes(scope));
        } catch (RuntimeException e) {
            throw new ConfigurationException(failure(credential, scope, resource, role, e), e);
        }
        if (token == null || token.getToken() == null || token.getExpiresAt() == null) {
            throw new ConfigurationException(failure(credential, scope, resource, role, null));
        }
        return token;
    }

    private static String failure(TokenCredential credential, String scope, String resource, String role,
            @Nullable Throwable cause) {
        String why = cause == null ? "it returned no token" : cause.getClass().getSimpleName() + ": " + messages(cause);
        return "Entra ID sign-in for " + resource + " failed: " + credential.getClass().getSimpleName()
                + " gave no token for scope " + scope + " (" + why + "); check that the credential can sign in"
                + " (for DefaultAzureCredential: a managed identity, AZURE_CLIENT_ID / AZURE_TENANT_ID /"
                + " AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE, or 'az login') and that the identity has the"
                + " role '" + role + "' on " + resource;
    }

    private static String messages(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            sb.append(": ").append(c.getMessage());
        }
        return sb.toString();
    }
}
