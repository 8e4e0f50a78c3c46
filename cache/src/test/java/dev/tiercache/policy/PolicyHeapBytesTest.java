package dev.tiercache.policy;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.testing.ReachableArrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a policy says it holds on the heap ({@link EvictionPolicy#heapBytesByPart()}) is what
 * reflection finds in its arrays, at every step of a replay, and the sketch's share follows the
 * keys it counts.
 */
class PolicyHeapBytesTest
{
    private static final String INDEX_PACKAGE = "dev.tiercache.index";

    @Test
    void heapBytes_countsHeaderAndElements_roundedToEight()
    {
        assertEquals(16, HeapBytes.longs(0));
        assertEquals(24, HeapBytes.longs(1));
        assertEquals(16 + 8 * 4096, HeapBytes.longs(4096));
        assertEquals(24, HeapBytes.ints(2));
        assertEquals(32, HeapBytes.ints(3));
        assertEquals(32, HeapBytes.booleans(9));
        assertEquals(32, HeapBytes.references(3));
    }

    @ParameterizedTest(name = "{0} at {1} entries")
    @CsvSource({"default, 100", "default, 6000", "wtinylfu, 100", "wtinylfu, 6000", "lru, 1000", "fifo, 1000"})
    void reportedHeap_isWhatItsArraysHold_throughoutAReplay(final String name, final int capacity)
    {
        final long seed = 0x5EED_0000L + capacity;
        System.out.println("seed=" + seed);
        final SplittableRandom random = new SplittableRandom(seed);
        try (EntryIndex index = new EntryIndex(capacity))
        {
            final EvictionPolicy policy = EvictionPolicies.create(name, index, LevelCapacity.ofEntries(capacity));
            final IntPredicate any = slot -> true;
            for (int request = 0; request < 20 * capacity; request++)
            {
                // a skewed stream over four times the capacity: hits, misses and admission contests
                final long key = (long) (4.0 * capacity * Math.pow(random.nextDouble(), 3));
                final int slot = index.find(key);
                if (slot >= 0)
                {
                    policy.onAccess(slot);
                }
                else
                {
                    policy.onMiss(key);
                    if (index.size() == capacity)
                    {
                        final int victim = policy.selectVictim(any);
                        if (!policy.admit(key, victim))
                        {
                            continue;
                        }
                        policy.onRemove(victim);
                        index.remove(victim);
                    }
                    policy.onInsert(index.insert(key));
                }
                if (request % capacity == 0)
                {
                    assertMatchesArrays(policy, "request " + request);
                }
            }
            assertMatchesArrays(policy, "end");
        }
    }

    @Test
    void sketchHeap_isItsWidth_andGrowsWithTheKeysItCounts()
    {
        final FrequencySketch sketch = new FrequencySketch(4096);
        assertEquals(HeapBytes.longs(4096), sketch.heapBytes());
        final long before = sketch.heapBytes();
        for (long key = 0; key < 30_000; key++)
        {
            sketch.increment(key * 0x9E37_79B9_7F4A_7C15L);
        }
        assertTrue(sketch.heapBytes() > before, "a sketch crowded by 30 000 keys widened: " + sketch.heapBytes() + " bytes");
        assertEquals(HeapBytes.longs(sketch.width()), sketch.heapBytes());
        assertEquals(ReachableArrays.bytes(sketch), sketch.heapBytes());
    }

    @Test
    void shadowMap_neverResizes_andHasNoMoreBucketsThanThat()
    {
        for (int cacheCapacity = 1; cacheCapacity <= 1 << 22; cacheCapacity = cacheCapacity < 4096 ? cacheCapacity + 1 : cacheCapacity * 3 / 2)
        {
            final SampledLruShadow shadow = new SampledLruShadow(cacheCapacity);
            final int keys = shadow.capacity();
            final int threshold = shadow.mapResizeThreshold();
            assertTrue(threshold >= keys, "cacheCapacity=" + cacheCapacity + ": " + keys + " keys, resize threshold " + threshold);
            // half the buckets would resize: a threshold at most about twice what is needed, or the map's smallest (8 buckets, 5)
            assertTrue(threshold / 2 < keys || threshold == 5, "cacheCapacity=" + cacheCapacity + ": " + keys + " keys, resize threshold " + threshold);
        }
    }

    @Test
    void shadow_holdsAsManyKeysAsItsCapacity_withoutGrowing()
    {
        final SampledLruShadow shadow = new SampledLruShadow(1000);
        final long before = shadow.heapBytes();
        assertEquals(ReachableArrays.bytes(shadow), before);
        for (long key = 0; key < 10 * shadow.capacity(); key++)
        {
            shadow.access(key);
        }
        assertEquals(before, shadow.heapBytes(), "the map never resized");
        assertEquals(ReachableArrays.bytes(shadow), shadow.heapBytes());
    }

    private static void assertMatchesArrays(final EvictionPolicy policy, final String when)
    {
        long sum = 0;
        for (final Map.Entry<String, Long> part : policy.heapBytesByPart().entrySet())
        {
            assertTrue(part.getValue() > 0, when + ": " + part);
            sum += part.getValue();
        }
        assertEquals(sum, policy.heapBytes(), when + ": the parts add up");
        assertEquals(ReachableArrays.bytes(policy, INDEX_PACKAGE), policy.heapBytes(), when + ": " + policy.heapBytesByPart());
    }
}
