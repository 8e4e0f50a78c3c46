package dev.tiercache.bench;

import dev.tiercache.store.SpaceAllocator;

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
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The L2 arena's allocator alone, in steady state: each operation frees a random live block and
 * allocates one of a fresh size (what a full cache does for a put: evict, then place), freeing more
 * random blocks while the request does not fit. {@code allocator=rows} is the row-per-block
 * allocator that decision record {@code docs/decisions/0031-l2-bookkeeping-per-block.md} replaced
 * ({@link RowSpaceAllocatorBaseline}), {@code allocator=shipped} is {@link SpaceAllocator}; the
 * ratio of the two is the figure, both measured in the same run. The allocator of 0031, which
 * decision record {@code 0033-block-starts-bitmap.md} replaced, is {@code shipped} in a build of
 * the commit before 0033: run the two jars one after the other, taking turns.
 *
 * <p>Workloads, 64-byte alignment as in L2, filled to 90 % before the measurement:
 * <ul>
 *   <li>{@code small}: 128 MiB of 8-byte requests (1.9 million live 64-byte blocks, the footprint
 *       report's one-part entries): every hole is reused exactly;</li>
 *   <li>{@code mixed}: 512 MiB of sizes log-uniform in 64 B..16 KiB (about 160 000 live blocks),
 *       so that free blocks are split and merged;</li>
 *   <li>{@code large}: 512 MiB of sizes log-uniform in 64 KiB..4 MiB (about 420 live blocks): long
 *       blocks, whose end a {@code free} finds by reading their start marks.</li>
 * </ul>
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar SpaceAllocatorBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP})
@State(Scope.Thread)
public class SpaceAllocatorBenchmark
{
    private static final long ALIGNMENT_BYTES = 64;
    private static final long SEED = 0x5EED_0031L;
    private static final int STREAM = 1 << 20;

    /** {@code rows}: the allocator before 0031; {@code shipped}: {@link SpaceAllocator}. */
    @Param({AllocatorUnderTest.ROWS, AllocatorUnderTest.SHIPPED})
    public String allocator;

    /** {@code small}, {@code mixed} or {@code large}, see the class comment. */
    @Param({"small", "mixed", "large"})
    public String workload;

    private AllocatorUnderTest space;
    private long[] liveOffsets;
    private long[] liveRequested;
    private int live;
    private long requestedBytes;
    private long targetBytes;
    private long[] sizes;
    private int[] victims;
    private int cursor;

    /**
     * Makes the allocator, the random streams, and fills it to 90 %.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        final long capacity = workload.equals("small") ? 128L << 20 : 512L << 20;
        space = AllocatorUnderTest.of(allocator, capacity, ALIGNMENT_BYTES);
        final SplittableRandom rng = new SplittableRandom(SEED);
        sizes = new long[STREAM];
        victims = new int[STREAM];
        final boolean large = workload.equals("large");
        final double logMin = Math.log(large ? 64 << 10 : 64);
        final double logMax = Math.log(large ? 4 << 20 : 16 << 10);
        for (int i = 0; i < STREAM; i++)
        {
            sizes[i] = workload.equals("small") ? 8 : (long)Math.exp(logMin + rng.nextDouble() * (logMax - logMin));
            victims[i] = rng.nextInt(Integer.MAX_VALUE);
        }
        targetBytes = capacity / 10 * 9;
        final int maxLive = (int)(capacity / (workload.equals("small") ? ALIGNMENT_BYTES : 1024));
        liveOffsets = new long[maxLive];
        liveRequested = new long[maxLive];
        final long fillTo = workload.equals("small") ? targetBytes / ALIGNMENT_BYTES * 8 : targetBytes;
        while (requestedBytes < fillTo)
        {
            place(sizes[cursor++ & (STREAM - 1)]);
        }
        if (workload.equals("small"))
        {
            // 8-byte requests take 64-byte blocks: hold the block count, not the requested bytes, steady
            targetBytes = requestedBytes;
        }
    }

    /**
     * Evict, then place: frees random live blocks until the new request's bytes fit under the
     * target, then allocates it.
     *
     * @return the new block's offset.
     */
    @Benchmark
    public long evictThenPlace()
    {
        final long size = sizes[cursor++ & (STREAM - 1)];
        while (requestedBytes + size > targetBytes)
        {
            freeOne();
        }
        return place(size);
    }

    private long place(final long size)
    {
        if (live == liveOffsets.length)
        {
            freeOne();
        }
        long offset = space.allocate(size);
        while (offset == SpaceAllocator.FULL)
        {
            freeOne();
            offset = space.allocate(size);
        }
        liveOffsets[live] = offset;
        liveRequested[live] = size;
        live++;
        requestedBytes += size;
        return offset;
    }

    private void freeOne()
    {
        final int victim = victims[cursor++ & (STREAM - 1)] % live;
        space.free(liveOffsets[victim]);
        requestedBytes -= liveRequested[victim];
        live--;
        liveOffsets[victim] = liveOffsets[live];
        liveRequested[victim] = liveRequested[live];
    }
}
