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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The cache through its public API, one level at a time: {@code get} served from that level as a
 * view (a lease on the bytes where they are) and copied out into a {@code byte[]}, and {@code put}
 * into it. Compare {@code getCopy} with {@link MemoryCopyBenchmark} (L1, L2) or
 * {@link FileReadBenchmark} (L3), and with the peers on the same values.
 *
 * <p>Levels: {@code L2} an all-host cache; {@code L3} and {@code L3_LZ4} a cache whose L2 takes
 * no entry (so every entry lives in the file, its pages warm in the page cache) and never
 * promotes, stored raw or LZ4; {@code L1} a cache on {@code SimulatedCuda}'s mx250 profile (the
 * fork sets {@code -Dtiercache.cudart=sim:mx250}; pass {@code -jvmArgsAppend
 * -Dtiercache.cudart=...} to measure a real GPU), every entry brought to L1 with
 * {@code getOnDevice} and never moved after. A view from L1 is the device pointer; a copy from L1
 * goes to off-heap memory, since device copies need native memory. Each get checks the level it
 * was served from, so a run whose entries drifted fails instead of reporting the wrong level.
 * {@code put} overwrites keys of the working set; on L1 it is a put (to L2) then
 * {@code getOnDevice}, the only way into L1.
 *
 * <p>Workload: the 64 MiB of {@link Workload} image values under {@code long} keys, in the shared
 * shuffled key order; the file under {@value BenchFiles#DIR_PROP_NAME}.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar TierCacheBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP, ForkArgs.SIMULATED_GPU})
@State(Scope.Benchmark)
public class TierCacheBenchmark
{
    /** Value size in bytes. */
    @Param({"4096", "65536", "1048576", "4194304"})
    public int size;

    /** The level every get is served from. */
    @Param({"L2", "L3", "L3_LZ4", "L1"})
    public String level;

    private Path dir;
    private TierCache cache;
    private Tier expected;
    private int[] keys;
    private Arena arena;
    private MemorySegment[] values;

    /** Per-thread destination and cursor. */
    @State(Scope.Thread)
    public static class Destination
    {
        private Arena arena;
        MemorySegment target;
        MemorySegment nativeTarget;
        final EntryHandle handle = new EntryHandle();
        int cursor;

        /**
         * Allocates the destination: a {@code byte[]}, or off-heap memory for L1.
         *
         * @param shared the benchmark's state, for the size and level.
         */
        @Setup(Level.Trial)
        public void setUp(final TierCacheBenchmark shared)
        {
            arena = Arena.ofConfined();
            target = shared.level.equals("L1") ? arena.allocate(shared.size, 64) : MemorySegment.ofArray(new byte[shared.size]);
            nativeTarget = arena.allocate(shared.size, 64);
        }

        /** Frees the destination. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            arena.close();
        }
    }

    /** Builds the cache for the level and stores the working set in it. */
    @Setup(Level.Trial)
    public void setUp()
    {
        final int entries = Workload.entries(size);
        final long twice = 2 * Workload.WORKING_SET_BYTES;
        dir = BenchFiles.createDirectory("tiercache-bench");
        final TierCache.Builder builder = TierCache.builder()
            .name("bench-" + level + "-" + size)
            .maxEntries(2 * entries + 64)
            .demoteAfterIdle(java.time.Duration.ofHours(1))
            .persistOnClose(false)
            .hostBytes(twice);
        switch (level)
        {
            case "L1" ->
            {
                builder.useGpu(true).deviceBytes(twice).promoteToDeviceAfter(Integer.MAX_VALUE);
                expected = Tier.DEVICE;
            }
            case "L2" ->
            {
                builder.useGpu(false);
                expected = Tier.HOST;
            }
            case "L3", "L3_LZ4" ->
            {
                builder.useGpu(false)
                    .maxEntryBytes(Tier.HOST, 1)
                    .promoteToHostAfter(Integer.MAX_VALUE)
                    .file(dir.resolve("cache.bin"), 2 * twice)
                    .fileRegionBytes(Math.max(16L << 20, 4L * size))
                    .compression(level.equals("L3_LZ4"));
                expected = Tier.FILE;
            }
            default -> throw new IllegalArgumentException("level=" + level + " is not L1, L2, L3 or L3_LZ4");
        }
        cache = builder.build();
        arena = Arena.ofShared();
        values = new MemorySegment[entries];
        for (int key = 0; key < entries; key++)
        {
            values[key] = arena.allocate(size, 64);
            Workload.fillImage(values[key], key);
            store(key);
        }
        keys = Workload.keyOrder(entries);
        for (int key = 0; key < entries; key++)
        {
            try (EntryHandle handle = cache.get(key))
            {
                if (handle == null || handle.tier() != expected)
                {
                    throw new IllegalStateException("key=" + key + " is in " + (handle == null ? "no level" : handle.tier())
                        + ", not " + expected);
                }
            }
        }
    }

    private void store(final int key)
    {
        cache.put(key, Part.blob(values[key]));
        if (expected == Tier.DEVICE)
        {
            cache.getOnDevice(key).close();
        }
    }

    /** Closes the cache, prints its statistics and deletes its file. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        System.out.println();
        System.out.println(cache.stats());
        cache.close();
        arena.close();
        BenchFiles.delete(dir);
    }

    private int nextKey(final Destination destination)
    {
        return keys[destination.cursor++ & (keys.length - 1)];
    }

    private EntryHandle hit(final int key)
    {
        final EntryHandle handle = cache.get(key);
        if (handle == null || handle.tier() != expected)
        {
            if (handle != null)
            {
                handle.close();
            }
            throw new IllegalStateException("key=" + key + " served from " + (handle == null ? "nowhere" : handle.tier())
                + ", not " + expected);
        }
        return handle;
    }

    /**
     * A hit as a view: the lease, two bytes read through it (or the device pointer), the close.
     *
     * @param destination this thread's cursor.
     * @return what was read.
     */
    @Benchmark
    public long getView(final Destination destination)
    {
        try (EntryHandle handle = hit(nextKey(destination)))
        {
            if (expected == Tier.DEVICE)
            {
                return handle.devicePointer(0);
            }
            final MemorySegment view = handle.segment(0);
            return view.get(ValueLayout.JAVA_BYTE, 0) + view.get(ValueLayout.JAVA_BYTE, size - 1);
        }
    }

    /**
     * {@link #getView} with a handle this thread reuses ({@code get(key, handle)}): the lease and
     * the view without allocating a handle per lookup.
     *
     * @param destination this thread's cursor and handle.
     * @return what was read.
     */
    @Benchmark
    public long getViewReused(final Destination destination)
    {
        final int key = nextKey(destination);
        final EntryHandle handle = destination.handle;
        if (!cache.get(key, handle))
        {
            throw new IllegalStateException("key=" + key + " missed");
        }
        try (handle)
        {
            if (expected == Tier.DEVICE)
            {
                return handle.devicePointer(0);
            }
            final MemorySegment view = handle.segment(0);
            return view.get(ValueLayout.JAVA_BYTE, 0) + view.get(ValueLayout.JAVA_BYTE, size - 1);
        }
    }

    /**
     * A hit copied out into this thread's buffer.
     *
     * @param destination this thread's buffer.
     * @return bytes copied.
     */
    @Benchmark
    public long getCopy(final Destination destination)
    {
        try (EntryHandle handle = hit(nextKey(destination)))
        {
            handle.copyTo(0, destination.target);
            return handle.byteSize();
        }
    }

    /**
     * A hit copied out with {@code getInto} into off-heap memory: no lease object and no view, the
     * path that allocates nothing for an L2 hit; an L3 hit is read, verified and decompressed
     * straight into the destination. Compare with {@link MemoryCopyBenchmark} and
     * {@link FileReadBenchmark}.
     *
     * @param destination this thread's buffers.
     * @return bytes copied.
     */
    @Benchmark
    public long getInto(final Destination destination)
    {
        final int key = nextKey(destination);
        final long copied = cache.getInto(key, destination.nativeTarget);
        if (copied != size)
        {
            throw new IllegalStateException("key=" + key + " copied " + copied + " bytes, not " + size);
        }
        return copied;
    }

    /**
     * {@link #getCopy} on two threads at once.
     *
     * @param destination this thread's buffer.
     * @param blackhole   consumes the byte count.
     */
    @Benchmark
    @Threads(2)
    public void getCopy2Threads(final Destination destination, final Blackhole blackhole)
    {
        blackhole.consume(getCopy(destination));
    }

    /**
     * A put that replaces an entry of the working set, landing in the level.
     *
     * @param destination this thread's cursor.
     */
    @Benchmark
    public void put(final Destination destination)
    {
        store(nextKey(destination));
    }
}
