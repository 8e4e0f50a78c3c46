package dev.tiercache.bench;

import org.ehcache.Cache;
import org.ehcache.PersistentCacheManager;
import org.ehcache.config.builders.CacheConfigurationBuilder;
import org.ehcache.config.builders.CacheManagerBuilder;
import org.ehcache.config.builders.ResourcePoolsBuilder;
import org.ehcache.config.units.EntryUnit;
import org.ehcache.config.units.MemoryUnit;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Peer: Ehcache 3 with one tier at a time, heap, off-heap or disk, the closest existing Java
 * answer to "an off-heap and disk cache". A hit from off-heap or disk deserializes a fresh
 * {@code byte[]}; a heap hit returns the stored array by reference. {@link #getCopy} then copies
 * it into the caller's buffer, like a tiercache copy-out hit.
 *
 * <p>Workload: the 64 MiB of {@link Workload} image values under {@code Long} keys boxed once in
 * advance, each tier sized well above the working set so that every get hits; the shared
 * shuffled key order. The disk tier's folder lies under {@value BenchFiles#DIR_PROP_NAME}.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar EhcacheBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP})
@State(Scope.Benchmark)
public class EhcacheBenchmark
{
    /** Value size in bytes. */
    @Param({"4096", "65536", "1048576", "4194304"})
    public int size;

    /** The one tier the cache has. */
    @Param({"heap", "offheap", "disk"})
    public String tier;

    private Path dir;
    private PersistentCacheManager manager;
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
        public void setUp(final EhcacheBenchmark shared)
        {
            array = new byte[shared.size];
        }
    }

    /** Builds the cache and fills it. */
    @Setup(Level.Trial)
    public void setUp()
    {
        final int entries = Workload.entries(size);
        final long tierMegabytes = 2 * (Workload.WORKING_SET_BYTES >> 20) + 64;
        final ResourcePoolsBuilder pools = switch (tier)
        {
            case "heap" -> ResourcePoolsBuilder.newResourcePoolsBuilder().heap(2L * entries, EntryUnit.ENTRIES);
            case "offheap" -> ResourcePoolsBuilder.newResourcePoolsBuilder().offheap(tierMegabytes, MemoryUnit.MB);
            case "disk" -> ResourcePoolsBuilder.newResourcePoolsBuilder().disk(tierMegabytes, MemoryUnit.MB, false);
            default -> throw new IllegalArgumentException("tier=" + tier + " is not heap, offheap or disk");
        };
        dir = BenchFiles.createDirectory("tiercache-ehcache");
        manager = CacheManagerBuilder.newCacheManagerBuilder()
            .with(CacheManagerBuilder.persistence(dir.toFile()))
            .withCache("values", CacheConfigurationBuilder.newCacheConfigurationBuilder(Long.class, byte[].class, pools))
            .build(true);
        cache = manager.getCache("values", Long.class, byte[].class);
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

    /** Closes the cache and deletes its folder. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        manager.close();
        BenchFiles.delete(dir);
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
        final byte[] value = cache.get(keys[destination.cursor++ & (keys.length - 1)]);
        if (value == null)
        {
            throw new IllegalStateException("miss in a tier=" + tier + " sized to hold every key");
        }
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
