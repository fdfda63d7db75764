package io.streamlake.core.delta;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Where a partition's data files live, as Spark and Delta write them: a folder
 * {@code column=value/} per partition column, values escaped as Hive escapes them (so a '/' or '='
 * in a value cannot make another folder), null as {@code __HIVE_DEFAULT_PARTITION__}; in the log,
 * the relative path URI-encoded. Readers take the values from the log, not from the folder names.
 */
final class PartitionPaths {
    static final String NULL_FOLDER = "__HIVE_DEFAULT_PARTITION__";

    private PartitionPaths() {
    }

    /** @return the folders of these partition values, ending in '/'; empty for none */
    static String folder(Map<String, @Nullable String> partitionValues) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, @Nullable String> e : partitionValues.entrySet()) {
            escape(sb, e.getKey());
            sb.append('=');
            if (e.getValue() == null) {
                sb.append(NULL_FOLDER);
            } else {
                escape(sb, e.getValue());
            }
            sb.append('/');
        }
        return sb.toString();
    }

    /** Hive's escaping of path names (Spark's ExternalCatalogUtils.escapePathName). */
    private static void escape(StringBuilder sb, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F || "\"#%'*/:=?\\{[]^".indexOf(c) >= 0) {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4 & 0xF, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            } else {
                sb.append(c);
            }
        }
    }

    /** @return a relative file path as the Delta log stores it: URI-encoded ('%' becomes "%25") */
    static String logPath(String relative) {
        if (relative.indexOf('/') < 0) {
            return relative; // unpartitioned: our file names need no encoding
        }
        try {
            return new URI(null, null, relative, null).getRawPath();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("cannot encode data file path " + relative, e);
        }
    }
}
