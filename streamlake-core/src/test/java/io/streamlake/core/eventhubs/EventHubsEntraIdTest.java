package io.streamlake.core.eventhubs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.core.azure.StaticTokenCredential;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.exceptions.ConfigurationException;
import java.lang.reflect.Method;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.security.auth.callback.Callback;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.common.security.JaasContext;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerToken;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerTokenCallback;
import org.apache.kafka.common.config.types.Password;
import org.junit.jupiter.api.Test;

class EventHubsEntraIdTest {
    private static final String CS = "Endpoint=sb://mynamespace.servicebus.windows.net/;SharedAccessKeyName=Root;"
            + "SharedAccessKey=c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs=";

    @SuppressWarnings("unchecked")
    private static Map<String, Object> consumerConfig(KafkaSource source) throws Exception {
        Method m = KafkaSource.class.getDeclaredMethod("consumerConfig", String.class);
        m.setAccessible(true);
        return (Map<String, Object>) m.invoke(source, "p");
    }

    private static List<AppConfigurationEntry> jaas(Map<String, Object> config) {
        return JaasContext
                .loadClientContext(Map.of("sasl.jaas.config", new Password((String) config.get("sasl.jaas.config"))))
                .configurationEntries();
    }

    @Test
    void aCredentialSourceHasTheConnectionStringSourcesSettingsWithOAuthBearerInsteadOfPlain() throws Exception {
        StaticTokenCredential credential = StaticTokenCredential.of("t", OffsetDateTime.now());
        Map<String, Object> entra =
                consumerConfig(EventHubsEntraId.kafka("mynamespace.servicebus.windows.net", "orders",
                        credential));
        Map<String, Object> keyed = consumerConfig(EventHubs.kafka(CS, "orders"));

        assertThat(entra).containsEntry("bootstrap.servers", "mynamespace.servicebus.windows.net:9093")
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "OAUTHBEARER")
                .containsEntry("sasl.login.callback.handler.class", EntraIdLoginHandler.class.getName());
        Map<String, ?> options = jaas(entra).get(0).getOptions();
        assertThat(options.get("scope")).isEqualTo("https://mynamespace.servicebus.windows.net/.default");
        assertThat(options.get("credential").toString()).startsWith("streamlake-");

        Map<String, Object> a = new HashMap<>(entra);
        Map<String, Object> b = new HashMap<>(keyed);
        for (String k : List.of("sasl.mechanism", "sasl.jaas.config", "sasl.login.callback.handler.class")) {
            a.remove(k);
            b.remove(k);
        }
        assertThat(a).isEqualTo(b); // same endpoint, timeouts and fetch settings as the connection-string source

        Map<String, Object> defaults =
                consumerConfig(EventHubsEntraId.kafka("mynamespace.servicebus.windows.net", "orders"));
        assertThat(jaas(defaults).get(0).getOptions()).doesNotContainKey("credential");
        assertThat(EventHubsEntraId.kafka("ns.servicebus.windows.net", "orders", "g", credential).groupId())
                .contains("g");
    }

    @Test
    void theHandlerHandsKafkaTheCredentialsTokenWithItsRealExpiryAndScope() throws Exception {
        OffsetDateTime expiry = OffsetDateTime.of(2030, 5, 6, 7, 8, 9, 0, ZoneOffset.UTC);
        String jwt = "eyJhbGciOiJub25lIn0." + java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString("{\"aud\":\"x\",\"sub\":\"app-42\",\"exp\":1}".getBytes()) + ".";
        StaticTokenCredential credential = StaticTokenCredential.of(jwt, expiry);
        Map<String, Object> config =
                consumerConfig(EventHubsEntraId.kafka("ns.servicebus.windows.net", "orders", credential));

        EntraIdLoginHandler handler = new EntraIdLoginHandler();
        handler.configure(config, "OAUTHBEARER", jaas(config));
        OAuthBearerTokenCallback callback = new OAuthBearerTokenCallback();
        handler.handle(new Callback[] {callback});

        OAuthBearerToken token = callback.token();
        assertThat(token.value()).isEqualTo(jwt);
        assertThat(token.lifetimeMs()).isEqualTo(expiry.toInstant().toEpochMilli());
        assertThat(token.principalName()).isEqualTo("app-42");
        assertThat(token.scope()).containsExactly("https://ns.servicebus.windows.net/.default");
        assertThat(token.toString()).doesNotContain(jwt);
        assertThat(credential.scopes()).containsExactly(List.of("https://ns.servicebus.windows.net/.default"));

        handler.close();
        assertThatThrownBy(() -> handler.handle(new Callback[] {new OAuthBearerTokenCallback()}))
                .hasMessageContaining("closed");
    }

    @Test
    void aFailingCredentialFailsTheLoginWithADescriptionThatSaysWhatToCheck() throws Exception {
        StaticTokenCredential refused =
                StaticTokenCredential.failing(new IllegalStateException("AADSTS50034: no user"));
        Map<String, Object> config =
                consumerConfig(EventHubsEntraId.kafka("ns.servicebus.windows.net", "orders", refused));
        EntraIdLoginHandler handler = new EntraIdLoginHandler();
        handler.configure(config, "OAUTHBEARER", jaas(config));
        OAuthBearerTokenCallback callback = new OAuthBearerTokenCallback();
        handler.handle(new Callback[] {callback});

        assertThat(callback.token()).isNull();
        assertThat(callback.errorDescription())
                .contains("Entra ID sign-in for Event Hubs namespace ns.servicebus.windows.net")
                .contains("AADSTS50034").contains("Azure Event Hubs Data Receiver");
    }

    @Test
    void anIdThatNamesNoCredentialIsRefusedWhenKafkaConfiguresTheHandler() {
        Map<String, Object> config = Map.of("sasl.jaas.config", "org.apache.kafka.common.security.oauthbearer"
                + ".OAuthBearerLoginModule required scope=\"https://ns/.default\" credential=\"streamlake-gone\";");
        assertThatThrownBy(() -> new EntraIdLoginHandler().configure(config, "OAUTHBEARER", jaas(config)))
                .isInstanceOf(ConfigurationException.class).hasMessageNotContaining("streamlake-gone")
                .hasMessageContaining("not registered in this JVM");
    }

    @Test
    void namespacesAreCheckedAndAConnectionStringGivenByMistakeIsNeverEchoed() {
        assertThatThrownBy(() -> EventHubsEntraId.kafka(CS, "orders")).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("looks like a connection string").hasMessageNotContaining("c2VjcmV0");
        assertThatThrownBy(() -> EventHubsEntraId.kafka(" ", "orders")).hasMessageContaining("namespace is empty");
        assertThatThrownBy(() -> EventHubsEntraId.producer("ns.servicebus.windows.net", " "))
                .hasMessageContaining("event hub name");
        assertThat(EventHubsEntraId.kafka("sb://ns.servicebus.windows.net/", "orders").bootstrapServers())
                .isEqualTo("ns.servicebus.windows.net:9093");
    }
}
