package dev.tiercache;

import dev.tiercache.policy.EvictionPolicy;
import dev.tiercache.policy.HeapBytes;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The heap of one cache's policies and buffers, structure by structure, each counted from the
 * lengths of the arrays it holds now (see {@link HeapBytes}): every level's policy by its parts
 * (sketches, shadow, aging duel), the promotion queue, the read and miss buffers and the meta
 * records' intern table. What the stores, the index and the slot table hold on the heap is
 * theirs to report and is not here. An exact count of the arrays, not a reading of the JVM's
 * heap, so a footprint report can say which structure holds what.
 */
final class HeapAccount
{
    private HeapAccount()
    {
    }

    /**
     * Counts. The caller holds the cache's lock.
     *
     * @param core  the cache's shared state.
     * @param drain its access drain, which holds the promotion queue.
     * @return bytes by structure, in a stable order: {@code "L1 policy: sketch"} and the like for
     *         each level's policy parts, then {@code "promotion queue"}, {@code "access buffer"},
     *         {@code "miss buffer"}, {@code "meta record table"}.
     */
    static Map<String, Long> of(final CacheCore core, final AccessDrain drain)
    {
        final Map<String, Long> parts = new LinkedHashMap<>();
        for (final Tier tier : Tier.values())
        {
            final EvictionPolicy policy = core.policies[tier.ordinal()];
            if (policy != null)
            {
                for (final Map.Entry<String, Long> part : policy.heapBytesByPart().entrySet())
                {
                    parts.put(tier.label() + " policy: " + part.getKey(), part.getValue());
                }
            }
        }
        parts.put("promotion queue", drain.heapBytes());
        parts.put("access buffer", core.accessEvents.heapBytes());
        parts.put("miss buffer", core.missEvents.heapBytes());
        parts.put("meta record table", core.metas.heapBytes());
        return parts;
    }

    /**
     * The sum of a breakdown.
     *
     * @param parts what {@link #of} returned.
     * @return bytes.
     */
    static long total(final Map<String, Long> parts)
    {
        long bytes = 0;
        for (final long part : parts.values())
        {
            bytes += part;
        }
        return bytes;
    }
}
