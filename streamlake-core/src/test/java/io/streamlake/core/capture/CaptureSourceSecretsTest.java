package io.streamlake.core.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.SecretMap;
import io.streamlake.core.SecretFragments;
import io.streamlake.core.azure.AdlsGen2;
import io.streamlake.core.testing.NoMarkers;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The archive's own storage options, and the merge with the pipeline's, print no value. */
class CaptureSourceSecretsTest {
    @Test
    void storageOptionsOfTheArchiveAreSecretMaps() {
        String key = SecretFragments.randomBase64(64);
        String sig = SecretFragments.randomSignature();
        Map<String, String> pipelineOptions = AdlsGen2.sas("lake", "sv=2024-11-04&sig=" + sig);
        CaptureSource source = Capture.backfill("abfss://capture@archive.dfs.core.windows.net/", "orders")
                .withStorageOption("fs.azure.account.key.archive.dfs.core.windows.net", key);
        Map<String, String> merged = source.storageOptions(new NoMarkers("p", pipelineOptions));
        assertThat(merged).isInstanceOf(SecretMap.class)
                .containsEntry("fs.azure.account.key.archive.dfs.core.windows.net",
                        key)
                .containsAllEntriesOf(pipelineOptions);
        SecretFragments.assertNoneIn(merged + " " + merged.values() + " " + merged.entrySet() + " " + source, key, sig);
        assertThat(source.toString()).contains("fs.azure.account.key.archive.dfs.core.windows.net");
    }
}
