package dev.tiercache.bench;

import dev.tiercache.DType;
import dev.tiercache.Part;
import dev.tiercache.TensorSpec;
import dev.tiercache.TierCache;
import dev.tiercache.dataset.BatchStats;
import dev.tiercache.dataset.DatasetCache;

import org.openjdk.jmh.annotations.AuxCounters;
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
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Shuffled epochs with the dataset in L3 and L2 at 20 % of it: the fraction of reads that waited
 * on L3, with the epoch plan ({@code plan=true}: each epoch's order queued one epoch ahead) and
 * with the default policy alone ({@code plan=false}), in the same run.
 *
 * <p>Workload: {@code entries} uint8 images of 3x224x224 (147 KiB) in L3 (raw, no LZ4) under
 * {@value BenchFiles#DIR_PROP_NAME}; L2 holds 20 % of their bytes; no GPU level. One invocation
 * is one epoch in a fresh shuffled order (the same seeds in both modes), read in batches of 32
 * with {@link DatasetCache#getBatch}; after each batch the consumer parks {@code stepMicros}, a
 * training step that leaves the CPU to others (as one that runs on a GPU does). The plan's
 * look-ahead is 16 MiB (111 entries, three and a half batches).
 *
 * <p>Secondary results, summed over the measured epochs: {@code waitedOnL3} (reads that waited on
 * L3; the goal is at most 1 % of {@code reads} with the plan), {@code hits} (reads served by L1 or
 * L2) and {@code reads}. The primary score is the epoch's time. A batch of 32 drops the last 8
 * images of each epoch, as a loader that drops its last partial batch does.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar EpochPlanBenchmark}
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, batchSize = 1)
@Measurement(iterations = 4, batchSize = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP})
@State(Scope.Thread)
public class EpochPlanBenchmark
{
    private static final int CHANNELS = 3;
    private static final int SIDE = 224;
    private static final int ENTRY_BYTES = CHANNELS * SIDE * SIDE;
    private static final int BATCH = 32;

    /** Whether the epoch plan runs. */
    @Param({"true", "false"})
    public boolean plan;

    /** Images in the dataset. */
    @Param({"1000"})
    public int entries;

    /** The consumer's time per batch, parked, in microseconds. */
    @Param({"10000"})
    public long stepMicros;

    private Path dir;
    private TierCache cache;
    private DatasetCache dataset;
    private Arena arena;
    private MemorySegment batch;
    private SplittableRandom random;
    private long[] next;

    /** Reads by where they were served, summed over the iterations (JMH sums event counters). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Reads
    {
        /** Reads that waited on L3. */
        public long waitedOnL3;
        /** Reads served by L1 or L2. */
        public long hits;
        /** All reads. */
        public long reads;
    }

    /** Builds the cache and writes the dataset into L3. */
    @Setup(Level.Trial)
    public void setUp()
    {
        dir = BenchFiles.createDirectory("tiercache-plan");
        final long datasetBytes = (long)entries * ENTRY_BYTES;
        cache = TierCache.builder().name("bench-plan-" + plan).useGpu(false).hostBytes(datasetBytes / 5)
            .file(dir.resolve("l3.tc"), datasetBytes * 2 + (64L << 20)).compression(false).maxEntries(2 * entries)
            .persistOnClose(false).build();
        dataset = DatasetCache.builder(cache).lookAheadBytes(16L << 20).build();
        arena = Arena.ofShared();
        final MemorySegment image = arena.allocate(ENTRY_BYTES, 64);
        for (long key = 0; key < entries; key++)
        {
            for (int i = 0; i < ENTRY_BYTES; i += 8)
            {
                image.set(ValueLayout.JAVA_LONG_UNALIGNED, i, key * 0x9E3779B97F4A7C15L + i);
            }
            cache.put(key, new Part(TensorSpec.of(DType.U8, CHANNELS, SIDE, SIDE), image));
        }
        batch = arena.allocate((long)BATCH * ENTRY_BYTES, 64);
        random = new SplittableRandom(42);
        next = shuffled();
        if (plan)
        {
            dataset.epoch(next);
        }
    }

    private long[] shuffled()
    {
        final long[] order = new long[entries];
        for (int i = 0; i < entries; i++)
        {
            order[i] = i;
        }
        for (int i = entries - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final long swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }

    /**
     * One epoch.
     *
     * @param counts where the epoch's reads are added.
     * @return bytes read.
     */
    @Benchmark
    public long epoch(final Reads counts)
    {
        final BatchStats before = dataset.batchStats();
        final long[] order = next;
        next = shuffled();
        if (plan)
        {
            dataset.epoch(next);
        }
        long bytes = 0;
        for (int b = 0; b + BATCH <= order.length; b += BATCH)
        {
            bytes += dataset.getBatch(Arrays.copyOfRange(order, b, b + BATCH), batch, null);
            LockSupport.parkNanos(stepMicros * 1000);
        }
        final BatchStats epoch = dataset.batchStats().minus(before);
        counts.waitedOnL3 += epoch.fileReads();
        counts.hits += epoch.deviceReads() + epoch.hostReads();
        counts.reads += epoch.reads();
        return bytes;
    }

    /** Prints the totals and frees everything. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        System.out.println();
        System.out.println("plan=" + plan + ": " + dataset.batchStats() + "; " + dataset.planStats());
        dataset.close();
        cache.close();
        arena.close();
        BenchFiles.delete(dir);
    }
}
