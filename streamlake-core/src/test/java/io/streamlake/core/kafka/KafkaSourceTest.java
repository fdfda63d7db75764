package io.streamlake.core.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.streamlake.core.SecretFragments;
import io.streamlake.core.eventhubs.EventHubs;
import io.streamlake.core.testing.NoMarkers;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.source.SourceContext;
import io.streamlake.source.StartPosition;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/** The source's configuration, without a broker; the behaviour is tested against a real one in the testkit. */
class KafkaSourceTest {
    private static final String KEY = "s3cr3tKEYvalue+/abcdefghijklmnopqrstuvwxyz0=";
    private static final String CONNECTION_STRING = "Endpoint=sb://my-ns.servicebus.windows.net/;"
            + "SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=" + KEY;

    @Test
    void theConsumerGroupIsThePipelineNameUnlessGiven() {
        KafkaSource source = KafkaSource.topics("localhost:9092", "orders");
        assertThat(source.consumerConfig("orders-ingest")).containsEntry("group.id", "orders-ingest")
                .containsEntry("bootstrap.servers", "localhost:9092");
        assertThat(source.withGroupId("lag").consumerConfig("orders-ingest")).containsEntry("group.id", "lag");
        assertThat(source.consumerConfig("p")).containsEntry("max.poll.records",
                Integer.toString(KafkaSource.maxPollRecords(Runtime.getRuntime().maxMemory())));
    }

    @Test
    void aPollOfRecordsOfAMegabyteHoldsAtMostASixteenthOfTheHeapUnlessTheUserSaysOtherwise() {
        long mib = 1L << 20;
        assertThat(KafkaSource.maxPollRecords(256 * mib)).as("a small heap").isEqualTo(16);
        assertThat(KafkaSource.maxPollRecords(64 * mib)).as("never fewer").isEqualTo(16);
        assertThat(KafkaSource.maxPollRecords(1024 * mib)).isEqualTo(64);
        assertThat(KafkaSource.maxPollRecords(6L * 1024 * mib)).as("the default heap of 24 GB").isEqualTo(384);
        assertThat(KafkaSource.maxPollRecords(160L * 1024 * mib)).as("Kafka's poll, larger")
                .isEqualTo(Integer.parseInt(KafkaSource.FETCH_DEFAULTS.get("max.poll.records")));
        for (long heap = 16 * mib; heap < 64L * 1024 * mib; heap += 97 * mib) {
            int records = KafkaSource.maxPollRecords(heap);
            assertThat(records).isBetween(16, 10_000);
            assertThat(records == 16 || records * KafkaSource.LARGE_RECORD_BYTES <= heap / 16)
                    .as("a poll of %d records of 1 MiB in a heap of %d MiB", records, heap / mib).isTrue();
        }
        KafkaSource source = KafkaSource.topics("localhost:9092", "orders");
        assertThat(source.consumerConfig("p")).containsEntry("max.poll.records",
                Integer.toString(KafkaSource.maxPollRecords(Runtime.getRuntime().maxMemory())));
        // polls that drain a fetch over several, at any heap: the brokers must not hold the next fetch for long
        assertThat(source.consumerConfig("p", 256 * mib)).containsEntry("max.poll.records", "16")
                .containsEntry("fetch.max.wait.ms", KafkaSource.FETCH_WAIT_MS);
        assertThat(source.consumerConfig("p", 1024 * mib)).containsEntry("max.poll.records", "64")
                .containsEntry("fetch.max.wait.ms", KafkaSource.FETCH_WAIT_MS);
        assertThat(source.consumerConfig("p", 6L * 1024 * mib)).containsEntry("max.poll.records", "384")
                .containsEntry("fetch.max.wait.ms", KafkaSource.FETCH_WAIT_MS);
        assertThat(source.withMaxPollRecords(10_000).consumerConfig("p", 160L * 1024 * mib))
                .containsEntry("fetch.max.wait.ms", KafkaSource.FETCH_WAIT_MS);
        assertThat(source.withMaxFetchWait(java.time.Duration.ofMillis(300)).consumerConfig("p", 256 * mib))
                .containsEntry("fetch.max.wait.ms", "300");
        assertThat(KafkaSource.topics("localhost:9092", "orders").withMaxPollRecords(20_000)
                .withMaxFetchWait(java.time.Duration.ofMillis(300)).consumerConfig("p"))
                .containsEntry("fetch.max.wait.ms", "300")
                .containsEntry("max.poll.records", "20000");
    }

    @Test
    void rebalancingIsCooperativeUnlessTheUserChoseAnAssignorOrTheBrokersProtocol() {
        KafkaSource source = KafkaSource.topics("localhost:9092", "orders");
        assertThat(source.consumerConfig("p")).containsEntry("partition.assignment.strategy",
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
        assertThat(source.withConsumerProperty("partition.assignment.strategy",
                "org.apache.kafka.clients.consumer.RangeAssignor").consumerConfig("p"))
                .containsEntry("partition.assignment.strategy", "org.apache.kafka.clients.consumer.RangeAssignor");
        // KIP-848: the broker assigns, and the consumer refuses an assignor beside group.protocol=consumer
        assertThat(source.withConsumerProperty("group.protocol", "consumer").consumerConfig("p"))
                .containsEntry("group.protocol", "consumer").doesNotContainKey("partition.assignment.strategy");
        // the client accepts the settings as a whole (the reader gives the deserializers as instances)
        for (KafkaSource s : List.of(source, source.withConsumerProperty("group.protocol", "consumer"))) {
            Map<String, Object> config = new java.util.HashMap<>(s.consumerConfig("p"));
            config.put("key.deserializer", ByteArrayDeserializer.class);
            config.put("value.deserializer", ByteArrayDeserializer.class);
            new org.apache.kafka.clients.consumer.ConsumerConfig(config);
        }
    }

    @Test
    void theConsumerFetchesLessInASmallHeapUnlessTheUserSaysOtherwise() {
        long mib = 1L << 20;
        assertThat(KafkaSource.fetchMaxBytes(6L * 1024 * mib)).as("Kafka's fetch, a little larger").isEqualTo(64 * mib);
        assertThat(KafkaSource.fetchMaxBytes(4L * 1024 * mib)).isEqualTo(64 * mib);
        assertThat(KafkaSource.fetchMaxBytes(1024 * mib)).isEqualTo(16 * mib);
        assertThat(KafkaSource.fetchMaxBytes(256 * mib)).as("a sixty-fourth of a small heap").isEqualTo(4 * mib);
        assertThat(KafkaSource.fetchMaxBytes(16 * mib)).isEqualTo(2 * mib);
        Map<String, Object> config = KafkaSource.topics("localhost:9092", "orders").consumerConfig("p");
        long fetch = Long.parseLong((String) config.get("fetch.max.bytes"));
        assertThat(fetch).isEqualTo(KafkaSource.fetchMaxBytes(Runtime.getRuntime().maxMemory()));
        assertThat(Long.parseLong((String) config.get("max.partition.fetch.bytes"))).isLessThanOrEqualTo(fetch);
        assertThat(KafkaSource.topics("localhost:9092", "orders").withMaxFetchBytes(100 << 20)
                .withConsumerProperty("max.partition.fetch.bytes", "1024").consumerConfig("p"))
                .containsEntry("fetch.max.bytes", Integer.toString(100 << 20))
                .containsEntry("max.partition.fetch.bytes", "1024");
    }

    @Test
    void autoCommitAndOffsetResetCannotBeTurnedOnThroughThePassthrough() {
        KafkaSource source = KafkaSource.topics("localhost:9092", "orders")
                .withConsumerProperty("enable.auto.commit", "true")
                .withConsumerProperty("auto.offset.reset", "earliest")
                .withConsumerProperty("isolation.level", "read_committed")
                .withMaxPollRecords(5000).withMaxFetchBytes(1 << 26).withMaxFetchWait(Duration.ofMillis(200));
        assertThat(source.consumerConfig("p")).containsEntry("enable.auto.commit", "false")
                .containsEntry("auto.offset.reset", "none")
                .containsEntry("isolation.level", "read_committed")
                .containsEntry("max.poll.records", "5000")
                .containsEntry("fetch.max.bytes", Integer.toString(1 << 26))
                .containsEntry("fetch.max.wait.ms", "200");
    }

    @Test
    void descriptionsAreImmutableAndNamedAfterTheirTopics() {
        KafkaSource base = KafkaSource.topics("localhost:9092", "orders", "payments");
        KafkaSource changed = base.withGroupId("g").skipLostPositions().withStartPosition(StartPosition.latest());
        assertThat(base.groupId()).isEmpty();
        assertThat(base.skipsLostPositions()).isFalse();
        assertThat(base.startPosition()).isEqualTo(StartPosition.earliest());
        assertThat(changed.skipsLostPositions()).isTrue();
        assertThat(base.name()).isEqualTo("orders,payments");
        assertThat(KafkaSource.topicPattern("localhost:9092", Pattern.compile("orders-.*")).name())
                .isEqualTo("orders-.*");
    }

    @Test
    void badTopicsServersAndLimitsFailAtDefinition() {
        assertThatThrownBy(() -> KafkaSource.topics("localhost:9092", "bad topic"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("topic 1 of 1 (9 characters)")
                .hasMessageNotContaining("bad topic");
        assertThatThrownBy(() -> KafkaSource.topics(" ", "orders")).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> KafkaSource.topics("localhost:9092")).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> KafkaSource.topics("localhost:9092", "orders").withMaxPollRecords(0))
                .isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> StartPosition.offsets(Map.of(new io.streamlake.source.SourcePartition("o", 0), -1L)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void connectTimeoutAndTopicWaitDefaultToAMinuteAndNoWaitAndAreCheckedAtDefinition() {
        KafkaSource base = KafkaSource.topics("localhost:9092", "orders");
        assertThat(base.connectTimeout()).isEqualTo(KafkaSource.DEFAULT_CONNECT_TIMEOUT)
                .isEqualTo(Duration.ofSeconds(60));
        assertThat(base.topicWait()).isZero();
        KafkaSource changed = base.withConnectTimeout(Duration.ofSeconds(3)).waitForTopics(Duration.ofMinutes(2));
        assertThat(changed.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(changed.topicWait()).isEqualTo(Duration.ofMinutes(2));
        assertThat(base.connectTimeout()).as("a copy, the original unchanged").isEqualTo(Duration.ofSeconds(60));
        // Every other withX keeps both.
        KafkaSource later = changed.withGroupId("g").withStartPosition(StartPosition.latest()).skipLostPositions()
                .withConsumerProperty("isolation.level", "read_committed").withMaxPollRecords(10);
        assertThat(later.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(later.topicWait()).isEqualTo(Duration.ofMinutes(2));
        assertThat(later.toString()).contains("connect timeout PT3S", "wait for topics PT2M");
        assertThat(
                KafkaSource.topicPattern("localhost:9092", Pattern.compile("o.*")).waitForTopics(Duration.ofDays(3650))
                        .topicWait())
                .isEqualTo(Duration.ofDays(3650));
        assertThat(base.waitForTopics(Duration.ZERO).topicWait()).isZero();

        assertThatThrownBy(() -> base.withConnectTimeout(Duration.ZERO)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("at least 1 ms").hasMessageContaining("PT0S");
        assertThatThrownBy(() -> base.withConnectTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> base.withConnectTimeout(Duration.ofNanos(999_999)))
                .isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> base.waitForTopics(Duration.ofMillis(-1))).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("must not be negative").hasMessageContaining("Duration.ZERO");
        assertThatThrownBy(() -> base.withConnectTimeout(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> base.waitForTopics(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void subscribingNeverCreatesATopicUnlessThePassthroughAsks() {
        KafkaSource source = KafkaSource.topics("localhost:9092", "orders");
        assertThat(source.consumerConfig("p")).containsEntry("allow.auto.create.topics", "false");
        assertThat(source.withConsumerProperty("allow.auto.create.topics", "true").consumerConfig("p"))
                .containsEntry("allow.auto.create.topics", "true");
    }

    @Test
    void similarTopicNamesAreFoundByCaseEditsAndParts() {
        List<String> topics = List.of("orders", "Orders_EU", "orders-eu", "payments", "order-events", "shipments",
                "__consumer_offsets", "o");
        assertThat(KafkaReader.similar("ordres", topics)).startsWith("orders").doesNotContain("payments", "o");
        assertThat(KafkaReader.similar("orders_eu", topics)).startsWith("Orders_EU").contains("orders-eu", "orders");
        assertThat(KafkaReader.similar("paymnts", topics)).containsExactly("payments");
        assertThat(KafkaReader.similar("invoices", topics)).isEmpty();
        assertThat(KafkaReader.similar("x", topics)).as("one edit allowed for short names").containsExactly("o");
        List<String> many = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            many.add("orders" + (char) ('a' + i));
        }
        assertThat(KafkaReader.similar("orders", many)).hasSize(5);
    }

    @Test
    void eventHubsSourcesUseTheKafkaEndpointWithSaslSslAndTheRecommendedTimeouts() {
        KafkaSource source = EventHubs.kafka(CONNECTION_STRING, "orders");
        assertThat(source.bootstrapServers()).isEqualTo("my-ns.servicebus.windows.net:9093");
        assertThat(source.topics()).containsExactly("orders");
        assertThat(source.consumerConfig("p"))
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "PLAIN")
                .containsEntry("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required"
                        + " username=\"$ConnectionString\" password=\"" + CONNECTION_STRING + "\";")
                .containsEntry("request.timeout.ms", "60000")
                .containsEntry("session.timeout.ms", "30000")
                .containsEntry("metadata.max.age.ms", "180000")
                .containsEntry("connections.max.idle.ms", "180000");
        assertThat(EventHubs.kafka(CONNECTION_STRING, "orders", "cg").consumerConfig("p")).containsEntry("group.id",
                "cg");
    }

    @Test
    void secretsNeverShowInToString() {
        KafkaSource source = EventHubs.kafka(CONNECTION_STRING, "orders")
                .withConsumerProperty("ssl.truststore.password", "trust-me");
        assertThat(source.toString()).contains("orders", "my-ns.servicebus.windows.net:9093", "sasl.jaas.config",
                "ssl.truststore.password").doesNotContain(KEY).doesNotContain("trust-me");
        EventProducer.Builder producer = EventHubs.producer(CONNECTION_STRING, "orders");
        assertThat(producer.toString()).contains("orders", "compression.type").doesNotContain(KEY);
    }

    @Test
    void eventHubsProducersCompressWithGzipAndSkipIdempotence() {
        String text = EventHubs.producer(CONNECTION_STRING, "orders").toString();
        assertThat(text).contains("compression.type", "enable.idempotence", "sasl.jaas.config", "max.request.size");
        assertThatThrownBy(() -> EventHubs.producer(CONNECTION_STRING + ";EntityPath=payments", "orders"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("EntityPath")
                .hasMessageNotContaining("payments");
    }
    @Test
    void aMalformedJaasConfigIsReportedWithoutAnyPieceOfItsPassword() {
        String first = SecretFragments.randomWord(16);
        String second = SecretFragments.randomWord(24);
        // a password without quotes: Kafka's parser quotes its second word as a key without a value
        String unquoted = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password="
                + first + " " + second + ";";
        // a flag glued to a secret-looking word: Kafka quotes the flag
        String glued = "org.apache.kafka.common.security.plain.PlainLoginModule required" + second
                + " username=\"u\" password=\"" + first + "\";";
        SourceContext context = new NoMarkers("p");
        for (String jaas : List.of(unquoted, glued)) {
            Map<String, String> sasl = Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
                    "sasl.jaas.config", jaas);
            KafkaSource source = KafkaSource.topics("127.0.0.1:9", "orders").withConsumerProperties(sasl);
            Throwable consumer = catchThrowable(() -> source.open(context).close());
            assertThat(consumer).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("the Kafka consumer for KafkaSource[topics [orders]")
                    .hasMessageContaining("in JAAS config");
            SecretFragments.assertNoneIn(SecretFragments.describe(consumer) + source, first, second);

            EventProducer.Builder settings = EventProducer.kafka("127.0.0.1:9", "orders").withProducerProperties(sasl);
            Throwable producer = catchThrowable(() -> settings.open().close());
            assertThat(producer).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("the Kafka producer for topic orders").hasMessageContaining("in JAAS config");
            SecretFragments.assertNoneIn(SecretFragments.describe(producer) + settings, first, second);
        }
    }
    @Test
    void onlyTheSecretPartsOfAJaasLineAreMaskedInKafkasMessages() {
        String key = SecretFragments.randomBase64(32);
        String plain = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"$ConnectionString\""
                + " password=\"Endpoint=sb://my-ns.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey="
                + key + "\";";
        io.streamlake.core.storage.Redactor r = KafkaSecrets.redactor(Map.of("sasl.jaas.config", plain,
                "bootstrap.servers", "my-ns.servicebus.windows.net:9093"),
                org.apache.kafka.clients.consumer.ConsumerConfig.configDef());
        assertThat(r
                .redact("login to my-ns.servicebus.windows.net:9093 with policy listen failed: '" + key.substring(3, 20)
                        + "' in org.apache.kafka.common.security.plain.PlainLoginModule"))
                .isEqualTo("login to my-ns.servicebus.windows.net:9093 with policy listen failed: '***' in"
                        + " org.apache.kafka.common.security.plain.PlainLoginModule");

        String entra = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required"
                + " scope=\"https://my-ns.servicebus.windows.net/.default\" credential=\"streamlake-0123-4567\";";
        io.streamlake.core.storage.Redactor e = KafkaSecrets.redactor(Map.of("sasl.jaas.config", entra),
                org.apache.kafka.clients.consumer.ConsumerConfig.configDef());
        assertThat(e.redact("Entra ID sign-in for Event Hubs namespace my-ns.servicebus.windows.net failed:"
                + " io.streamlake.core.azure.StaticTokenCredential gave no token for scope"
                + " https://my-ns.servicebus.windows.net/.default (credential streamlake-0123-4567)"))
                .isEqualTo("Entra ID sign-in for Event Hubs namespace my-ns.servicebus.windows.net failed:"
                        + " io.streamlake.core.azure.StaticTokenCredential gave no token for scope"
                        + " https://my-ns.servicebus.windows.net/.default (credential ***)");
    }
}
