package dev.tiercache.policy;

import dev.tiercache.index.EntryIndex;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LruFifoPolicyTest
{
    @ParameterizedTest
    @ValueSource(strings = {"lru", "fifo"})
    void hits_equalLinkedHashMapReference_onRandomSkewedTraces(final String policy)
    {
        final long base = Long.getLong("tiercache.seed", new SplittableRandom().nextLong());
        for (int c = 0; c < 200; c++)
        {
            final long seed = base + c;
            final SplittableRandom random = new SplittableRandom(seed);
            final int capacity = 1 + random.nextInt(64);
            final int keySpace = 1 + random.nextInt(256);
            final long[] keys = new long[2000];
            for (int i = 0; i < keys.length; i++)
            {
                final int a = random.nextInt(keySpace);
                keys[i] = Math.min(a, random.nextInt(keySpace));
            }
            assertEquals(reference(keys, capacity, "lru".equals(policy)), PolicyReplay.hits(policy, capacity, keys),
                "seed=" + seed + " capacity=" + capacity + " (replay with -Dtiercache.seed=" + seed + ")");
        }
    }

    @Test
    void selectVictim_skipsSlotsThePredicateRejects()
    {
        try (EntryIndex index = new EntryIndex(4))
        {
            final EvictionPolicy lru = EvictionPolicies.create("lru", index, 4);
            final int a = index.insert(1);
            final int b = index.insert(2);
            final int c = index.insert(3);
            lru.onInsert(a);
            lru.onInsert(b);
            lru.onInsert(c);
            assertEquals(a, lru.selectVictim(slot -> true));
            lru.onAccess(a);
            assertEquals(b, lru.selectVictim(slot -> true));
            assertEquals(c, lru.selectVictim(slot -> slot != b));
            assertEquals(EvictionPolicy.NONE, lru.selectVictim(slot -> false));
            assertTrue(lru.admit(9, b));
        }
    }

    @Test
    void registry_namesThePolicies_andRejectsUnknown()
    {
        assertEquals(java.util.List.of("lru", "fifo", "wtinylfu", "default"), java.util.List.copyOf(EvictionPolicies.names()));
        try (EntryIndex index = new EntryIndex(4))
        {
            assertThrows(IllegalArgumentException.class, () -> EvictionPolicies.create("arc", index, 4));
            assertEquals("default", EvictionPolicies.create(EvictionPolicies.DEFAULT, index, 4).name());
        }
    }

    static long reference(final long[] keys, final int capacity, final boolean accessOrder)
    {
        final Map<Long, Boolean> cache = new LinkedHashMap<>(16, 0.75f, accessOrder)
        {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(final Map.Entry<Long, Boolean> eldest)
            {
                return size() > capacity;
            }
        };
        long hits = 0;
        for (final long key : keys)
        {
            if (cache.get(key) != null)
            {
                hits++;
            }
            else
            {
                cache.put(key, Boolean.TRUE);
            }
        }
        return hits;
    }
}
