package io.streamlake.core.azure;

import io.streamlake.exceptions.ConfigurationException;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.util.Base64;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Checks Azure Storage credentials (account keys, SAS tokens, storage connection strings) before
 * Hadoop or the Azure SDK ever sees them. Those libraries quote a value they cannot parse in their
 * own messages and logs (Hadoop's ABFS driver logs an undecodable account key in clear at WARN), so a
 * malformed credential must fail here first, with a {@link ConfigurationException} that names the
 * setting and what is wrong with it, never the value nor any piece of it.
 *
 * <pre>{@code
 * // every path table is opened through this check; a user's own settings are checked too:
 * StorageCredentials.check(Map.of("fs.azure.account.key.mylake.dfs.core.windows.net", key));
 * // -> ConfigurationException: storage option fs.azure.account.key.mylake.dfs.core.windows.net (an account
 * //    key) is not valid: it decodes to 32 bytes, but an Azure storage account key is 64 bytes ...
 * }</pre>
 *
 * <p>Only the JDK is used here, so that checking the options of any table loads no Azure class.
 */
public final class StorageCredentials {
    /** Hadoop ABFS/WASB setting prefixes whose values are account keys and fixed SAS tokens. */
    static final String ACCOUNT_KEY_OPTION = "fs.azure.account.key.";
    static final String SAS_OPTION = "fs.azure.sas.fixed.token.";

    /** Azure storage account keys are 512-bit: 64 bytes, 88 base64 characters. */
    private static final int ACCOUNT_KEY_BYTES = 64;
    /** A SAS signature is an HMAC-SHA256: 32 bytes. */
    private static final int SIGNATURE_BYTES = 32;
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]*={0,2}");
    private static final Pattern SAS_PARAMETER = Pattern.compile("[a-z]{1,16}");
    private static final Pattern ACCOUNT_NAME = Pattern.compile("[a-z0-9]{3,24}");
    private static final Pattern HOST_SUFFIX = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?");
    private static final String KEY_WHERE = "copy key1 or key2 again from the Azure portal (Storage account > Security"
            + " + networking > Access keys > Show)";
    private static final String SAS_WHERE = "generate it again (Azure portal: Storage account > Data storage >"
            + " Containers > a container > Shared access tokens) and give the 'Blob SAS token' as shown";
    private static final String CS_WHERE = "copy it again from the Azure portal (Storage account > Security +"
            + " networking > Access keys > Connection string)";

    private StorageCredentials() {
    }

    /**
     * Checks every account key ({@code fs.azure.account.key.*}) and fixed SAS token
     * ({@code fs.azure.sas.fixed.token.*}) among Hadoop storage options; other settings pass untouched.
     *
     * @param storageOptions Hadoop settings, values secret
     * @throws ConfigurationException naming the first malformed setting and what is wrong, never its value
     */
    public static void check(Map<String, String> storageOptions) {
        storageOptions.forEach((name, value) -> {
            if (name == null || value == null) {
                return; // the caller reports nulls
            }
            if (name.startsWith(ACCOUNT_KEY_OPTION)) {
                String what = "storage option " + name + " (an account key)";
                accountKey(what, value);
                unpadded(what, value, KEY_WHERE);
            } else if (name.startsWith(SAS_OPTION)) {
                // Hadoop drops one leading '?' itself, so that is allowed here too
                String what = "storage option " + name + " (a SAS token)";
                sasToken(what, value);
                unpadded(what, value, SAS_WHERE);
            }
        });
    }

    /**
     * @param what names the setting in messages, such as "the account key of storage account mylake"
     * @param key an account key
     * @return the key without surrounding blanks
     * @throws ConfigurationException if it is not the base64 text of 64 bytes, saying what is wrong without quoting it
     */
    static String accountKey(String what, @Nullable String key) {
        if (key == null || key.isBlank()) {
            throw invalid(what, "it is empty", KEY_WHERE);
        }
        String k = key.strip();
        if (quoted(k)) {
            throw invalid(what, "it is wrapped in quotes; give the key alone", KEY_WHERE);
        }
        if (k.regionMatches(true, 0, "DefaultEndpointsProtocol=", 0, 25) || containsIgnoreCase(k, "AccountKey=")
                || k.indexOf(';') >= 0) {
            throw invalid(what, "it looks like a storage connection string; give only the value of its AccountKey"
                    + " part", KEY_WHERE);
        }
        if (containsIgnoreCase(k, "sig=") || k.indexOf('&') >= 0 || k.startsWith("?")) {
            throw invalid(what, "it looks like a SAS token, not an account key; sign in with AdlsGen2.sas(account,"
                    + " sasToken) (the setting fs.azure.sas.fixed.token.<host>) instead", KEY_WHERE);
        }
        if (k.chars().anyMatch(Character::isWhitespace)) {
            throw invalid(what, "it contains blanks or line breaks; an account key is one word of 88 base64"
                    + " characters", KEY_WHERE);
        }
        if (!BASE64.matcher(k).matches() || k.length() % 4 != 0) {
            throw invalid(what, "it is not base64 text (only letters, digits, '+' and '/', then up to two '='"
                    + " padding characters, in groups of four); an Azure storage account key is 88 base64"
                    + " characters ending in '=='", KEY_WHERE);
        }
        int bytes = Base64.getDecoder().decode(k).length;
        if (bytes != ACCOUNT_KEY_BYTES) {
            throw invalid(what, "it decodes to " + bytes + " bytes, but an Azure storage account key is "
                    + ACCOUNT_KEY_BYTES + " bytes (88 base64 characters ending in '=='); it may be cut short or"
                    + " another secret", KEY_WHERE);
        }
        return k;
    }

    /**
     * @param what names the setting in messages, such as "the SAS token of storage account mylake"
     * @param sasToken a SAS token, the query string of a SAS URL, with or without its one leading {@code ?}
     * @return the token without surrounding blanks and without its leading {@code ?}
     * @throws ConfigurationException if it is not {@code name=value&...} with a service version and a
     *     signature, saying what is wrong without quoting any of it
     */
    public static String sasToken(String what, @Nullable String sasToken) {
        if (sasToken == null || sasToken.isBlank()) {
            throw invalid(what, "it is empty", SAS_WHERE);
        }
        String t = sasToken.strip();
        if (quoted(t)) {
            throw invalid(what, "it is wrapped in quotes; give the token alone", SAS_WHERE);
        }
        if (t.regionMatches(true, 0, "http://", 0, 7) || t.regionMatches(true, 0, "https://", 0, 8)) {
            throw invalid(what, "it is a URL; give only its query string, the part after '?' (sv=...&sig=...)",
                    SAS_WHERE);
        }
        if (t.startsWith("?")) {
            t = t.substring(1);
        }
        if (t.indexOf('?') >= 0) {
            throw invalid(what, "it holds a '?' after its start; give the query string once, the part after the"
                    + " URL's '?' (sv=...&sig=...)", SAS_WHERE);
        }
        if (t.indexOf(';') >= 0 || containsIgnoreCase(t, "SharedAccessSignature=")
                || containsIgnoreCase(t, "AccountKey=")) {
            throw invalid(what, "it looks like a storage connection string; give only the value of its"
                    + " SharedAccessSignature part", SAS_WHERE);
        }
        if (t.chars().anyMatch(Character::isWhitespace)) {
            throw invalid(what, "it contains blanks or line breaks; a SAS token is one line, sv=...&sig=...",
                    SAS_WHERE);
        }
        Set<String> seen = new HashSet<>();
        String signature = null;
        String[] parts = t.split("&", -1);
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            if (part.isEmpty()) {
                continue; // a stray '&' harms nothing
            }
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw invalid(what, "parameter " + (i + 1) + " (counting the '&'-separated parts) is not name=value;"
                        + " a SAS token looks like sv=...&sp=...&se=...&sig=...", SAS_WHERE);
            }
            String name = part.substring(0, eq);
            if (!SAS_PARAMETER.matcher(name).matches()) {
                throw invalid(what, "parameter " + (i + 1) + " (counting the '&'-separated parts) is not a SAS"
                        + " parameter, whose names are a few lower-case letters such as sv, sp, se, sig", SAS_WHERE);
            }
            if (!seen.add(name)) {
                throw invalid(what, "parameter " + (i + 1) + " repeats an earlier parameter's name", SAS_WHERE);
            }
            if ("sig".equals(name)) {
                signature = part.substring(eq + 1);
            }
        }
        if (!seen.contains("sv")) {
            throw invalid(what, "it has no sv parameter (the service version); a SAS token looks like"
                    + " sv=...&sp=...&se=...&sig=...", SAS_WHERE);
        }
        if (signature == null || signature.isEmpty()) {
            throw invalid(what, "it has no sig parameter (the signature); a SAS token looks like"
                    + " sv=...&sp=...&se=...&sig=...", SAS_WHERE);
        }
        if (signature.indexOf('+') >= 0 || signature.indexOf('/') >= 0 || signature.indexOf('=') >= 0) {
            throw invalid(what, "its sig parameter is not URL-encoded (it holds '+', '/' or '=' where a SAS token"
                    + " has %2B, %2F and %3D); give the token exactly as Azure generated it", SAS_WHERE);
        }
        byte[] decoded = percentDecode(signature);
        String base64 = decoded == null ? null : new String(decoded, java.nio.charset.StandardCharsets.ISO_8859_1);
        if (base64 == null || !BASE64.matcher(base64).matches() || base64.length() % 4 != 0
                || Base64.getDecoder().decode(base64).length != SIGNATURE_BYTES) {
            throw invalid(what, "its sig parameter is not a signature (the URL-encoded base64 text of "
                    + SIGNATURE_BYTES + " bytes); it may be cut short", SAS_WHERE);
        }
        return t;
    }

    /**
     * Checks a storage account connection string, the way the checkpoint store of the Event Hubs source
     * takes it: {@code DefaultEndpointsProtocol=https;AccountName=<name>;AccountKey=<key>;EndpointSuffix=core.windows.net},
     * or with {@code BlobEndpoint=<url>;SharedAccessSignature=<sas>}.
     *
     * @param what names the setting in messages, such as "the checkpoint store's storage connection string"
     * @param connectionString the connection string
     * @return the parsed parts that are no secret: the account name (if any) and the blob endpoint (if any)
     * @throws ConfigurationException naming the part that is missing or wrong, never its value
     */
    public static StorageConnectionString connectionString(String what, @Nullable String connectionString) {
        if (connectionString == null || connectionString.isBlank()) {
            throw invalid(what, "it is empty", CS_WHERE);
        }
        String text = connectionString.strip();
        if (quoted(text)) {
            throw invalid(what, "it is wrapped in quotes; give the connection string alone", CS_WHERE);
        }
        if (text.chars().anyMatch(Character::isWhitespace)) {
            throw invalid(what, "it contains blanks or line breaks; a connection string is one line", CS_WHERE);
        }
        String accountName = null;
        String blobEndpoint = null;
        boolean key = false;
        boolean sas = false;
        boolean development = false;
        Set<String> seen = new HashSet<>();
        String[] parts = text.split(";");
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw invalid(what, "part " + (i + 1) + " (counting the ';'-separated parts) is not Name=value",
                        CS_WHERE);
            }
            String name = part.substring(0, eq).toLowerCase(Locale.ROOT);
            String value = part.substring(eq + 1);
            String label = switch (name) {
                case "defaultendpointsprotocol" -> "DefaultEndpointsProtocol";
                case "accountname" -> "AccountName";
                case "accountkey" -> "AccountKey";
                case "endpointsuffix" -> "EndpointSuffix";
                case "blobendpoint" -> "BlobEndpoint";
                case "queueendpoint" -> "QueueEndpoint";
                case "tableendpoint" -> "TableEndpoint";
                case "fileendpoint" -> "FileEndpoint";
                case "sharedaccesssignature" -> "SharedAccessSignature";
                case "usedevelopmentstorage" -> "UseDevelopmentStorage";
                case "developmentstorageproxyuri" -> "DevelopmentStorageProxyUri";
                default -> throw invalid(what, "part " + (i + 1) + " (counting the ';'-separated parts) is none of"
                        + " DefaultEndpointsProtocol, AccountName, AccountKey, EndpointSuffix, BlobEndpoint,"
                        + " SharedAccessSignature (nor another endpoint)", CS_WHERE);
            };
            if (!seen.add(name)) {
                throw invalid(what, "it has " + label + " twice", CS_WHERE);
            }
            String partWhat = "the " + label + " part of " + what;
            switch (name) {
                case "defaultendpointsprotocol" -> {
                    if (!value.equalsIgnoreCase("https") && !value.equalsIgnoreCase("http")) {
                        throw invalid(what, "its DefaultEndpointsProtocol part is neither https nor http", CS_WHERE);
                    }
                }
                case "accountname" -> {
                    if (!ACCOUNT_NAME.matcher(value).matches()) {
                        throw invalid(what, "its AccountName part is not a storage account name (3 to 24 lower-case"
                                + " letters and digits)", CS_WHERE);
                    }
                    accountName = value;
                }
                case "accountkey" -> {
                    accountKey(partWhat, value);
                    key = true;
                }
                case "endpointsuffix" -> {
                    if (!HOST_SUFFIX.matcher(value).matches()) {
                        throw invalid(what, "its EndpointSuffix part is not a domain such as core.windows.net",
                                CS_WHERE);
                    }
                }
                case "sharedaccesssignature" -> {
                    sasToken(partWhat, value);
                    sas = true;
                }
                case "usedevelopmentstorage" -> {
                    if (!value.equalsIgnoreCase("true")) {
                        throw invalid(what, "its UseDevelopmentStorage part is not true", CS_WHERE);
                    }
                    development = true;
                }
                default -> {
                    // an endpoint: a URL without credentials in it
                    String endpoint = endpoint(what, label, value);
                    if ("blobendpoint".equals(name)) {
                        blobEndpoint = endpoint;
                    }
                }
            }
        }
        if (!development && !key && !sas) {
            throw invalid(what, "it has neither an AccountKey nor a SharedAccessSignature part", CS_WHERE);
        }
        if (key && accountName == null) {
            throw invalid(what, "it has an AccountKey but no AccountName part", CS_WHERE);
        }
        if (!development && accountName == null && blobEndpoint == null) {
            throw invalid(what, "it has neither an AccountName nor a BlobEndpoint part", CS_WHERE);
        }
        return new StorageConnectionString(accountName, blobEndpoint);
    }

    /**
     * The parts of a checked storage connection string that are no secret, for descriptions.
     *
     * @param accountName the AccountName part, or null
     * @param blobEndpoint the BlobEndpoint part, or null
     */
    public record StorageConnectionString(@Nullable String accountName, @Nullable String blobEndpoint) {
        /** @return the account name, else the blob endpoint, else {@code development storage} */
        public String describe() {
            return accountName != null ? "account " + accountName
                    : blobEndpoint != null ? "endpoint " + blobEndpoint : "development storage";
        }
    }

    private static String endpoint(String what, String label, String value) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (java.net.URISyntaxException e) {
            // the exception quotes the value: not attached
            throw invalid(what, "its " + label + " part is not a URL such as https://<account>.blob.core.windows.net/",
                    CS_WHERE);
        }
        if (uri.getScheme() == null || !uri.getScheme().toLowerCase(Locale.ROOT).startsWith("http")
                || uri.getHost() == null) {
            throw invalid(what, "its " + label + " part is not a URL such as https://<account>.blob.core.windows.net/",
                    CS_WHERE);
        }
        if (uri.getRawQuery() != null || uri.getRawUserInfo() != null) {
            throw invalid(what, "its " + label + " part carries a query string or user information; give the SAS"
                    + " in the SharedAccessSignature part", CS_WHERE);
        }
        return value;
    }

    /** Hadoop takes a hand-set value as it is: blanks around a key or a SAS break it, and its messages then quote it. */
    private static void unpadded(String what, String value, String todo) {
        if (!value.equals(value.strip())) {
            throw invalid(what, "it starts or ends with blanks or a line break; remove them", todo);
        }
    }

    private static boolean quoted(String s) {
        char first = s.charAt(0);
        char last = s.charAt(s.length() - 1);
        return first == '"' || first == '\'' || last == '"' || last == '\'';
    }

    private static boolean containsIgnoreCase(String s, String part) {
        return s.toLowerCase(Locale.ROOT).contains(part.toLowerCase(Locale.ROOT));
    }

    /** @return the bytes of a URL-encoded text, or null if a {@code %} escape is malformed */
    private static byte @Nullable [] percentDecode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    return null;
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out.write(hi * 16 + lo);
                i += 2;
            } else if (c > 0x7f) {
                return null;
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    private static ConfigurationException invalid(String what, String problem, String todo) {
        return new ConfigurationException(what + " is not valid: " + problem + "; " + todo);
    }
}
