package io.streamlake.core.eventhubs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.core.testing.HidingClassLoader;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A Kafka-only application has no Azure SDK on its class path: the connection-string factories and
 * the ADLS Gen2 account-key options must work without loading a single {@code com.azure} class.
 */
class EventHubsWithoutAzureTest {
    private static final String CS = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;"
            + "SharedAccessKey=a2V5";

    /** An account-key user's call, compiled as such. */
    public static final class AccountKeyOptions implements Supplier<Object> {
        @Override
        public Object get() {
            return io.streamlake.core.azure.AdlsGen2.accountKey("mylake",
                    "QWNjb3VudEtleVRoYXRNdXN0TmV2ZXJCZVByaW50ZWRBY2NvdW50S2V5VGhhdE11c3ROZXZlckJlUHJpbnRlZA==");
        }
    }

    @Test
    void connectionStringFactoriesAndAccountKeyOptionsNeedNoAzureClass() throws Exception {
        try (HidingClassLoader loader = new HidingClassLoader("com.azure.", "a Kafka-only class path")) {
            Class<?> eventHubs = Class.forName(EventHubs.class.getName(), true, loader);
            assertThat(eventHubs.getClassLoader()).isSameAs(loader);
            Object source = eventHubs.getMethod("kafka", String.class, String.class, String.class)
                    .invoke(null, CS, "orders", "group");
            assertThat(source.toString()).contains("ns.servicebus.windows.net:9093");
            Object producer = eventHubs.getMethod("producer", String.class, String.class).invoke(null, CS, "orders");
            assertThat(producer).isNotNull();

            // called as an application calls it (reflection would resolve every signature, Entra ID's too)
            Object options = ((Supplier<?>) Class.forName(AccountKeyOptions.class.getName(), true, loader)
                    .getDeclaredConstructor().newInstance()).get();
            assertThat(((Map<?, ?>) options).keySet()).map(String::valueOf)
                    .contains("fs.azure.account.key.mylake.dfs.core.windows.net");

            // and the class loader does hide the SDK: the Entra ID factories cannot load
            Class<?> entra = Class.forName(EventHubsEntraId.class.getName(), true, loader);
            assertThatThrownBy(() -> entra.getMethod("kafka", String.class, String.class))
                    .isInstanceOf(NoClassDefFoundError.class);
        }
    }
}
