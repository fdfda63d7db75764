package io.streamlake.core.azure;

import com.azure.core.credential.TokenCredential;
import io.streamlake.SecretMap;
import io.streamlake.core.util.Handoff;
import io.streamlake.exceptions.ConfigurationException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The storage options of {@code abfss://} (ADLS Gen2) tables, for the Hadoop ABFS driver: an account
 * key, a SAS, or Entra ID with a {@link TokenCredential}. Give them to the pipeline, or to
 * {@code DeltaTable.open}; their values are treated as secrets and never printed: each method returns a
 * {@link SecretMap}, whose {@code toString()} masks every value. Keys and SAS tokens are checked
 * here, before Hadoop sees them, and a malformed one fails with a message that says what is wrong
 * without quoting any of it.
 *
 * <pre>{@code
 * Pipeline pipeline = Pipeline.from(source)
 *     .bronze("abfss://lake@mylake.dfs.core.windows.net/bronze/orders")
 *     .silver("abfss://lake@mylake.dfs.core.windows.net/silver/orders", "order_id")
 *     .withStorageOptions(AdlsGen2.entraId("mylake"));                     // DefaultAzureCredential
 *
 * pipeline.withStorageOptions(AdlsGen2.entraId("mylake", credential));       // any TokenCredential
 * pipeline.withStorageOptions(AdlsGen2.accountKey("mylake", System.getenv("LAKE_KEY")));
 * pipeline.withStorageOptions(AdlsGen2.sas("mylake", System.getenv("LAKE_SAS")));
 * }</pre>
 *
 * <p>Every setting is scoped to the one account ({@code fs.azure.*.<account>.dfs.core.windows.net}),
 * so tables in several accounts can use several credentials. The settings written, for a user who sets
 * them by hand (or in {@code core-site.xml}):
 * <ul>
 *   <li>account key: {@code fs.azure.account.auth.type.<host>=SharedKey}, {@code fs.azure.account.key.<host>=<key>}</li>
 *   <li>SAS: {@code fs.azure.account.auth.type.<host>=SAS}, {@code fs.azure.sas.fixed.token.<host>=<sas>}</li>
 *   <li>Entra ID: {@code fs.azure.account.auth.type.<host>=Custom},
 *       {@code fs.azure.account.oauth.provider.type.<host>=io.streamlake.core.azure.EntraIdTokenProvider} and, for
 *       a given credential, {@code streamlake.azure.credential.<host>=<opaque id>} (without it, a
 *       {@code DefaultAzureCredential}); the identity needs the role <em>Storage Blob Data Contributor</em>.</li>
 * </ul>
 * Tables need {@code org.apache.hadoop:hadoop-azure} on the class path, Entra ID also
 * {@code com.azure:azure-identity}. The Delta log of an {@code abfss://} table is written with
 * delta-storage's {@code AzureLogStore}, whose commits are atomic renames that fail if another writer
 * committed that version first: safe for concurrent writers on accounts with a hierarchical namespace
 * (ADLS Gen2), which is what {@code abfss://} is for.
 */
public final class AdlsGen2 {
    /** The option that names a registered credential for an account host; read by {@link EntraIdTokenProvider}. */
    static final String CREDENTIAL_OPTION = "streamlake.azure.credential.";
    private static final Pattern ACCOUNT = Pattern.compile("[a-z0-9]{3,24}");
    private static final Pattern HOST = Pattern.compile("[a-z0-9]{3,24}\\.dfs\\.[a-z0-9.-]+");

    private AdlsGen2() {
    }

    /**
     * @param account the storage account name ({@code mylake}), or its DFS host
     *     ({@code mylake.dfs.core.windows.net}, or another cloud's)
     * @param accountKey one of the account's access keys: 88 base64 characters (64 bytes)
     * @return the storage options, a {@link SecretMap} that never prints the key
     * @throws ConfigurationException if the account name is malformed or the key is not an account key
     *     (blank, not base64, not 64 bytes, a connection string or a SAS), saying what is wrong, never quoting it
     */
    public static Map<String, String> accountKey(String account, String accountKey) {
        String host = host(account);
        // checked here, because Hadoop logs a key it cannot decode in clear
        String key = StorageCredentials.accountKey("the account key of storage account " + host, accountKey);
        Map<String, String> o = new LinkedHashMap<>();
        o.put("fs.azure.account.auth.type." + host, "SharedKey");
        o.put(StorageCredentials.ACCOUNT_KEY_OPTION + host, key);
        return SecretMap.of(o);
    }

    /**
     * @param account the storage account name or its DFS host
     * @param sasToken a SAS token with read, write, delete and list rights on the container: the query
     *     string of a SAS URL ({@code sv=...&sp=...&sig=...}), with or without its leading {@code ?}
     * @return the storage options, a {@link SecretMap} that never prints the token
     * @throws ConfigurationException if the account name is malformed or the token is not a SAS token
     *     (blank, a URL, a connection string, no {@code sv} or {@code sig}, a signature that is not
     *     URL-encoded base64), saying what is wrong, never quoting it
     */
    public static Map<String, String> sas(String account, String sasToken) {
        String host = host(account);
        String token = StorageCredentials.sasToken("the SAS token of storage account " + host, sasToken);
        Map<String, String> o = new LinkedHashMap<>();
        o.put("fs.azure.account.auth.type." + host, "SAS");
        o.put(StorageCredentials.SAS_OPTION + host, token);
        return SecretMap.of(o);
    }

    /**
     * @param account the storage account name or its DFS host
     * @return the storage options signing in with a {@code DefaultAzureCredential}, built where the table opens
     * @throws ConfigurationException if the account name is malformed
     */
    public static Map<String, String> entraId(String account) {
        return entra(host(account), null);
    }

    /**
     * @param account the storage account name or its DFS host
     * @param credential signs in; asked for a new token before each one expires. It stays in this JVM:
     *     the options carry an opaque id of it, so build them in the JVM that opens the tables.
     * @return the storage options
     * @throws ConfigurationException if the account name is malformed
     */
    public static Map<String, String> entraId(String account, TokenCredential credential) {
        return entra(host(account), Objects.requireNonNull(credential, "credential"));
    }

    private static Map<String, String> entra(String host, @Nullable TokenCredential credential) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("fs.azure.account.auth.type." + host, "Custom");
        o.put("fs.azure.account.oauth.provider.type." + host, EntraIdTokenProvider.class.getName());
        if (credential != null) {
            o.put(CREDENTIAL_OPTION + host, Handoff.register(credential, id -> id));
        }
        return SecretMap.of(o);
    }

    /**
     * @param account the storage account name or its DFS host
     * @return the DFS host, such as {@code mylake.dfs.core.windows.net}
     * @throws ConfigurationException if it is neither
     */
    static String host(@Nullable String account) {
        String a = account == null ? "" : account.strip();
        if (ACCOUNT.matcher(a).matches()) {
            return a + ".dfs.core.windows.net";
        }
        if (HOST.matcher(a).matches()) {
            return a;
        }
        // not quoted: a key pasted into the wrong argument must not be printed
        throw new ConfigurationException("the storage account (" + a.length() + " characters) is neither a storage"
                + " account name (3 to 24 lower-case letters and digits, such as mylake) nor its DFS host"
                + " (mylake.dfs.core.windows.net); give the account name as the first argument and the secret as the"
                + " second");
    }
}
