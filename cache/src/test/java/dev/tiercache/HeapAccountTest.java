package dev.tiercache;

import dev.tiercache.policy.EvictionPolicy;
import dev.tiercache.policy.HeapBytes;
import dev.tiercache.testing.ReachableArrays;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Field;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cache's heap account ({@link TierCache#heapBytes()}) is what reflection finds in the arrays
 * of the structures it names, and it grows as the cache fills. It is not compared with the JVM's
 * heap reading, which also holds the stores, the index, the classes and the collector's rounding.
 */
class HeapAccountTest
{
    private static final String[] COUNTED_ELSEWHERE = {"dev.tiercache.index", "dev.tiercache.store"};

    @Test
    void account_isWhatTheStructuresArraysHold() throws ReflectiveOperationException
    {
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(8L << 20).maxEntries(1 << 14).build();
             Arena arena = Arena.ofConfined())
        {
            fill(cache, arena, 1 << 14);
            final Map<String, Long> parts = cache.heapBytes();
            final CacheCore core = (CacheCore) field(cache, "core");
            long policies = 0;
            for (final Tier tier : Tier.values())
            {
                final EvictionPolicy policy = core.policies[tier.ordinal()];
                final long reported = parts.entrySet().stream()
                    .filter(part -> part.getKey().startsWith(tier.label() + " policy: "))
                    .mapToLong(Map.Entry::getValue).sum();
                assertEquals(ReachableArrays.bytes(policy, COUNTED_ELSEWHERE), reported, tier.label() + " policy: " + parts);
                policies += reported;
            }
            assertTrue(policies > 0, "the L2 policy holds a sketch");
            final long[] queue = (long[]) field(field(cache, "accessDrain"), "pendingPromotions");
            assertEquals(HeapBytes.longs(queue.length), parts.get("promotion queue"));
            assertEquals(ReachableArrays.bytes(core.accessEvents, COUNTED_ELSEWHERE), parts.get("access buffer"));
            assertEquals(ReachableArrays.bytes(core.missEvents, COUNTED_ELSEWHERE), parts.get("miss buffer"));
            assertEquals(ReachableArrays.bytes(core.metas, COUNTED_ELSEWHERE), parts.get("meta record table"));
            assertEquals(policies + parts.get("promotion queue") + parts.get("access buffer") + parts.get("miss buffer") +
                parts.get("meta record table"), HeapAccount.total(parts), parts.toString());
        }
    }

    @Test
    void account_growsWithTheEntriesHeld()
    {
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(16L << 20).maxEntries(1 << 16).build();
             Arena arena = Arena.ofConfined())
        {
            final Map<String, Long> empty = cache.heapBytes();
            fill(cache, arena, 1 << 16);
            final Map<String, Long> full = cache.heapBytes();
            // L2's sketch is sized by the entries L2 holds: from the first guess (64 KiB entries) to 65 536
            assertTrue(full.get("L2 policy: sketch") >= 8L * (1 << 16), "full: " + full);
            assertTrue(full.get("L2 policy: sketch") > 4 * empty.get("L2 policy: sketch"), "empty: " + empty + ", full: " + full);
            assertTrue(HeapAccount.total(full) > HeapAccount.total(empty), "empty: " + empty + ", full: " + full);
        }
    }

    @Test
    void account_afterBuild_doesNotScaleWithMaxEntries()
    {
        final Map<String, Long> small;
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(8L << 20).maxEntries(1 << 12).build())
        {
            small = cache.heapBytes();
        }
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(8L << 20).maxEntries(1 << 20).build())
        {
            // nothing is presized for maxEntries: the same level bytes give the same structures
            assertEquals(small, cache.heapBytes());
        }
    }

    @Test
    void levelThatIsOff_holdsNoSketchForMaxEntries() throws ReflectiveOperationException
    {
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(8L << 20).maxEntries(1 << 18).build();
             Arena arena = Arena.ofConfined())
        {
            fill(cache, arena, 1 << 12);
            try (EntryHandle handle = cache.get(7L))
            {
                assertTrue(handle != null, "key 7 is cached");
            }
            final Map<String, Long> parts = cache.heapBytes();
            final long l1 = parts.entrySet().stream().filter(part -> part.getKey().startsWith("L1 ")).mapToLong(Map.Entry::getValue).sum();
            // sized for one entry: the smallest sketch (4096 longs) and the aging duel's fixed arrays, not 2^18 longs
            assertTrue(l1 < 64 * 1024, "L1 is off, yet its policy holds " + l1 + " bytes: " + parts);
            final CacheCore core = (CacheCore) field(cache, "core");
            assertEquals(0, core.policies[Tier.DEVICE.ordinal()].size(), "L1 is off: its policy holds no slot");
        }
    }

    private static void fill(final TierCache cache, final Arena arena, final int entries)
    {
        final MemorySegment value = arena.allocate(8);
        for (long key = 0; key < entries; key++)
        {
            value.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, key);
            cache.put(key, value);
        }
        assertEquals(entries, cache.size(), "every entry fits");
    }

    private static Object field(final Object owner, final String name) throws ReflectiveOperationException
    {
        final Field field = owner.getClass().getDeclaredField(name);
        field.setAccessible(true);
        return field.get(owner);
    }
}
