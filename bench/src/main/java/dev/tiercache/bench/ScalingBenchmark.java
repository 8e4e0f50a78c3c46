package dev.tiercache.bench;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.tiercache.EntryHandle;
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
import org.openjdk.jmh.infra.ThreadParams;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Thread scaling of an L2 hit: how many hits per second the cache serves as readers are added,
 * beside the same work on Caffeine, on a {@code ConcurrentHashMap<Long, byte[]>} and on a bare
 * {@code MemorySegment.copy} (the memory's own scaling, which no cache can beat). The scaling
 * ratio of a benchmark is its throughput at N threads over its throughput at 1 thread; the
 * interesting comparison is tiercache's ratio beside the peers' ratios on the same machine.
 *
 * <p>The thread count is not annotated: JMH cannot parameterize {@code @Threads}, so every
 * method runs with the {@code -t} of the command line (1 when absent), and
 * {@code bench/scaling.sh} runs the class once per thread count.
 *
 * <p>Workload: the 64 MiB of {@link Workload} image values of {@code size} bytes under keys
 * {@code 0 .. entries-1}, every one resident (the caches are sized to twice the working set, the
 * L2 never demotes within the run), visited in the shared shuffled order; each thread starts its
 * walk at its own offset into that order ({@code index * entries / threads}) so that threads do
 * not read the same entry at the same time (the mix's L3 walk starts at the first key for every
 * thread), and copies into its own 1 MiB off-heap destination.
 * The tiercache here is all-host ({@code useGpu(false)}, no file). The mixed and read/put
 * benchmarks use {@link TwoLevels}: the 4 KiB working set in L2 and 64 entries of 1 MiB in L3
 * (larger than {@code maxEntryBytes(Tier.HOST, 64 KiB)}, so they stay in the file), stored raw,
 * compression off, the file's pages warm in the page cache. Every get checks that it hit and
 * copied the whole value, so a run whose entries drifted fails instead of reporting a miss path.
 *
 * <p>Run: {@code bench/scaling.sh} (every thread count and the report), or one count:
 * {@code java -jar bench/target/benchmarks.jar ScalingBenchmark -t 4}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP})
public class ScalingBenchmark
{
    /** Largest value any benchmark here copies out: an L3 entry of {@link TwoLevels}. */
    static final int DESTINATION_BYTES = 1 << 20;

    /** The working set of {@code size}-byte values in one off-heap block, and the key order. */
    @State(Scope.Benchmark)
    public static class Values
    {
        /** Value size in bytes. */
        @Param({"4096", "65536"})
        public int size;

        int entries;
        int[] keys;
        MemorySegment block;
        private Arena arena;

        /** Fills the working set: the value of key {@code k} at {@code k * size}. */
        @Setup(Level.Trial)
        public void setUp()
        {
            entries = Workload.entries(size);
            keys = Workload.keyOrder(entries);
            arena = Arena.ofShared();
            block = arena.allocate(Workload.WORKING_SET_BYTES, 64);
            for (int key = 0; key < entries; key++)
            {
                Workload.fillImage(value(key), key);
            }
        }

        MemorySegment value(final int key)
        {
            return block.asSlice((long)key * size, size);
        }

        /** Frees the block. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            arena.close();
        }
    }

    /** An all-host tiercache holding every value of {@link Values}. */
    @State(Scope.Benchmark)
    public static class L2
    {
        TierCache cache;

        /**
         * Builds the cache and stores the working set in it.
         *
         * @param values the working set.
         */
        @Setup(Level.Trial)
        public void setUp(final Values values)
        {
            cache = TierCache.builder()
                .name("scaling-l2-" + values.size)
                .useGpu(false)
                .maxEntries(2 * values.entries + 64)
                .hostBytes(2 * Workload.WORKING_SET_BYTES)
                .demoteAfterIdle(java.time.Duration.ofHours(1))
                .persistOnClose(false)
                .build();
            for (int key = 0; key < values.entries; key++)
            {
                requireLevel(cache.put(key, values.value(key)), key, Tier.HOST);
            }
        }

        /** Closes the cache and prints its statistics. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            System.out.println();
            System.out.println(cache.stats());
            cache.close();
        }
    }

    /** Peer: Caffeine with {@code byte[]} values, bounded by weight well above the working set. */
    @State(Scope.Benchmark)
    public static class CaffeinePeer
    {
        Cache<Long, byte[]> cache;
        Long[] keys;

        /**
         * Fills the cache with copies of the working set.
         *
         * @param values the working set.
         */
        @Setup(Level.Trial)
        public void setUp(final Values values)
        {
            cache = Caffeine.newBuilder()
                .maximumWeight(2 * Workload.WORKING_SET_BYTES)
                .weigher((final Long key, final byte[] value) -> value.length)
                .build();
            for (int key = 0; key < values.entries; key++)
            {
                cache.put((long)key, values.value(key).toArray(ValueLayout.JAVA_BYTE));
            }
            keys = boxedOrder(values);
        }
    }

    /** Peer: a {@code ConcurrentHashMap<Long, byte[]>}, the cache a Java programmer writes first. */
    @State(Scope.Benchmark)
    public static class MapPeer
    {
        ConcurrentHashMap<Long, byte[]> map;
        Long[] keys;

        /**
         * Fills the map with copies of the working set.
         *
         * @param values the working set.
         */
        @Setup(Level.Trial)
        public void setUp(final Values values)
        {
            map = new ConcurrentHashMap<>(2 * values.entries);
            for (int key = 0; key < values.entries; key++)
            {
                map.put((long)key, values.value(key).toArray(ValueLayout.JAVA_BYTE));
            }
            keys = boxedOrder(values);
        }
    }

    /**
     * A tiercache with two levels in use: L2 holds the 4 KiB working set (keys
     * {@code 0 .. SMALL_ENTRIES-1}), L3 holds {@code LARGE_ENTRIES} entries of 1 MiB (keys from
     * {@code SMALL_ENTRIES} on), raw, which L2 never takes: they exceed its 64 KiB
     * {@code maxEntryBytes} and promotion to L2 is off.
     */
    @State(Scope.Benchmark)
    public static class TwoLevels
    {
        /** Size of an L2 value. */
        static final int SMALL_BYTES = 4096;
        /** Size of an L3 value. */
        static final int LARGE_BYTES = DESTINATION_BYTES;
        /** L2 values: the 64 MiB working set. */
        static final int SMALL_ENTRIES = Workload.entries(SMALL_BYTES);
        /** L3 values: 64 MiB, more than the CPU caches. */
        static final int LARGE_ENTRIES = Workload.entries(LARGE_BYTES);

        TierCache cache;
        int[] smallKeys;
        int[] largeKeys;
        MemorySegment small;
        private Arena arena;
        private Path dir;

        /** Builds the cache, stores both sets and checks where each entry lives. */
        @Setup(Level.Trial)
        public void setUp()
        {
            dir = BenchFiles.createDirectory("tiercache-scaling");
            cache = TierCache.builder()
                .name("scaling-two-levels")
                .useGpu(false)
                .maxEntries(2 * (SMALL_ENTRIES + LARGE_ENTRIES) + 64)
                .hostBytes(2 * Workload.WORKING_SET_BYTES)
                .maxEntryBytes(Tier.HOST, 64 << 10)
                .promoteToHostAfter(Integer.MAX_VALUE)
                .file(dir.resolve("cache.bin"), 4 * Workload.WORKING_SET_BYTES)
                .fileRegionBytes(16L << 20)
                .compression(false)
                .demoteAfterIdle(java.time.Duration.ofHours(1))
                .persistOnClose(false)
                .build();
            arena = Arena.ofShared();
            small = arena.allocate(Workload.WORKING_SET_BYTES, 64);
            for (int key = 0; key < SMALL_ENTRIES; key++)
            {
                Workload.fillImage(smallValue(key), key);
                requireLevel(cache.put(key, smallValue(key)), key, Tier.HOST);
            }
            try (Arena scratch = Arena.ofConfined())
            {
                final MemorySegment large = scratch.allocate(LARGE_BYTES, 64);
                for (int i = 0; i < LARGE_ENTRIES; i++)
                {
                    final int key = SMALL_ENTRIES + i;
                    Workload.fillImage(large, key);
                    requireLevel(cache.put(key, large), key, Tier.FILE);
                }
            }
            smallKeys = Workload.keyOrder(SMALL_ENTRIES);
            largeKeys = Workload.keyOrder(LARGE_ENTRIES);
            for (int i = 0; i < LARGE_ENTRIES; i++)
            {
                largeKeys[i] += SMALL_ENTRIES;
            }
        }

        MemorySegment smallValue(final int key)
        {
            return small.asSlice((long)key * SMALL_BYTES, SMALL_BYTES);
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
    }

    /** Per-thread destination, reusable handle, cursors and operation counter. */
    @State(Scope.Thread)
    public static class Reader
    {
        final EntryHandle handle = new EntryHandle();
        MemorySegment target;
        int cursor;
        int largeCursor;
        int op;
        private Arena arena;
        private int threadIndex;
        private int threadCount;
        private boolean started;

        /**
         * Allocates the destination and spreads the threads' starting points over the key order.
         *
         * @param thread this thread's index and the number of threads.
         */
        @Setup(Level.Trial)
        public void setUp(final ThreadParams thread)
        {
            arena = Arena.ofConfined();
            target = arena.allocate(DESTINATION_BYTES, 64);
            threadIndex = thread.getThreadIndex();
            threadCount = thread.getThreadCount();
        }

        /**
         * The next position in a key order of {@code length} (a power of two) entries; the first
         * call starts this thread's walk at {@code index * length / threads}.
         */
        int position(final int length)
        {
            if (!started)
            {
                cursor = (int)((long)threadIndex * length / threadCount);
                started = true;
            }
            return cursor++ & (length - 1);
        }

        int next(final int[] keys)
        {
            return keys[position(keys.length)];
        }

        int nextLarge(final int[] keys)
        {
            return keys[largeCursor++ & (keys.length - 1)];
        }

        /** Frees the destination. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            arena.close();
        }
    }

    static void requireLevel(final Tier landed, final int key, final Tier expected)
    {
        if (landed != expected)
        {
            throw new IllegalStateException("key=" + key + " landed in " + landed + ", not " + expected);
        }
    }

    static long requireHit(final long copied, final long key, final int size)
    {
        if (copied != size)
        {
            throw new IllegalStateException("key=" + key + " copied " + copied + " bytes, not " + size);
        }
        return copied;
    }

    private static Long[] boxedOrder(final Values values)
    {
        final Long[] keys = new Long[values.entries];
        for (int i = 0; i < keys.length; i++)
        {
            keys[i] = (long)values.keys[i];
        }
        return keys;
    }

    /**
     * The limit: {@code MemorySegment.copy} of one value out of the off-heap working set into
     * this thread's destination, no lookup.
     *
     * @param values the working set.
     * @param reader this thread's destination and cursor.
     * @return bytes copied.
     */
    @Benchmark
    public long copyBaseline(final Values values, final Reader reader)
    {
        final int key = reader.next(values.keys);
        MemorySegment.copy(values.block, (long)key * values.size, reader.target, 0, values.size);
        return values.size;
    }

    /**
     * An L2 hit copied out with {@code getInto} into this thread's off-heap destination.
     *
     * @param values the working set.
     * @param l2     the cache.
     * @param reader this thread's destination and cursor.
     * @return bytes copied.
     */
    @Benchmark
    public long l2GetInto(final Values values, final L2 l2, final Reader reader)
    {
        final int key = reader.next(values.keys);
        return requireHit(l2.cache.getInto(key, reader.target), key, values.size);
    }

    /**
     * An L2 hit as a view through this thread's reused handle ({@code get(key, handle)}): the
     * lease, the first and last byte read through {@code segment(0)}, the close. For its latency
     * in ns, {@code bench/scaling.sh} also runs it alone:
     * {@code java -jar bench/target/benchmarks.jar 'ScalingBenchmark.l2View$' -bm avgt -tu ns -t 1 -p size=4096}
     *
     * @param values the working set.
     * @param l2     the cache.
     * @param reader this thread's handle and cursor.
     * @return what was read.
     */
    @Benchmark
    public long l2View(final Values values, final L2 l2, final Reader reader)
    {
        final int key = reader.next(values.keys);
        final EntryHandle handle = reader.handle;
        if (!l2.cache.get(key, handle))
        {
            throw new IllegalStateException("key=" + key + " missed");
        }
        try (handle)
        {
            final MemorySegment view = handle.segment(0);
            return view.get(ValueLayout.JAVA_BYTE, 0) + view.get(ValueLayout.JAVA_BYTE, values.size - 1);
        }
    }

    /**
     * Peer: Caffeine {@code getIfPresent} and a copy of the array into this thread's off-heap
     * destination (what {@code getInto} does).
     *
     * @param values the working set.
     * @param peer   the Caffeine cache.
     * @param reader this thread's destination and cursor.
     * @return bytes copied.
     */
    @Benchmark
    public long caffeineGetCopy(final Values values, final CaffeinePeer peer, final Reader reader)
    {
        final Long key = peer.keys[reader.position(peer.keys.length)];
        final byte[] value = peer.cache.getIfPresent(key);
        if (value == null)
        {
            throw new IllegalStateException("key=" + key + " missed");
        }
        MemorySegment.copy(value, 0, reader.target, ValueLayout.JAVA_BYTE, 0, value.length);
        return value.length;
    }

    /**
     * Peer: {@code ConcurrentHashMap.get} and a copy of the array into this thread's off-heap
     * destination.
     *
     * @param values the working set.
     * @param peer   the map.
     * @param reader this thread's destination and cursor.
     * @return bytes copied.
     */
    @Benchmark
    public long mapGetCopy(final Values values, final MapPeer peer, final Reader reader)
    {
        final Long key = peer.keys[reader.position(peer.keys.length)];
        final byte[] value = peer.map.get(key);
        if (value == null)
        {
            throw new IllegalStateException("key=" + key + " missed");
        }
        MemorySegment.copy(value, 0, reader.target, ValueLayout.JAVA_BYTE, 0, value.length);
        return value.length;
    }

    /**
     * The mix: of every 10 operations, 9 are L2 4 KiB {@code getInto} hits and 1 is an L3 1 MiB
     * {@code getInto} (read from the warm file, verified, copied straight into the destination).
     * One operation is one get of either kind.
     *
     * @param two    the two-level cache.
     * @param reader this thread's destination, cursors and counter.
     * @return bytes copied.
     */
    @Benchmark
    public long mixed90L2To10L3(final TwoLevels two, final Reader reader)
    {
        if (reader.op++ % 10 == 9)
        {
            final int key = reader.nextLarge(two.largeKeys);
            return requireHit(two.cache.getInto(key, reader.target), key, TwoLevels.LARGE_BYTES);
        }
        final int key = reader.next(two.smallKeys);
        return requireHit(two.cache.getInto(key, reader.target), key, TwoLevels.SMALL_BYTES);
    }

    /**
     * Reads with writes: of every 20 operations, 19 are L2 4 KiB {@code getInto} hits and 1 is a
     * {@code put} that replaces an entry of the working set with its same bytes (it lands in L2
     * again). One operation is one get or one put.
     *
     * @param two    the two-level cache (only its L2 keys are touched).
     * @param reader this thread's destination, cursor and counter.
     * @return bytes copied or stored.
     */
    @Benchmark
    public long read95Put5(final TwoLevels two, final Reader reader)
    {
        final boolean put = reader.op++ % 20 == 19;
        final int key = reader.next(two.smallKeys);
        if (put)
        {
            requireLevel(two.cache.put(key, two.smallValue(key)), key, Tier.HOST);
            return TwoLevels.SMALL_BYTES;
        }
        return requireHit(two.cache.getInto(key, reader.target), key, TwoLevels.SMALL_BYTES);
    }
}
