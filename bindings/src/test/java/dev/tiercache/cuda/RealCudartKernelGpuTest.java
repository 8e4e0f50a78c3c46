package dev.tiercache.cuda;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The normalisation kernels JIT-compiled from their sm_61 PTX by a real driver, held bit for bit to
 * the host reference, and their throughput printed against the device's memory bandwidth (printed,
 * never asserted: tests do not assert timings). Skipped, with the reason, where there is no GPU.
 */
@Tag("cuda")
class RealCudartKernelGpuTest
{
    private static final long SEED = Long.getLong("tiercache.seed", System.nanoTime());

    private CudaRuntime runtime;

    @BeforeEach
    void requireGpu()
    {
        runtime = CudaRuntime.open();
        assumeTrue(runtime.isUsable() && !runtime.isSimulated(), () -> "skipped: no real GPU: " + runtime.unavailableReason());
        assumeTrue(DeviceNormalizer.unavailableReason() == null, () -> "skipped: " + DeviceNormalizer.unavailableReason());
    }

    @Test
    void kernels_matchTheHostReference_andPrintTheirBandwidth()
    {
        System.out.println("seed=" + SEED);
        final SplittableRandom random = new SplittableRandom(SEED);
        final DeviceInfo info = runtime.deviceInfo(0);
        try (DeviceNormalizer kernels = DeviceNormalizer.load(runtime, 0); CudaStream stream = runtime.createStream(true);
             Arena arena = Arena.ofConfined())
        {
            final float[] scale = {1f / (255f * 0.229f), 1f / (255f * 0.224f), 1f / (255f * 0.225f)};
            final float[] offset = {-0.485f / 0.229f, -0.456f / 0.224f, -0.406f / 0.225f};
            for (final long images : new long[] {1, 7, 64, 256})
            {
                final long plane = 224L * 224;
                final long count = images * 3 * plane;
                final MemorySegment input = arena.allocate(count);
                for (long i = 0; i < count; i++)
                {
                    input.set(ValueLayout.JAVA_BYTE, i, (byte)random.nextInt(256));
                }
                for (final boolean f16 : new boolean[] {false, true})
                {
                    final long outBytes = count * (f16 ? 2 : 4);
                    final MemorySegment expected = arena.allocate(outBytes);
                    NormalizeKernel.runOnHost(input, expected, count, plane, f16, scale, offset);
                    final MemorySegment actual = arena.allocate(outBytes);
                    try (DeviceBuffer in = runtime.allocateDevice(count); DeviceBuffer out = runtime.allocateDevice(outBytes);
                         CudaEvent start = runtime.createEvent(true); CudaEvent end = runtime.createEvent(true))
                    {
                        in.copyFromHost(input, 0);
                        kernels.launch(in.address(), out.address(), count, plane, f16, scale, offset, stream);
                        stream.synchronize();
                        out.copyToHost(0, actual);
                        assertEquals(-1, actual.mismatch(expected), "images=" + images + ", f16=" + f16 + ", first difference at byte " +
                            actual.mismatch(expected));
                        final int repeats = 20;
                        start.record(stream);
                        for (int r = 0; r < repeats; r++)
                        {
                            kernels.launch(in.address(), out.address(), count, plane, f16, scale, offset, stream);
                        }
                        end.record(stream);
                        end.synchronize();
                        final double seconds = end.elapsedMillisSince(start) / 1e3 / repeats;
                        final double bytesPerSecond = (count + outBytes) / seconds;
                        final double peak = info.peakMemoryBandwidthBytesPerSecond();
                        System.out.printf(Locale.ROOT, "kernel %s, %d images (%.1f MiB in+out): %.1f us, %.1f GB/s = %.0f%% of %.1f GB/s%n",
                            f16 ? "u8->f16" : "u8->f32", images, (count + outBytes) / 1048576.0, seconds * 1e6, bytesPerSecond / 1e9,
                            100 * bytesPerSecond / peak, peak / 1e9);
                    }
                }
            }
        }
    }
}
