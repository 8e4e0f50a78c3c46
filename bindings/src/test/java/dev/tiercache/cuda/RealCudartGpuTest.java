package dev.tiercache.cuda;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The same round trips as on the simulated device, on a real GPU; skipped, with the reason
 * printed, where there is none.
 */
@Tag("cuda")
class RealCudartGpuTest
{
    private static final long SEED = Long.getLong("tiercache.seed", System.nanoTime());

    private static boolean reasonPrinted;

    private CudaRuntime runtime;

    @BeforeEach
    void requireGpu()
    {
        runtime = CudaRuntime.open();
        if (!runtime.isUsable() && !reasonPrinted)
        {
            reasonPrinted = true;
            System.out.println("cuda tests skipped: " + runtime.unavailableReason());
        }
        assumeTrue(runtime.isUsable(), () -> "skipped: no usable GPU: " + runtime.unavailableReason());
        assumeTrue(!runtime.isSimulated(), "skipped: simulated device");
    }

    static LongStream sizes()
    {
        return LongStream.of(CopyRoundTrips.SIZES);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void synchronousCopies_roundTripRandomBytes(final long size)
    {
        System.out.println("seed=" + SEED);
        CopyRoundTrips.synchronousRoundTrip(runtime, size, SEED + size);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void asynchronousCopies_roundTripRandomBytes(final long size)
    {
        System.out.println("seed=" + SEED);
        CopyRoundTrips.asynchronousRoundTrip(runtime, size, SEED + size);
    }

    @Test
    void deviceInfo_isPlausible()
    {
        final DeviceInfo info = runtime.deviceInfo(0);
        System.out.println(info);
        assertTrue(info.totalBytes() > 0 && info.freeBytes() <= info.totalBytes());
        assertTrue(info.computeMajor() >= 3);
        assertTrue(info.pciBusId().matches("[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\\.[0-9]"), info.pciBusId());
    }

    @Test
    void allocationBeyondDeviceMemory_isMemoryAllocationError()
    {
        final long total = runtime.memoryInfo()[1];
        final CudaException ex = assertThrows(CudaException.class, () -> runtime.allocateDevice(total * 2));
        assertEquals(CudaError.MEMORY_ALLOCATION, ex.error());
    }

    @Test
    void events_timeACopy()
    {
        final long size = 64L << 20;
        try (PinnedBuffer host = runtime.allocatePinned(size, 0);
             DeviceBuffer device = runtime.allocateDevice(size);
             CudaStream stream = runtime.createStream(true);
             CudaEvent start = runtime.createEvent(true);
             CudaEvent end = runtime.createEvent(true))
        {
            start.record(stream);
            device.copyFromHostAsync(host.segment(), 0, stream);
            end.record(stream);
            end.synchronize();
            final float millis = end.elapsedMillisSince(start);
            System.out.printf("64 MiB host-to-device: %.3f ms = %.2f GB/s%n", millis, size / (millis / 1e3) / 1e9);
            assertTrue(millis > 0);
        }
    }
}
