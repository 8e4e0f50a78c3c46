package dev.tiercache.bench;

import dev.tiercache.index.EntryIndex;

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

import java.util.concurrent.TimeUnit;

/**
 * The index alone: {@code EntryIndex.find} of a present key followed by a read of the slot's
 * location (a hit, as {@code get} does it), and of an absent key (a miss), with {@code entries}
 * keys in the index. Run with {@code -prof gc}: both must allocate nothing.
 *
 * <p>Workload: keys {@code 0 .. entries-1} inserted in order into an index of exactly that
 * capacity; hits visit them in one seeded shuffled order, misses visit {@code entries ..
 * 2*entries-1} in the same order. Shuffled is the worst order for the CPU caches (it is the
 * shuffled-epoch pattern of training): at 10^6 and 10^7 entries neither the key table nor the
 * slots fit them. Single-threaded only: the index is guarded by the cache's lock.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar EntryIndexBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP})
@State(Scope.Thread)
public class EntryIndexBenchmark
{
    /** Keys in the index. */
    @Param({"1000", "1000000", "10000000"})
    public int entries;

    private EntryIndex index;
    private int[] order;
    private int cursor;

    /** Builds the index. */
    @Setup(Level.Trial)
    public void setUp()
    {
        index = new EntryIndex(entries);
        for (int key = 0; key < entries; key++)
        {
            final int slot = index.insert(key);
            if (slot < 0)
            {
                throw new IllegalStateException("insert of key=" + key + " gave " + slot);
            }
            index.location(slot, (long)key << 12);
        }
        order = Workload.keyOrder(entries);
    }

    /** Frees the index. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        index.close();
    }

    private int nextKey()
    {
        final int key = order[cursor];
        cursor = cursor + 1 == order.length ? 0 : cursor + 1;
        return key;
    }

    /**
     * A hit: find the slot, read the location.
     *
     * @return the location.
     */
    @Benchmark
    public long hit()
    {
        final int slot = index.find(nextKey());
        if (slot < 0)
        {
            throw new IllegalStateException("miss on a present key, slot=" + slot);
        }
        return index.location(slot);
    }

    /**
     * A miss.
     *
     * @return {@link EntryIndex#NOT_FOUND}.
     */
    @Benchmark
    public int miss()
    {
        return index.find((long)entries + nextKey());
    }
}
