package io.streamlake.core.kafka;

import io.streamlake.core.storage.Redactor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.SaslConfigs;

/**
 * Which Kafka client settings hold secrets, for masking the client's messages. Kafka hides its
 * password-typed settings in its own logs, but its JAAS parser quotes the piece of
 * {@code sasl.jaas.config} it could not read (a word of a password, for a missing quote), and our
 * messages quote Kafka's: those pieces must be masked too.
 *
 * <pre>{@code
 * Redactor redactor = KafkaSecrets.redactor(config, ConsumerConfig.configDef());
 * throw KafkaErrors.consumerNotCreated(source.toString(), redactor, e);
 * }</pre>
 *
 * <p>Pieces are masked only of what is secret in a JAAS line (a password, a stray word, the key of a
 * connection string given as password), not of the whole line: its module class, option names, the
 * scope of an Entra ID sign-in and the namespace host would otherwise be masked in every message that
 * names them, and the message would no longer say what failed.
 */
final class KafkaSecrets {
    /** Settings Kafka does not know (a custom login module's) are secrets when their names say so. */
    private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(password|secret|jaas|credential|token).*");
    /** JAAS options whose values are pieces of a secret: a parser may quote a part of them. */
    private static final Pattern SECRET_OPTION = Pattern.compile("(?i).*(password|secret|token).*");
    /** JAAS options that name things, masked nowhere: the message must be able to say which. */
    private static final Set<String> PLAIN_OPTIONS = Set.of("username", "scope", "servicename", "principal");
    private static final Set<String> FLAGS = Set.of("required", "requisite", "sufficient", "optional");
    /** A JAAS token: a quoted value, or a word up to a blank, '=', quote or ';'. */
    private static final Pattern JAAS_TOKEN = Pattern.compile("\"([^\"]*)\"?|([^\\s=\";]+)");

    private KafkaSecrets() {
    }

    /**
     * @param config client settings
     * @param definitions the client's settings ({@code ConsumerConfig.configDef()}, {@code ProducerConfig.configDef()})
     * @return a redactor masking the secret values, and any piece of the secret parts of them, in messages
     */
    static Redactor redactor(Map<String, ?> config, ConfigDef definitions) {
        List<String> whole = new ArrayList<>();
        List<String> pieces = new ArrayList<>();
        config.forEach((name, value) -> {
            if (value == null || CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG.equals(name)) {
                return;
            }
            ConfigDef.ConfigKey key = definitions.configKeys().get(name);
            boolean secret = key != null ? key.type == ConfigDef.Type.PASSWORD : SECRET_NAME.matcher(name).matches();
            if (!secret) {
                return;
            }
            String text = value.toString();
            whole.add(text);
            if (SaslConfigs.SASL_JAAS_CONFIG.equals(name)) {
                jaas(text, whole, pieces);
            } else {
                pieces.add(text);
            }
        });
        return new Redactor(whole, pieces);
    }

    /**
     * Adds the option values of a JAAS line as whole secrets, and the secret ones (and any word that is
     * neither module, flag nor option name, as in a malformed line) as sources of pieces.
     */
    private static void jaas(String text, List<String> whole, List<String> pieces) {
        Matcher m = JAAS_TOKEN.matcher(text);
        String option = null;
        int index = 0;
        while (m.find()) {
            String token = m.group(1) != null ? m.group(1) : m.group(2);
            boolean name = m.group(2) != null && m.end() < text.length() && text.charAt(m.end()) == '=';
            if (index == 0 || (index == 1 && FLAGS.contains(token)) || token.isEmpty()) {
                option = null;
            } else if (name) {
                option = token;
            } else if (option == null) {
                pieces.add(token); // a word where no value belongs: part of a value the parser lost
            } else {
                if (!PLAIN_OPTIONS.contains(option.toLowerCase(Locale.ROOT))) {
                    whole.add(token);
                }
                if (SECRET_OPTION.matcher(option).matches()) {
                    pieces.addAll(secretParts(token));
                }
                option = null;
            }
            index++;
        }
    }

    /** @return the keys of a connection string given as password (its host is no secret), else the whole value */
    private static List<String> secretParts(String value) {
        if (value.indexOf(';') < 0 || value.indexOf('=') < 0) {
            return List.of(value);
        }
        List<String> out = new ArrayList<>();
        for (String part : value.split(";")) {
            int eq = part.indexOf('=');
            String partName = eq < 0 ? "" : part.substring(0, eq).toLowerCase(Locale.ROOT);
            boolean secret = partName.contains("signature") || partName.contains("secret")
                    || (partName.contains("key") && !partName.endsWith("name"));
            if (eq < 0 || secret) {
                out.add(part.substring(eq + 1));
            }
        }
        return out;
    }
}
