package io.streamlake.testkit.kafka;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes a key store with a self-signed certificate for {@code localhost} and {@code 127.0.0.1}, and a
 * trust store that trusts it, with the JDK's own keytool: the JDK has no public API to sign a
 * certificate, and keytool ships with every JDK.
 */
final class SelfSignedCertificate {
    private SelfSignedCertificate() {
    }

    static void create(Path keyStore, Path trustStore, String password) throws IOException {
        Files.createDirectories(keyStore.getParent());
        Files.deleteIfExists(keyStore);
        Files.deleteIfExists(trustStore);
        Path cert = keyStore.resolveSibling("broker.crt");
        keytool("-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-validity", "3650",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                "-keystore", keyStore.toString(), "-storetype", "PKCS12", "-storepass", password, "-keypass", password);
        keytool("-exportcert", "-rfc", "-alias", "broker", "-keystore", keyStore.toString(), "-storetype", "PKCS12",
                "-storepass", password, "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", "broker", "-file", cert.toString(),
                "-keystore", trustStore.toString(), "-storetype", "PKCS12", "-storepass", password);
    }

    private static void keytool(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                // The output names no password: keytool does not print it.
                throw new IOException("keytool " + args[0] + " failed: " + new String(out, StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        }
    }
}
