package io.streamlake.core.azure;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.core.SecretFragments;
import java.net.ServerSocket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every credential path, run with DEBUG logging in a JVM of its own ({@link SecretLogsProbe}), leaves no
 * 8-character piece of any secret in the logs, the messages, the causes or the {@code toString()} of
 * anything: account keys valid and malformed, SAS tokens valid and malformed, Entra ID (the token and
 * the handoff id), {@code abfss://} tables opened with each, Event Hubs connection strings with the key
 * in the wrong part, the checkpoint store's strings, the Kafka clients of the Event Hubs endpoint and a
 * malformed JAAS config. A child JVM, because slf4j-simple fixes its level when the first logger is made,
 * which in a shared test JVM has long happened.
 */
class SecretLogsTest {
    private static final Pattern HANDOFF_ID = Pattern.compile("streamlake-[0-9a-f]{8}-[0-9a-f]{4}");

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void noCredentialPathLogsOrPrintsAPieceOfASecretAtDebugLevel(@TempDir Path dir) throws Exception {
        String key = SecretFragments.randomBase64(64);
        String signature = SecretFragments.randomSignature();
        String sas = "sv=2024-11-04&ss=b&srt=co&sp=rwdlac&se=2030-01-01T00:00:00Z&sig=" + signature;
        String token = "eyJ0eXAiOiJKV1QifQ." + SecretFragments.randomWord(40) + "." + SecretFragments.randomWord(40);
        String eventHubsKey = SecretFragments.randomBase64(32);
        String storageKey = SecretFragments.randomBase64(64);
        String password = SecretFragments.randomWord(32);
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }

        Path out = dir.resolve("probe.log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=debug",
                "-Dorg.slf4j.simpleLogger.logFile=System.out",
                "-cp", System.getProperty("java.class.path"), SecretLogsProbe.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
        Map<String, String> env = pb.environment();
        env.put("SL_ACCOUNT_KEY", key);
        env.put("SL_SAS", sas);
        env.put("SL_ENTRA_TOKEN", token);
        env.put("SL_EVENTHUBS_KEY", eventHubsKey);
        env.put("SL_STORAGE_KEY", storageKey);
        env.put("SL_KAFKA_PASSWORD", password);
        env.put("SL_CLOSED_PORT", Integer.toString(closedPort));
        // the Azure SDK's own fallback logger, should it not find slf4j
        env.put("AZURE_LOG_LEVEL", "verbose");
        Process p = pb.start();
        boolean exited = p.waitFor(4, TimeUnit.MINUTES);
        if (!exited) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        String logs = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(exited).as("the probe ended within 4 minutes; its output:\n%s", tail(logs)).isTrue();
        assertThat(p.exitValue()).as("exit code; output:\n%s", tail(logs)).isZero();

        // it ran every path, at DEBUG level, and each failed the way it should
        assertThat(logs).as("output:\n%s", tail(logs)).contains("PROBE FINISHED").doesNotContain("UNEXPECTED");
        for (String step : List.of("account key", "malformed account keys", "SAS", "malformed SAS tokens", "Entra ID",
                "malformed Event Hubs connection strings", "Event Hubs Kafka endpoint",
                "Event Hubs Kafka endpoint with Entra ID", "malformed JAAS config")) {
            assertThat(logs).contains("DONE " + step + "\n");
        }
        assertThat(logs).contains("DEBUG org.apache.hadoop.fs.azurebfs").contains("DEBUG org.apache.kafka")
                .contains("snapshot failure: io.streamlake.exceptions.").contains("producer failure: ")
                .contains(
                        "refused: io.streamlake.exceptions.ConfigurationException: the account key of storage account")
                .contains(
                        "refused: io.streamlake.exceptions.ConfigurationException: storage option fs.azure.account.key.")
                .contains("refused: io.streamlake.exceptions.ConfigurationException: the SAS token of storage account")
                .contains("refused: io.streamlake.exceptions.ConfigurationException: the Endpoint part")
                .contains("refused: io.streamlake.exceptions.ConfigurationException: the EntityPath part")
                .contains("refused: io.streamlake.exceptions.ConfigurationException: the SharedAccessKeyName part")
                .contains("in JAAS config")
                // the ABFS driver asked our provider for the token, signed with the key and sent the SAS
                .containsPattern("\ntoken requests: [1-9]").containsPattern("Kafka token requests: [1-9]")
                .contains("Signing request with shared key")
                .contains("with SAS token provider").contains("sig=XXXXX");

        String rawSignature = URLDecoder.decode(signature, StandardCharsets.UTF_8);
        SecretFragments.assertNoneIn(logs, key, signature, rawSignature, token.substring(19), eventHubsKey, storageKey,
                password);
        assertThat(HANDOFF_ID.matcher(logs).find()).as("a handoff id (streamlake-<uuid>) is printed").isFalse();
    }

    private static String tail(String logs) {
        return logs.length() <= 20_000 ? logs : logs.substring(logs.length() - 20_000);
    }
}
