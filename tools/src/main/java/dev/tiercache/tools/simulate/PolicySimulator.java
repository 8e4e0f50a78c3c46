package dev.tiercache.tools.simulate;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.policy.EvictionPolicies;
import dev.tiercache.policy.EvictionPolicy;
import dev.tiercache.policy.LevelCapacity;

import java.util.function.IntPredicate;

/**
 * Replays a trace through one of the library's own {@link EvictionPolicy}s over a real
 * {@link EntryIndex}, driving them exactly as the cache does (see {@link EvictionPolicy}): what is
 * measured here is the code that runs in production, not a model of it.
 *
 * <p>Capacity counts entries, or bytes for a sized trace; a request larger than the capacity is
 * never admitted. A policy's refusal to admit leaves the candidate out (the victim stays). On a
 * sized trace the policy sees a level bounded by bytes, as the cache's L1 and L2 are: it estimates
 * the entries it holds from the capacity and the mean size of its residents (the first request's
 * size before it holds any), so uniform sizes replay exactly as the same trace counted in entries.
 */
public final class PolicySimulator
{
    private static final IntPredicate ANY = slot -> true;

    private PolicySimulator()
    {
    }

    /**
     * Replays the whole trace.
     *
     * @param trace    the requests.
     * @param policy   a name from {@link EvictionPolicies#names()}.
     * @param capacity entries, or bytes for a sized trace, {@code >= 1}.
     * @return the counts.
     */
    public static SimulationResult run(final Trace trace, final String policy, final long capacity)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("capacity=" + capacity + " < 1");
        }
        final int slots = (int)Math.max(1, Math.min(trace.isSized() ? trace.distinctKeys() : capacity, trace.distinctKeys()));
        try (EntryIndex index = new EntryIndex(slots))
        {
            final LevelCapacity bounds = trace.isSized() && trace.length() > 0
                ? LevelCapacity.ofBytes(capacity, slots, Math.max(1, trace.size(0)))
                : LevelCapacity.ofEntries(slots);
            final EvictionPolicy eviction = EvictionPolicies.create(policy, index, bounds);
            long used = 0;
            long hits = 0;
            long requestedBytes = 0;
            long hitBytes = 0;
            final int n = trace.length();
            for (int i = 0; i < n; i++)
            {
                final long key = trace.key(i);
                final long size = trace.size(i);
                requestedBytes += size;
                final int slot = index.find(key);
                if (slot >= 0)
                {
                    hits++;
                    hitBytes += size;
                    eviction.onAccess(slot);
                    continue;
                }
                eviction.onMiss(key);
                if (size > capacity)
                {
                    continue;
                }
                boolean admitted = true;
                boolean first = true;
                while (used + size > capacity || index.size() == slots)
                {
                    final int victim = eviction.selectVictim(ANY);
                    if (victim == EvictionPolicy.NONE || (first && !eviction.admit(key, victim)))
                    {
                        admitted = false;
                        break;
                    }
                    first = false;
                    used -= index.rawLength(victim);
                    eviction.onRemove(victim);
                    index.remove(victim);
                }
                if (admitted)
                {
                    final int inserted = index.insert(key);
                    index.rawLength(inserted, size);
                    used += size;
                    eviction.onInsert(inserted);
                }
            }
            return new SimulationResult(trace.name(), policy, capacity, n, hits, requestedBytes, hitBytes);
        }
    }
}
