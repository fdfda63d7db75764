package io.streamlake.testkit.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.plain.PlainAuthenticateCallback;
import org.apache.kafka.common.utils.Time;
import org.jspecify.annotations.Nullable;

/**
 * A real Kafka broker inside the calling JVM: one KRaft node that is both broker and controller,
 * listening on ephemeral ports of 127.0.0.1 only, with its data in a folder you choose. It starts in
 * about two seconds; restart it on the same folder and the topics and their records are still there.
 * Optionally it also serves a SASL_SSL listener with the PLAIN mechanism and a self-signed
 * certificate, which is how Azure Event Hubs' Kafka endpoint authenticates, so the Event Hubs client
 * configuration can be tested without a cloud. It can also serve a SASL_SSL listener with the
 * OAUTHBEARER mechanism, as Event Hubs does for Entra ID sign-in, validating unsecured JWTs
 * ({@code alg: none}) with Kafka's {@code OAuthBearerUnsecuredValidatorCallbackHandler}: their
 * {@code sub} is the principal, their {@code exp} must lie in the future.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.builder(tmp).withSaslSsl().start()) {
 *     kafka.createTopic("orders", 4);
 *     Source source = KafkaSource.topic(kafka.bootstrapServers(), "orders");
 *
 *     kafka.addSaslUser("$ConnectionString", connectionString);   // accepted PLAIN credentials
 *     String endpoint = "sb://127.0.0.1:" + kafka.saslSslPort() + "/";
 *     kafka.trustStoreProperties();                                // what a client adds to trust the certificate
 * }
 * }</pre>
 *
 * <p>It needs {@code org.apache.kafka:kafka_2.13}, {@code kafka-server} and {@code kafka-server-common}
 * on the test class path, in the version of your kafka-clients: the testkit declares them optional.
 */
public final class EmbeddedKafka implements AutoCloseable {
    /** Credentials of the SASL listeners of every broker in this JVM, by broker token. */
    private static final Map<String, Map<String, String>> CREDENTIALS = new ConcurrentHashMap<>();
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    private final Path dataDir;
    private final String token = UUID.randomUUID().toString();
    private final int port;
    private final int saslSslPort;
    private final int oauthBearerPort;
    private final @Nullable Path trustStore;
    private final String storePassword;
    private final KafkaRaftServer server;
    private @Nullable Admin admin;
    private boolean closed;

    private EmbeddedKafka(Builder builder) {
        this.dataDir = builder.dataDir.toAbsolutePath().normalize();
        this.storePassword = randomSecret();
        try {
            Files.createDirectories(dataDir);
            int[] ports = freePorts(2 + (builder.saslSsl ? 1 : 0) + (builder.oauthBearer ? 1 : 0));
            // A fixed port lets clients that were told the old address find a restarted broker.
            this.port = builder.port > 0 ? builder.port : ports[0];
            int controllerPort = ports[1];
            this.saslSslPort = builder.saslSsl ? ports[2] : -1;
            this.oauthBearerPort = builder.oauthBearer ? ports[ports.length - 1] : -1;
            Path keyStore = null;
            if (builder.saslSsl || builder.oauthBearer) {
                keyStore = dataDir.resolve("tls/broker.p12");
                this.trustStore = dataDir.resolve("tls/trust.p12");
                SelfSignedCertificate.create(keyStore, trustStore, storePassword);
            } else {
                this.trustStore = null;
            }
            CREDENTIALS.put(token, new ConcurrentHashMap<>());
            Properties props = brokerProperties(controllerPort, keyStore);
            props.putAll(builder.brokerProperties);
            format(props);
            server = new KafkaRaftServer(KafkaConfig.fromProps(props), Time.SYSTEM);
            server.startup();
        } catch (IOException e) {
            CREDENTIALS.remove(token);
            throw new UncheckedIOException("could not start the embedded Kafka broker in " + dataDir, e);
        } catch (RuntimeException e) {
            CREDENTIALS.remove(token);
            throw e;
        }
    }

    /**
     * Starts a broker with one plaintext listener.
     *
     * @param dataDir folder of the broker's logs and metadata; reused if it already holds a broker's data
     * @return the running broker
     */
    public static EmbeddedKafka start(Path dataDir) {
        return builder(dataDir).start();
    }

    /**
     * @param dataDir folder of the broker's logs and metadata; reused if it already holds a broker's data
     * @return a builder for a broker with more listeners or settings
     */
    public static Builder builder(Path dataDir) {
        return new Builder(Objects.requireNonNull(dataDir, "dataDir"));
    }

    /**
     * Options of an {@link EmbeddedKafka} before it starts.
     *
     * <pre>{@code
     * EmbeddedKafka kafka = EmbeddedKafka.builder(dir).withSaslSsl().withBrokerProperty("num.io.threads", "4").start();
     * }</pre>
     */
    public static final class Builder {
        private final Path dataDir;
        private final Map<String, String> brokerProperties = new LinkedHashMap<>();
        private boolean saslSsl;
        private boolean oauthBearer;
        private int port;

        private Builder(Path dataDir) {
            this.dataDir = dataDir;
        }

        /**
         * Listens on a given port instead of a free one: restart a broker on its folder and its old
         * port, and clients configured with the old address reconnect to it, as after an outage.
         *
         * <pre>{@code
         * int port = kafka.port();
         * kafka.close();                                                   // the outage
         * kafka = EmbeddedKafka.builder(kafka.dataDir()).withPort(port).start();
         * }</pre>
         *
         * @param port the plaintext listener's port, 1 to 65535
         * @return this builder
         */
        public Builder withPort(int port) {
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("port must be 1 to 65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * Adds a SASL_SSL listener with the PLAIN mechanism and a freshly generated self-signed certificate
         * for {@code localhost} and {@code 127.0.0.1}; accept credentials with {@link EmbeddedKafka#addSaslUser}.
         *
         * @return this builder
         */
        public Builder withSaslSsl() {
            this.saslSsl = true;
            return this;
        }

        /**
         * Adds a SASL_SSL listener with the OAUTHBEARER mechanism (listener name {@code OAUTHBEARER}) and
         * the same self-signed certificate as {@link #withSaslSsl()}. It accepts unsecured JWTs
         * ({@code {"alg":"none"}} header, empty signature) whose {@code exp} has not passed. To make the
         * broker end sessions when their token expires, so that clients must re-authenticate with a
         * refreshed token, set
         * {@code withBrokerProperty("listener.name.oauthbearer.oauthbearer.connections.max.reauth.ms", "60000")}.
         *
         * @return this builder
         */
        public Builder withOAuthBearer() {
            this.oauthBearer = true;
            return this;
        }

        /**
         * @param key a broker setting
         * @param value its value; overrides the embedded defaults
         * @return this builder
         */
        public Builder withBrokerProperty(String key, String value) {
            brokerProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** @return the started broker, ready for clients */
        public EmbeddedKafka start() {
            return new EmbeddedKafka(this);
        }
    }

    private Properties brokerProperties(int controllerPort, @Nullable Path keyStore) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        String listeners = "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort;
        String advertised = "PLAINTEXT://127.0.0.1:" + port;
        String protocols = "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT";
        if (saslSslPort > 0) {
            listeners += ",SASL_SSL://127.0.0.1:" + saslSslPort;
            advertised += ",SASL_SSL://127.0.0.1:" + saslSslPort;
            protocols += ",SASL_SSL:SASL_SSL";
            p.put("listener.name.sasl_ssl.sasl.enabled.mechanisms", "PLAIN");
            // The token tells the shared callback handler which broker's credentials to check.
            p.put("listener.name.sasl_ssl.plain.sasl.jaas.config",
                    "org.apache.kafka.common.security.plain.PlainLoginModule required broker=\"" + token + "\";");
            p.put("listener.name.sasl_ssl.plain.sasl.server.callback.handler.class", PlainCredentials.class.getName());
        }
        if (oauthBearerPort > 0) {
            listeners += ",OAUTHBEARER://127.0.0.1:" + oauthBearerPort;
            advertised += ",OAUTHBEARER://127.0.0.1:" + oauthBearerPort;
            protocols += ",OAUTHBEARER:SASL_SSL";
            p.put("listener.name.oauthbearer.sasl.enabled.mechanisms", "OAUTHBEARER");
            // The broker's own login on this listener (it never uses it: inter-broker traffic is PLAINTEXT).
            p.put("listener.name.oauthbearer.oauthbearer.sasl.jaas.config",
                    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required"
                            + " unsecuredLoginStringClaim_sub=\"embedded-broker\";");
            p.put("listener.name.oauthbearer.oauthbearer.sasl.server.callback.handler.class",
                    "org.apache.kafka.common.security.oauthbearer.internals.unsecured"
                            + ".OAuthBearerUnsecuredValidatorCallbackHandler");
        }
        if (keyStore != null) {
            p.put("ssl.keystore.location", keyStore.toString());
            p.put("ssl.keystore.password", storePassword);
            p.put("ssl.key.password", storePassword);
            p.put("ssl.keystore.type", "PKCS12");
        }
        p.put("listeners", listeners);
        p.put("advertised.listeners", advertised);
        p.put("listener.security.protocol.map", protocols);
        p.put("log.dirs", dataDir.resolve("logs").toString());
        p.put("auto.create.topics.enable", "false");
        p.put("num.partitions", "1");
        // Keep records until the test deletes them: tests produce records with timestamps in the past.
        p.put("log.retention.ms", "-1");
        // One node: every internal topic has one replica, and few partitions start faster.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        // Tests start and stop consumers often: no join delay, and short sessions are allowed.
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("group.min.session.timeout.ms", "500");
        return p;
    }

    private void format(Properties props) throws IOException {
        Path logDir = dataDir.resolve("logs");
        if (Files.exists(logDir.resolve("meta.properties"))) {
            return; // a restart on the same folder keeps the cluster, its topics and its records
        }
        Path file = dataDir.resolve("server.properties");
        try (OutputStream out = Files.newOutputStream(file)) {
            props.store(out, "written by EmbeddedKafka to format the storage");
        }
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        String clusterId = org.apache.kafka.common.Uuid.randomUuid().toString();
        int code;
        try (PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8)) {
            code = StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", file.toString()}, ps);
        } finally {
            Files.deleteIfExists(file); // it holds the key store password
        }
        if (code != 0) {
            throw new IllegalStateException("formatting the embedded Kafka storage in " + logDir + " failed (exit "
                    + code + "): " + log.toString(StandardCharsets.UTF_8));
        }
    }

    /** @return the port of the plaintext listener */
    public int port() {
        return port;
    }

    /** @return {@code 127.0.0.1:port} of the plaintext listener */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /**
     * @return the port of the SASL_SSL listener
     * @throws IllegalStateException if the broker was built without {@link Builder#withSaslSsl()}
     */
    public int saslSslPort() {
        requireSaslSsl();
        return saslSslPort;
    }

    /**
     * @return {@code 127.0.0.1:port} of the SASL_SSL listener
     * @throws IllegalStateException if the broker was built without {@link Builder#withSaslSsl()}
     */
    public String saslSslBootstrapServers() {
        return "127.0.0.1:" + saslSslPort();
    }

    /**
     * @return the port of the SASL_SSL listener with the OAUTHBEARER mechanism
     * @throws IllegalStateException if the broker was built without {@link Builder#withOAuthBearer()}
     */
    public int oauthBearerPort() {
        if (oauthBearerPort < 0) {
            throw new IllegalStateException("this broker has no OAUTHBEARER listener; build it with"
                    + " EmbeddedKafka.builder(dir).withOAuthBearer().start()");
        }
        return oauthBearerPort;
    }

    /**
     * What a client adds to trust the broker's self-signed certificate: {@code ssl.truststore.location},
     * {@code ssl.truststore.password} and {@code ssl.truststore.type}.
     *
     * @return the client settings
     * @throws IllegalStateException if the broker was built with neither {@link Builder#withSaslSsl()} nor
     *     {@link Builder#withOAuthBearer()}
     */
    public Map<String, String> trustStoreProperties() {
        if (trustStore == null) {
            throw new IllegalStateException("this broker has no TLS listener; build it with"
                    + " EmbeddedKafka.builder(dir).withSaslSsl() or .withOAuthBearer()");
        }
        return Map.of("ssl.truststore.location", String.valueOf(trustStore),
                "ssl.truststore.password", storePassword,
                "ssl.truststore.type", "PKCS12");
    }

    /**
     * Accepts a user name and password on the SASL_SSL listener (PLAIN mechanism). Takes effect for
     * the next connection.
     *
     * @param username the user name, for Event Hubs {@code $ConnectionString}
     * @param password the password, for Event Hubs the connection string
     */
    public void addSaslUser(String username, String password) {
        requireSaslSsl();
        CREDENTIALS.get(token).put(Objects.requireNonNull(username, "username"),
                Objects.requireNonNull(password, "password"));
    }

    private void requireSaslSsl() {
        if (saslSslPort < 0) {
            throw new IllegalStateException("this broker has no SASL_SSL listener; build it with"
                    + " EmbeddedKafka.builder(dir).withSaslSsl().start()");
        }
    }

    /** @return the folder of the broker's data */
    public Path dataDir() {
        return dataDir;
    }

    /**
     * Creates a topic with one replica per partition, unless it exists.
     *
     * @param name the topic
     * @param partitions its partition count
     * @return true if created, false if it already existed with that partition count
     * @throws IllegalStateException if it exists with another partition count
     */
    public boolean createTopic(String name, int partitions) {
        try {
            call(admin().createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all());
            awaitLeaders(name, partitions);
            return true;
        } catch (TopicExistsException e) {
            int existing = partitionCount(name);
            if (existing != partitions) {
                throw new IllegalStateException("topic " + name + " exists with " + existing + " partitions, not "
                        + partitions, e);
            }
            return false;
        }
    }

    /**
     * Waits until the broker leads every partition of a new topic. The controller answers the creation
     * before the broker has taken the partitions up; an idempotent producer whose first request comes
     * in between is told NOT_LEADER_OR_FOLLOWER, and its retried first batch can then be refused as out
     * of sequence until its delivery timeout (seen under load on two cores). A partition answers
     * ListOffsets only once its leader is ready, as it answers Produce.
     */
    private void awaitLeaders(String topic, int partitions) {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            request.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
        while (true) {
            try {
                call(admin().listOffsets(request).all());
                return;
            } catch (org.apache.kafka.common.errors.RetriableException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the embedded broker did not take up the partitions of topic "
                            + topic + " within " + ADMIN_TIMEOUT, e);
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", ie);
                }
            }
        }
    }

    /**
     * @param topic a topic
     * @return its partition count, or 0 if it does not exist
     */
    public int partitionCount(String topic) {
        try {
            Map<String, TopicDescription> d = call(admin().describeTopics(List.of(topic)).allTopicNames());
            return d.get(topic).partitions().size();
        } catch (UnknownTopicOrPartitionException e) {
            return 0;
        }
    }

    /**
     * @param topic an existing topic
     * @return the end offset (the offset the next record gets) of each partition, by partition number
     */
    public Map<Integer, Long> endOffsets(String topic) {
        int partitions = partitionCount(topic);
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            request.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        Map<Integer, Long> ends = new java.util.TreeMap<>();
        call(admin().listOffsets(request).all()).forEach((tp, info) -> ends.put(tp.partition(), info.offset()));
        return ends;
    }

    /**
     * Deletes a partition's records before an offset, as retention would: a consumer that wants an
     * older offset gets an out-of-range error.
     *
     * @param topic the topic
     * @param partition the partition
     * @param offset the new first offset of the partition
     */
    public void deleteRecordsBefore(String topic, int partition, long offset) {
        call(admin().deleteRecords(Map.of(new TopicPartition(topic, partition), RecordsToDelete.beforeOffset(offset)))
                .all());
    }

    /**
     * An admin client of this broker, for what the helpers here do not cover (consumer group offsets, configs).
     * The broker owns it: do not close it.
     *
     * @return the shared admin client
     */
    public synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                    AdminClientConfig.CLIENT_ID_CONFIG, "embedded-kafka-admin"));
        }
        return admin;
    }

    private static <T> T call(org.apache.kafka.common.KafkaFuture<T> future) {
        try {
            return future.get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the embedded broker did not answer within " + ADMIN_TIMEOUT, e);
        }
    }

    /** Stops the broker; its data stays in the folder. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
            }
            server.shutdown();
            server.awaitShutdown();
        } finally {
            CREDENTIALS.remove(token);
        }
    }

    @Override
    public String toString() {
        return "EmbeddedKafka[" + bootstrapServers() + (saslSslPort < 0 ? "" : ", SASL_SSL 127.0.0.1:" + saslSslPort)
                + (oauthBearerPort < 0 ? "" : ", OAUTHBEARER 127.0.0.1:" + oauthBearerPort) + ", " + dataDir + "]";
    }

    private static int[] freePorts(int count) throws IOException {
        // Held open together so that no two are the same; the broker binds them right after.
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }

    private static String randomSecret() {
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /**
     * The broker's PLAIN credential check: the users added with {@link EmbeddedKafka#addSaslUser}.
     * Public only because Kafka instantiates it by class name; the broker configures it itself:
     *
     * <pre>{@code
     * listener.name.sasl_ssl.plain.sasl.server.callback.handler.class=io.streamlake.testkit.kafka.EmbeddedKafka$PlainCredentials
     * }</pre>
     */
    public static final class PlainCredentials implements AuthenticateCallbackHandler {
        private Map<String, String> users = Map.of();

        /** Called by Kafka. */
        public PlainCredentials() {
        }

        @Override
        public void configure(Map<String, ?> configs, String mechanism, List<AppConfigurationEntry> jaasEntries) {
            for (AppConfigurationEntry entry : jaasEntries) {
                Object broker = entry.getOptions().get("broker");
                if (broker != null) {
                    users = CREDENTIALS.getOrDefault(broker.toString(), Map.of());
                }
            }
        }

        @Override
        public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
            String username = null;
            for (Callback callback : callbacks) {
                if (callback instanceof NameCallback name) {
                    username = name.getDefaultName();
                } else if (callback instanceof PlainAuthenticateCallback plain) {
                    String expected = username == null ? null : users.get(username);
                    plain.authenticated(expected != null && MessageDigest.isEqual(
                            expected.getBytes(StandardCharsets.UTF_8),
                            new String(plain.password()).getBytes(StandardCharsets.UTF_8)));
                } else {
                    throw new UnsupportedCallbackException(callback);
                }
            }
        }

        @Override
        public void close() {
        }
    }
}
