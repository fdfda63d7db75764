package io.streamlake.core.azure;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import reactor.core.publisher.Mono;

/** A credential for unit tests: a fixed token and expiry, or a failure; records the scopes asked for. */
public final class StaticTokenCredential implements TokenCredential {
    private final String token;
    private final OffsetDateTime expiresAt;
    private final RuntimeException failure;
    private final List<List<String>> scopes = new CopyOnWriteArrayList<>();

    private StaticTokenCredential(String token, OffsetDateTime expiresAt, RuntimeException failure) {
        this.token = token;
        this.expiresAt = expiresAt;
        this.failure = failure;
    }

    public static StaticTokenCredential of(String token, OffsetDateTime expiresAt) {
        return new StaticTokenCredential(token, expiresAt, null);
    }

    public static StaticTokenCredential failing(RuntimeException failure) {
        return new StaticTokenCredential(null, null, failure);
    }

    @Override
    public Mono<AccessToken> getToken(TokenRequestContext request) {
        return Mono.fromCallable(() -> getTokenSync(request));
    }

    @Override
    public AccessToken getTokenSync(TokenRequestContext request) {
        scopes.add(List.copyOf(request.getScopes()));
        if (failure != null) {
            throw failure;
        }
        return new AccessToken(token, expiresAt);
    }

    public List<List<String>> scopes() {
        return List.copyOf(scopes);
    }
}
