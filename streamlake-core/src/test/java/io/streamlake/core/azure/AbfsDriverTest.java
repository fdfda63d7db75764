package io.streamlake.core.azure;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.core.util.HandoffTesting;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The real Hadoop ABFS driver with our settings, without an account: it must build our token provider
 * from them (no network is needed for that).
 */
class AbfsDriverTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theAbfsDriverSignsInThroughOurProviderWithTheRegisteredCredential() throws Exception {
        StaticTokenCredential credential = StaticTokenCredential.of("abfs-token", OffsetDateTime.now().plusHours(1));
        Configuration conf = new Configuration();
        Map<String, String> options = AdlsGen2.entraId("mylake", credential);
        options.forEach(conf::set);
        conf.setBoolean("fs.abfss.impl.disable.cache", true);
        // no account to ask whether it has a hierarchical namespace, and no retries against it
        conf.set("fs.azure.account.hns.enabled", "true");
        conf.set("fs.azure.io.retry.max.retries", "0");

        try (FileSystem fs = new Path("abfss://lake@mylake.dfs.core.windows.net/t").getFileSystem(conf)) {
            assertThat(fs.getClass().getName()).isEqualTo("org.apache.hadoop.fs.azurebfs.SecureAzureBlobFileSystem");
            Object store = field(fs, "abfsStore");
            Object client = field(store, "client");
            Object provider = field(client, "tokenProvider");
            assertThat(provider.getClass().getSimpleName()).isEqualTo("CustomTokenProviderAdapter");
            Object token = provider.getClass().getMethod("getToken").invoke(provider);
            assertThat(token.getClass().getMethod("getAccessToken").invoke(token)).isEqualTo("abfs-token");
            assertThat(credential.scopes()).containsExactly(java.util.List.of(EntraTokens.STORAGE_SCOPE));
        }
        assertThat(HandoffTesting.size()).isPositive();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void whenStorageFailsNeitherTheErrorNorTheLogsHoldTheKeyOrTheSas() {
        String key = AdlsGen2Test.KEY;
        String sas = AdlsGen2Test.SAS;
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream logs = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(logs, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            for (Map<String, String> auth : java.util.List.of(AdlsGen2.accountKey("mylake", key),
                    AdlsGen2.sas("mylake", sas))) {
                Map<String, String> options = new java.util.HashMap<>(auth);
                options.put("fs.azure.account.hns.enabled", "true");
                options.put("fs.azure.io.retry.max.retries", "0");
                io.streamlake.core.delta.DeltaTable table = io.streamlake.core.delta.DeltaTable.open(
                        "abfss://lake@mylake.dfs.core.windows.net/bronze", options);
                org.assertj.core.api.Assertions.assertThatThrownBy(table::snapshot)
                        .isInstanceOf(io.streamlake.exceptions.StreamLakeException.class)
                        .hasMessageContaining("abfss://lake@mylake.dfs.core.windows.net/bronze")
                        .satisfies(e -> assertThat(stackTrace(e)).doesNotContain(key).doesNotContain(sas)
                                .doesNotContain("U2lnVGhhdE11c3ROZXZlckJlUHJpbnRlZDAxMjM0NTY"));
                assertThat(table.toString()).doesNotContain(key).doesNotContain(sas);
            }
        } finally {
            System.setErr(err);
            err.print(logs.toString(java.nio.charset.StandardCharsets.UTF_8));
        }
        assertThat(logs.toString(java.nio.charset.StandardCharsets.UTF_8)).doesNotContain(key)
                .doesNotContain("U2lnVGhhdE11c3ROZXZlckJlUHJpbnRlZDAxMjM0NTY");
    }

    private static String stackTrace(Throwable t) {
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }

    private static Object field(Object o, String name) throws ReflectiveOperationException {
        for (Class<?> c = o.getClass(); c != null; c = c.getSuperclass()) {
            try {
                java.lang.reflect.Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f.get(o);
            } catch (NoSuchFieldException e) {
                // look in the superclass
            }
        }
        throw new NoSuchFieldException(name);
    }
}
