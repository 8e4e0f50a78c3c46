package dev.tiercache.bench;

import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.SslOptions;
import redis.clients.jedis.SslVerifyMode;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Redis server of the benchmarks' own, from the {@code redis-server} on the PATH, on a free
 * loopback port, persisting nothing; stopped by {@link #close()}. With TLS it speaks only TLS, with
 * a throwaway CA and server certificate made by {@code openssl} in its folder.
 */
final class BenchRedis implements AutoCloseable
{
    final int port;
    /** The CA certificate clients trust (TLS only), else {@code null}. */
    final Path ca;
    private final Process process;
    private final Path dir;

    BenchRedis() throws IOException, InterruptedException
    {
        this(false);
    }

    BenchRedis(final boolean tls) throws IOException, InterruptedException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            port = socket.getLocalPort();
        }
        dir = Files.createTempDirectory("tiercache-bench-redis");
        final List<String> command = new ArrayList<>(List.of("redis-server", "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", dir.toString(), "--loglevel", "warning"));
        if (tls)
        {
            ca = certificates(dir);
            command.addAll(List.of("--port", "0", "--tls-port", String.valueOf(port), "--tls-cert-file", dir.resolve("server.pem").toString(),
                "--tls-key-file", dir.resolve("server.key").toString(), "--tls-ca-cert-file", ca.toString(), "--tls-auth-clients", "no"));
        }
        else
        {
            ca = null;
            command.addAll(List.of("--port", String.valueOf(port)));
        }
        try
        {
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        }
        catch (final IOException ex)
        {
            throw new IOException("the L4 benchmarks need redis-server on the PATH (the Debian package redis-server)", ex);
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!answers())
        {
            if (!process.isAlive() || System.nanoTime() > deadline)
            {
                close();
                throw new IOException("redis-server on port " + port + " did not start");
            }
            Thread.sleep(20);
        }
    }

    String uri()
    {
        return (ca == null ? "redis" : "rediss") + "://127.0.0.1:" + port;
    }

    /** A bare Jedis client of this server (over TLS trusting its CA, host name verified). */
    Jedis jedis()
    {
        final DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder();
        if (ca != null)
        {
            final byte[] store = trustStore(ca);
            config.sslOptions(SslOptions.builder().sslVerifyMode(SslVerifyMode.FULL)
                .truststore(() -> new ByteArrayInputStream(store), STORE_PASSWORD.clone()).trustStoreType("PKCS12").build());
        }
        return new Jedis(new HostAndPort("127.0.0.1", port), config.build());
    }

    private static final char[] STORE_PASSWORD = "bench".toCharArray();

    private static byte[] trustStore(final Path caFile)
    {
        try (var in = Files.newInputStream(caFile))
        {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            store.store(out, STORE_PASSWORD);
            return out.toByteArray();
        }
        catch (final IOException | GeneralSecurityException ex)
        {
            throw new IllegalStateException("trust store of " + caFile + ": " + ex.getMessage(), ex);
        }
    }

    /** A CA and a server certificate for 127.0.0.1 signed by it, both EC P-256, valid two days. */
    private static Path certificates(final Path dir) throws IOException, InterruptedException
    {
        openssl(dir, "req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "2", "-subj", "/CN=bench CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        openssl(dir, "req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-keyout", "server.key",
            "-out", "server.csr", "-subj", "/CN=localhost");
        Files.writeString(dir.resolve("server.ext"), "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n" +
            "extendedKeyUsage=serverAuth\n");
        openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
            "-days", "2", "-extfile", "server.ext");
        return dir.resolve("ca.pem");
    }

    private static void openssl(final Path dir, final String... args) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        final Process openssl;
        try
        {
            openssl = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        }
        catch (final IOException ex)
        {
            throw new IOException("the TLS benchmarks need openssl on the PATH (the Debian package openssl)", ex);
        }
        final String out = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (openssl.waitFor() != 0)
        {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }

    private boolean answers()
    {
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            if (ca != null)
            {
                return true; // a TLS-only port: accepting is answering
            }
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            return socket.getInputStream().read() == '+';
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    @Override
    public void close()
    {
        process.destroy();
        try
        {
            if (!process.waitFor(5, TimeUnit.SECONDS))
            {
                process.destroyForcibly().waitFor();
            }
        }
        catch (final InterruptedException ex)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try (var files = Files.walk(dir))
        {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        catch (final IOException ex)
        {
            // a temporary folder left behind
        }
    }
}
