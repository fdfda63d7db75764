package io.streamlake.core.delta;

import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Chooses the Delta log store of a table, by its scheme, before delta-standalone touches storage (the
 * storage settings themselves are checked by {@code AzureStorage.locate}). delta-standalone picks a
 * log store per scheme from {@code delta.logStore.<scheme>.impl}, else from its own defaults, unless
 * {@code delta.logStore.class} names one for all schemes (the two may not be mixed). Settings the
 * user gave always win. The store chosen here works behind an {@link OperationNamingLogStore}, which
 * writes operation names delta-standalone has no constant for (a user's own store goes without it).
 *
 * <pre>{@code
 * LogStores.prepare(conf, new Path("abfss://lake@acct.dfs.core.windows.net/bronze"));
 * conf.get("delta.logStore.abfss.impl");   // io.delta.storage.AzureLogStore
 * }</pre>
 */
final class LogStores {
    /** delta-storage's store for Azure: commits by rename-if-absent, atomic on ADLS Gen2. */
    static final String AZURE_LOG_STORE = "io.delta.storage.AzureLogStore";
    static final Set<String> AZURE_SCHEMES = Set.of("abfs", "abfss", "wasb", "wasbs", "adl");
    private static final String CLASS_KEYS =
            "^((spark\\.)?delta\\.logStore\\.class|io\\.delta\\.standalone\\.LOG_STORE_CLASS_KEY)$";

    private LogStores() {
    }

    /**
     * @param conf the table's Hadoop configuration, changed in place
     * @param root the table root
     */
    static void prepare(Configuration conf, Path root) {
        String scheme = String.valueOf(root.toUri().getScheme()).toLowerCase(Locale.ROOT);
        if ("file".equals(scheme)) {
            setIfUnset(conf, scheme, LocalLinkLogStore.class.getName());
        } else if (AZURE_SCHEMES.contains(scheme)) {
            // delta-standalone 3.3.2 defaults to the same store; naming it keeps it so whatever its defaults become
            setIfUnset(conf, scheme, AZURE_LOG_STORE);
        }
    }

    private static void setIfUnset(Configuration conf, String scheme, String logStore) {
        if (!conf.getValByRegex(CLASS_KEYS).isEmpty()
                || !conf.getValByRegex("^(spark\\.)?delta\\.logStore\\." + scheme + "\\.impl$").isEmpty()) {
            return;
        }
        // the chosen store does the work; the naming store in front gives commits their operation names
        conf.set("delta.logStore." + scheme + ".impl", OperationNamingLogStore.class.getName());
        conf.set(OperationNamingLogStore.DELEGATE, logStore);
    }
}
