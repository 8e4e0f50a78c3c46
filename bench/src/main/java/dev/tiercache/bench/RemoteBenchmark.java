package dev.tiercache.bench;

import dev.tiercache.RemoteSettings;
import dev.tiercache.TierCache;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import redis.clients.jedis.Jedis;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * L4 on a Redis server on loopback, against the bare client on the same server and bytes.
 *
 * <ul>
 *   <li>{@link #l4Get}: a local miss served by L4 ({@code getInto}: one GET, CRC32C and specs
 *       verified, stored in L2, copied out), then the key removed locally so that the next one
 *       misses again. Baseline {@link #bareGet}: Jedis {@code GET} of the same key and bytes, copied
 *       into the same destination. The ratio is L4's overhead over the network round trip.</li>
 *   <li>{@link #batch32Pipelined} against {@link #batch32Single}: 32 local misses fetched
 *       pipelined ({@code fetchFromRemote}, in round trips of about 16 MiB), or with 32 gets; per
 *       entry.</li>
 * </ul>
 * Each runs over {@code plain} TCP and over {@code tls} (the server TLS-only, the client trusting
 * a throwaway CA by {@code cache.remote.tls_ca_file}, host name verified; the bare client the same).
 * Workload: 32 {@link Workload} image values of {@code size} bytes in one namespace, written once
 * through a cache.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar RemoteBenchmark} (needs {@code redis-server}
 * on the PATH; the benchmark starts and stops its own on a free loopback port).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP})
@State(Scope.Benchmark)
public class RemoteBenchmark
{
    private static final int KEYS = 32;

    /** Value size in bytes. */
    @Param({"4096", "65536", "1048576", "4194304"})
    public int size;

    /** {@code plain} ({@code redis://}) or {@code tls} ({@code rediss://}, a CA file trusted, host name verified). */
    @Param({"plain", "tls"})
    public String transport;

    private BenchRedis server;
    private TierCache cache;
    private Jedis jedis;
    private byte[][] remoteKeys;
    private long[] keys;
    private MemorySegment destination;
    private int cursor;

    /**
     * Starts the server and writes the values.
     *
     * @throws Exception when the server cannot start.
     */
    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        server = new BenchRedis(transport.equals("tls"));
        final RemoteSettings remote = RemoteSettings.of(server.uri(), "bench").withTimeout(Duration.ofSeconds(2))
            .withQueueBytes(512L << 20).withTlsCaFile(server.ca);
        try (TierCache writer = TierCache.builder().useGpu(false).hostBytes(512L << 20).remote(remote).build())
        {
            for (int key = 0; key < KEYS; key++)
            {
                writer.put(key, MemorySegment.ofArray(Workload.imageArray(size, key)));
            }
            if (!writer.flushRemote(Duration.ofSeconds(60)))
            {
                throw new IllegalStateException("values not written: " + writer.remoteStats());
            }
        }
        cache = TierCache.builder().useGpu(false).hostBytes(256L << 20).remote(remote.withWriteBehind(false, false)).build();
        jedis = server.jedis();
        keys = new long[KEYS];
        remoteKeys = new byte[KEYS][];
        for (int key = 0; key < KEYS; key++)
        {
            keys[key] = key;
            remoteKeys[key] = ("tc:bench:l" + key).getBytes(StandardCharsets.US_ASCII);
        }
        destination = MemorySegment.ofArray(new byte[size]);
    }

    /**
     * Stops the server.
     *
     * @throws Exception when interrupted.
     */
    @TearDown(Level.Trial)
    public void tearDown() throws Exception
    {
        if (cache.remoteStats().corrupt() != 0 || cache.remoteStats().errors() != 0)
        {
            throw new IllegalStateException("L4 failed during the run: " + cache.remoteStats());
        }
        jedis.close();
        cache.close();
        server.close();
    }

    /**
     * A local miss served by L4, copied out.
     *
     * @return bytes copied.
     */
    @Benchmark
    public long l4Get()
    {
        final long key = keys[cursor++ & (KEYS - 1)];
        final long copied = cache.getInto(key, destination);
        if (copied != size)
        {
            throw new IllegalStateException("key " + key + ": " + copied + " bytes; " + cache.remoteStats());
        }
        cache.remove(key);
        return copied;
    }

    /**
     * The bare client's GET of the same bytes, copied out: the baseline of {@link #l4Get}.
     *
     * @return the last byte.
     */
    @Benchmark
    public byte bareGet()
    {
        final byte[] value = jedis.get(remoteKeys[cursor++ & (KEYS - 1)]);
        MemorySegment.copy(MemorySegment.ofArray(value), 0, destination, 0, Math.min(value.length, size));
        return value[value.length - 1];
    }

    /**
     * 32 local misses in one pipelined exchange, then copied out, per entry.
     *
     * @return entries brought.
     */
    @Benchmark
    @OperationsPerInvocation(KEYS)
    public int batch32Pipelined()
    {
        final int brought = cache.fetchFromRemote(keys, null);
        long copied = 0;
        for (final long key : keys)
        {
            copied += cache.getInto(key, destination);
        }
        for (final long key : keys)
        {
            cache.remove(key);
        }
        if (brought != KEYS || copied != (long) KEYS * size)
        {
            throw new IllegalStateException(brought + " of " + KEYS + " brought, " + copied + " bytes; " + cache.remoteStats());
        }
        return brought;
    }

    /**
     * 32 local misses, one L4 round trip each, copied out, per entry: the baseline of
     * {@link #batch32Pipelined}.
     *
     * @return bytes copied.
     */
    @Benchmark
    @OperationsPerInvocation(KEYS)
    public long batch32Single()
    {
        long copied = 0;
        for (final long key : keys)
        {
            copied += cache.getInto(key, destination);
        }
        for (final long key : keys)
        {
            cache.remove(key);
        }
        if (copied != (long) KEYS * size)
        {
            throw new IllegalStateException(copied + " bytes; " + cache.remoteStats());
        }
        return copied;
    }
}
