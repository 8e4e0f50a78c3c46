package dev.tiercache.bench;

import dev.tiercache.cuda.CudaRuntime;
import dev.tiercache.cuda.CudaStream;
import dev.tiercache.cuda.DeviceBuffer;
import dev.tiercache.cuda.DeviceNormalizer;
import dev.tiercache.cuda.NormalizeKernel;

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
import java.util.concurrent.TimeUnit;

/**
 * Normalisation of a uint8 batch to float32 on the device ({@link DeviceNormalizer#launch}, the
 * stream synchronized) against the host loop ({@link NormalizeKernel#runOnHost}, what a loader
 * without a GPU kernel runs), in the same run: ImageNet's scale and offset, CHW images of
 * 3 x 224 x 224 (147 KiB), as many whole images as {@code size} bytes hold (a batch smaller than
 * one image is one image of smaller planes). Each call reads {@link #count} bytes and writes four
 * times as many; {@code bench/gpu/run-on-gpu.sh} turns the times into GB/s of memory traffic and
 * the fraction of the device's memory bandwidth ({@code dev.tiercache.bench.report.GpuReport}).
 *
 * <p>The CUDA runtime is the process's (a real one when discovery finds it); the GPU kit passes
 * {@code -Dtiercache.cudart=sim:mx250} on a machine without a GPU, as the build's smoke pass does;
 * there the "device" is the simulator's Java kernel on the CPU.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar DeviceNormalizeBenchmark -p size=1048576,8388608,67108864}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP, ForkArgs.SIMULATED_GPU})
@State(Scope.Thread)
public class DeviceNormalizeBenchmark
{
    private static final int CHANNELS = 3;
    private static final long IMAGE_PLANE = 224 * 224;
    private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] STD = {0.229f, 0.224f, 0.225f};

    /** Input bytes of the batch, at most (whole images of it are normalised). */
    @Param({"1048576", "8388608", "67108864"})
    public long size;

    private long plane;
    private long count;
    private final float[] scale = new float[CHANNELS];
    private final float[] offset = new float[CHANNELS];
    private Arena arena;
    private MemorySegment hostIn;
    private MemorySegment hostOut;
    private CudaRuntime cuda;
    private DeviceNormalizer kernels;
    private CudaStream stream;
    private DeviceBuffer deviceIn;
    private DeviceBuffer deviceOut;

    /**
     * Elements of one channel plane for a batch of at most {@code size} bytes.
     *
     * @param size the parameter.
     * @return 224 x 224, or less for a batch smaller than one image.
     */
    public static long planeFor(final long size)
    {
        return Math.max(1, Math.min(IMAGE_PLANE, size / CHANNELS));
    }

    /**
     * Input bytes normalised per call for a batch of at most {@code size} bytes: whole images.
     *
     * @param size the parameter.
     * @return bytes read by each call (it writes four times as many).
     */
    public static long countFor(final long size)
    {
        final long plane = planeFor(size);
        return Math.max(1, size / (CHANNELS * plane)) * CHANNELS * plane;
    }

    /** Loads the kernels and fills both inputs with the same random bytes. */
    @Setup(Level.Trial)
    public void setUp()
    {
        plane = planeFor(size);
        count = countFor(size);
        for (int c = 0; c < CHANNELS; c++)
        {
            scale[c] = (float)(1.0 / (255.0 * STD[c]));
            offset[c] = (float)(-MEAN[c] / (double)STD[c]);
        }
        arena = Arena.ofShared();
        hostIn = arena.allocate(count, 64);
        hostOut = arena.allocate(4 * count, 64);
        final SplittableRandom random = new SplittableRandom(42);
        for (long i = 0; i < count; i += 8)
        {
            hostIn.set(ValueLayout.JAVA_LONG_UNALIGNED, Math.min(i, count - 8), random.nextLong());
        }
        cuda = CudaRuntime.open();
        if (!cuda.isUsable())
        {
            throw new IllegalStateException("no CUDA runtime: " + cuda.unavailableReason());
        }
        kernels = DeviceNormalizer.load(cuda, 0);
        stream = cuda.createStream(true);
        deviceIn = cuda.allocateDevice(count);
        deviceOut = cuda.allocateDevice(4 * count);
        deviceIn.copyFromHost(hostIn, 0);
        System.out.println();
        System.out.println("device: " + cuda.library().description() + (cuda.isSimulated() ? " (simulated)" : "") + "; " + count +
            " bytes in (" + count / (CHANNELS * plane) + " images of 3 x " + plane + "), " + 4 * count + " bytes out");
    }

    /** Frees everything. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        deviceOut.close();
        deviceIn.close();
        stream.close();
        kernels.close();
        arena.close();
    }

    /** The kernel on the device, waited for. */
    @Benchmark
    public void device()
    {
        kernels.launch(deviceIn.address(), deviceOut.address(), count, plane, false, scale, offset, stream);
        stream.synchronize();
    }

    /** The host loop over the same bytes. */
    @Benchmark
    public void host()
    {
        NormalizeKernel.runOnHost(hostIn, hostOut, count, plane, false, scale, offset);
    }
}
