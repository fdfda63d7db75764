package io.streamlake.testkit.kafka;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** One plaintext broker per test class: starting one takes seconds, a topic per test takes milliseconds. */
abstract class EmbeddedKafkaTest {
    @TempDir static Path brokerDir;
    static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.start(brokerDir);
    }

    @AfterAll
    static void stopBroker() {
        kafka.close();
    }
}
