package dev.tiercache.tools.simulate;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * Replays a trace through Caffeine itself, the peer whose W-TinyLFU (with its hill-climbing
 * window) the library's default is compared with: a bounded {@code Cache} of the same capacity,
 * in entries, or in bytes with a weigher for a sized trace, a {@code getIfPresent} per request and
 * a {@code put} on a miss. Maintenance runs on the calling thread ({@code executor(Runnable::run)}),
 * so no read or write is dropped from its buffers and a replay depends only on the trace, apart
 * from Caffeine's own random admission of a small share of warm candidates (its defence against
 * hash flooding), which moves results between runs by a few hundredths of a point on large
 * traces and by up to about a point on the small LIRS ones (cpp at 61 entries: 62.52 % and
 * 61.81 %; loop at 101: 6.39 % and 7.36 %).
 *
 * <p>Heap: Caffeine keeps one node per resident key on the heap (about 100 bytes).
 */
public final class CaffeineSimulator
{
    /** Name under which {@code tiercache simulate} offers it. */
    public static final String NAME = "caffeine";

    private CaffeineSimulator()
    {
    }

    /**
     * Replays the whole trace.
     *
     * @param trace    the requests.
     * @param capacity entries, or bytes for a sized trace, {@code >= 1}.
     * @return the counts.
     */
    public static SimulationResult run(final Trace trace, final long capacity)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("capacity=" + capacity + " < 1");
        }
        final Caffeine<Object, Object> builder = Caffeine.newBuilder().executor(Runnable::run);
        final Cache<Long, Long> cache = trace.isSized()
            ? builder.maximumWeight(capacity).<Long, Long>weigher((key, size) -> (int)Math.min(Integer.MAX_VALUE, size)).build()
            : builder.maximumSize(capacity).build();
        long hits = 0;
        long requestedBytes = 0;
        long hitBytes = 0;
        final int n = trace.length();
        for (int i = 0; i < n; i++)
        {
            final Long key = trace.key(i);
            final long size = trace.size(i);
            requestedBytes += size;
            if (cache.getIfPresent(key) != null)
            {
                hits++;
                hitBytes += size;
            }
            else if (size <= capacity)
            {
                cache.put(key, size);
            }
        }
        cache.invalidateAll();
        cache.cleanUp();
        return new SimulationResult(trace.name(), NAME, capacity, n, hits, requestedBytes, hitBytes);
    }
}
