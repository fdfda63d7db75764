package io.streamlake.core.kafka;

import io.streamlake.core.delta.Redactor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Which Kafka client settings hold secrets, for masking the client's messages. Kafka hides its
 * password-typed settings in its own logs, but its JAAS parser quotes the piece of
 * {@code sasl.jaas.config} it could not read (a word of a password, for a missing quote), and our
 * messages quote Kafka's: those pieces must be masked too.
 *
 * <pre>{@code
 * Redactor redactor = KafkaSecrets.redactor(config, ConsumerConfig.configDef());
 * throw new ConfigurationException("... " + redactor.redact(KafkaReader.messages(e)), redactor.sanitize(e));
 * }</pre>
 */
final class KafkaSecrets {
    /** Settings Kafka does not know (a custom login module's) are secrets when their names say so. */
    private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(password|secret|jaas|credential|token).*");

    private KafkaSecrets() {
    }

    /**
     * @param config client settings
     * @param definitions the client's settings ({@code ConsumerConfig.configDef()}, {@code ProducerConfig.configDef()})
     * @return a redactor masking the secret values, and any piece of them, in messages
     */
    static Redactor redactor(Map<String, ?> config, ConfigDef definitions) {
        List<String> secrets = new ArrayList<>();
        config.forEach((name, value) -> {
            ConfigDef.ConfigKey key = definitions.configKeys().get(name);
            boolean secret = key != null ? key.type == ConfigDef.Type.PASSWORD : SECRET_NAME.matcher(name).matches();
            if (secret && value != null) {
                secrets.add(value.toString());
            }
        });
        return new Redactor(secrets, secrets);
    }
}
