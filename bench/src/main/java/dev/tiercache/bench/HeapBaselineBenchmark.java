package dev.tiercache.bench;

import dev.tiercache.EntryHandle;
import dev.tiercache.TierCache;
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
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The simplest peer: decoded uint8 samples held on the heap, in a {@code byte[][]} or a
 * {@link ConcurrentHashMap}, against the same samples in tiercache's L2, for the consumer's real
 * step: read a sample in shuffled order and normalise it to float32 ({@code v * scale + offset})
 * into the batch buffer. The dataset fits in RAM, so this is where tiercache has nothing to win
 * but must not lose much; its wins (datasets larger than the heap, batches on the GPU, a warm
 * restart, processes sharing a cache) are measured elsewhere.
 *
 * <p>Sized for a short run with tight errors on a quiet machine: a fixed working set (64 MiB of
 * samples whatever their size, inside L2 and the heap, so no run reads the file), the order of
 * reads fixed by a seed, the heap at its full size from the start, and two forks of three 1 s
 * warm-up and five 1 s measured iterations: about two minutes for the six rows. A run under load
 * from other processes is not usable whatever its settings: its error bars are larger than the
 * differences.
 *
 * <pre>
 * ./mvnw -B -q -pl bench -am package -DskipTests -Dbench.smoke.skip=true
 * java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar HeapBaselineBenchmark \
 *   -rf json -rff bench/results/2026-12-03-amd-epyc-2c-heap-baseline.json
 * </pre>
 * Report each {@code tiercache*} score over {@code heapArray} of the same sample size.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class HeapBaselineBenchmark
{
    private static final float SCALE = 1f / 255f;
    private static final float OFFSET = -0.5f;

    /** Bytes per sample: a 64×64×3 crop and a 224×224×3 image. */
    @Param({"12288", "150528"})
    public int sampleBytes;

    /** Samples: 64 MiB of data either way, well inside the heap and L2. */
    private int samples;
    private byte[][] heap;
    private ConcurrentHashMap<Long, byte[]> map;
    private TierCache cache;
    private int[] order;
    private int next;
    private MemorySegment batch;
    private float[] heapBatch;
    private Arena arena;

    @Setup(Level.Trial)
    public void setUp()
    {
        samples = (64 << 20) / sampleBytes;
        heap = new byte[samples][];
        map = new ConcurrentHashMap<>();
        cache = TierCache.builder().name("heap-baseline").useGpu(false).maxEntries(samples * 2).hostBytes(160L << 20)
            .maxEntryBytes(dev.tiercache.Tier.HOST, sampleBytes).persistOnClose(false).build();
        arena = Arena.ofShared();
        final MemorySegment staging = arena.allocate(sampleBytes, 64);
        final SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < samples; i++)
        {
            final byte[] bytes = new byte[sampleBytes];
            for (int b = 0; b < sampleBytes; b++)
            {
                bytes[b] = (byte) random.nextInt(256);
            }
            heap[i] = bytes;
            map.put((long) i, bytes);
            MemorySegment.copy(bytes, 0, staging, ValueLayout.JAVA_BYTE, 0, sampleBytes);
            cache.put(i, staging);
        }
        order = new int[samples * 4];
        for (int i = 0; i < order.length; i++)
        {
            order[i] = random.nextInt(samples);
        }
        batch = arena.allocate((long) sampleBytes * Float.BYTES, 64);
        heapBatch = new float[sampleBytes];
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        cache.close();
        arena.close();
    }

    private int nextSample()
    {
        final int sample = order[next];
        next = next + 1 == order.length ? 0 : next + 1;
        return sample;
    }

    /** Baseline: a byte[][] of decoded samples, normalised into a float[] batch. */
    @Benchmark
    public float heapArray()
    {
        final byte[] bytes = heap[nextSample()];
        final float[] out = heapBatch;
        for (int i = 0; i < bytes.length; i++)
        {
            out[i] = (bytes[i] & 0xFF) * SCALE + OFFSET;
        }
        return out[bytes.length - 1];
    }

    /** A ConcurrentHashMap of decoded samples, normalised into a float[] batch. */
    @Benchmark
    public float heapMap()
    {
        final byte[] bytes = map.get((long) nextSample());
        final float[] out = heapBatch;
        for (int i = 0; i < bytes.length; i++)
        {
            out[i] = (bytes[i] & 0xFF) * SCALE + OFFSET;
        }
        return out[bytes.length - 1];
    }

    /** tiercache L2: a lease, normalised straight from the pinned bytes into the native batch. */
    @Benchmark
    public float tiercacheReadAsFloat()
    {
        try (EntryHandle handle = cache.get(nextSample()))
        {
            handle.readAsFloat(0, batch, SCALE, OFFSET);
        }
        return batch.getAtIndex(ValueLayout.JAVA_FLOAT, sampleBytes - 1);
    }
}
