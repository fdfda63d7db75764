package io.streamlake.core.azure;

import io.streamlake.core.storage.StorageLocation;
import io.streamlake.exceptions.ConfigurationException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Resolves a {@link StorageLocation} with Azure's settings checked first: malformed account keys and
 * SAS tokens are refused before Hadoop sees them (Hadoop quotes, and logs, a credential it cannot
 * parse), and an {@code abfs(s)://} location must have the ABFS driver and credentials for its account.
 * The one way Delta tables and the Capture archive reach storage, so that both fail alike.
 *
 * <pre>{@code
 * StorageLocation archive = AzureStorage.locate("abfss://capture@acct.dfs.core.windows.net/", options);
 * }</pre>
 */
public final class AzureStorage {
    private static final Set<String> ABFS_SCHEMES = Set.of("abfs", "abfss");
    private static final String ABFS_CLASS = "org.apache.hadoop.fs.azurebfs.SecureAzureBlobFileSystem";

    private AzureStorage() {
    }

    /**
     * Resolves a location, without touching storage, after checking Azure's settings among the options.
     *
     * @param path a local folder or a Hadoop URI (see {@link StorageLocation#of})
     * @param storageOptions Hadoop settings (secrets)
     * @return the location
     * @throws ConfigurationException if the path is blank or invalid, an Azure account key or SAS token
     *     among the options is malformed (see {@link StorageCredentials#check}), or an {@code abfs(s)://}
     *     location lacks its driver, its container and account, or credentials
     */
    public static StorageLocation locate(String path, Map<String, String> storageOptions) {
        // Hadoop quotes (and logs) a credential it cannot parse: refuse malformed ones before it sees them
        StorageCredentials.check(storageOptions);
        StorageLocation location = StorageLocation.of(path, storageOptions);
        String scheme = String.valueOf(location.path().toUri().getScheme()).toLowerCase(Locale.ROOT);
        if (ABFS_SCHEMES.contains(scheme)) {
            requireAbfs(location.conf(), location.path(), location.toString());
        }
        return location;
    }

    /**
     * ABFS reads its credentials when it first reaches the account, far from the table's name; checking
     * here gives the message that says which setting to give.
     */
    private static void requireAbfs(Configuration conf, Path root, String location) {
        try {
            Class.forName(ABFS_CLASS, false, AzureStorage.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw abfsDriverMissing(location);
        }
        String host = root.toUri().getHost();
        if (host == null || root.toUri().getUserInfo() == null) {
            throw noContainerAndAccount(location);
        }
        if (conf.get("hadoop.security.credential.provider.path") != null) {
            return; // secrets come from a Hadoop credential provider, which we cannot see into
        }
        String authType = account(conf, "fs.azure.account.auth.type", host);
        String type = authType == null ? "SharedKey" : authType.strip();
        boolean given = switch (type) {
            case "SharedKey" -> account(conf, "fs.azure.account.key", host) != null
                    || account(conf, "fs.azure.account.keyprovider", host) != null;
            case "SAS" -> account(conf, "fs.azure.sas.fixed.token", host) != null
                    || account(conf, "fs.azure.sas.token.provider.type", host) != null;
            case "OAuth", "Custom" -> account(conf, "fs.azure.account.oauth.provider.type", host) != null;
            default -> true; // another kind ABFS knows: let it check
        };
        if (!given) {
            throw noStorageCredentials(location, host, type);
        }
    }

    /** @return ABFS's value for an account: {@code key.<host>}, else {@code key} */
    private static String account(Configuration conf, String key, String host) {
        String v = conf.get(key + "." + host);
        return v != null ? v : conf.get(key);
    }

    // ---- the failures, written once (their texts name a Delta table, as they did before the archive used them) ----

    private static ConfigurationException abfsDriverMissing(String location) {
        return new ConfigurationException("Delta table " + location + " is on ADLS Gen2, but the Hadoop ABFS driver"
                + " is not on the class path: add the dependency org.apache.hadoop:hadoop-azure (3.4.2)");
    }

    private static ConfigurationException noContainerAndAccount(String location) {
        return new ConfigurationException("'" + location + "' names no container and account: ADLS Gen2 table paths"
                + " are abfss://<container>@<account>.dfs.core.windows.net/<path>");
    }

    /**
     * @param host the storage account's host name (no secret)
     * @param authType the ABFS auth type in force
     */
    private static ConfigurationException noStorageCredentials(String location, String host, String authType) {
        return new ConfigurationException("Delta table " + location + " has no credentials for storage account "
                + host + " (auth type " + authType + "): give an account key (fs.azure.account.key." + host + "), a SAS"
                + " (fs.azure.account.auth.type." + host + "=SAS and fs.azure.sas.fixed.token." + host + ") or Entra ID"
                + " (fs.azure.account.auth.type." + host + "=Custom and fs.azure.account.oauth.provider.type." + host
                + "), for example pipeline.withStorageOptions(AdlsGen2.entraId(\"" + host + "\"))");
    }
}
