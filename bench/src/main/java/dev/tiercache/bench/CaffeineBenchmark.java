package dev.tiercache.bench;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * Peer: Caffeine with on-heap {@code byte[]} values, the usual way Java code caches blobs. A hit
 * returns the stored array by reference; {@link #getCopy} then copies it into the caller's buffer,
 * which is what a tiercache copy-out hit does, so those two are compared.
 *
 * <p>Workload: the 64 MiB of {@link Workload} image values under {@code Long} keys boxed once in
 * advance (the peer's best case), bounded by weight well above the working set so that every get
 * hits; the shared shuffled key order.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar CaffeineBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP})
@State(Scope.Benchmark)
public class CaffeineBenchmark
{
    /** Value size in bytes. */
    @Param({"4096", "65536", "1048576", "4194304"})
    public int size;

    private Cache<Long, byte[]> cache;
    private Long[] keys;

    /** Per-thread destination and cursor. */
    @State(Scope.Thread)
    public static class Destination
    {
        byte[] array;
        int cursor;

        /**
         * Allocates the destination.
         *
         * @param shared the benchmark's state, for the size.
         */
        @Setup(Level.Trial)
        public void setUp(final CaffeineBenchmark shared)
        {
            array = new byte[shared.size];
        }
    }

    /** Fills the cache. */
    @Setup(Level.Trial)
    public void setUp()
    {
        final int entries = Workload.entries(size);
        cache = Caffeine.newBuilder()
            .maximumWeight(2 * Workload.WORKING_SET_BYTES)
            .weigher((final Long key, final byte[] value) -> value.length)
            .build();
        for (int key = 0; key < entries; key++)
        {
            cache.put((long)key, Workload.imageArray(size, key));
        }
        final int[] order = Workload.keyOrder(entries);
        keys = new Long[entries];
        for (int i = 0; i < entries; i++)
        {
            keys[i] = (long)order[i];
        }
    }

    private byte[] next(final Destination destination)
    {
        final byte[] value = cache.getIfPresent(keys[destination.cursor++ & (keys.length - 1)]);
        if (value == null)
        {
            throw new IllegalStateException("miss in a cache sized to hold every key");
        }
        return value;
    }

    /**
     * A hit, by reference.
     *
     * @param destination this thread's cursor.
     * @return the stored array.
     */
    @Benchmark
    public byte[] get(final Destination destination)
    {
        return next(destination);
    }

    /**
     * A hit copied into the caller's buffer.
     *
     * @param destination this thread's buffer.
     * @return the last byte copied.
     */
    @Benchmark
    public byte getCopy(final Destination destination)
    {
        final byte[] value = next(destination);
        System.arraycopy(value, 0, destination.array, 0, value.length);
        return destination.array[value.length - 1];
    }

    /**
     * {@link #getCopy} on two threads at once.
     *
     * @param destination this thread's buffer.
     * @param blackhole   consumes the last byte.
     */
    @Benchmark
    @Threads(2)
    public void getCopy2Threads(final Destination destination, final Blackhole blackhole)
    {
        blackhole.consume(getCopy(destination));
    }
}
