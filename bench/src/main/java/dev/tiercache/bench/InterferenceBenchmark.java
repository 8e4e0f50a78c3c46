package dev.tiercache.bench;

import dev.tiercache.bench.ScalingBenchmark.Reader;
import dev.tiercache.bench.ScalingBenchmark.TwoLevels;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Interference between levels: how many L2 hits one reader keeps while another thread streams
 * L3 reads through the same cache. {@code whileL3Streams} runs two threads at once, one doing L2
 * 4 KiB {@code getInto} hits ({@code l2Read}) and one doing L3 1 MiB {@code getInto} reads
 * ({@code l3Stream}); {@code l2ReadAlone} is the same L2 reader with the cache to itself, in the
 * same run. "L2 reads kept while L3 streams" is {@code l2Read} over {@code l2ReadAlone}: 1.00
 * when the L3 reads cost the L2 reader nothing. On a machine with fewer than two free cores the
 * group's two threads also share a core, which lowers the ratio for reasons other than the cache.
 *
 * <p>Workload: {@link TwoLevels}, the 64 MiB working set of 4 KiB values in L2 and 64 entries of
 * 1 MiB in L3, raw (compression off), the file's pages warm in the page cache; each thread walks
 * the shared shuffled key order with its own cursor and copies into its own 1 MiB off-heap
 * destination (see {@link ScalingBenchmark}).
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar InterferenceBenchmark} (part of
 * {@code bench/scaling.sh}; do not pass {@code -t}, which would change the alone case).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP})
public class InterferenceBenchmark
{
    private static long l2Hit(final TwoLevels two, final Reader reader)
    {
        final int key = reader.next(two.smallKeys);
        return ScalingBenchmark.requireHit(two.cache.getInto(key, reader.target), key, TwoLevels.SMALL_BYTES);
    }

    /**
     * The L2 reader of the pair: a 4 KiB {@code getInto} hit.
     *
     * @param two    the two-level cache.
     * @param reader this thread's destination and cursor.
     * @return bytes copied.
     */
    @Benchmark
    @Group("whileL3Streams")
    @GroupThreads(1)
    public long l2Read(final TwoLevels two, final Reader reader)
    {
        return l2Hit(two, reader);
    }

    /**
     * The L3 streamer of the pair: a 1 MiB {@code getInto} from the file.
     *
     * @param two    the two-level cache.
     * @param reader this thread's destination and cursor.
     * @return bytes copied.
     */
    @Benchmark
    @Group("whileL3Streams")
    @GroupThreads(1)
    public long l3Stream(final TwoLevels two, final Reader reader)
    {
        final int key = reader.nextLarge(two.largeKeys);
        return ScalingBenchmark.requireHit(two.cache.getInto(key, reader.target), key, TwoLevels.LARGE_BYTES);
    }

    /**
     * The reference: the same L2 reader, alone.
     *
     * @param two    the two-level cache.
     * @param reader this thread's destination and cursor.
     * @return bytes copied.
     */
    @Benchmark
    @Threads(1)
    public long l2ReadAlone(final TwoLevels two, final Reader reader)
    {
        return l2Hit(two, reader);
    }
}
