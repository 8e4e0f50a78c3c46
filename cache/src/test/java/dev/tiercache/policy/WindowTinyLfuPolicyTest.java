package dev.tiercache.policy;

import dev.tiercache.index.EntryIndex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WindowTinyLfuPolicyTest
{
    @Test
    void defaultPolicy_onShuffledEpochs_keepsAStableResidentSet()
    {
        final int samples = 5000;
        final int epochs = 5;
        final int capacity = 1000;
        final long[] keys = PolicyReplay.epochs(samples, epochs, 1);
        final long optimum = (long)(epochs - 1) * capacity;
        final long lru = PolicyReplay.hits("lru", capacity, keys);
        final long standard = PolicyReplay.hits(EvictionPolicies.DEFAULT, capacity, keys);
        assertTrue(lru < optimum / 5, "lru=" + lru);
        assertTrue(standard >= optimum * 9 / 10, "default=" + standard + " < 90% of optimum=" + optimum);
    }

    @Test
    void defaultPolicy_onRecencyOnlyTrace_followsLru()
    {
        final SplittableRandom random = new SplittableRandom(7);
        final long[] keys = new long[200_000];
        long next = 0;
        for (int i = 0; i < keys.length; i++)
        {
            keys[i] = random.nextInt(3) == 0 ? next++ : next - 1 - random.nextInt((int)Math.min(next, 300) + 1);
        }
        final long lru = PolicyReplay.hits("lru", 500, keys);
        final long standard = PolicyReplay.hits(EvictionPolicies.DEFAULT, 500, keys);
        assertTrue(standard >= lru * 97 / 100, "default=" + standard + " lru=" + lru);
    }

    @ParameterizedTest
    @ValueSource(strings = {"wtinylfu", "default"})
    void onLoopLargerThanCapacity_beatsLru(final String policy)
    {
        final long[] keys = new long[100_000];
        for (int i = 0; i < keys.length; i++)
        {
            keys[i] = i % 1000;
        }
        assertEquals(0, PolicyReplay.hits("lru", 500, keys));
        assertTrue(PolicyReplay.hits(policy, 500, keys) > keys.length / 4);
    }

    @Test
    void margin_keepsTheResidentOnTies()
    {
        try (EntryIndex index = new EntryIndex(4))
        {
            final WindowTinyLfuPolicy tinyLfu = new WindowTinyLfuPolicy("t", index, 4, 0, 1, false);
            final int victim = index.insert(1);
            tinyLfu.onInsert(victim);
            tinyLfu.onAccess(victim);
            tinyLfu.onMiss(2);
            assertEquals(1, tinyLfu.frequency(1));
            assertFalse(tinyLfu.admit(2, victim));
            tinyLfu.onMiss(2);
            assertFalse(tinyLfu.admit(2, victim));
            tinyLfu.onMiss(2);
            assertTrue(tinyLfu.admit(2, victim));
        }
    }

    @Test
    void randomTraffic_withLeases_keepsPolicyAndIndexInStep()
    {
        final long seed = Long.getLong("tiercache.seed", new SplittableRandom().nextLong());
        final SplittableRandom random = new SplittableRandom(seed);
        for (final String name : EvictionPolicies.names())
        {
            try (EntryIndex index = new EntryIndex(32))
            {
                final EvictionPolicy policy = EvictionPolicies.create(name, index, 32);
                for (int i = 0; i < 20_000; i++)
                {
                    final long key = random.nextInt(100);
                    final int slot = index.find(key);
                    if (slot >= 0)
                    {
                        policy.onAccess(slot);
                        if (random.nextInt(8) == 0)
                        {
                            index.incrementLease(slot);
                        }
                        else if (index.leaseCount(slot) > 0)
                        {
                            index.decrementLease(slot);
                        }
                        continue;
                    }
                    policy.onMiss(key);
                    if (index.size() == index.capacity())
                    {
                        final int victim = policy.selectVictim(s -> index.leaseCount(s) == 0);
                        if (victim == EvictionPolicy.NONE || !policy.admit(key, victim))
                        {
                            continue;
                        }
                        assertEquals(0, index.leaseCount(victim), "seed=" + seed + " policy=" + name);
                        policy.onRemove(victim);
                        index.remove(victim);
                    }
                    policy.onInsert(index.insert(key));
                    assertEquals(index.size(), policy.size(), "seed=" + seed + " policy=" + name);
                }
            }
        }
    }
}
