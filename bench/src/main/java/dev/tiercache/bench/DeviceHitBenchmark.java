package dev.tiercache.bench;

import dev.tiercache.EntryHandle;
import dev.tiercache.Part;
import dev.tiercache.Tier;
import dev.tiercache.TierCache;
import dev.tiercache.cuda.CudaRuntime;
import dev.tiercache.cuda.CudaStream;
import dev.tiercache.cuda.DeviceBuffer;
import dev.tiercache.cuda.MemcpyKind;
import dev.tiercache.cuda.PinnedBuffer;

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
import java.util.concurrent.TimeUnit;

/**
 * What an L1 hit costs over using a device pointer the caller holds itself: the same bytes copied
 * device to device into a batch buffer on one stream, as {@code DatasetCache.getBatchOnDevice}
 * gathers an L1 entry, three ways:
 * <ul>
 *   <li>{@code cacheHit}: {@link TierCache#getOnDevice} (the lease, the index look-up, the access
 *       counted), then {@code cudaMemcpyAsync} device to device from the entry's pointer, then the
 *       stream synchronized and the lease closed;</li>
 *   <li>{@code rawPointer}: the same copy from a device buffer allocated by the benchmark;</li>
 *   <li>{@code rawHostToDevice}: {@code cudaMemcpyAsync} of the same bytes from pinned host memory,
 *       what a batch pays for an entry that is not in L1.</li>
 * </ul>
 * The ratio {@code cacheHit / rawPointer} in the same run is the hit's overhead.
 * {@code bench/gpu/run-on-gpu.sh} turns the times into GB/s and the fraction of the device's
 * memory bandwidth ({@code dev.tiercache.bench.report.GpuReport}).
 *
 * <p>The CUDA runtime is the process's (a real one when discovery finds it); the GPU kit passes
 * {@code -Dtiercache.cudart=sim:mx250} on a machine without a GPU, as the build's smoke pass does.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar DeviceHitBenchmark -p size=1048576,8388608,67108864}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP, ForkArgs.SIMULATED_GPU})
@State(Scope.Thread)
public class DeviceHitBenchmark
{
    private static final long KEY = 1;

    /** Bytes of the entry and of each copy. */
    @Param({"1048576", "8388608", "67108864"})
    public long size;

    private TierCache cache;
    private CudaRuntime cuda;
    private CudaStream stream;
    private DeviceBuffer source;
    private DeviceBuffer destination;
    private PinnedBuffer pinned;

    /** Builds a cache whose L1 holds the entry, and the raw buffers. */
    @Setup(Level.Trial)
    public void setUp()
    {
        cache = TierCache.builder().name("bench-device-hit-" + size).useGpu(true).deviceBytes(2 * size + (16L << 20))
            .hostBytes(2 * size + (16L << 20)).maxEntries(64).persistOnClose(false).build();
        if (!cache.hasDevice())
        {
            throw new IllegalStateException("no L1: " + cache.stats().level(Tier.DEVICE).disabledReason());
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment value = arena.allocate(size, 64);
            Workload.fillImage(value, KEY);
            cache.put(KEY, Part.blob(value));
        }
        try (EntryHandle handle = cache.getOnDevice(KEY))
        {
            if (handle == null || handle.tier() != Tier.DEVICE)
            {
                throw new IllegalStateException("the entry did not reach L1: " + (handle == null ? "missing" : handle.tier()));
            }
        }
        cuda = CudaRuntime.open();
        stream = cuda.createStream(true);
        source = cuda.allocateDevice(size);
        destination = cuda.allocateDevice(size);
        pinned = cuda.allocatePinned(size, 0);
        System.out.println();
        System.out.println("device: " + cuda.library().description() + (cuda.isSimulated() ? " (simulated)" : ""));
    }

    /** Frees the buffers and closes the cache. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        System.out.println();
        System.out.println(cache.stats());
        pinned.close();
        destination.close();
        source.close();
        stream.close();
        cache.close();
    }

    /**
     * An L1 hit used: the lease, the copy from its pointer, the wait.
     *
     * @return the level it was served from.
     */
    @Benchmark
    public Tier cacheHit()
    {
        try (EntryHandle handle = cache.getOnDevice(KEY))
        {
            cuda.copyAsync(destination.address(), handle.devicePointer(0), size, MemcpyKind.DEVICE_TO_DEVICE, stream);
            stream.synchronize();
            return handle.tier();
        }
    }

    /** The same copy from a device pointer held by the benchmark. */
    @Benchmark
    public void rawPointer()
    {
        cuda.copyAsync(destination.address(), source.address(), size, MemcpyKind.DEVICE_TO_DEVICE, stream);
        stream.synchronize();
    }

    /** The same bytes from pinned host memory. */
    @Benchmark
    public void rawHostToDevice()
    {
        cuda.copyAsync(destination.address(), pinned.segment().address(), size, MemcpyKind.HOST_TO_DEVICE, stream);
        stream.synchronize();
    }
}
