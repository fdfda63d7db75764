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
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import reactor.core.publisher.Mono;

/**
 * A {@link TokenCredential} that hands out unsecured JWTs ({@code alg: none}) with {@code sub},
 * {@code iat}, {@code exp} and {@code scope}, which the embedded broker's OAUTHBEARER listener
 * accepts, and records every request; or, built with {@link #failing}, fails every request as an
 * Entra ID sign-in that is refused would.
 */
final class TestTokenCredential implements TokenCredential {
    /** One request: when, for which scopes, and the token given (null if it failed). */
    record Request(Instant at, List<String> scopes, String token, Instant expiresAt) {
        @Override
        public String toString() {
            return "Request[" + at + ", " + scopes + ", expires " + expiresAt + "]";
        }
    }

    private final String subject;
    private final Duration lifetime;
    private final String failure;
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    private TestTokenCredential(String subject, Duration lifetime, String failure) {
        this.subject = subject;
        this.lifetime = lifetime;
        this.failure = failure;
    }

    static TestTokenCredential lasting(Duration lifetime) {
        return new TestTokenCredential("app-" + UUID.randomUUID(), lifetime, null);
    }

    static TestTokenCredential failing(String message) {
        return new TestTokenCredential("nobody", Duration.ZERO, message);
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
        String header = b64("{\"alg\":\"none\"}");
        String claims = b64("{\"sub\":\"" + subject + "\",\"iat\":" + now.getEpochSecond() + ",\"exp\":"
                + exp.getEpochSecond() + ",\"scope\":\"" + scope + "\",\"jti\":\"" + UUID.randomUUID() + "\"}");
        String jwt = header + "." + claims + ".";
        requests.add(new Request(now, List.copyOf(request.getScopes()), jwt, exp));
        return new AccessToken(jwt, OffsetDateTime.ofInstant(exp, ZoneOffset.UTC));
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    String subject() {
        return subject;
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
