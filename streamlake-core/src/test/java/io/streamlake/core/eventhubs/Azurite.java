package io.streamlake.core.eventhubs;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Azurite's Blob service for tests, on loopback. Uses the endpoint in the environment variable
 * {@code STREAMLAKE_AZURITE_BLOB_ENDPOINT} when it is set (CI starts one, see {@code .ci/run});
 * otherwise starts {@code azurite-blob} 3.35.0 itself on a free port with in-memory persistence,
 * installing it with npm into {@code ~/.cache/streamlake/azurite-3.35.0} the first time. Without Node
 * and npm the test fails with a message saying so: it never skips silently.
 *
 * <pre>{@code
 * try (Azurite azurite = Azurite.start()) {
 *     BlobContainerAsyncClient c = new BlobContainerClientBuilder()
 *         .connectionString(azurite.connectionString()).containerName("checkpoints").buildAsyncClient();
 * }
 * }</pre>
 *
 * <p>The account is Azurite's well-known development account {@code devstoreaccount1}.
 */
public final class Azurite implements AutoCloseable {
    /** The Azurite version installed and run. */
    public static final String VERSION = "3.35.0";
    /** The environment variable naming a running Azurite's blob endpoint, such as {@code http://127.0.0.1:10000/devstoreaccount1}. */
    public static final String ENDPOINT_ENV = "STREAMLAKE_AZURITE_BLOB_ENDPOINT";
    /** The development account's name. */
    public static final String ACCOUNT = "devstoreaccount1";
    /** The development account's published key (not a secret: Azurite documents it). */
    public static final String ACCOUNT_KEY =
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private final String endpoint;
    private final @Nullable Process process;

    private Azurite(String endpoint, @Nullable Process process) {
        this.endpoint = endpoint;
        this.process = process;
    }

    /**
     * @return the environment's Azurite, or one started now
     * @throws IllegalStateException if none is configured and node/npm are missing or Azurite does not start
     */
    public static Azurite start() {
        String env = System.getenv(ENDPOINT_ENV);
        if (env != null && !env.isBlank()) {
            String e = env.strip();
            return new Azurite(e.endsWith("/") ? e.substring(0, e.length() - 1) : e, null);
        }
        Path home = Path.of(System.getProperty("user.home"), ".cache", "streamlake", "azurite-" + VERSION);
        Path main = home.resolve("node_modules/azurite/dist/src/blob/main.js");
        if (!Files.isRegularFile(main)) {
            install(home);
        }
        int port = freePort();
        Path location; // only for its log: the data stays in memory
        try {
            location = Files.createTempDirectory("azurite");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> cmd = new ArrayList<>(List.of(node(), main.toString(), "--blobHost", "127.0.0.1", "--blobPort",
                Integer.toString(port), "--inMemoryPersistence",
                "--skipApiVersionCheck", "--loose", "--silent"));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(location.resolve("azurite.log").toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("could not start Azurite with " + cmd + ": " + e.getMessage(), e);
        }
        Azurite azurite = new Azurite("http://127.0.0.1:" + port + "/" + ACCOUNT, p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!listening(port)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                azurite.close();
                throw new IllegalStateException("Azurite did not start listening on 127.0.0.1:" + port + "; see "
                        + location.resolve("azurite.log"));
            }
            sleep(100);
        }
        return azurite;
    }

    private static void install(Path home) {
        String npm = onPath("npm");
        if (npm == null || onPath("node") == null) {
            throw new IllegalStateException(
                    "the Blob checkpoint store tests need Azurite " + VERSION + ", which runs on"
                            + " Node.js: install node and npm (Node 20 works), or set " + ENDPOINT_ENV + " to a running"
                            + " Azurite blob endpoint such as http://127.0.0.1:10000/devstoreaccount1");
        }
        try {
            Files.createDirectories(home);
            Process p = new ProcessBuilder(npm, "install", "--prefix", home.toString(), "--no-audit", "--no-fund",
                    "azurite@" + VERSION).redirectErrorStream(true)
                    .redirectOutput(home.resolve("npm-install.log").toFile()).start();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("npm could not install azurite@" + VERSION + " into " + home + "; see "
                        + home.resolve("npm-install.log"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while installing Azurite", e);
        }
    }

    private static String node() {
        String node = onPath("node");
        if (node == null) {
            throw new IllegalStateException("node is not on the PATH: the Blob checkpoint store tests run Azurite "
                    + VERSION + " on Node.js; install it (Node 20 works) or set " + ENDPOINT_ENV);
        }
        return node;
    }

    private static @Nullable String onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path f = Path.of(dir, name);
            if (Files.isExecutable(f)) {
                return f.toString();
            }
        }
        return null;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** @return the blob endpoint, {@code http://127.0.0.1:<port>/devstoreaccount1} */
    public String blobEndpoint() {
        return endpoint;
    }

    /** @return a storage connection string for the development account */
    public String connectionString() {
        return "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + ACCOUNT_KEY
                + ";BlobEndpoint=" + endpoint + ";";
    }

    /** Stops the Azurite this object started (by its own pid), if it started one. */
    @Override
    public void close() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }

    @Override
    public String toString() {
        return "Azurite[" + endpoint + (process != null ? ", pid " + process.pid() : ", from " + ENDPOINT_ENV) + "]";
    }
}
