package io.streamlake.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.core.delta.KernelReader;
import io.streamlake.testkit.kafka.EmbeddedKafka;
import io.streamlake.testkit.kafka.UnsecuredJwtCredential;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Event Hubs samples: their command lines, and whole runs against a broker that signs clients in
 * as Event Hubs' Kafka endpoint does (SASL_SSL with PLAIN and a connection string, or OAUTHBEARER),
 * with every line they print checked for secrets.
 */
class EventHubsSamplesTest {
    @TempDir static Path brokerDir;
    private static EmbeddedKafka kafka;
    private static String key;
    private static String connectionString;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.builder(brokerDir).withSaslSsl().withOAuthBearer().start();
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        key = Base64.getEncoder().encodeToString(b);
        connectionString = "Endpoint=sb://127.0.0.1:" + kafka.saslSslPort() + "/;SharedAccessKeyName=Root;"
                + "SharedAccessKey=" + key;
        kafka.addSaslUser("$ConnectionString", connectionString);
        kafka.createTopic("orders-cs", 4);
        kafka.createTopic("orders-entra", 4);
    }

    @AfterAll
    static void stopBroker() {
        kafka.close();
    }

    private static String[] args(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        kafka.trustStoreProperties().forEach((k, v) -> {
            all.add("--kafka-property");
            all.add(k + "=" + v);
        });
        return all.toArray(String[]::new);
    }

    @Test
    void theConnectionStringSampleRunsTheOrdersThroughBronzeAndSilverAndNeverPrintsTheKey(@TempDir Path lake) {
        ProgramRun run = ProgramRun.of(() -> EventHubsKafka.run(
                args("--eventhub", "orders-cs", "--produce", "--events", "2000",
                        "--keys", "300", "--lake", lake.toString()),
                Map.of("EVENTHUBS_CONNECTION_STRING", connectionString)));

        assertThat(run.code()).as(run.output()).isZero();
        assertThat(KernelReader.rows(lake.resolve("bronze/orders-cs").toString())).hasSize(2000);
        assertThat(KernelReader.rows(lake.resolve("silver/orders-cs").toString())).hasSize(300);
        assertThat(run.output()).contains("bronze 2,000 rows, silver 300 rows").doesNotContain(key)
                .doesNotContain(kafka.trustStoreProperties().get("ssl.truststore.password"));
    }

    @Test
    void theEntraIdSampleRunsTheOrdersThroughBronzeAndSilverAndNeverPrintsAToken(@TempDir Path lake) {
        UnsecuredJwtCredential credential = UnsecuredJwtCredential.lasting(Duration.ofMinutes(10));
        ProgramRun run = ProgramRun.of(() -> EventHubsEntra.run(
                args("--namespace", "127.0.0.1:" + kafka.oauthBearerPort(),
                        "--produce", "--events", "2000", "--keys", "300", "--lake", lake.toString()),
                Map.of("EVENTHUB_NAME", "orders-entra"), credential));

        assertThat(run.code()).as(run.output()).isZero();
        assertThat(KernelReader.rows(lake.resolve("bronze/orders-entra").toString())).hasSize(2000);
        assertThat(KernelReader.rows(lake.resolve("silver/orders-entra").toString())).hasSize(300);
        assertThat(credential.requests()).isNotEmpty();
        for (UnsecuredJwtCredential.Request r : credential.requests()) {
            assertThat(run.output()).doesNotContain(r.token()).doesNotContain(r.token().split("\\.")[1]);
        }
    }

    @Test
    void aWrongKeyFailsWithoutPrintingEitherKey(@TempDir Path lake) {
        String wrong = connectionString.replace(key, key.substring(1) + "A");
        ProgramRun run =
                ProgramRun.of(() -> EventHubsKafka.run(args("--eventhub", "orders-cs", "--lake", lake.toString()),
                        Map.of("EVENTHUBS_CONNECTION_STRING", wrong)));
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.output()).contains("EventHubsKafka failed").contains("refused to authenticate")
                .doesNotContain(key).doesNotContain(key.substring(1));
    }

    @Test
    void commandLinesAreCheckedAndSecretsAreNeverEchoed() {
        ProgramRun noHub = ProgramRun
                .of(() -> EventHubsKafka.run(new String[] {}, Map.of("EVENTHUBS_CONNECTION_STRING", connectionString)));
        assertThat(noHub.code()).isEqualTo(2);
        assertThat(noHub.output()).contains("--eventhub NAME or EVENTHUB_NAME").doesNotContain(key);

        ProgramRun noSecret = ProgramRun.of(() -> EventHubsKafka.run(new String[] {"--eventhub", "orders"}, Map.of()));
        assertThat(noSecret.code()).isEqualTo(2);
        assertThat(noSecret.output()).contains("set EVENTHUBS_CONNECTION_STRING");

        ProgramRun onCommandLine =
                ProgramRun.of(() -> EventHubsKafka.run(new String[] {"--eventhub", "orders", connectionString},
                        Map.of()));
        assertThat(onCommandLine.code()).isEqualTo(2);
        assertThat(onCommandLine.output()).contains("never on the command line").doesNotContain(key);

        ProgramRun namespaceWithKey =
                ProgramRun.of(() -> EventHubsKafka.run(new String[] {"--eventhub", "o", "--namespace", "n"},
                        Map.of("EVENTHUBS_CONNECTION_STRING", connectionString)));
        assertThat(namespaceWithKey.code()).isEqualTo(2);
        assertThat(namespaceWithKey.output()).contains("--namespace is for Entra ID").doesNotContain(key);

        ProgramRun noNamespace =
                ProgramRun.of(() -> EventHubsEntra.run(new String[] {"--eventhub", "orders"}, Map.of(), null));
        assertThat(noNamespace.code()).isEqualTo(2);
        assertThat(noNamespace.output()).contains("--namespace <name>.servicebus.windows.net or EVENTHUBS_NAMESPACE");

        ProgramRun csAsNamespace =
                ProgramRun.of(() -> EventHubsEntra.run(new String[] {"--eventhub", "orders", "--namespace",
                        connectionString}, Map.of(), UnsecuredJwtCredential.failing("unused")));
        assertThat(csAsNamespace.code()).isEqualTo(2);
        assertThat(csAsNamespace.output()).contains("looks like a connection string").doesNotContain(key);
        // the library refuses it too, without quoting it
        assertThat(ProgramRun.of(() -> EventHubsEntra.run(new String[] {"--eventhub", "orders", "--namespace",
                "sb://ns.servicebus.windows.net/x y"}, Map.of(), UnsecuredJwtCredential.failing("unused"))).code())
                .isEqualTo(1);

        ProgramRun abfssWithoutKey = ProgramRun.of(() -> EventHubsKafka.run(
                new String[] {"--eventhub", "orders", "--lake",
                        "abfss://lake@mylake.dfs.core.windows.net/x"},
                Map.of("EVENTHUBS_CONNECTION_STRING", connectionString)));
        assertThat(abfssWithoutKey.code()).isEqualTo(1);
        assertThat(abfssWithoutKey.output()).contains("LAKE_ACCOUNT_KEY").doesNotContain(key);

        assertThat(ProgramRun.of(() -> EventHubsEntra.run(new String[] {"--help"}, Map.of(), null)).output())
                .contains("usage: EventHubsEntra");
        assertThat(EventHubsOptions
                .parse(new String[] {"--eventhub", "h", "--kafka-property", "ssl.key.password=pw123"},
                        Map.of("EVENTHUBS_CONNECTION_STRING", connectionString),
                        EventHubsOptions.SignIn.CONNECTION_STRING)
                .toString()).doesNotContain(key).doesNotContain("pw123").contains("ssl.key.password");
    }

    @Test
    void abfssLakesPutEachLayerUnderTheLakeAndNameTheAccount() {
        EventHubsOptions o = EventHubsOptions.parse(new String[] {"--eventhub", "orders", "--namespace", "ns",
                "--lake", "abfss://lake@mylake.dfs.core.windows.net/streamlake/"}, Map.of(),
                EventHubsOptions.SignIn.ENTRA_ID);
        assertThat(o.table("bronze")).isEqualTo("abfss://lake@mylake.dfs.core.windows.net/streamlake/bronze/orders");
        assertThat(o.account()).isEqualTo("mylake.dfs.core.windows.net");
    }
}
