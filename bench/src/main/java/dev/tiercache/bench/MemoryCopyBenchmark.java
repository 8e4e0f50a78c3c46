package dev.tiercache.bench;

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
 * The memory limit: {@code MemorySegment.copy} of one value out of a 64 MiB off-heap working set,
 * into off-heap memory and into a {@code byte[]}. No cache can copy a value out faster than this,
 * so every in-memory level is reported as a fraction of it.
 *
 * <p>Workload: {@link Workload} values of {@code size} bytes in one 64 MiB off-heap arena, visited
 * in the shared shuffled key order; each thread copies into its own destination.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar MemoryCopyBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP})
@State(Scope.Benchmark)
public class MemoryCopyBenchmark
{
    /** Value size in bytes. */
    @Param({"4096", "65536", "1048576", "4194304"})
    public int size;

    private Arena arena;
    private MemorySegment source;
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
        public void setUp(final MemoryCopyBenchmark shared)
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

    /** Fills the working set. */
    @Setup(Level.Trial)
    public void setUp()
    {
        final int entries = Workload.entries(size);
        arena = Arena.ofShared();
        source = arena.allocate((long)entries * size, 64);
        for (int key = 0; key < entries; key++)
        {
            Workload.fillImage(source.asSlice((long)key * size, size), key);
        }
        keys = Workload.keyOrder(entries);
    }

    /** Frees the working set. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        arena.close();
    }

    private long nextOffset(final Destination destination)
    {
        final int key = keys[destination.cursor++ & (keys.length - 1)];
        return (long)key * size;
    }

    /**
     * Off-heap to off-heap.
     *
     * @param destination this thread's buffers.
     * @return the last byte written, so the copy cannot be dropped.
     */
    @Benchmark
    public byte offHeapToOffHeap(final Destination destination)
    {
        MemorySegment.copy(source, nextOffset(destination), destination.offHeap, 0, size);
        return destination.offHeap.get(ValueLayout.JAVA_BYTE, size - 1);
    }

    /**
     * Off-heap to a {@code byte[]}.
     *
     * @param destination this thread's buffers.
     * @return the last byte written.
     */
    @Benchmark
    public byte offHeapToArray(final Destination destination)
    {
        MemorySegment.copy(source, ValueLayout.JAVA_BYTE, nextOffset(destination), destination.array, 0, size);
        return destination.array[size - 1];
    }

    /**
     * {@link #offHeapToArray} on two threads at once: the memory bandwidth both share.
     *
     * @param destination this thread's buffers.
     * @param blackhole   consumes the last byte.
     */
    @Benchmark
    @Threads(2)
    public void offHeapToArray2Threads(final Destination destination, final Blackhole blackhole)
    {
        blackhole.consume(offHeapToArray(destination));
    }
}
