package io.streamlake.samples;

import io.streamlake.core.azure.AdlsGen2;
import io.streamlake.core.delta.TableVerifier;
import io.streamlake.core.delta.VerificationReport;
import io.streamlake.exceptions.StreamLakeException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Checks Delta tables after an incident: reads every value of every live data file of each table
 * with {@link TableVerifier} and prints what is damaged, where, and for a bronze table which source
 * positions the damaged files hold (what to re-ingest). It only reads.
 *
 * <pre>
 * mvn -q -B -ntp -DskipTests install
 * mvn -q -B -ntp -pl samples exec:java -Dexec.mainClass=io.streamlake.samples.VerifyTable \
 *     -Dexec.args="lake/bronze/orders lake/silver/orders"
 * LAKE_ACCOUNT_KEY=... mvn -q -B -ntp -pl samples exec:java -Dexec.mainClass=io.streamlake.samples.VerifyTable \
 *     -Dexec.args="abfss://lake@mylake.dfs.core.windows.net/bronze/orders"
 * </pre>
 *
 * <p>Exit code 0 when every table is healthy, 1 when a problem was found or a table could not be
 * read, 2 for wrong arguments.
 */
public final class VerifyTable {
    static final String ENV_ACCOUNT_KEY = "LAKE_ACCOUNT_KEY";
    static final String USAGE = "usage: VerifyTable <table-path> [<table-path>...]\n"
            + "  Reads every value of every live data file of each Delta table (a local folder or an abfss:// URI)\n"
            + "  and prints one line per problem, the position ranges of damaged bronze files, and a totals line.\n"
            + "  abfss:// tables sign in with the storage account key in " + ENV_ACCOUNT_KEY + ", or without it\n"
            + "  with DefaultAzureCredential (az login, a managed identity, ...).\n"
            + "  Exit code: 0 every table healthy, 1 a problem found or a table unreadable, 2 wrong arguments.";

    private VerifyTable() {
    }

    /** @param args see {@link #USAGE} */
    public static void main(String[] args) {
        System.exit(run(args, System.getenv()));
    }

    /** @return the exit code: 0 every table healthy, 1 a problem found or a table unreadable, 2 wrong arguments */
    static int run(String[] args, Map<String, String> env) {
        int[] verdict = {0};
        int code = SampleMain.run("VerifyTable", USAGE, args, env, Options::parse, o -> o.help,
                o -> verdict[0] = verifyAll(o.tables, env));
        return code != 0 ? code : verdict[0];
    }

    /** @return 0 when every table is healthy, else 1 */
    private static int verifyAll(List<String> tables, Map<String, String> env) {
        int healthy = 0;
        for (String path : tables) {
            System.out.println("Verifying " + path + " ...");
            try {
                VerificationReport report = TableVerifier.verify(path, storageOptions(path, env));
                System.out.println(report.summary());
                if (report.ok()) {
                    healthy++;
                }
            } catch (StreamLakeException | IllegalArgumentException e) {
                // One unreadable table must not hide the verdict on the others. The library's messages
                // name the table already.
                System.out.println(e instanceof StreamLakeException ? e.getMessage()
                        : "cannot verify " + path + ": " + e.getMessage());
            }
        }
        if (tables.size() > 1) {
            System.out.printf(Locale.ROOT, "%d of %d tables healthy%n", healthy, tables.size());
        }
        return healthy == tables.size() ? 0 : 1;
    }

    /** No settings for a local table; for abfss://, the account key from the environment, or Entra ID. */
    static Map<String, String> storageOptions(String path, Map<String, String> env) {
        if (!path.regionMatches(true, 0, "abfss://", 0, 8)) {
            return Map.of();
        }
        String host = URI.create(path).getHost();
        if (host == null) {
            throw new IllegalArgumentException(
                    "'" + path + "' is not abfss://<container>@<account>.dfs.core.windows.net/<path>");
        }
        String key = env.get(ENV_ACCOUNT_KEY);
        return key == null || key.isBlank() ? AdlsGen2.entraId(host) : AdlsGen2.accountKey(host, key);
    }

    /** Command-line options. */
    static final class Options {
        final List<String> tables = new ArrayList<>();
        boolean help;

        static Options parse(String[] args, Map<String, String> env) {
            Options o = new Options();
            for (String a : args) {
                if (a.equals("-h") || a.equals("--help")) {
                    o.help = true;
                } else if (a.startsWith("-")) {
                    throw new IllegalArgumentException("unknown option '" + a + "'");
                } else if (a.isBlank()) {
                    throw new IllegalArgumentException("a table path must not be blank");
                } else {
                    o.tables.add(a);
                }
            }
            if (o.tables.isEmpty() && !o.help) {
                throw new IllegalArgumentException("give at least one table path");
            }
            return o;
        }
    }
}
