package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.delta.standalone.internal.storage.DelegatingLogStore;
import io.delta.standalone.internal.storage.LogStoreProvider$;
import io.delta.storage.LogStore;
import io.streamlake.core.azure.AdlsGen2;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.StreamLakeException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which Delta log store each kind of table gets, as delta-standalone itself resolves it, and abfss credentials. */
class LogStoresTest {
    private static final String KEY =
            "S2V5T2ZUaGVBY2NvdW50VGhhdE11c3ROb3RMZWFrISFLZXlPZlRoZUFjY291bnRUaGF0TXVzdE5vdExlYWshIQ==";
    private static final String SAS = "sv=2024-11-04&ss=b&sig=U2lnbmF0dXJlVGhhdE11c3ROb3RMZWFrMDEyMzQ1Njc%3D";

    @TempDir Path dir;

    private static String logStoreOf(DeltaTable table) {
        LogStore store = LogStoreProvider$.MODULE$.createLogStore(table.conf());
        org.apache.hadoop.fs.Path log =
                new org.apache.hadoop.fs.Path(table.root(), "_delta_log/00000000000000000000.json");
        LogStore chosen = store instanceof DelegatingLogStore d ? d.getDelegate(log) : store;
        return chosen instanceof OperationNamingLogStore naming ? naming.delegate().getClass().getName()
                : chosen.getClass().getName();
    }

    @Test
    void azureTablesGetTheAzureLogStoreAndLocalTablesTheHardLinkOne() {
        Map<String, String> key = AdlsGen2.accountKey("mylake", KEY);
        assertThat(logStoreOf(DeltaTable.open("abfss://lake@mylake.dfs.core.windows.net/bronze", key)))
                .isEqualTo("io.delta.storage.AzureLogStore");
        assertThat(logStoreOf(DeltaTable.open("abfs://lake@mylake.dfs.core.windows.net/bronze", key)))
                .isEqualTo("io.delta.storage.AzureLogStore");
        assertThat(logStoreOf(DeltaTable.open("wasbs://lake@mylake.blob.core.windows.net/bronze", Map.of())))
                .isEqualTo("io.delta.storage.AzureLogStore");
        assertThat(logStoreOf(DeltaTable.open(dir.resolve("t").toString(), Map.of())))
                .isEqualTo(LocalLinkLogStore.class.getName());
        assertThat(DeltaTable.open("abfss://lake@mylake.dfs.core.windows.net/bronze", key).conf()
                .get("delta.logStore.file.impl")).isNull();
    }

    @Test
    void aLogStoreTheUserNamesWinsAndAGlobalOneDoesNotConflictWithOurs() {
        Map<String, String> options = new HashMap<>(AdlsGen2.accountKey("mylake", KEY));
        options.put("delta.logStore.abfss.impl", "io.delta.storage.HDFSLogStore");
        assertThat(logStoreOf(DeltaTable.open("abfss://lake@mylake.dfs.core.windows.net/t", options)))
                .isEqualTo("io.delta.storage.HDFSLogStore");

        Map<String, String> global = new HashMap<>(AdlsGen2.accountKey("mylake", KEY));
        global.put("delta.logStore.class", "io.delta.storage.HDFSLogStore");
        assertThat(LogStoreProvider$.MODULE$.createLogStore(DeltaTable.open(
                "abfss://lake@mylake.dfs.core.windows.net/t", global).conf()).getClass().getName())
                .isEqualTo("io.delta.storage.HDFSLogStore");
        assertThat(LogStoreProvider$.MODULE$.createLogStore(DeltaTable.open(dir.toString(),
                Map.of("delta.logStore.class", "io.delta.storage.HDFSLogStore")).conf()).getClass().getName())
                .isEqualTo("io.delta.storage.HDFSLogStore");
    }

    @Test
    void anAbfssTableWithoutCredentialsFailsAtOnceNamingTheSettingsToGive() {
        assertThatThrownBy(() -> DeltaTable.open("abfss://lake@mylake.dfs.core.windows.net/bronze", Map.of()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("no credentials for storage account mylake.dfs.core.windows.net")
                .hasMessageContaining("fs.azure.account.key.mylake.dfs.core.windows.net")
                .hasMessageContaining("fs.azure.sas.fixed.token.mylake.dfs.core.windows.net")
                .hasMessageContaining("AdlsGen2.entraId");
        // a key for another account does not count
        assertThatThrownBy(() -> DeltaTable.open("abfss://lake@mylake.dfs.core.windows.net/bronze",
                AdlsGen2.accountKey("otherlake", KEY))).hasMessageContaining("no credentials")
                .hasMessageNotContaining(KEY);
        assertThatThrownBy(() -> DeltaTable.open("abfss://lake@mylake.dfs.core.windows.net/bronze",
                Map.of("fs.azure.account.auth.type.mylake.dfs.core.windows.net", "SAS")))
                .hasMessageContaining("auth type SAS");
        assertThatThrownBy(() -> DeltaTable.open("abfss://mylake.dfs.core.windows.net/bronze",
                AdlsGen2.accountKey("mylake", KEY))).hasMessageContaining("names no container");
        // each kind of credential is enough to open
        DeltaTable.open("abfss://lake@mylake.dfs.core.windows.net/b", AdlsGen2.sas("mylake", SAS));
        DeltaTable.open("abfss://lake@mylake.dfs.core.windows.net/b", AdlsGen2.entraId("mylake"));
    }

    @Test
    void keysAndSasNeverShowInTheTableItsErrorsOrThePipeline() {
        DeltaTable keyed =
                DeltaTable.open("abfss://lake@mylake.dfs.core.windows.net/b", AdlsGen2.accountKey("mylake", KEY));
        DeltaTable sas = DeltaTable.open("abfss://lake@mylake.dfs.core.windows.net/b", AdlsGen2.sas("mylake", SAS));
        assertThat(keyed.toString()).isEqualTo("DeltaTable[abfss://lake@mylake.dfs.core.windows.net/b]");
        assertThat(sas.toString()).doesNotContain(SAS);
        StreamLakeException failure = keyed.failure("cannot read", new RuntimeException("request with key " + KEY
                + " and sas " + SAS + " refused"), "check");
        assertThat(failure.getMessage()).doesNotContain(KEY).contains("***");
        assertThat(sas.failure("x", new RuntimeException(SAS), "y").getMessage()).doesNotContain(SAS);

        io.streamlake.Pipeline pipeline = io.streamlake.Pipeline.from(new io.streamlake.source.Source() {
            @Override
            public String name() {
                return "none";
            }

            @Override
            public io.streamlake.source.SourceReader open(io.streamlake.source.SourceContext context) {
                throw new UnsupportedOperationException();
            }
        })
                .bronze("abfss://lake@mylake.dfs.core.windows.net/b").bronzeOnly()
                .withStorageOptions(AdlsGen2.accountKey("mylake", KEY)).withStorageOptions(AdlsGen2.sas("other", SAS));
        assertThat(pipeline.toString()).doesNotContain(KEY).doesNotContain(SAS)
                .contains("fs.azure.account.key.mylake.dfs.core.windows.net");
    }
}
