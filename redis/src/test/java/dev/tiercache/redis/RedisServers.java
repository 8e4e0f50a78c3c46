package dev.tiercache.redis;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Real Redis servers for the tests, started from the {@code redis-server} on the PATH on free
 * loopback ports, with nothing persisted, and stopped (never left behind) by {@link #close()}.
 * Without {@code redis-server} the tests are skipped with the reason, unless the property
 * {@code tiercache.redis.required} or the variable {@code TIERCACHE_REDIS_REQUIRED} is true (as in
 * {@code .ci/run}), where they fail.
 */
public final class RedisServers implements AutoCloseable
{
    private final List<Server> servers = new ArrayList<>();
    private final Path dir;

    /**
     * A group of servers to start; skips the test without {@code redis-server}.
     *
     * @throws IOException when the temporary folder cannot be made.
     */
    public RedisServers() throws IOException
    {
        requireRedis();
        this.dir = Files.createTempDirectory("tiercache-redis-test");
    }

    /** Skips the calling test (or fails it, in CI) without {@code redis-server}. */
    public static void requireRedis()
    {
        final boolean found = whichRedis() != null;
        if (!found && (Boolean.getBoolean("tiercache.redis.required") || "true".equals(System.getenv("TIERCACHE_REDIS_REQUIRED"))))
        {
            throw new IllegalStateException("redis-server is not on the PATH: install the redis-server package (.ci/run does)");
        }
        Assumptions.assumeTrue(found, "redis-server is not on the PATH: install the redis-server package to run the L4 tests");
    }

    private static String whichRedis()
    {
        for (final String folder : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
        {
            if (Files.isExecutable(Path.of(folder, "redis-server")))
            {
                return Path.of(folder, "redis-server").toString();
            }
        }
        return null;
    }

    /** One server process. */
    public final class Server
    {
        /** Its loopback port. */
        public final int port;
        final List<String> extra;
        /** For a TLS-only server: the CA file its clients trust, else {@code null}. */
        final Path tlsCa;
        Process process;

        Server(final int port, final List<String> extra)
        {
            this(port, extra, null);
        }

        Server(final int port, final List<String> extra, final Path tlsCa)
        {
            this.port = port;
            this.extra = extra;
            this.tlsCa = tlsCa;
        }

        /**
         * Its URI.
         *
         * @return {@code redis://127.0.0.1:PORT}.
         */
        public String uri()
        {
            return "redis://127.0.0.1:" + port;
        }

        /**
         * Starts it and waits until it answers.
         *
         * @throws IOException when it cannot run.
         * @throws InterruptedException when interrupted.
         */
        public void start() throws IOException, InterruptedException
        {
            final List<String> command = new ArrayList<>(List.of(whichRedis()));
            command.addAll(tlsCa == null ? List.of("--port", String.valueOf(port)) : List.of("--port", "0", "--tls-port", String.valueOf(port)));
            command.addAll(List.of("--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no", "--loglevel", "warning",
                "--dbfilename", "dump-" + port + ".rdb"));
            command.addAll(extra);
            process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis-" + port + ".log").toFile()).start();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!answers())
            {
                if (!process.isAlive() || System.nanoTime() > deadline)
                {
                    throw new IllegalStateException("redis-server on port " + port + " did not start: " +
                        Files.readString(dir.resolve("redis-" + port + ".log")));
                }
                Thread.sleep(20);
            }
        }

        /**
         * Whether the port accepts a connection and answers PING (a password error counts as an
         * answer); a TLS-only server, whether it accepts a connection.
         */
        boolean answers()
        {
            try (Socket socket = new Socket())
            {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                if (tlsCa != null)
                {
                    return true;
                }
                socket.setSoTimeout(500);
                socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                return socket.getInputStream().read() > 0;
            }
            catch (final IOException ex)
            {
                return false;
            }
        }

        /**
         * Kills it (SIGKILL) and waits.
         *
         * @throws InterruptedException when interrupted.
         */
        public void kill() throws InterruptedException
        {
            if (process != null && process.isAlive())
            {
                process.destroyForcibly();
                process.waitFor();
            }
        }

        void signal(final String signal) throws IOException, InterruptedException
        {
            final Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).inheritIO().start();
            if (kill.waitFor() != 0)
            {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
            }
        }

        String cli(final String... args) throws IOException, InterruptedException
        {
            final List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(port)));
            if (tlsCa != null)
            {
                command.addAll(List.of("--tls", "--cacert", tlsCa.toString()));
            }
            command.addAll(List.of(args));
            final Process cli = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String out = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            cli.waitFor();
            return out.trim();
        }
    }

    /**
     * Starts a standalone server on a free loopback port.
     *
     * @param extra more redis-server options.
     * @return the server.
     * @throws IOException when it cannot run.
     * @throws InterruptedException when interrupted.
     */
    public Server start(final String... extra) throws IOException, InterruptedException
    {
        final Server server = new Server(freePort(false), List.of(extra));
        servers.add(server);
        server.start();
        return server;
    }

    /**
     * Starts a TLS-only standalone server (no plain port) on a free loopback port.
     *
     * @param cert  its certificate (PEM).
     * @param key   its private key (PEM).
     * @param ca    the CA that clients' certificates must chain to (with {@code tls-auth-clients}),
     *              and that {@link Server#cli} trusts.
     * @param extra more redis-server options, e.g. {@code --tls-auth-clients no}.
     * @return the server.
     * @throws IOException when it cannot run.
     * @throws InterruptedException when interrupted.
     */
    public Server startTls(final Path cert, final Path key, final Path ca, final String... extra) throws IOException, InterruptedException
    {
        final List<String> options = new ArrayList<>(List.of("--tls-cert-file", cert.toString(), "--tls-key-file", key.toString(),
            "--tls-ca-cert-file", ca.toString()));
        options.addAll(List.of(extra));
        final Server server = new Server(freePort(false), options, ca);
        servers.add(server);
        server.start();
        return server;
    }

    /** Three masters, no replicas, every slot covered; the others keep serving when one dies. */
    List<Server> startCluster() throws IOException, InterruptedException
    {
        return startCluster(null);
    }

    /**
     * Three masters, no replicas, every slot covered; over TLS only (clients and the cluster bus)
     * with {@code certs}, else plain.
     */
    List<Server> startCluster(final TestCertificates certs) throws IOException, InterruptedException
    {
        final List<Server> cluster = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            final int port = freePort(true);
            final List<String> options = new ArrayList<>(List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes-" + port + ".conf",
                "--cluster-node-timeout", "1000", "--cluster-require-full-coverage", "no", "--cluster-allow-reads-when-down", "yes"));
            if (certs != null)
            {
                options.addAll(List.of("--tls-cert-file", certs.serverCert().toString(), "--tls-key-file", certs.serverKey().toString(),
                    "--tls-ca-cert-file", certs.ca().toString(), "--tls-auth-clients", "no", "--tls-cluster", "yes", "--tls-replication", "yes"));
            }
            final Server server = new Server(port, options, certs == null ? null : certs.ca());
            servers.add(server);
            server.start();
            cluster.add(server);
        }
        final List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        cluster.forEach(s -> create.add("127.0.0.1:" + s.port));
        create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        if (certs != null)
        {
            create.addAll(List.of("--tls", "--cacert", certs.ca().toString()));
        }
        // it waits for the nodes to meet, forever if they cannot (a bus refused): bounded here
        final Path log = dir.resolve("cluster-create-" + cluster.getFirst().port + ".log");
        final Process process = new ProcessBuilder(create).redirectErrorStream(true).redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("redis-cli --cluster create did not finish in 60 s: " + Files.readString(log));
        }
        if (process.exitValue() != 0)
        {
            throw new IllegalStateException("redis-cli --cluster create failed: " + Files.readString(log));
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (final Server server : cluster)
        {
            while (!server.cli("cluster", "info").contains("cluster_state:ok"))
            {
                if (System.nanoTime() > deadline)
                {
                    throw new IllegalStateException("cluster not ok: " + server.cli("cluster", "info"));
                }
                Thread.sleep(50);
            }
        }
        return cluster;
    }

    static String clusterUri(final List<Server> cluster)
    {
        final StringBuilder uri = new StringBuilder("redis-cluster://");
        for (int i = 0; i < cluster.size(); i++)
        {
            uri.append(i == 0 ? "" : ",").append("127.0.0.1:").append(cluster.get(i).port);
        }
        return uri.toString();
    }

    private static int freePort(final boolean withBus) throws IOException
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            final int port = withBus ? ThreadLocalRandom.current().nextInt(20_000, 55_000) : 0;
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress()))
            {
                if (!withBus)
                {
                    return socket.getLocalPort();
                }
                try (ServerSocket bus = new ServerSocket(port + 10_000, 1, InetAddress.getLoopbackAddress()))
                {
                    return bus.getLocalPort() - 10_000; // the cluster bus port is free too
                }
            }
            catch (final IOException ex)
            {
                // taken: try another
            }
        }
        throw new IOException("no free loopback port found");
    }

    @Override
    public void close() throws IOException
    {
        boolean interrupted = false;
        for (final Server server : servers)
        {
            try
            {
                stop(server);
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        try (var files = Files.walk(dir))
        {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static void stop(final Server server) throws IOException, InterruptedException
    {
        if (server.process != null && server.process.isAlive())
        {
            // a stopped server must run again to act on SIGTERM
            new ProcessBuilder("kill", "-CONT", String.valueOf(server.process.pid())).start().waitFor();
            server.process.destroy();
            if (!server.process.waitFor(5, TimeUnit.SECONDS))
            {
                server.process.destroyForcibly().waitFor();
            }
        }
    }
}
