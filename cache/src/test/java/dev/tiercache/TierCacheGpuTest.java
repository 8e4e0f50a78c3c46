package dev.tiercache;

import dev.tiercache.cuda.CudaRuntime;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The whole hierarchy on a real GPU, in the surefire execution {@code real-cudart} (no simulated
 * device); skipped, with the reason printed, where there is none.
 */
@Tag("cuda")
class TierCacheGpuTest
{
    @TempDir
    Path dir;

    @Test
    void entriesMoveThroughAllThreeLevelsOnARealGpu()
    {
        final CudaRuntime runtime = CudaRuntime.open();
        if (!runtime.isUsable())
        {
            System.out.println("cuda tests skipped: " + runtime.unavailableReason());
        }
        assumeTrue(runtime.isUsable() && !runtime.isSimulated(), () -> "skipped: no usable real GPU: " + runtime.unavailableReason());
        final long size = 1 << 20;
        try (TierCache cache = TierCache.builder().deviceBytes(64L << 20).hostBytes(32L << 20).file(dir.resolve("gpu.tc"), 256L << 20)
            .fileRegionBytes(16L << 20).build();
             Arena arena = Arena.ofConfined())
        {
            assertTrue(cache.hasDevice(), cache.stats().toString());
            for (long key = 0; key < 120; key++)
            {
                cache.put(key, TierCacheTest.random(size, key));
            }
            final MemorySegment back = arena.allocate(size);
            for (long key = 0; key < 120; key += 7)
            {
                try (EntryHandle handle = cache.getOnDevice(key))
                {
                    assertEquals(Tier.DEVICE, handle.tier());
                    handle.copyTo(0, back);
                    assertEquals(-1L, back.mismatch(TierCacheTest.random(size, key)), "key " + key);
                }
            }
            for (long key = 0; key < 120; key++)
            {
                assertEquals(size, cache.getInto(key, back));
                assertEquals(-1L, back.mismatch(TierCacheTest.random(size, key)), "key " + key);
            }
            System.out.println(cache.stats());
        }
    }
}
