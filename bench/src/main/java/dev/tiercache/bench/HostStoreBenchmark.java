package dev.tiercache.bench;

import dev.tiercache.store.HostStore;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * The L2 store alone, without index or leases: {@code HostStore.view} of a stored value, read in
 * place or copied out into off-heap memory or a {@code byte[]}. Compare with
 * {@link MemoryCopyBenchmark} of the same size: the difference is what the store's view costs.
 *
 * <p>Workload: the 64 MiB of {@link Workload} image values, each in its own block of a
 * {@link HostStore} arena (plain off-heap memory, no GPU), visited in the shared shuffled key
 * order; the key-to-offset map is a plain {@code long[]} here, because the index is measured on
 * its own.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar HostStoreBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP})
@State(Scope.Benchmark)
public class HostStoreBenchmark
{
    /** Value size in bytes. */
    @Param({"4096", "65536", "1048576", "4194304"})
    public int size;

    private HostStore store;
    private long[] offsets;
    private int[] keys;

    /** Per-thread destination and cursor. */
    @State(Scope.Thread)
    public static class Destination
    {
        private Arena arena;
        MemorySegment offHeap;
        byte[] array;
        int cursor;

        /**
         * Allocates the destinations.
         *
         * @param shared the benchmark's state, for the size.
         */
        @Setup(Level.Trial)
        public void setUp(final HostStoreBenchmark shared)
        {
            arena = Arena.ofConfined();
            offHeap = arena.allocate(shared.size, 64);
            array = new byte[shared.size];
        }

        /** Frees the off-heap destination. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            arena.close();
        }
    }

    /** Stores the working set. */
    @Setup(Level.Trial)
    public void setUp()
    {
        final int entries = Workload.entries(size);
        store = HostStore.create(null, 2 * Workload.WORKING_SET_BYTES, 64);
        offsets = new long[entries];
        for (int key = 0; key < entries; key++)
        {
            final long offset = store.allocate(size);
            if (offset == SpaceAllocator.FULL)
            {
                throw new IllegalStateException("store full at key=" + key + ", size=" + size);
            }
            offsets[key] = offset;
            Workload.fillImage(store.view(offset, size), key);
        }
        keys = Workload.keyOrder(entries);
    }

    /** Frees the arena. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        store.close();
    }

    private MemorySegment nextView(final Destination destination)
    {
        final int key = keys[destination.cursor++ & (keys.length - 1)];
        return store.view(offsets[key], size);
    }

    /**
     * The view alone, read at its first and last byte: a zero-copy hit.
     *
     * @param destination this thread's cursor.
     * @return the two bytes, combined.
     */
    @Benchmark
    public int view(final Destination destination)
    {
        final MemorySegment view = nextView(destination);
        return view.get(ValueLayout.JAVA_BYTE, 0) + view.get(ValueLayout.JAVA_BYTE, size - 1);
    }

    /**
     * The view, copied out into off-heap memory.
     *
     * @param destination this thread's buffers.
     * @return the last byte written.
     */
    @Benchmark
    public byte copyToOffHeap(final Destination destination)
    {
        MemorySegment.copy(nextView(destination), 0, destination.offHeap, 0, size);
        return destination.offHeap.get(ValueLayout.JAVA_BYTE, size - 1);
    }

    /**
     * The view, copied out into a {@code byte[]}.
     *
     * @param destination this thread's buffers.
     * @return the last byte written.
     */
    @Benchmark
    public byte copyToArray(final Destination destination)
    {
        MemorySegment.copy(nextView(destination), ValueLayout.JAVA_BYTE, 0, destination.array, 0, size);
        return destination.array[size - 1];
    }

    /**
     * {@link #copyToArray} on two threads at once.
     *
     * @param destination this thread's buffers.
     * @param blackhole   consumes the last byte.
     */
    @Benchmark
    @Threads(2)
    public void copyToArray2Threads(final Destination destination, final Blackhole blackhole)
    {
        blackhole.consume(copyToArray(destination));
    }
}
