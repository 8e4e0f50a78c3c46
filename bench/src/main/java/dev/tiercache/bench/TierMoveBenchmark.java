package dev.tiercache.bench;

import dev.tiercache.EntryHandle;
import dev.tiercache.Part;
import dev.tiercache.Tier;
import dev.tiercache.TierCache;

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
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Promotion and demotion throughput: every operation brings one entry up a level and, to make
 * room, sends one down, so its time is one promotion plus one demotion of {@code size} bytes.
 *
 * <p>Paths: {@code L2_L1} calls {@code getOnDevice} (a synchronous L2→L1 promotion) on a
 * {@code SimulatedCuda} mx250 L1 that holds a quarter of the working set, so each call demotes
 * the least recently used L1 entry to L2; {@code L3_L2} calls {@code get} with promotion after
 * one access on a cache whose L2 holds a quarter of the working set, so each call reads an entry
 * from the file into L2 and appends an L2 victim to the file. Both levels use LRU and the keys are
 * visited cyclically in the shared shuffled order, which LRU can never hold, so every call moves.
 * The teardown prints the cache's promotion and demotion counts, which show it.
 *
 * <p>Workload: the 64 MiB of {@link Workload} image values under {@code long} keys; the file
 * (raw, no LZ4) under {@value BenchFiles#DIR_PROP_NAME}.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar TierMoveBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP, ForkArgs.SIMULATED_GPU})
@State(Scope.Thread)
public class TierMoveBenchmark
{
    /** Value size in bytes. */
    @Param({"4096", "65536", "1048576", "4194304"})
    public int size;

    /** Which pair of levels the entries move between. */
    @Param({"L2_L1", "L3_L2"})
    public String path;

    private Path dir;
    private TierCache cache;
    private int[] keys;
    private int cursor;

    /** Builds the cache and stores the working set. */
    @Setup(Level.Trial)
    public void setUp()
    {
        final int entries = Workload.entries(size);
        final long quarter = Math.max(2L * size, Workload.WORKING_SET_BYTES / 4);
        dir = BenchFiles.createDirectory("tiercache-move");
        final TierCache.Builder builder = TierCache.builder()
            .name("bench-move-" + path + "-" + size)
            .maxEntries(2 * entries + 64)
            .demoteAfterIdle(java.time.Duration.ofHours(1))
            .persistOnClose(false)
            .devicePolicy("lru")
            .hostPolicy("lru");
        switch (path)
        {
            case "L2_L1" -> builder.useGpu(true).deviceBytes(quarter).hostBytes(2 * Workload.WORKING_SET_BYTES)
                .promoteToDeviceAfter(Integer.MAX_VALUE);
            case "L3_L2" -> builder.useGpu(false).hostBytes(quarter).promoteToHostAfter(1).compression(false)
                .file(dir.resolve("cache.bin"), 4 * Workload.WORKING_SET_BYTES)
                .fileRegionBytes(Math.max(16L << 20, 4L * size));
            default -> throw new IllegalArgumentException("path=" + path + " is not L2_L1 or L3_L2");
        }
        cache = builder.build();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment value = arena.allocate(size, 64);
            for (int key = 0; key < entries; key++)
            {
                Workload.fillImage(value, key);
                cache.put(key, Part.blob(value));
            }
        }
        keys = Workload.keyOrder(entries);
    }

    /** Prints the move counts, closes the cache and deletes its file. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        System.out.println();
        System.out.println(cache.stats());
        cache.close();
        BenchFiles.delete(dir);
    }

    /**
     * One promotion and one demotion.
     *
     * @return the level the entry was served from.
     */
    @Benchmark
    public Tier promoteAndDemote()
    {
        final int key = keys[cursor++ & (keys.length - 1)];
        try (EntryHandle handle = path.equals("L2_L1") ? cache.getOnDevice(key) : cache.get(key))
        {
            if (handle == null)
            {
                throw new IllegalStateException("key=" + key + " missing; the file dropped it");
            }
            return handle.tier();
        }
    }
}
