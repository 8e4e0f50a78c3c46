package dev.tiercache.jcache;

import javax.cache.management.CacheStatisticsMXBean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The JCache statistics of one cache: striped counters, cleared by {@link #clear()}, and average
 * times in microseconds as the MXBean reports them.
 */
final class JCacheStatistics implements CacheStatisticsMXBean
{
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder puts = new LongAdder();
    private final LongAdder removals = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder getNanos = new LongAdder();
    private final LongAdder putNanos = new LongAdder();
    private final LongAdder removeNanos = new LongAdder();

    void hits(final long count)
    {
        hits.add(count);
    }

    void misses(final long count)
    {
        misses.add(count);
    }

    void puts(final long count)
    {
        puts.add(count);
    }

    void removals(final long count)
    {
        removals.add(count);
    }

    void evictions(final long count)
    {
        evictions.add(count);
    }

    void getNanos(final long nanos)
    {
        getNanos.add(nanos);
    }

    void putNanos(final long nanos)
    {
        putNanos.add(nanos);
    }

    void removeNanos(final long nanos)
    {
        removeNanos.add(nanos);
    }

    @Override
    public void clear()
    {
        hits.reset();
        misses.reset();
        puts.reset();
        removals.reset();
        evictions.reset();
        getNanos.reset();
        putNanos.reset();
        removeNanos.reset();
    }

    @Override
    public long getCacheHits()
    {
        return hits.sum();
    }

    @Override
    public float getCacheHitPercentage()
    {
        final long h = hits.sum();
        final long total = h + misses.sum();
        return total == 0 ? 0f : 100f * h / total;
    }

    @Override
    public long getCacheMisses()
    {
        return misses.sum();
    }

    @Override
    public float getCacheMissPercentage()
    {
        final long m = misses.sum();
        final long total = m + hits.sum();
        return total == 0 ? 0f : 100f * m / total;
    }

    @Override
    public long getCacheGets()
    {
        return hits.sum() + misses.sum();
    }

    @Override
    public long getCachePuts()
    {
        return puts.sum();
    }

    @Override
    public long getCacheRemovals()
    {
        return removals.sum();
    }

    @Override
    public long getCacheEvictions()
    {
        return evictions.sum();
    }

    @Override
    public float getAverageGetTime()
    {
        return averageMicros(getNanos.sum(), getCacheGets());
    }

    @Override
    public float getAveragePutTime()
    {
        return averageMicros(putNanos.sum(), puts.sum());
    }

    @Override
    public float getAverageRemoveTime()
    {
        return averageMicros(removeNanos.sum(), removals.sum());
    }

    private static float averageMicros(final long nanos, final long count)
    {
        return count == 0 ? 0f : nanos / 1000f / count;
    }
}
