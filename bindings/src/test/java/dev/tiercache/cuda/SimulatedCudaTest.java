package dev.tiercache.cuda;

import dev.tiercache.cuda.raw.cudart_h;
import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodType;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java face against the simulated {@code mx250}, through the real downcall handles. The
 * surefire configuration starts this JVM with {@code -Dtiercache.cudart=sim:mx250}.
 */
class SimulatedCudaTest
{
    private static final long SEED = Long.getLong("tiercache.seed", System.nanoTime());

    private SimulatedCuda sim;
    private CudaRuntime runtime;

    @BeforeEach
    void setUp()
    {
        assertEquals(CudaLibrary.Kind.SIMULATED, CudaLibrary.location().kind(), "tests expect -Dtiercache.cudart=sim:mx250");
        sim = SimulatedCuda.current();
        sim.reset(SimulatedDeviceProfile.MX250);
        runtime = CudaRuntime.open();
        assertTrue(runtime.isUsable(), () -> String.valueOf(runtime.unavailableReason()));
    }

    @AfterEach
    void noLeaks()
    {
        final String outstanding = sim.outstandingDescription();
        final Throwable internal = sim.lastInternalError();
        sim.reset(SimulatedDeviceProfile.MX250);
        assertEquals("", outstanding, "native resources left outstanding");
        assertNull(internal, "a stub caught an exception");
    }

    static LongStream sizes()
    {
        return LongStream.of(CopyRoundTrips.SIZES);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void synchronousCopies_roundTripRandomBytes(final long size)
    {
        System.out.println("seed=" + SEED + " (replay with -Dtiercache.seed=" + SEED + ")");
        CopyRoundTrips.synchronousRoundTrip(runtime, size, SEED + size);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void asynchronousCopies_roundTripRandomBytes(final long size)
    {
        System.out.println("seed=" + SEED + " (replay with -Dtiercache.seed=" + SEED + ")");
        CopyRoundTrips.asynchronousRoundTrip(runtime, size, SEED + size);
    }

    @Test
    void deviceInfo_reportsTheProfile()
    {
        final DeviceInfo info = runtime.deviceInfo(0);
        assertEquals("6.1", info.computeCapability());
        assertEquals(2L << 30, info.totalBytes());
        assertEquals((2L << 30) - (64L << 20), info.freeBytes());
        assertEquals("0000:02:00.0", info.pciBusId());
        assertEquals(3, info.multiProcessorCount());
        assertEquals(64, info.memoryBusWidthBits());
        assertEquals(12080, info.runtimeVersion());
        assertEquals(56.064e9, info.peakMemoryBandwidthBytesPerSecond(), 1e6);
        assertTrue(runtime.isSimulated());
    }

    @Test
    void allocationBeyondCapacity_isMemoryAllocationError()
    {
        final CudaException ex = assertThrows(CudaException.class, () -> runtime.allocateDevice(3L << 30));
        assertEquals(CudaError.MEMORY_ALLOCATION, ex.error());
        assertEquals(2, ex.code());
        assertTrue(ex.call().startsWith("cudaMalloc(size=3221225472"), ex.call());
        assertTrue(ex.getMessage().contains("out of memory"), ex.getMessage());

        final long free = runtime.memoryInfo()[0];
        try (DeviceBuffer all = runtime.allocateDevice(free))
        {
            assertEquals(0L, runtime.memoryInfo()[0]);
            assertThrows(CudaException.class, () -> runtime.allocateDevice(1));
            assertTrue(all.address() != 0);
        }
        assertEquals(free, runtime.memoryInfo()[0]);
    }

    @Test
    void injectedFault_surfacesWithCodeAndCall()
    {
        try (Arena arena = Arena.ofConfined(); DeviceBuffer buffer = runtime.allocateDevice(4096))
        {
            final MemorySegment host = arena.allocate(4096);
            sim.failNthCall("cudaMemcpy", 2, CudaError.UNKNOWN.code());
            buffer.copyFromHost(host, 0);
            final CudaException ex = assertThrows(CudaException.class, () -> buffer.copyFromHost(host, 0));
            assertEquals(CudaError.UNKNOWN, ex.error());
            assertTrue(ex.call().startsWith("cudaMemcpy("), ex.call());
            buffer.copyFromHost(host, 0);

            sim.failNthCall("cudaMalloc", 1, CudaError.MEMORY_ALLOCATION.code());
            assertEquals(CudaError.MEMORY_ALLOCATION, assertThrows(CudaException.class, () -> runtime.allocateDevice(16)).error());
        }
    }

    @Test
    void closeTwice_isSafe_andUseAfterClose_isClearException()
    {
        final DeviceBuffer device = runtime.allocateDevice(64);
        final PinnedBuffer pinned = runtime.allocatePinned(64, 0);
        final MemorySegment view = pinned.segment();
        final CudaStream stream = runtime.createStream(false);
        final CudaEvent event = runtime.createEvent(true);
        device.close();
        device.close();
        pinned.close();
        pinned.close();
        stream.close();
        stream.close();
        event.close();
        event.close();
        assertThrows(IllegalStateException.class, device::address);
        assertThrows(IllegalStateException.class, () -> device.copyToHost(0, view));
        assertThrows(IllegalStateException.class, pinned::segment);
        assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, stream::synchronize);
        assertThrows(IllegalStateException.class, () -> event.record(null));
    }

    @Test
    void copyOutsideBuffer_isRejectedBeforeTheNativeCall()
    {
        try (Arena arena = Arena.ofConfined(); DeviceBuffer buffer = runtime.allocateDevice(100))
        {
            final MemorySegment host = arena.allocate(64);
            final IndexOutOfBoundsException ex = assertThrows(IndexOutOfBoundsException.class, () -> buffer.copyFromHost(host, 50));
            assertTrue(ex.getMessage().contains("offset=50 bytes=64"), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> buffer.copyFromHost(MemorySegment.ofArray(new byte[4]), 0));
        }
    }

    @Test
    void devicePointers_areNotHostPointers_andUnknownFreeIsInvalidValue()
    {
        try (Arena arena = Arena.ofConfined(); DeviceBuffer buffer = runtime.allocateDevice(4096))
        {
            final MemorySegment host = arena.allocate(4096);
            // a device pointer passed where a host pointer belongs, and the reverse
            assertEquals(CudaError.INVALID_VALUE.code(), cudart_h.cudaMemcpy(
                MemorySegment.ofAddress(buffer.address()), host, 16, MemcpyKind.DEVICE_TO_HOST.value()));
            assertEquals(CudaError.INVALID_VALUE.code(), cudart_h.cudaMemcpy(
                host, MemorySegment.ofAddress(host.address()), 16, MemcpyKind.DEVICE_TO_HOST.value()));
            // past the end of the allocation
            assertEquals(CudaError.INVALID_VALUE.code(), cudart_h.cudaMemcpy(
                host, MemorySegment.ofAddress(buffer.address() + 4090), 16, MemcpyKind.DEVICE_TO_HOST.value()));
            assertEquals(CudaError.INVALID_VALUE.code(), cudart_h.cudaFree(MemorySegment.ofAddress(buffer.address() + 256)));
            assertEquals(CudaError.INVALID_VALUE.code(), cudart_h.cudaFree(host));
            // cudaMemcpyDefault infers the direction from the pointers
            runtime.copy(buffer.address(), host.address(), 16, MemcpyKind.DEFAULT);
            assertEquals(CudaError.INVALID_VALUE.code(), cudart_h.cudaGetLastError());
            assertEquals(0, cudart_h.cudaGetLastError());
        }
    }

    @Test
    void streamOrdering_fillThenCopiesRunInQueueOrder()
    {
        final int size = 1 << 20;
        try (PinnedBuffer host = runtime.allocatePinned(size, 0);
             DeviceBuffer device = runtime.allocateDevice(size);
             CudaStream stream = runtime.createStream(false))
        {
            final SplittableRandom random = new SplittableRandom(SEED);
            CopyRoundTrips.fillRandom(host.segment(), random);
            sim.emulateLink(true);
            for (int round = 0; round < 20; round++)
            {
                final int value = round;
                device.fillAsync(0, size, value, stream);
                device.copyToHostAsync(0, host.segment(), stream);
                stream.synchronize();
                assertEquals(-1L, host.segment().mismatch(Arena.ofAuto().allocate(size).fill((byte) value)), "round " + round);
            }
        }
    }

    @Test
    void events_measureElapsedTimeOfEmulatedLink()
    {
        final int size = 16 << 20;
        try (PinnedBuffer host = runtime.allocatePinned(size, 0);
             DeviceBuffer device = runtime.allocateDevice(size);
             CudaStream stream = runtime.createStream(true);
             CudaEvent start = runtime.createEvent(true);
             CudaEvent end = runtime.createEvent(true))
        {
            sim.emulateLink(true);
            start.record(stream);
            device.copyFromHostAsync(host.segment(), 0, stream);
            end.record(stream);
            end.synchronize();
            assertTrue(end.isComplete());
            final float millis = end.elapsedMillisSince(start);
            // 16 MiB over PCIe 3.0 x4 (3.94 GB/s) is 4.26 ms
            assertTrue(millis >= 4.0f && millis < 1000f, "elapsed=" + millis);
        }
    }

    @Test
    void eventQuery_isNotReadyWhileTheStreamIsBusy()
    {
        final int size = 64 << 20;
        try (PinnedBuffer host = runtime.allocatePinned(size, 0);
             DeviceBuffer device = runtime.allocateDevice(size);
             CudaStream stream = runtime.createStream(true);
             CudaEvent done = runtime.createEvent(false))
        {
            sim.emulateLink(true);
            device.copyFromHostAsync(host.segment(), 0, stream);
            done.record(stream);
            // 64 MiB at 3.94 GB/s takes 17 ms: the query right after queueing sees it in flight
            assertFalse(done.isComplete());
            done.synchronize();
            assertTrue(done.isComplete());
            final CudaException ex = assertThrows(CudaException.class, () -> done.elapsedMillisSince(done));
            assertEquals(CudaError.INVALID_RESOURCE_HANDLE, ex.error());
        }
    }

    @Test
    void hostRegistration_rejectsOverlapAndUnknownUnregister()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment host = arena.allocate(8192);
            try (HostRegistration registration = runtime.register(host, 0))
            {
                assertEquals(host, registration.segment());
                final CudaException ex = assertThrows(CudaException.class, () -> runtime.register(host.asSlice(4096), 0));
                assertEquals(CudaError.HOST_MEMORY_ALREADY_REGISTERED, ex.error());
            }
            assertEquals(CudaError.HOST_MEMORY_NOT_REGISTERED.code(), cudart_h.cudaHostUnregister(host));
        }
    }

    @Test
    void noDriverProfile_isUnavailableWithReason()
    {
        sim.reset(SimulatedDeviceProfile.NO_DRIVER);
        final CudaRuntime none = CudaRuntime.open();
        assertFalse(none.isUsable());
        assertEquals(CudaError.INSUFFICIENT_DRIVER, none.unavailableError());
        assertTrue(none.unavailableReason().contains("cudaErrorInsufficientDriver"), none.unavailableReason());
        assertTrue(none.unavailableReason().contains("no NVIDIA driver"), none.unavailableReason());
        assertThrows(IllegalStateException.class, () -> none.allocateDevice(1));

        sim.reset(SimulatedDeviceProfile.NO_DEVICE);
        assertEquals(CudaError.NO_DEVICE, CudaRuntime.open().unavailableError());

        sim.reset(SimulatedDeviceProfile.H100);
        final DeviceInfo h100 = CudaRuntime.open().deviceInfo(0);
        assertEquals("9.0", h100.computeCapability());
        assertEquals(80L << 30, h100.totalBytes());
    }

    @Test
    void stubDescriptors_matchTheBindings() throws ReflectiveOperationException
    {
        final Map<String, java.lang.foreign.FunctionDescriptor> stubs = SimulatedCuda.stubDescriptors();
        assertEquals(41, stubs.size());
        for (final Map.Entry<String, java.lang.foreign.FunctionDescriptor> entry : stubs.entrySet())
        {
            // runtime symbols start with "cuda", the driver API's with "cu" alone
            final Class<?> header = entry.getKey().startsWith("cuda") ? cudart_h.class : dev.tiercache.cuda.raw.cuda_h.class;
            final java.lang.foreign.FunctionDescriptor bound =
                (java.lang.foreign.FunctionDescriptor) header.getMethod(entry.getKey() + "$descriptor").invoke(null);
            final MethodType expected = bound.toMethodType();
            assertEquals(expected, entry.getValue().toMethodType(), entry.getKey());
        }
    }
}
