package dev.tiercache.bench;

import dev.tiercache.index.EntryIndex;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
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

import java.util.concurrent.TimeUnit;

/**
 * What two readers of two different keys pay when their slots' hot parts share a cache line
 * (decision record 0035: two 32-byte hot parts per line): each of two threads pins and unpins its
 * own slot, as every lock-free hit does, and reads the slot's location. {@code distance} is how
 * many slots apart the two are: 64 puts both in one line (the index pairs slot {@code i} with
 * {@code i + 64} in each block of 128, so that slots handed out one after the other never share
 * one), 1 in neighbouring lines (the spatial prefetcher may still pair them), 200 far apart. The
 * far case is the baseline of the same run.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar NeighbourPinBenchmark}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP})
@State(Scope.Group)
public class NeighbourPinBenchmark
{
    /** Slots between the two readers' slots. */
    @Param({"64", "1", "200"})
    public int distance;

    private EntryIndex index;
    private int first;
    private int second;

    /** Fills the slots from 0 to {@code distance}. */
    @Setup(Level.Trial)
    public void setUp()
    {
        index = new EntryIndex(256);
        for (int key = 0; key <= distance; key++)
        {
            final int slot = index.insert(key);
            index.location(slot, (long)key << 12);
        }
        first = index.find(0);
        second = index.find(distance);
        if (second - first != distance)
        {
            throw new IllegalStateException("slots " + first + " and " + second + " are not " + distance + " apart");
        }
    }

    /** Frees the index. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        index.close();
    }

    /** @return the location read under the pin. */
    @Benchmark
    @Group("neighbours")
    @GroupThreads(1)
    public long readerOfFirst()
    {
        return pinRead(first);
    }

    /** @return the location read under the pin. */
    @Benchmark
    @Group("neighbours")
    @GroupThreads(1)
    public long readerOfSecond()
    {
        return pinRead(second);
    }

    private long pinRead(final int slot)
    {
        if (index.tryPin(slot) == EntryIndex.PIN_FAILED)
        {
            throw new IllegalStateException("slot=" + slot + " did not pin");
        }
        final long location = index.location(slot);
        index.unpin(slot);
        return location;
    }
}
