package io.streamlake.core.azure;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import io.streamlake.exceptions.ConfigurationException;
import java.io.IOException;
import java.util.Date;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.azurebfs.extensions.CustomTokenProviderAdaptee;
import org.jspecify.annotations.Nullable;

/**
 * The Hadoop ABFS driver's token provider for Entra ID: tokens for Azure Storage
 * ({@code https://storage.azure.com/.default}) from a {@link TokenCredential}. ABFS asks again shortly
 * before the expiry this provider reports. Public only because ABFS instantiates it by class name;
 * {@link AdlsGen2#entraId} writes its settings:
 *
 * <pre>{@code
 * fs.azure.account.auth.type.mylake.dfs.core.windows.net=Custom
 * fs.azure.account.oauth.provider.type.mylake.dfs.core.windows.net=io.streamlake.core.azure.EntraIdTokenProvider
 * streamlake.azure.credential.mylake.dfs.core.windows.net=streamlake-<id>     # optional
 * }</pre>
 *
 * <p>Without {@code streamlake.azure.credential.<host>} it builds a {@code DefaultAzureCredential}.
 */
public final class EntraIdTokenProvider implements CustomTokenProviderAdaptee {
    private @Nullable TokenCredential credential;
    private String resource = "";
    private volatile @Nullable Date expiry;

    /** Called by ABFS. */
    public EntraIdTokenProvider() {
    }

    @Override
    public void initialize(Configuration configuration, String accountName) throws IOException {
        resource = "storage account " + accountName;
        try {
            credential = EntraTokens.credential(configuration.get(AdlsGen2.CREDENTIAL_OPTION + accountName),
                    "the ABFS sign-in to " + resource);
        } catch (ConfigurationException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public String getAccessToken() throws IOException {
        TokenCredential c = credential;
        if (c == null) {
            throw new IOException("the Entra ID token provider of ABFS was not initialized");
        }
        try {
            AccessToken token = EntraTokens.token(c, EntraTokens.STORAGE_SCOPE, resource,
                    "Storage Blob Data Contributor");
            expiry = new Date(token.getExpiresAt().toInstant().toEpochMilli());
            return token.getToken();
        } catch (ConfigurationException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public Date getExpiryTime() {
        Date d = expiry;
        return d == null ? new Date(0) : new Date(d.getTime());
    }
}
