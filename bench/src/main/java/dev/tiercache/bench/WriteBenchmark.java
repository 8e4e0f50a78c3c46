package dev.tiercache.bench;

import dev.tiercache.Tier;
import dev.tiercache.TierCache;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Write throughput, run at several thread counts ({@code -t 1}, {@code -t 2}, …; JMH cannot
 * parameterize {@code @Threads}):
 * <ul>
 *   <li>{@link #putDemoting}: 64 KiB image-like values put under random keys into a full L2, so
 *       every put demotes an L2 victim into L3, compressed with LZ4;</li>
 *   <li>{@link #putToFile}: 1 MiB values that L2 never takes, encoded (LZ4, CRC32C) into L3.</li>
 * </ul>
 * The copies and encodings are what a writer used to do under the cache's writer lock; with
 * reserve, copy, commit they overlap across threads. Compare a thread count's score with the
 * single-thread score of the same run.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar WriteBenchmark -t 2
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class WriteBenchmark
{
    static final int SMALL_BYTES = 64 << 10;
    static final int LARGE_BYTES = 1 << 20;
    static final int KEYS = 4096;

    /** The cache: a 16 MiB L2 (256 small entries), a 512 MiB L3 with LZ4. */
    @State(Scope.Benchmark)
    public static class Cache
    {
        TierCache cache;
        private Path dir;

        /** Builds the cache and fills L2, so that every measured put demotes. */
        @Setup(Level.Trial)
        public void setUp()
        {
            dir = BenchFiles.createDirectory("tiercache-writes");
            cache = TierCache.builder()
                .name("write-benchmark")
                .useGpu(false)
                .maxEntries(4 * KEYS)
                .hostBytes(16L << 20)
                .maxEntryBytes(Tier.HOST, SMALL_BYTES)
                .promoteToHostAfter(Integer.MAX_VALUE)
                .file(dir.resolve("cache.bin"), 512L << 20)
                .fileRegionBytes(16L << 20)
                .compression(true)
                .demoteAfterIdle(java.time.Duration.ofHours(1))
                .persistOnClose(false)
                .build();
            try (Arena scratch = Arena.ofConfined())
            {
                final MemorySegment value = scratch.allocate(SMALL_BYTES, 64);
                for (int key = 0; key < 512; key++)
                {
                    Workload.fillImage(value, key);
                    cache.put(key, value);
                }
            }
        }

        /** Prints the statistics, closes the cache and deletes its file. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            System.out.println();
            System.out.println(cache.stats());
            cache.close();
            BenchFiles.delete(dir);
        }
    }

    /** Per-thread values (a few, so that L3 sees varied content) and a key generator. */
    @State(Scope.Thread)
    public static class Writer
    {
        static final int VARIANTS = 8;
        MemorySegment[] small = new MemorySegment[VARIANTS];
        MemorySegment[] large = new MemorySegment[VARIANTS];
        SplittableRandom random;
        private Arena arena;

        /**
         * Fills this thread's values.
         *
         * @param thread this thread's index, which seeds its keys.
         */
        @Setup(Level.Trial)
        public void setUp(final ThreadParams thread)
        {
            arena = Arena.ofShared();
            for (int i = 0; i < VARIANTS; i++)
            {
                small[i] = arena.allocate(SMALL_BYTES, 64);
                Workload.fillImage(small[i], 1000L * thread.getThreadIndex() + i);
                large[i] = arena.allocate(LARGE_BYTES, 64);
                Workload.fillImage(large[i], 5000L * thread.getThreadIndex() + i);
            }
            random = new SplittableRandom(42 + thread.getThreadIndex());
        }

        /** Frees the values. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            arena.close();
        }
    }

    /**
     * One put of a 64 KiB value into a full L2: the put copies it into L2 and demotes a victim
     * into L3 (LZ4).
     *
     * @param cache  the cache.
     * @param writer this thread's values and keys.
     * @return the level the value landed in (kept from dead-code elimination).
     */
    @Benchmark
    public Tier putDemoting(final Cache cache, final Writer writer)
    {
        final int key = writer.random.nextInt(KEYS);
        return cache.cache.put(key, writer.small[key % Writer.VARIANTS]);
    }

    /**
     * One put of a 1 MiB value, larger than L2 takes: encoded into L3 (LZ4, CRC32C).
     *
     * @param cache  the cache.
     * @param writer this thread's values and keys.
     * @return the level the value landed in.
     */
    @Benchmark
    public Tier putToFile(final Cache cache, final Writer writer)
    {
        final int key = KEYS + writer.random.nextInt(KEYS);
        return cache.cache.put(key, writer.large[key % Writer.VARIANTS]);
    }
}
