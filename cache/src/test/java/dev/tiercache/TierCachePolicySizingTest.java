package dev.tiercache;

import dev.tiercache.policy.WindowTinyLfuPolicy;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Field;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A level's frequency policy is sized by the entries that level holds, not by the cache's
 * {@code maxEntries}: a cache of 65 536 entries whose L2 holds 4 MiB of 4 KiB entries sizes L2's
 * sketch and shadow for about 1024.
 */
class TierCachePolicySizingTest
{
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;

    @Test
    void hostPolicy_isSizedByTheLevelsBytes_notByMaxEntries() throws ReflectiveOperationException
    {
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(4 * MIB).maxEntries(1 << 16).build();
             Arena arena = Arena.ofConfined())
        {
            final MemorySegment value = arena.allocate(4 * KIB);
            for (long key = 0; key < 3000; key++)
            {
                cache.put(key, value);
            }
            final Field core = TierCache.class.getDeclaredField("core");
            core.setAccessible(true);
            final WindowTinyLfuPolicy host = (WindowTinyLfuPolicy)((CacheCore)core.get(cache)).policies[Tier.HOST.ordinal()];
            final int expected = host.expectedEntries();
            assertTrue(Math.abs(expected - 1024) <= 256, "L2 policy sized for " + expected + " entries; L2 holds about 1024");
        }
    }
}
