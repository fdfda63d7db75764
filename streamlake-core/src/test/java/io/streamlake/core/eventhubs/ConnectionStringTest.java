package io.streamlake.core.eventhubs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.exceptions.ConfigurationException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConnectionStringTest {
    private static final String KEY = "s3cr3tKEYvalue+/abcdefghijklmnopqrstuvwxyz0=";
    private static final String GOOD =
            "Endpoint=sb://my-ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
                    + "SharedAccessKey=" + KEY;

    @Test
    void parsesANamespaceConnectionString() {
        ConnectionString cs = ConnectionString.parse(GOOD);
        assertThat(cs.host()).isEqualTo("my-ns.servicebus.windows.net");
        assertThat(cs.bootstrapServers()).isEqualTo("my-ns.servicebus.windows.net:9093");
        assertThat(cs.keyName()).isEqualTo("RootManageSharedAccessKey");
        assertThat(cs.entityPath()).isEmpty();
        assertThat(cs.jaasConfig()).isEqualTo("org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " username=\"$ConnectionString\" password=\"" + GOOD + "\";");
    }

    @Test
    void acceptsAnEntityPathAnyCaseOfPartNamesATrailingSemicolonAndNoTrailingSlash() {
        ConnectionString cs =
                ConnectionString.parse(" endpoint=sb://ns.servicebus.windows.net;sharedaccesskeyname=send;"
                        + "SHAREDACCESSKEY=" + KEY + ";EntityPath=orders; ");
        assertThat(cs.entityPath()).contains("orders");
        assertThat(cs.bootstrapServers()).isEqualTo("ns.servicebus.windows.net:9093");
    }

    @Test
    void aPortInTheEndpointReplacesTheKafkaPortForTestsAndEmulators() {
        ConnectionString cs = ConnectionString.parse(GOOD.replace("my-ns.servicebus.windows.net", "127.0.0.1:19093"));
        assertThat(cs.bootstrapServers()).isEqualTo("127.0.0.1:19093");
    }

    @Test
    void eachMalformedPartIsNamedAndTheKeyNeverShows() {
        record Case(String text, String says) {
        }
        List<Case> cases = List.of(
                new Case("", "is empty"),
                new Case("SharedAccessKeyName=p;SharedAccessKey=" + KEY, "no Endpoint"),
                new Case("Endpoint=https://ns.servicebus.windows.net/;SharedAccessKeyName=p;SharedAccessKey=" + KEY,
                        "Endpoint part of the Event Hubs connection string is not an sb://"),
                new Case("Endpoint=sb://ns.servicebus.windows.net:99999/;SharedAccessKeyName=p;SharedAccessKey=" + KEY,
                        "port outside 1-65535"),
                new Case("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=" + KEY, "no SharedAccessKeyName"),
                new Case("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=p", "no SharedAccessKey"),
                new Case("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=p;SharedAccessKey=",
                        "no SharedAccessKey"),
                new Case(GOOD + ";SharedAccessKey=" + KEY, "SharedAccessKey twice"),
                new Case(GOOD + ";EntityPath=", "EntityPath of the Event Hubs connection string is empty"),
                new Case(GOOD + ";" + KEY, "part 4"),
                new Case(GOOD + ";Sh4redAccessKey=" + KEY, "part 4"),
                new Case(KEY + "=;" + GOOD, "part 1"),
                new Case(GOOD + " x", "blank"),
                new Case(GOOD + "\"", "quote"),
                new Case("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessSignature=SharedAccessSignature sr=x",
                        "blank"),
                new Case("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessSignature=sr%3Dx" + KEY,
                        "SharedAccessSignature"));
        for (Case c : cases) {
            assertThatThrownBy(() -> ConnectionString.parse(c.text())).as(c.says())
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining(c.says())
                    .hasMessageNotContaining(KEY)
                    .hasMessageNotContaining(KEY.substring(0, 12));
        }
    }

    @Test
    void toStringNamesTheNamespaceAndPolicyButNeverTheKey() {
        ConnectionString cs = ConnectionString.parse(GOOD + ";EntityPath=orders");
        assertThat(cs.toString()).contains("my-ns.servicebus.windows.net", "RootManageSharedAccessKey", "orders")
                .doesNotContain(KEY).doesNotContain(KEY.substring(0, 12));
    }
}
