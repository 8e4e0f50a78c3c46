package dev.tiercache.store;

import dev.tiercache.cuda.CudaError;
import dev.tiercache.cuda.CudaException;
import dev.tiercache.cuda.CudaLibrary;
import dev.tiercache.cuda.CudaRuntime;
import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * L1 and L2 on the simulated mx250, and the transfers between them and the file: random round
 * trips at many sizes and offsets, full stores, the sizing rules with the device's 2 GiB and the
 * headroom, injected CUDA failures, and nothing outstanding after close.
 */
class DeviceAndHostStoreTest
{
    private static final long MIB = 1L << 20;
    private static final long SEED = Long.getLong("tiercache.seed", System.nanoTime());

    @TempDir
    Path dir;

    private SimulatedCuda sim;
    private CudaRuntime runtime;

    @BeforeEach
    void setUp()
    {
        CudaLibrary.location();
        sim = SimulatedCuda.current();
        sim.reset(SimulatedDeviceProfile.MX250);
        runtime = CudaRuntime.open();
    }

    @AfterEach
    void nothingOutstanding()
    {
        final String outstanding = sim.outstandingDescription();
        sim.reset(SimulatedDeviceProfile.MX250);
        assertEquals("", outstanding);
    }

    private static MemorySegment random(final Arena arena, final long size, final long seed)
    {
        final MemorySegment segment = arena.allocate(size + 3).asSlice(3, size);
        final SplittableRandom random = new SplittableRandom(seed);
        long i = 0;
        for (; i + 8 <= size; i += 8)
        {
            segment.set(ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong());
        }
        for (; i < size; i++)
        {
            segment.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
        }
        return segment;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 3, 4096, 65_537, 1 << 20, 8 << 20, 64 << 20})
    void hostAndDevice_roundTripRandomBytes(final long size)
    {
        System.out.println("seed=" + SEED);
        try (Arena arena = Arena.ofConfined();
             HostStore host = HostStore.create(runtime, 130 * MIB, 64);
             DeviceStore device = DeviceStore.create(runtime, new DeviceStore.Plan(130 * MIB, "test"), 256);
             Transfers transfers = new Transfers(runtime))
        {
            assertTrue(host.isPinned());
            final MemorySegment source = random(arena, size, SEED + size);
            final long hostBlock = host.allocate(size);
            final long deviceBlock = device.allocate(size);
            host.view(hostBlock, size).copyFrom(source);
            transfers.hostToDevice(host.view(hostBlock, size), device, deviceBlock);
            final long back = host.allocate(size);
            transfers.deviceToHost(device, deviceBlock, host.view(back, size));
            assertEquals(-1L, host.view(back, size).mismatch(source), "size=" + size + " seed=" + SEED);
            final MemorySegment out = arena.allocate(size);
            transfers.hostToHost(host.view(back, size), out);
            assertEquals(-1L, out.mismatch(source));
        }
    }

    @Test
    void withoutRuntime_hostStoreIsPlainOffHeap_andFullIsAResult()
    {
        try (HostStore host = HostStore.create(null, 1 * MIB, 64))
        {
            assertFalse(host.isPinned());
            final long first = host.allocate(MIB / 2);
            final long second = host.allocate(MIB / 2);
            assertTrue(first != SpaceAllocator.FULL && second != SpaceAllocator.FULL);
            assertEquals(SpaceAllocator.FULL, host.allocate(1));
            host.free(first);
            assertEquals(first, host.allocate(MIB / 2));
            assertEquals(MIB, host.usedBytes());
        }
    }

    @Test
    void devicePlan_respectsFreeMemoryHeadroomAndVramLimit()
    {
        final long[] memory = runtime.memoryInfo();
        assertEquals(2L << 30, memory[1]);
        final long free = memory[0];
        final DeviceStore.Plan plan = DeviceStore.plan(4L << 30, free, memory[1], 0.25, 0);
        assertEquals(free - (512 * MIB), plan.bytes());
        assertTrue(plan.reason().contains("headroom"), plan.reason());
        assertEquals(512 * MIB, DeviceStore.plan(512 * MIB, free, memory[1], 0.25, 0).bytes());
        final DeviceStore.Plan limited = DeviceStore.plan(1L << 30, free, memory[1], 0.25, 300 * MIB);
        assertEquals(300 * MIB, limited.bytes());
        assertTrue(limited.reason().startsWith("VRAM limit"), limited.reason());
        assertEquals(0, DeviceStore.plan(1L << 30, 100 * MIB, memory[1], 0.25, 0).bytes());
        assertThrows(IllegalArgumentException.class, () -> DeviceStore.plan(1, 1, 1, 1.0, 0));

        try (DeviceStore device = DeviceStore.create(runtime, plan, 256))
        {
            assertEquals(plan.bytes(), device.capacity());
            assertThrows(CudaException.class, () -> runtime.allocateDevice(600 * MIB), "the headroom stays free for others only up to the device's size");
            assertEquals(SpaceAllocator.FULL, device.allocate(plan.bytes() + 1));
        }
    }

    @Test
    void injectedCudaFailures_surfaceAndLeaveNothingBehind()
    {
        sim.failNthCall("cudaMalloc", 1, CudaError.MEMORY_ALLOCATION.code());
        final CudaException malloc = assertThrows(CudaException.class,
            () -> DeviceStore.create(runtime, new DeviceStore.Plan(MIB, "test"), 256));
        assertEquals(CudaError.MEMORY_ALLOCATION, malloc.error());

        try (HostStore host = HostStore.create(runtime, MIB, 64);
             DeviceStore device = DeviceStore.create(runtime, new DeviceStore.Plan(MIB, "test"), 256);
             Transfers transfers = new Transfers(runtime))
        {
            final long block = host.allocate(4096);
            sim.failNthCall("cudaMemcpyAsync", 1, CudaError.UNKNOWN.code());
            final CudaException copy = assertThrows(CudaException.class, () -> transfers.hostToDevice(host.view(block, 4096), device, 0));
            assertEquals(CudaError.UNKNOWN, copy.error());
            transfers.hostToDevice(host.view(block, 4096), device, 0);
        }
    }

    @Test
    void fileToDevice_isStagedThroughThePinnedArena()
    {
        try (Arena arena = Arena.ofConfined();
             HostStore host = HostStore.create(runtime, 4 * MIB, 64);
             DeviceStore device = DeviceStore.create(runtime, new DeviceStore.Plan(4 * MIB, "test"), 256);
             Transfers transfers = new Transfers(runtime);
             FileStore file = FileStore.open(FileStoreConfig.builder(dir.resolve("l3.tc")).regionSizeBytes(4 * MIB).regionCount(4)
                 .codecs(Codecs.lz4()).build()))
        {
            final MemorySegment sparse = arena.allocate(2 * MIB);
            sparse.set(ValueLayout.JAVA_LONG, 1000, 42);
            final MemorySegment key = arena.allocate(8);
            final long location = file.append(7, key, key, sparse, Codecs.lz4());
            final long target = device.allocate(2 * MIB);
            assertEquals(2 * MIB, transfers.fileToDevice(file, location, FileStore.ANY_SEQUENCE, 2 * MIB, host, device, target));
            assertEquals(0, host.usedBytes(), "the staging block went back");
            final MemorySegment back = arena.allocate(2 * MIB);
            transfers.deviceToHost(device, target, back);
            assertEquals(-1L, back.mismatch(sparse));

            // staging that does not fit the pinned arena falls back to pageable memory
            final long hog = host.allocate(4 * MIB);
            assertEquals(2 * MIB, transfers.fileToDevice(file, location, FileStore.ANY_SEQUENCE, 2 * MIB, host, device, target));
            host.free(hog);
        }
    }
}
