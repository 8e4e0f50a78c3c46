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

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * The file limit: a plain positional {@code FileChannel.read} of one value from a 64 MiB file whose
 * pages are in the page cache, into off-heap memory; and, for reference, a copy out of the same
 * file mapped with {@code FileChannel.map}, which is how L3 reads. L3 is reported as a fraction
 * of the plain read.
 *
 * <p>Workload: the {@link Workload} image values, written back to back into one file, read once
 * to warm the page cache, then visited in the shared shuffled key order. The file lies under
 * {@value BenchFiles#DIR_PROP_NAME} (default {@code java.io.tmpdir}).
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar FileReadBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP})
@State(Scope.Benchmark)
public class FileReadBenchmark
{
    /** Value size in bytes. */
    @Param({"4096", "65536", "1048576", "4194304"})
    public int size;

    private Path dir;
    private FileChannel channel;
    private Arena arena;
    private MemorySegment mapped;
    private int[] keys;

    /** Per-thread destination and cursor. */
    @State(Scope.Thread)
    public static class Destination
    {
        private Arena arena;
        MemorySegment offHeap;
        ByteBuffer buffer;
        int cursor;

        /**
         * Allocates the destination.
         *
         * @param shared the benchmark's state, for the size.
         */
        @Setup(Level.Trial)
        public void setUp(final FileReadBenchmark shared)
        {
            arena = Arena.ofConfined();
            offHeap = arena.allocate(shared.size, 4096);
            buffer = offHeap.asByteBuffer();
        }

        /** Frees the destination. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            arena.close();
        }
    }

    /**
     * Writes the file, warms the page cache and maps the file.
     *
     * @throws IOException when the scratch folder is unusable.
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        final int entries = Workload.entries(size);
        dir = BenchFiles.createDirectory("tiercache-file-read");
        channel = FileChannel.open(dir.resolve("values.bin"),
            StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        arena = Arena.ofShared();
        final MemorySegment value = arena.allocate(size, 64);
        for (int key = 0; key < entries; key++)
        {
            Workload.fillImage(value, key);
            final ByteBuffer buffer = value.asByteBuffer();
            long position = (long)key * size;
            while (buffer.hasRemaining())
            {
                position += channel.write(buffer, position);
            }
        }
        channel.force(false);
        mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, (long)entries * size, arena);
        long sum = 0;
        for (long at = 0; at < mapped.byteSize(); at += 4096)
        {
            sum += mapped.get(ValueLayout.JAVA_BYTE, at);
        }
        keys = Workload.keyOrder(entries);
        if (sum == Long.MIN_VALUE)
        {
            throw new IllegalStateException("unreachable, keeps the warming loop alive");
        }
    }

    /**
     * Unmaps and deletes the file.
     *
     * @throws IOException when closing fails.
     */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        arena.close();
        channel.close();
        BenchFiles.delete(dir);
    }

    private long nextOffset(final Destination destination)
    {
        return (long)keys[destination.cursor++ & (keys.length - 1)] * size;
    }

    /**
     * {@code FileChannel.read(ByteBuffer, position)} of one value into off-heap memory.
     *
     * @param destination this thread's buffer.
     * @return the last byte read.
     * @throws IOException when the read fails.
     */
    @Benchmark
    public byte channelRead(final Destination destination) throws IOException
    {
        final ByteBuffer buffer = destination.buffer.clear();
        long position = nextOffset(destination);
        while (buffer.hasRemaining())
        {
            final int read = channel.read(buffer, position);
            if (read < 0)
            {
                throw new IllegalStateException("end of file at position=" + position);
            }
            position += read;
        }
        return destination.offHeap.get(ValueLayout.JAVA_BYTE, size - 1);
    }

    /**
     * {@link #channelRead} on two threads at once.
     *
     * @param destination this thread's buffer.
     * @param blackhole   consumes the last byte.
     * @throws IOException when the read fails.
     */
    @Benchmark
    @Threads(2)
    public void channelRead2Threads(final Destination destination, final Blackhole blackhole) throws IOException
    {
        blackhole.consume(channelRead(destination));
    }

    /**
     * {@code MemorySegment.copy} of one value out of the mapped file into off-heap memory.
     *
     * @param destination this thread's buffer.
     * @return the last byte copied.
     */
    @Benchmark
    public byte mappedCopy(final Destination destination)
    {
        MemorySegment.copy(mapped, nextOffset(destination), destination.offHeap, 0, size);
        return destination.offHeap.get(ValueLayout.JAVA_BYTE, size - 1);
    }
}
