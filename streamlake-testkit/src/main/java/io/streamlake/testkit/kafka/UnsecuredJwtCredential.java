package io.streamlake.testkit.kafka;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * An Entra ID {@link TokenCredential} for tests: hands out unsecured JWTs ({@code alg: none}) with
 * {@code sub}, {@code iat}, {@code exp} and {@code scope} claims, which the OAUTHBEARER listener of
 * {@link EmbeddedKafka.Builder#withOAuthBearer()} accepts, and records every request; or, built with
 * {@link #failing}, refuses every request as a failed Entra ID sign-in would.
 *
 * <pre>{@code
 * UnsecuredJwtCredential credential = UnsecuredJwtCredential.lasting(Duration.ofSeconds(10));
 * KafkaSource source = EventHubsEntraId.kafka("127.0.0.1:" + kafka.oauthBearerPort(), "orders", credential)
 *     .withConsumerProperties(kafka.trustStoreProperties());
 * ...
 * assertThat(credential.requests()).allSatisfy(r -> assertThat(r.scopes()).containsExactly("https://127.0.0.1/.default"));
 * }</pre>
 *
 * <p>Needs {@code com.azure:azure-core} on the test class path (the testkit declares it optional).
 */
public final class UnsecuredJwtCredential implements TokenCredential {
    /**
     * One token handed out.
     *
     * @param at when it was asked for
     * @param scopes the scopes asked for
     * @param token the JWT (a test token, but treat it as a secret all the same)
     * @param expiresAt its expiry
     */
    public record Request(Instant at, List<String> scopes, String token, Instant expiresAt) {
        /** @return the request without its token */
        @Override
        public String toString() {
            return "Request[" + at + ", " + scopes + ", expires " + expiresAt + "]";
        }
    }

    private final String subject;
    private final Duration lifetime;
    private final @Nullable String failure;
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    private UnsecuredJwtCredential(String subject, Duration lifetime, @Nullable String failure) {
        this.subject = subject;
        this.lifetime = lifetime;
        this.failure = failure;
    }

    /**
     * @param lifetime how long each token is valid (whole seconds, as JWT times are)
     * @return a credential that hands out tokens for a new random subject
     */
    public static UnsecuredJwtCredential lasting(Duration lifetime) {
        return new UnsecuredJwtCredential("app-" + UUID.randomUUID(), Objects.requireNonNull(lifetime, "lifetime"),
                null);
    }

    /**
     * @param message the message of the exception every request throws
     * @return a credential that never signs in
     */
    public static UnsecuredJwtCredential failing(String message) {
        return new UnsecuredJwtCredential("nobody", Duration.ZERO, Objects.requireNonNull(message, "message"));
    }

    @Override
    public Mono<AccessToken> getToken(TokenRequestContext request) {
        return Mono.fromCallable(() -> getTokenSync(request));
    }

    @Override
    public AccessToken getTokenSync(TokenRequestContext request) {
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
        Instant now = Instant.now();
        Instant exp = Instant.ofEpochSecond(now.plus(lifetime).getEpochSecond()); // JWT times are whole seconds
        String scope = String.join(" ", request.getScopes());
        String claims = "{\"sub\":\"" + subject + "\",\"iat\":" + now.getEpochSecond() + ",\"exp\":"
                + exp.getEpochSecond() + ",\"scope\":\"" + scope + "\",\"jti\":\"" + UUID.randomUUID() + "\"}";
        String jwt = base64Url("{\"alg\":\"none\"}") + "." + base64Url(claims) + ".";
        requests.add(new Request(now, List.copyOf(request.getScopes()), jwt, exp));
        return new AccessToken(jwt, OffsetDateTime.ofInstant(exp, ZoneOffset.UTC));
    }

    /** @return every token handed out so far, oldest first */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** @return the {@code sub} claim of the tokens */
    public String subject() {
        return subject;
    }

    @Override
    public String toString() {
        return "UnsecuredJwtCredential[" + subject + ", " + requests.size() + " tokens]";
    }

    private static String base64Url(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
