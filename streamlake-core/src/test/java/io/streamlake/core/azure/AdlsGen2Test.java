package io.streamlake.core.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.exceptions.ConfigurationException;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

class AdlsGen2Test {
    private static final String HOST = "mylake.dfs.core.windows.net";
    /** The base64 text of 64 bytes, as real account keys are. */
    static final String KEY =
            "QWNjb3VudEtleVRoYXRNdXN0TmV2ZXJCZVByaW50ZWRBY2NvdW50S2V5VGhhdE11c3ROZXZlckJlUHJpbnRlZA==";
    /** A SAS whose signature is the URL-encoded base64 text of 32 bytes, as real ones are. */
    static final String SAS =
            "sv=2024-11-04&ss=b&srt=co&sp=rwdlac&se=2030-01-01T00:00:00Z&sig=U2lnVGhhdE11c3ROZXZlckJlUHJpbnRlZDAxMjM0NTY%3D";

    @Test
    void anAccountKeyMapsToSharedKeySettingsOfThatAccountOnly() {
        assertThat(AdlsGen2.accountKey("mylake", " " + KEY + " ")).containsExactlyInAnyOrderEntriesOf(Map.of(
                "fs.azure.account.auth.type." + HOST, "SharedKey",
                "fs.azure.account.key." + HOST, KEY));
    }

    @Test
    void aSasMapsToAFixedSasTokenWithoutItsQuestionMark() {
        assertThat(AdlsGen2.sas(HOST, "?" + SAS)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "fs.azure.account.auth.type." + HOST, "SAS",
                "fs.azure.sas.fixed.token." + HOST, SAS));
    }

    @Test
    void entraIdMapsToOurCustomTokenProviderAndNamesAGivenCredentialByAnOpaqueId() {
        assertThat(AdlsGen2.entraId("mylake")).containsExactlyInAnyOrderEntriesOf(Map.of(
                "fs.azure.account.auth.type." + HOST, "Custom",
                "fs.azure.account.oauth.provider.type." + HOST, EntraIdTokenProvider.class.getName()));

        Map<String, String> options = AdlsGen2.entraId("mylake", StaticTokenCredential.of("t", OffsetDateTime.now()));
        assertThat(options).containsEntry("fs.azure.account.auth.type." + HOST, "Custom")
                .containsKey(AdlsGen2.CREDENTIAL_OPTION + HOST);
        assertThat(options.get(AdlsGen2.CREDENTIAL_OPTION + HOST)).startsWith("streamlake-");
    }

    @Test
    void malformedAccountsAndBlankSecretsAreRefused() {
        assertThatThrownBy(() -> AdlsGen2.accountKey("My_Lake", KEY)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("storage account name");
        assertThatThrownBy(() -> AdlsGen2.accountKey("mylake", " ")).hasMessageContaining(
                "account key of storage account mylake.dfs.core.windows.net is not valid: it is empty");
        assertThatThrownBy(() -> AdlsGen2.sas("mylake", "")).hasMessageContaining(
                "SAS token of storage account mylake.dfs.core.windows.net is not valid: it is empty");
    }

    @Test
    void theTokenProviderAsksTheRegisteredCredentialForAStorageTokenAndReportsItsExpiry() throws IOException {
        OffsetDateTime expiry = OffsetDateTime.of(2030, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC);
        StaticTokenCredential credential = StaticTokenCredential.of("storage-token-value", expiry);
        Configuration conf = new Configuration(false);
        AdlsGen2.entraId("mylake", credential).forEach(conf::set);

        EntraIdTokenProvider provider = new EntraIdTokenProvider();
        provider.initialize(conf, HOST);
        assertThat(provider.getAccessToken()).isEqualTo("storage-token-value");
        assertThat(provider.getExpiryTime().toInstant()).isEqualTo(expiry.toInstant());
        assertThat(credential.scopes()).containsExactly(java.util.List.of("https://storage.azure.com/.default"));
    }

    @Test
    void aFailingCredentialGivesAnIoErrorThatSaysWhatToCheck() throws IOException {
        Configuration conf = new Configuration(false);
        AdlsGen2.entraId("mylake", StaticTokenCredential.failing(new IllegalStateException("AADSTS7000215: bad")))
                .forEach(conf::set);
        EntraIdTokenProvider provider = new EntraIdTokenProvider();
        provider.initialize(conf, HOST);

        assertThatThrownBy(provider::getAccessToken).isInstanceOf(IOException.class)
                .hasMessageContaining("Entra ID sign-in for storage account " + HOST + " failed")
                .hasMessageContaining("StaticTokenCredential").hasMessageContaining("AADSTS7000215")
                .hasMessageContaining("Storage Blob Data Contributor");
    }

    @Test
    void anIdThatNamesNoCredentialInThisJvmIsAClearError() {
        Configuration conf = new Configuration(false);
        conf.set(AdlsGen2.CREDENTIAL_OPTION + HOST, "streamlake-0000");
        assertThatThrownBy(() -> new EntraIdTokenProvider().initialize(conf, HOST)).isInstanceOf(IOException.class)
                .hasMessageContaining("not registered in this JVM").hasMessageContaining("AdlsGen2.entraId");
    }
}
