package dev.tiercache.policy;

import dev.tiercache.index.EntryIndex;

import java.util.function.IntPredicate;

/** Drives a policy over an index the way the cache does, counting hits; for tests. */
final class PolicyReplay
{
    private PolicyReplay()
    {
    }

    static long hits(final String policyName, final int capacity, final long[] keys)
    {
        return hits((index, levelCapacity) -> EvictionPolicies.create(policyName, index, levelCapacity), capacity, keys);
    }

    static long hits(final EvictionPolicies.Factory factory, final int capacity, final long[] keys)
    {
        try (EntryIndex index = new EntryIndex(capacity))
        {
            final EvictionPolicy policy = factory.create(index, LevelCapacity.ofEntries(capacity));
            final IntPredicate any = slot -> true;
            long hits = 0;
            for (final long key : keys)
            {
                final int slot = index.find(key);
                if (slot >= 0)
                {
                    hits++;
                    policy.onAccess(slot);
                    continue;
                }
                policy.onMiss(key);
                if (index.size() == capacity)
                {
                    final int victim = policy.selectVictim(any);
                    if (victim == EvictionPolicy.NONE || !policy.admit(key, victim))
                    {
                        continue;
                    }
                    policy.onRemove(victim);
                    index.remove(victim);
                }
                policy.onInsert(index.insert(key));
                if (policy.size() != index.size())
                {
                    throw new AssertionError("policy.size=" + policy.size() + " != index.size=" + index.size());
                }
            }
            return hits;
        }
    }

    static long[] epochs(final int samples, final int epochs, final long seed)
    {
        final java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        final long[] keys = new long[samples * epochs];
        final long[] order = new long[samples];
        for (int i = 0; i < samples; i++)
        {
            order[i] = i;
        }
        for (int e = 0; e < epochs; e++)
        {
            for (int i = samples - 1; i > 0; i--)
            {
                final int j = random.nextInt(i + 1);
                final long t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            System.arraycopy(order, 0, keys, e * samples, samples);
        }
        return keys;
    }
}
