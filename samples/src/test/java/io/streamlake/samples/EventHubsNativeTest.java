package io.streamlake.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.core.eventhubs.EventHubsSource;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventHubsNativeTest {
    private static final String KEY = "bm90LWEtcmVhbC1rZXktYnV0LWxvbmctZW5vdWdo";
    private static final String CS = "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=listen;"
            + "SharedAccessKey=" + KEY;
    /** Storage account keys are the base64 text of 64 bytes, and are checked for it. */
    private static final String STORAGE_KEY =
            "QWNjb3VudEtleVRoYXRNdXN0TmV2ZXJCZVByaW50ZWRBY2NvdW50S2V5VGhhdE11c3ROZXZlckJlUHJpbnRlZA==";
    private static final String STORAGE = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + STORAGE_KEY
            + ";EndpointSuffix=core.windows.net";

    @Test
    void connectionStringsComeFromTheEnvironmentAndAreNeverPrinted() {
        EventHubsNative.Options o = EventHubsNative.Options.parse(
                new String[] {"--eventhub", "orders", "--container", "checkpoints", "--lake", "/tmp/lake"},
                Map.of("EVENTHUBS_CONNECTION_STRING", CS, "STORAGE_CONNECTION_STRING", STORAGE));
        EventHubsSource source = EventHubsNative.source(o);
        assertThat(source.fullyQualifiedNamespace()).isEqualTo("myns.servicebus.windows.net");
        assertThat(source.consumerGroup()).isEqualTo("$Default");
        assertThat(source.toString()).contains("orders", "checkpoints", "acct").doesNotContain(KEY)
                .doesNotContain(STORAGE_KEY);
    }

    @Test
    void entraIdNeedsOnlyNamesAndTheContainerUrl() {
        EventHubsNative.Options o = EventHubsNative.Options.parse(new String[] {"--eventhub", "orders", "--namespace",
                "myns.servicebus.windows.net", "--container-url", "https://acct.blob.core.windows.net/cp"}, Map.of());
        assertThat(o.connectionString).isNull();
        assertThat(EventHubsNative.source(o).toString()).contains("Entra ID", "https://acct.blob.core.windows.net/cp");
    }

    @Test
    void wrongArgumentsSayWhatIsMissingWithoutEchoingSecrets() {
        assertThatThrownBy(() -> EventHubsNative.Options.parse(new String[] {"--container", "cp"}, Map.of()))
                .hasMessageContaining("--eventhub");
        assertThatThrownBy(() -> EventHubsNative.Options.parse(new String[] {"--eventhub", "orders", "--container",
                "cp"}, Map.of())).hasMessageContaining("EVENTHUBS_CONNECTION_STRING");
        assertThatThrownBy(() -> EventHubsNative.Options.parse(new String[] {"--eventhub", "orders"},
                Map.of("EVENTHUBS_CONNECTION_STRING", CS))).hasMessageContaining("--container");
        assertThatThrownBy(() -> EventHubsNative.Options.parse(new String[] {"--eventhub", "orders", "--container",
                "cp"}, Map.of("EVENTHUBS_CONNECTION_STRING", CS))).hasMessageContaining("STORAGE_CONNECTION_STRING")
                .message().doesNotContain(KEY);
        assertThatThrownBy(() -> EventHubsNative.Options.parse(new String[] {"--eventhub", "orders", CS}, Map.of()))
                .message().doesNotContain(KEY).contains("environment");
    }
}
