package io.streamlake.core.delta;

import io.streamlake.exceptions.ConfigurationException;
import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Chooses the Delta log store and checks the storage settings of a table, by its scheme, before
 * delta-standalone touches storage. delta-standalone picks a log store per scheme from
 * {@code delta.logStore.<scheme>.impl}, else from its own defaults, unless {@code delta.logStore.class}
 * names one for all schemes (the two may not be mixed). Settings the user gave always win.
 *
 * <pre>{@code
 * LogStores.prepare(conf, new Path("abfss://lake@acct.dfs.core.windows.net/bronze"), location);
 * conf.get("delta.logStore.abfss.impl");   // io.delta.storage.AzureLogStore
 * }</pre>
 */
final class LogStores {
    /** delta-storage's store for Azure: commits by rename-if-absent, atomic on ADLS Gen2. */
    static final String AZURE_LOG_STORE = "io.delta.storage.AzureLogStore";
    static final Set<String> AZURE_SCHEMES = Set.of("abfs", "abfss", "wasb", "wasbs", "adl");
    private static final Set<String> ABFS_SCHEMES = Set.of("abfs", "abfss");
    private static final String CLASS_KEYS = "^((spark\\.)?delta\\.logStore\\.class|io\\.delta\\.standalone\\.LOG_STORE_CLASS_KEY)$";
    private static final String ABFS_CLASS = "org.apache.hadoop.fs.azurebfs.SecureAzureBlobFileSystem";

    private LogStores() {
    }

    /**
     * @param conf the table's Hadoop configuration, changed in place
     * @param root the table root
     * @param location the table's printable location
     * @throws ConfigurationException if an {@code abfs(s)://} table lacks its driver or credentials
     */
    static void prepare(Configuration conf, Path root, String location) {
        String scheme = String.valueOf(root.toUri().getScheme()).toLowerCase(Locale.ROOT);
        if ("file".equals(scheme)) {
            setIfUnset(conf, scheme, LocalLinkLogStore.class.getName());
        } else if (AZURE_SCHEMES.contains(scheme)) {
            // delta-standalone 3.3.2 defaults to the same store; naming it keeps it so whatever its defaults become
            setIfUnset(conf, scheme, AZURE_LOG_STORE);
        }
        if (ABFS_SCHEMES.contains(scheme)) {
            requireAbfs(conf, root, location);
        }
    }

    private static void setIfUnset(Configuration conf, String scheme, String logStore) {
        if (!conf.getValByRegex(CLASS_KEYS).isEmpty()
                || !conf.getValByRegex("^(spark\\.)?delta\\.logStore\\." + scheme + "\\.impl$").isEmpty()) {
            return;
        }
        conf.set("delta.logStore." + scheme + ".impl", logStore);
    }

    /**
     * ABFS reads its credentials when it first reaches the account, far from the table's name; checking
     * here gives the message that says which setting to give.
     */
    private static void requireAbfs(Configuration conf, Path root, String location) {
        try {
            Class.forName(ABFS_CLASS, false, LogStores.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw DeltaErrors.abfsDriverMissing(location);
        }
        String host = root.toUri().getHost();
        if (host == null || root.toUri().getUserInfo() == null) {
            throw DeltaErrors.noContainerAndAccount(location);
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
            throw DeltaErrors.noStorageCredentials(location, host, type);
        }
    }

    /** @return ABFS's value for an account: {@code key.<host>}, else {@code key} */
    private static String account(Configuration conf, String key, String host) {
        String v = conf.get(key + "." + host);
        return v != null ? v : conf.get(key);
    }
}
