package dev.tiercache.bench;

import dev.tiercache.store.Codec;
import dev.tiercache.store.Codecs;

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
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The LZ4 codecs the file store uses, off-heap to off-heap: {@code NativeLz4Codec} (liblz4 through
 * FFM) and {@code JavaLz4Codec} (lz4-java's safe instance), compressing one value and restoring
 * one. Throughput in the report is raw bytes per second in both directions.
 *
 * <p>Workload: 64 MiB of {@link Workload} values of one kind, visited in the shared shuffled key
 * order; {@code image} is uint8 pixel data that LZ4 shrinks by about an eighth, {@code heatmap} is
 * sparse fp16 maps that it shrinks about a hundred times. The setup measures the ratio over the
 * whole working set, prints it, and refuses to run when the data is not what its name says. The
 * native codec needs liblz4; where it is missing the setup says so and {@code -p codec=java}
 * runs the rest.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar Lz4Benchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP})
@State(Scope.Thread)
public class Lz4Benchmark
{
    /** Value size in bytes. */
    @Param({"4096", "65536", "1048576", "4194304"})
    public int size;

    /** {@code native} (liblz4) or {@code java} (lz4-java). */
    @Param({"native", "java"})
    public String codec;

    /** {@code image} (ratio about 1.1) or {@code heatmap} (ratio above 10). */
    @Param({"image", "heatmap"})
    public String data;

    private Codec lz4;
    private Arena arena;
    private MemorySegment raw;
    private MemorySegment compressed;
    private long[] compressedOffset;
    private long[] compressedLength;
    private MemorySegment compressDestination;
    private MemorySegment decompressDestination;
    private int[] keys;
    private int cursor;

    /** Fills the working set and compresses every value once. */
    @Setup(Level.Trial)
    public void setUp()
    {
        lz4 = switch (codec)
        {
            case "native" -> Codecs.nativeLz4().orElseThrow(
                () -> new IllegalStateException("liblz4 not found; run with -p codec=java"));
            case "java" -> Codecs.javaLz4();
            default -> throw new IllegalArgumentException("codec=" + codec + " is not native or java");
        };
        final int entries = Workload.entries(size);
        final long bound = lz4.maxCompressedLength(size);
        arena = Arena.ofConfined();
        raw = arena.allocate((long)entries * size, 64);
        compressed = arena.allocate(entries * bound, 64);
        compressedOffset = new long[entries];
        compressedLength = new long[entries];
        compressDestination = arena.allocate(bound, 64);
        decompressDestination = arena.allocate(size, 64);
        long total = 0;
        for (int key = 0; key < entries; key++)
        {
            final MemorySegment value = raw.asSlice((long)key * size, size);
            Workload.fill(data, value, key);
            final long length = lz4.compress(value, compressed.asSlice(total, bound));
            if (length < 0)
            {
                throw new IllegalStateException("compress of key=" + key + " gave " + length);
            }
            compressedOffset[key] = total;
            compressedLength[key] = length;
            total += length;
        }
        final double ratio = (double)raw.byteSize() / total;
        System.out.printf(Locale.ROOT, "%n%s data, %d-byte values: LZ4 ratio %.2f%n", data, size, ratio);
        final boolean asNamed = data.equals("image") ? ratio >= 1.03 && ratio <= 1.3 : ratio > 10;
        if (!asNamed)
        {
            throw new IllegalStateException("data=" + data + " has LZ4 ratio=" + ratio + ", not what the name promises");
        }
        keys = Workload.keyOrder(entries);
    }

    /** Frees the working set. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        arena.close();
    }

    /**
     * Compresses one value.
     *
     * @return the compressed length.
     */
    @Benchmark
    public long compress()
    {
        final int key = keys[cursor++ & (keys.length - 1)];
        return lz4.compress(raw.asSlice((long)key * size, size), compressDestination);
    }

    /**
     * Restores one value.
     *
     * @return the restored length.
     */
    @Benchmark
    public long decompress()
    {
        final int key = keys[cursor++ & (keys.length - 1)];
        return lz4.decompress(compressed.asSlice(compressedOffset[key], compressedLength[key]), decompressDestination);
    }
}
