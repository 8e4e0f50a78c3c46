package dev.tiercache;

import dev.tiercache.cuda.CudaError;
import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cache's behaviour on the simulated mx250 (the surefire configuration selects it).
 */
class TierCacheTest
{
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;

    @TempDir
    Path dir;

    private SimulatedCuda sim;

    @BeforeEach
    void setUp()
    {
        dev.tiercache.cuda.CudaLibrary.location();
        sim = SimulatedCuda.current();
        sim.reset(SimulatedDeviceProfile.MX250);
    }

    @AfterEach
    void noLeaks()
    {
        final String outstanding = sim.outstandingDescription();
        sim.reset(SimulatedDeviceProfile.MX250);
        assertEquals("", outstanding, "native resources left after close");
    }

    static MemorySegment random(final long size, final long seed)
    {
        final MemorySegment segment = Arena.ofAuto().allocate(Math.max(1, size)).asSlice(0, size);
        final SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0; i < size; i++)
        {
            segment.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
        }
        return segment;
    }

    private TierCache.Builder small()
    {
        return TierCache.builder().deviceBytes(4 * MIB).hostBytes(4 * MIB).file(dir.resolve("l3.tc"), 16 * MIB)
            .fileRegionBytes(1 * MIB).maxEntries(4096);
    }

    @Test
    void put_thenGet_returnsTheBytesFromL2()
    {
        try (TierCache cache = small().build())
        {
            final MemorySegment value = random(100 * KIB, 1);
            assertEquals(Tier.HOST, cache.put(7L, value));
            try (EntryHandle handle = cache.get(7L))
            {
                assertNotNull(handle);
                assertEquals(Tier.HOST, handle.tier());
                assertEquals(1, handle.partCount());
                assertEquals(TensorSpec.bytes(100 * KIB), handle.spec(0));
                assertEquals(-1L, handle.segment(0).mismatch(value));
            }
            assertNull(cache.get(8L));
            final MemorySegment out = Arena.ofAuto().allocate(100 * KIB);
            assertEquals(100 * KIB, cache.getInto(7L, out));
            assertEquals(-1L, out.mismatch(value));
            assertEquals(TierCache.MISS, cache.getInto(9L, out));
        }
    }

    @Test
    void multiPartEntries_keepSpecsAndBytes_andDecodeU8ToFloat()
    {
        try (TierCache cache = small().build())
        {
            final byte[] pixels = {0, 1, (byte) 128, (byte) 255, 10, 20};
            final MemorySegment heat = random(4 * 6 * 4, 2);
            cache.put("sample-1", Part.of(TensorSpec.of(DType.U8, 2, 3), pixels), new Part(TensorSpec.of(DType.F32, 6, 4), heat));
            try (EntryHandle handle = cache.get("sample-1"))
            {
                assertEquals(2, handle.partCount());
                assertEquals(TensorSpec.of(DType.U8, 2, 3), handle.spec(0));
                assertEquals(TensorSpec.of(DType.F32, 6, 4), handle.spec(1));
                assertEquals(-1L, handle.segment(1).mismatch(heat));
                assertEquals(0, handle.segment(1).address() % 4, "float part is aligned");
                final MemorySegment floats = Arena.ofAuto().allocate(6 * 4);
                handle.readAsFloat(0, floats, 1f / 255f, -0.5f);
                assertEquals(-0.5f, floats.getAtIndex(ValueLayout.JAVA_FLOAT, 0), 1e-6);
                assertEquals(0.5f, floats.getAtIndex(ValueLayout.JAVA_FLOAT, 3), 1e-6);
                assertThrows(IllegalArgumentException.class, () -> handle.readAsFloat(1, floats, 1f, 0f));
            }
            assertNull(cache.get("sample-2"));
            assertTrue(cache.contains("sample-1"));
            assertTrue(cache.remove("sample-1"));
            assertFalse(cache.contains("sample-1"));
        }
    }

    @Test
    void hotEntries_arePromotedToDevice_byTheMover()
    {
        try (TierCache cache = small().build())
        {
            assertTrue(cache.hasDevice());
            final MemorySegment value = random(64 * KIB, 3);
            cache.put(1L, value);
            for (int i = 0; i < 4; i++)
            {
                cache.get(1L).close();
            }
            Tier tier = Tier.HOST;
            for (int i = 0; i < 500 && tier != Tier.DEVICE; i++)
            {
                try (EntryHandle handle = cache.get(1L))
                {
                    tier = handle.tier();
                }
                sleep(2);
            }
            assertEquals(Tier.DEVICE, tier);
            try (EntryHandle handle = cache.get(1L))
            {
                assertThrows(IllegalStateException.class, () -> handle.segment(0));
                final MemorySegment back = Arena.ofAuto().allocate(64 * KIB);
                handle.copyTo(0, back);
                assertEquals(-1L, back.mismatch(value));
                assertTrue(handle.devicePointer(0) != 0);
            }
            final LevelStats l2 = cache.stats().level(Tier.HOST);
            assertEquals(1, l2.promotions());
            assertEquals(64 * KIB, l2.bytesMovedUp());
        }
    }

    @Test
    void getOnDevice_bringsTheEntryToL1()
    {
        try (TierCache cache = small().build())
        {
            final MemorySegment value = random(10 * KIB, 4);
            cache.put(5L, value);
            try (EntryHandle handle = cache.getOnDevice(5L))
            {
                assertEquals(Tier.DEVICE, handle.tier());
                final MemorySegment back = Arena.ofAuto().allocate(10 * KIB);
                handle.copyTo(0, back);
                assertEquals(-1L, back.mismatch(value));
            }
            assertNull(cache.getOnDevice(6L));
        }
    }

    @Test
    void fullHost_demotesToFile_andFileHitsReadBack()
    {
        try (TierCache cache = small().hostPolicy("lru").build())
        {
            for (long k = 0; k < 12; k++)
            {
                cache.put(k, random(512 * KIB, k));
            }
            final CacheStats stats = cache.stats();
            assertTrue(stats.level(Tier.HOST).evictions() > 0, stats.toString());
            assertTrue(stats.level(Tier.FILE).entries() > 0, stats.toString());
            for (long k = 0; k < 12; k++)
            {
                try (EntryHandle handle = cache.get(k))
                {
                    assertNotNull(handle, "key " + k);
                    assertEquals(-1L, handle.segment(0).mismatch(random(512 * KIB, k)), "key " + k + " from " + handle.tier());
                }
            }
        }
    }

    @Test
    void tooLargeForEveryLevel_isRejectedWithTheSizes()
    {
        try (TierCache cache = small().build())
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> cache.put(1L, random(8 * MIB, 5)));
            assertTrue(ex.getMessage().contains("8388608 bytes is larger than every level"), ex.getMessage());
            assertEquals(1, cache.stats().rejected());
        }
        try (TierCache cache = small().file(null, 0).build())
        {
            assertThrows(IllegalArgumentException.class, () -> cache.put(1L, random(5 * MIB, 5)));
        }
    }

    @Test
    void entryTooLargeForL2_goesToL3()
    {
        try (TierCache cache = small().maxEntryBytes(Tier.HOST, 64 * KIB).build())
        {
            assertEquals(Tier.FILE, cache.put(1L, random(128 * KIB, 6)));
            try (EntryHandle handle = cache.get(1L))
            {
                assertEquals(Tier.FILE, handle.tier());
                assertEquals(-1L, handle.segment(0).mismatch(random(128 * KIB, 6)));
            }
        }
    }

    @Test
    void leases_keepBytesAliveAcrossRemoveAndOverwrite()
    {
        try (TierCache cache = small().build())
        {
            final MemorySegment first = random(32 * KIB, 7);
            cache.put(1L, first);
            final EntryHandle handle = cache.get(1L);
            assertTrue(cache.remove(1L));
            cache.put(1L, random(32 * KIB, 8));
            for (long k = 2; k < 200; k++)
            {
                cache.put(k, random(32 * KIB, 7 + k));
            }
            assertEquals(-1L, handle.segment(0).mismatch(first), "leased bytes were reused");
            handle.close();
            handle.close();
            assertThrows(IllegalStateException.class, () -> handle.segment(0));
        }
    }

    @Test
    void reopen_recoversWhatTheFileHolds()
    {
        final Path path = dir.resolve("warm.tc");
        try (TierCache cache = small().file(path, 16 * MIB).build())
        {
            for (long k = 0; k < 20; k++)
            {
                cache.put(k, random(100 * KIB, 100 + k));
            }
            cache.put("named", Part.blob(random(1000, 99)));
        }
        try (TierCache cache = small().file(path, 16 * MIB).build())
        {
            assertEquals(21, cache.size());
            for (long k = 0; k < 20; k++)
            {
                try (EntryHandle handle = cache.get(k))
                {
                    assertNotNull(handle, "key " + k);
                    assertEquals(-1L, handle.segment(0).mismatch(random(100 * KIB, 100 + k)));
                }
            }
            try (EntryHandle handle = cache.get("named"))
            {
                assertEquals(-1L, handle.segment(0).mismatch(random(1000, 99)));
            }
        }
    }

    @Test
    void withoutGpu_l1IsOffWithTheReason_andEverythingElseWorks()
    {
        sim.reset(SimulatedDeviceProfile.NO_DRIVER);
        try (TierCache cache = small().build())
        {
            assertFalse(cache.hasDevice());
            final LevelStats l1 = cache.stats().level(Tier.DEVICE);
            assertFalse(l1.enabled());
            assertTrue(l1.toString().contains("cudaErrorInsufficientDriver"), l1.toString());
            cache.put(1L, random(1000, 1));
            try (EntryHandle handle = cache.get(1L))
            {
                assertEquals(Tier.HOST, handle.tier());
            }
            assertThrows(IllegalStateException.class, () -> cache.getOnDevice(1L));
        }
    }

    @Test
    void injectedCudaFailureDuringPromotion_leavesTheEntryReadable()
    {
        try (TierCache cache = small().build())
        {
            final MemorySegment value = random(16 * KIB, 11);
            cache.put(1L, value);
            sim.failNthCall("cudaMemcpyAsync", 1, CudaError.UNKNOWN.code());
            assertThrows(IllegalStateException.class, () -> cache.getOnDevice(1L));
            try (EntryHandle handle = cache.get(1L))
            {
                assertEquals(Tier.HOST, handle.tier());
                assertEquals(-1L, handle.segment(0).mismatch(value));
            }
            sim.failNthCall("cudaMemcpyAsync", 1, CudaError.UNKNOWN.code());
            for (int i = 0; i < 6; i++)
            {
                cache.get(1L).close();
            }
            sleep(50);
            try (EntryHandle handle = cache.get(1L))
            {
                final MemorySegment back = Arena.ofAuto().allocate(16 * KIB);
                handle.copyTo(0, back);
                assertEquals(-1L, back.mismatch(value));
            }
        }
    }

    @Test
    void injectedAllocationFailures_turnL1OffOrUnpinL2_andNothingLeaks()
    {
        sim.failNthCall("cudaMalloc", 1, CudaError.MEMORY_ALLOCATION.code());
        try (TierCache cache = small().build())
        {
            assertFalse(cache.hasDevice());
            assertTrue(cache.stats().level(Tier.DEVICE).disabledReason().contains("cannot allocate the device arena"),
                cache.stats().level(Tier.DEVICE).disabledReason());
            cache.put(1L, random(1000, 1));
            try (EntryHandle handle = cache.get(1L))
            {
                assertEquals(Tier.HOST, handle.tier());
            }
        }
        sim.failNthCall("cudaHostAlloc", 1, CudaError.MEMORY_ALLOCATION.code());
        try (TierCache cache = small().build())
        {
            assertTrue(cache.hasDevice());
            cache.put(1L, random(1000, 1));
            try (EntryHandle handle = cache.getOnDevice(1L))
            {
                assertEquals(Tier.DEVICE, handle.tier());
            }
        }
    }

    @Test
    void stats_lineHasTheSeedFormat()
    {
        final LevelStats stats = new LevelStats(Tier.DEVICE, true, null, 1024L * 1024 * 1024, (long) (846.2 * 1024 * 1024), 421, 1337,
            953, 0, 0, 0, 0, 0, 0, 0);
        assertEquals("L1 (device) - Usage: 846.2/1024.0MiB (82.6%), Items: 421, Accesses: 1337, Hit rate: 71.3%", stats.toString());
        final LevelStats file = new LevelStats(Tier.FILE, true, null, 64L << 20, 12L << 20, 100, 50, 25, 0, 0, 0, 0, 0, 0, 3L << 20);
        assertEquals("L3 (file) - Usage: 12.0/64.0MiB (18.8%) live, 3.0MiB dead awaiting reclaim, Items: 100, Accesses: 50, Hit rate: 50.0%",
            file.toString());
    }

    @Test
    void builder_namesTheBadKeyAndValue()
    {
        assertEquals("cache.memory_size = -1: must be more than 0 bytes (builder hostBytes)",
            assertThrows(IllegalArgumentException.class, () -> TierCache.builder().hostBytes(-1).build()).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TierCache.builder().hostPolicy("nope").build())
            .getMessage().startsWith("cache.memory.policy = nope: must be one of"));
        assertEquals("cache.device.headroom = 1.5: must be in [0, 1) (builder deviceHeadroom)",
            assertThrows(IllegalArgumentException.class, () -> TierCache.builder().deviceHeadroom(1.5).build()).getMessage());
    }

    @Test
    void closeTwice_isSafe_andUseAfterClose_isClear()
    {
        final TierCache cache = small().build();
        cache.put(1L, random(10, 1));
        cache.close();
        cache.close();
        assertThrows(IllegalStateException.class, () -> cache.get(1L));
    }

    @Test
    void ttl_expiresEntries()
    {
        try (TierCache cache = small().ttl(java.time.Duration.ofMillis(200)).build())
        {
            final long before = System.nanoTime();
            cache.put(1L, random(100, 1));
            final boolean present = cache.contains(1L);
            // a loaded machine may stall longer than the TTL between the put and the look
            if (System.nanoTime() - before < 100_000_000)
            {
                assertTrue(present);
            }
            sleep(250);
            assertNull(cache.get(1L));
            assertFalse(cache.contains(1L));
        }
    }

    @Test
    void idleEntries_areDemotedByTheMover()
    {
        try (TierCache cache = small().demoteAfterIdle(java.time.Duration.ofMillis(5)).cleanupInterval(java.time.Duration.ofMillis(2)).build())
        {
            final MemorySegment value = random(10 * KIB, 12);
            cache.put(1L, value);
            long demoted = 0;
            for (int i = 0; i < 500 && demoted == 0; i++)
            {
                sleep(2);
                demoted = cache.stats().level(Tier.HOST).demotions();
            }
            assertEquals(1, demoted);
            assertEquals(1, cache.stats().level(Tier.FILE).entries());
            try (EntryHandle handle = cache.get(1L))
            {
                assertEquals(Tier.FILE, handle.tier());
                assertEquals(-1L, handle.segment(0).mismatch(value));
            }
        }
    }

    @Test
    void statistics_areAnMXBean() throws Exception
    {
        try (TierCache cache = small().name("mbean-test").build())
        {
            cache.put(1L, random(1000, 1));
            cache.get(1L).close();
            assertNull(cache.get(2L));
            final javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
            final javax.management.ObjectName name = new javax.management.ObjectName("dev.tiercache:type=TierCache,name=\"mbean-test\"");
            assertEquals(2L, server.getAttribute(name, "Accesses"));
            assertEquals(1L, server.getAttribute(name, "Hits"));
            final String[] lines = (String[]) server.getAttribute(name, "LevelSummaries");
            assertTrue(lines[1].startsWith("L2 (host) - Usage: "), lines[1]);
            assertEquals(3, ((long[]) server.getAttribute(name, "CapacityBytes")).length);
        }
        assertFalse(java.lang.management.ManagementFactory.getPlatformMBeanServer().isRegistered(
            new javax.management.ObjectName("dev.tiercache:type=TierCache,name=\"mbean-test\"")));
    }

    @Test
    void aSecondCacheOfTheSameName_exportsItsStatisticsUnderAUniqueName() throws Exception
    {
        final javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        try (TierCache first = TierCache.builder().hostBytes(1 << 20).maxEntries(64).name("twin").build();
             TierCache second = TierCache.builder().hostBytes(1 << 20).maxEntries(64).name("twin").build())
        {
            second.put(1L, random(100, 1));
            second.get(1L).close();
            assertEquals(0L, server.getAttribute(new javax.management.ObjectName("dev.tiercache:type=TierCache,name=\"twin\""), "Accesses"));
            assertEquals(1L, server.getAttribute(new javax.management.ObjectName("dev.tiercache:type=TierCache,name=\"twin-2\""), "Accesses"));
            assertEquals("twin", first.name());
        }
        assertFalse(server.isRegistered(new javax.management.ObjectName("dev.tiercache:type=TierCache,name=\"twin-2\"")));
    }

    @Test
    void getWithLoader_loadsOnAMissOnly()
    {
        try (TierCache cache = small().build())
        {
            final int[] loads = new int[1];
            final TierCache.Loader loader = key ->
            {
                loads[0]++;
                return new Part[] {Part.blob(random(500, key))};
            };
            try (EntryHandle first = cache.get(3L, loader); EntryHandle second = cache.get(3L, loader))
            {
                assertEquals(-1L, first.segment(0).mismatch(random(500, 3)));
                assertEquals(-1L, second.segment(0).mismatch(random(500, 3)));
            }
            assertEquals(1, loads[0]);
        }
    }

    static void sleep(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
