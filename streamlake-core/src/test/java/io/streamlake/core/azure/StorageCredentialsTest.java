package io.streamlake.core.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.streamlake.SecretMap;
import io.streamlake.core.SecretFragments;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.exceptions.ConfigurationException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Malformed credentials fail before Hadoop or the Azure SDK sees them, saying what is wrong without quoting any of it. */
class StorageCredentialsTest {
    private static final String HOST = "mylake.dfs.core.windows.net";
    private static final String KEY = SecretFragments.randomBase64(64);
    private static final String SIG = SecretFragments.randomSignature();
    private static final String SAS = "sv=2024-11-04&ss=b&srt=co&sp=rwdlac&se=2030-01-01T00:00:00Z&sig=" + SIG;
    private static final String RAW_SIG = java.net.URLDecoder.decode(SIG, java.nio.charset.StandardCharsets.UTF_8);
    /** A key of another size, as a secret of another service would be. */
    private static final String OTHER = SecretFragments.randomBase64(32);

    private record Case(String value, String says) {
    }

    @Test
    void accountKeysMustBeTheBase64TextOf64Bytes() {
        assertThat(AdlsGen2.accountKey("mylake", "\n " + KEY + " ")).containsEntry("fs.azure.account.key." + HOST, KEY);
        List<Case> cases = List.of(
                new Case(KEY.substring(0, 40) + "!#" + KEY.substring(42), "is not base64 text"),
                new Case(KEY.replace('+', '-').replace('/', '_') + "-_", "is not base64 text"),
                new Case(KEY.substring(0, 44), "decodes to 33 bytes"),
                new Case(KEY.substring(0, 86), "is not base64 text"),
                new Case(KEY + KEY, "is not base64 text"),
                new Case(OTHER, "decodes to 32 bytes, but an Azure storage account key is 64"),
                new Case(KEY.substring(0, 44) + " " + KEY.substring(44), "blanks or line breaks"),
                new Case("\"" + KEY + "\"", "wrapped in quotes"),
                new Case("DefaultEndpointsProtocol=https;AccountName=mylake;AccountKey=" + KEY,
                        "storage connection string"),
                new Case(SAS, "looks like a SAS token"),
                new Case("?" + SAS, "looks like a SAS token"),
                new Case(" ", "is empty"));
        for (Case c : cases) {
            Throwable viaFactory = catchThrowable(() -> AdlsGen2.accountKey("mylake", c.value()));
            assertRefused(viaFactory, c, "the account key of storage account " + HOST + " is not valid: ");
            // the same value set by hand is refused before Hadoop sees it
            Throwable viaTable = catchThrowable(() -> DeltaTable.open("abfss://lake@" + HOST + "/t",
                    Map.of("fs.azure.account.key." + HOST, c.value())));
            assertRefused(viaTable, c,
                    "storage option fs.azure.account.key." + HOST + " (an account key) is not valid: ");
        }
    }

    @Test
    void sasTokensMustBeQueryStringsWithAVersionAndAUrlEncodedSignature() {
        assertThat(AdlsGen2.sas("mylake", " ?" + SAS + "\n")).containsEntry("fs.azure.sas.fixed.token." + HOST, SAS);
        assertThat(AdlsGen2.sas("mylake", SAS + "&")).containsEntry("fs.azure.sas.fixed.token." + HOST, SAS + "&");
        List<Case> cases = List.of(
                new Case("https://mylake.blob.core.windows.net/lake?" + SAS, "is a URL"),
                new Case("??" + SAS, "holds a '?' after its start"),
                new Case(SAS + "?" + SAS, "holds a '?' after its start"),
                new Case("BlobEndpoint=https://mylake.blob.core.windows.net/;SharedAccessSignature=" + SAS,
                        "storage connection string"),
                new Case("sv=2024-11-04&sp=rwdlac&sig=" + RAW_SIG + "x", "sig parameter is not URL-encoded"),
                new Case(SAS.replace("sv=2024-11-04&", ""), "no sv parameter"),
                new Case(SAS.substring(0, SAS.indexOf("&sig=")), "no sig parameter"),
                new Case(SAS.substring(0, SAS.length() - 6), "sig parameter is not a signature"),
                new Case(SAS.replace("%", "%G"), "sig parameter is not a signature"),
                new Case(SAS + "&sig=" + SIG, "repeats an earlier parameter"),
                new Case(SAS.replace("&sp=", "&" + KEY.substring(0, 12) + "&sp="), "is not name=value"),
                new Case(SAS.replace("&sp=", "&S" + KEY.substring(0, 12).replaceAll("[^A-Za-z]", "") + "=x&sp="),
                        "is not a SAS parameter"),
                new Case(SAS.replace("&sp=", " &sp="), "blanks or line breaks"),
                new Case("'" + SAS + "'", "wrapped in quotes"),
                new Case(KEY, "is not a SAS parameter"),
                new Case("", "is empty"));
        for (Case c : cases) {
            assertRefused(catchThrowable(() -> AdlsGen2.sas("mylake", c.value())), c,
                    "the SAS token of storage account " + HOST + " is not valid: ");
            assertRefused(catchThrowable(() -> DeltaTable.open("abfss://lake@" + HOST + "/t",
                    Map.of("fs.azure.sas.fixed.token." + HOST, c.value()))), c,
                    "storage option fs.azure.sas.fixed.token." + HOST + " (a SAS token) is not valid: ");
        }
        // Hadoop drops one leading '?' itself, but not blanks
        DeltaTable.open("abfss://lake@" + HOST + "/t", Map.of("fs.azure.account.auth.type." + HOST, "SAS",
                "fs.azure.sas.fixed.token." + HOST, "?" + SAS));
        assertRefused(catchThrowable(() -> DeltaTable.open("abfss://lake@" + HOST + "/t",
                Map.of("fs.azure.sas.fixed.token." + HOST, SAS + " "))), new Case(SAS, "starts or ends with blanks"),
                "storage option fs.azure.sas.fixed.token." + HOST);
    }

    @Test
    void storageConnectionStringsAreCheckedPartByPart() {
        String good = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + KEY
                + ";EndpointSuffix=core.windows.net";
        assertThat(StorageCredentials.connectionString("the string", good).describe()).isEqualTo("account acct");
        assertThat(StorageCredentials.connectionString("the string", "BlobEndpoint=https://acct.blob.core.windows.net/;"
                + "SharedAccessSignature=" + SAS).describe()).isEqualTo("endpoint https://acct.blob.core.windows.net/");
        assertThat(StorageCredentials.connectionString("the string", "UseDevelopmentStorage=true").describe())
                .isEqualTo("development storage");
        List<Case> cases = List.of(
                new Case(good.replace("AccountName=acct", "AccountName=" + KEY),
                        "AccountName part is not a storage account name"),
                new Case(good.replace("AccountKey=" + KEY, "AccountKey=" + KEY.substring(0, 60)),
                        "the AccountKey part of the string is not valid"),
                new Case(good.replace("AccountKey=", KEY.substring(4, 20) + ";AccountKey="), "part 3 (counting"),
                new Case(good.replace("EndpointSuffix=", KEY + "="), "part 4"),
                new Case(good + ";AccountKey=" + KEY, "AccountKey twice"),
                new Case(good.replace("AccountName=acct;", ""), "AccountKey but no AccountName"),
                new Case(
                        "BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature="
                                + SAS.replace("sv=", "v="),
                        "the SharedAccessSignature part of the string is not valid: it has no sv parameter"),
                new Case("BlobEndpoint=https://acct.blob.core.windows.net/?" + SAS + ";SharedAccessSignature=" + SAS,
                        "BlobEndpoint part carries a query string"),
                new Case("BlobEndpoint=" + KEY + ";SharedAccessSignature=" + SAS, "BlobEndpoint part is not a URL"),
                new Case("AccountName=acct", "neither an AccountKey nor a SharedAccessSignature"),
                new Case(good.replace("https", KEY.substring(0, 10)), "DefaultEndpointsProtocol part is neither"));
        for (Case c : cases) {
            // a part's own check names the part and the string: "the AccountKey part of the string is not valid"
            assertRefused(catchThrowable(() -> StorageCredentials.connectionString("the string", c.value())), c,
                    c.says().contains(" part of the string") ? "the " : "the string is not valid: ");
        }
    }

    @Test
    void optionsWithoutCredentialsAndEntraIdOptionsPassTheCheck() {
        StorageCredentials
                .check(Map.of("fs.azure.account.auth.type", "SharedKey", "fs.azure.io.retry.max.retries", "0"));
        StorageCredentials.check(AdlsGen2.entraId("mylake"));
        StorageCredentials.check(AdlsGen2.accountKey("mylake", KEY));
        assertThat(AdlsGen2.accountKey("mylake", KEY)).isInstanceOf(SecretMap.class);
        assertThat(AdlsGen2.sas("mylake", SAS).toString()).doesNotContain(SIG)
                .contains("fs.azure.sas.fixed.token." + HOST);
    }

    private static void assertRefused(Throwable t, Case c, String prefix) {
        assertThat(t).as(c.says()).isInstanceOf(ConfigurationException.class);
        assertThat(t.getMessage()).as(c.says()).startsWith(prefix).contains(c.says());
        assertThat(t.getCause()).as("no cause that could quote it").isNull();
        // the case's own text names settings (DefaultEndpointsProtocol...): its secrets are the random parts
        SecretFragments.assertNoneIn(SecretFragments.describe(t), KEY, SIG, RAW_SIG, OTHER);
    }
}
