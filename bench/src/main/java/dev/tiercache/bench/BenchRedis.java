package dev.tiercache.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A Redis server of the benchmarks' own, from the {@code redis-server} on the PATH, on a free
 * loopback port, persisting nothing; stopped by {@link #close()}.
 */
final class BenchRedis implements AutoCloseable
{
    final int port;
    private final Process process;
    private final Path dir;

    BenchRedis() throws IOException, InterruptedException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            port = socket.getLocalPort();
        }
        dir = Files.createTempDirectory("tiercache-bench-redis");
        try
        {
            process = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", dir.toString(), "--loglevel", "warning")
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
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
        return "redis://127.0.0.1:" + port;
    }

    private boolean answers()
    {
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
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
        dir.resolve("redis.log").toFile().delete();
        dir.toFile().delete();
    }
}
