package dev.tiercache;

import dev.tiercache.cuda.CudaLibrary;
import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code getInto} of a {@code long} key served from L2 allocates nothing once warm: the index
 * lookup, the policy's bookkeeping, the lease and the copy all work on primitives and off-heap
 * memory. Measured with the JVM's per-thread allocation counter, not timed.
 */
class TierCacheAllocationTest
{
    @Test
    void getIntoFromL2_allocatesNothingWhenWarm() throws Exception
    {
        CudaLibrary.location();
        SimulatedCuda.current().reset(SimulatedDeviceProfile.MX250);
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(8 << 20).maxEntries(1024).build();
             Arena arena = Arena.ofConfined())
        {
            final MemorySegment value = arena.allocate(64 * 1024);
            final MemorySegment out = arena.allocate(64 * 1024);
            for (long k = 0; k < 64; k++)
            {
                cache.put(k, value);
            }
            long sink = 0;
            for (int i = 0; i < 200_000; i++)
            {
                sink += cache.getInto(i & 63, out);
            }
            final int n = 100_000;
            final long before = threadAllocatedBytes();
            for (int i = 0; i < n; i++)
            {
                sink += cache.getInto(i & 63, out);
            }
            final long allocated = threadAllocatedBytes() - before;
            System.out.println("getInto L2 hit: " + allocated + " bytes allocated over " + n + " calls (sink " + sink + ")");
            assertTrue(allocated < n / 10, "allocated " + allocated + " bytes over " + n + " hits");
            assertEquals(n + 200_000, cache.stats().level(Tier.HOST).hits());
        }
    }

    @Test
    void reusedHandleOnAnL2Hit_allocatesNothingWhenWarm() throws Exception
    {
        CudaLibrary.location();
        SimulatedCuda.current().reset(SimulatedDeviceProfile.MX250);
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(8 << 20).maxEntries(1024).build();
             Arena arena = Arena.ofConfined())
        {
            final MemorySegment value = arena.allocate(4096);
            final MemorySegment out = arena.allocate(4096);
            for (long k = 0; k < 64; k++)
            {
                cache.put(k, value);
            }
            final EntryHandle handle = new EntryHandle();
            long sink = 0;
            for (int i = 0; i < 200_000; i++)
            {
                sink += readThrough(cache, handle, i & 63, out);
            }
            final int n = 100_000;
            final long before = threadAllocatedBytes();
            for (int i = 0; i < n; i++)
            {
                sink += readThrough(cache, handle, i & 63, out);
            }
            final long allocated = threadAllocatedBytes() - before;
            System.out.println("get(key, handle) L2 hit: " + allocated + " bytes allocated over " + n + " calls (sink " + sink + ")");
            assertTrue(allocated < n / 10, "allocated " + allocated + " bytes over " + n + " hits");
        }
    }

    private static long readThrough(final TierCache cache, final EntryHandle handle, final long key, final MemorySegment out)
    {
        if (!cache.get(key, handle))
        {
            return 0;
        }
        try (handle)
        {
            handle.copyTo(0, out);
            return handle.partByteSize(0);
        }
    }

    /** Through the platform MBean server: the module does not read {@code jdk.management}. */
    private static long threadAllocatedBytes() throws Exception
    {
        return (Long) ManagementFactory.getPlatformMBeanServer()
            .getAttribute(new ObjectName(ManagementFactory.THREAD_MXBEAN_NAME), "CurrentThreadAllocatedBytes");
    }
}
