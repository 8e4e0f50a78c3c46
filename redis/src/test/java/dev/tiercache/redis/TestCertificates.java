package dev.tiercache.redis;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Throwaway certificates made with {@code openssl} at test time, valid for two days: a CA, a
 * server certificate it signs for {@code 127.0.0.1} and {@code localhost} (also usable as a client
 * certificate, as a cluster's nodes use it on the bus), one for another host,
 * a client certificate (also as a PKCS#12 key store), and a second CA that signed none of them.
 * Without {@code openssl} the tests are skipped with the reason, unless
 * {@code tiercache.redis.required} or {@code TIERCACHE_REDIS_REQUIRED} is true, where they fail.
 *
 * @param ca             the CA's certificate (PEM).
 * @param serverCert     the server's certificate, naming 127.0.0.1 and localhost.
 * @param serverKey      its key.
 * @param otherHostCert  a server certificate from the same CA naming only {@code elsewhere.invalid}.
 * @param otherHostKey   its key.
 * @param clientKeyStore the client's certificate and key as PKCS#12, password {@link #CLIENT_STORE_PASSWORD}.
 * @param otherCa        a CA that signed nothing here.
 */
public record TestCertificates(Path ca, Path serverCert, Path serverKey, Path otherHostCert, Path otherHostKey, Path clientKeyStore, Path otherCa)
{
    /** The client key store's password (a throwaway). */
    public static final String CLIENT_STORE_PASSWORD = "client-store-pw";

    /** Skips the calling test (or fails it, in CI) without {@code openssl} on the PATH. */
    public static void requireOpenssl()
    {
        boolean found = false;
        for (final String folder : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
        {
            found |= Files.isExecutable(Path.of(folder, "openssl"));
        }
        if (!found && (Boolean.getBoolean("tiercache.redis.required") || "true".equals(System.getenv("TIERCACHE_REDIS_REQUIRED"))))
        {
            throw new IllegalStateException("openssl is not on the PATH: install the openssl package (.ci/run does)");
        }
        Assumptions.assumeTrue(found, "openssl is not on the PATH: install the openssl package to run the TLS tests");
    }

    /**
     * Makes every file in a folder.
     *
     * @param dir an empty folder.
     * @return the files.
     * @throws IOException when openssl fails.
     * @throws InterruptedException when interrupted.
     */
    public static TestCertificates make(final Path dir) throws IOException, InterruptedException
    {
        requireOpenssl();
        ca(dir, "ca", "tiercache test CA");
        ca(dir, "other-ca", "tiercache other CA");
        // a cluster's nodes present their server certificate to each other on the bus: a client's use too
        signed(dir, "server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
        signed(dir, "elsewhere", "subjectAltName=DNS:elsewhere.invalid\nextendedKeyUsage=serverAuth\n");
        signed(dir, "client", "extendedKeyUsage=clientAuth\n");
        openssl(dir, "pkcs12", "-export", "-in", "client.pem", "-inkey", "client.key", "-out", "client.p12", "-name", "client",
            "-passout", "pass:" + CLIENT_STORE_PASSWORD);
        return new TestCertificates(dir.resolve("ca.pem"), dir.resolve("server.pem"), dir.resolve("server.key"), dir.resolve("elsewhere.pem"),
            dir.resolve("elsewhere.key"), dir.resolve("client.p12"), dir.resolve("other-ca.pem"));
    }

    private static void ca(final Path dir, final String name, final String subject) throws IOException, InterruptedException
    {
        openssl(dir, "req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-keyout", name + ".key",
            "-out", name + ".pem", "-days", "2", "-subj", "/CN=" + subject, "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    }

    private static void signed(final Path dir, final String name, final String extensions) throws IOException, InterruptedException
    {
        Files.writeString(dir.resolve(name + ".ext"), "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\n" + extensions);
        openssl(dir, "req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-keyout", name + ".key",
            "-out", name + ".csr", "-subj", "/CN=" + name);
        openssl(dir, "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", name + ".pem",
            "-days", "2", "-extfile", name + ".ext");
    }

    private static void openssl(final Path dir, final String... args) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0)
        {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
    }
}
