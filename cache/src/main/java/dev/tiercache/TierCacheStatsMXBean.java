package dev.tiercache;

import java.util.function.ToLongFunction;

/**
 * The JMX face of a cache's statistics, registered by the cache as
 * {@code dev.tiercache:type=TierCache,name=NAME}. Each attribute reads a fresh {@link CacheStats}
 * snapshot.
 */
final class TierCacheStatsMXBean implements TierCacheMXBean
{
    private final TierCache cache;

    TierCacheStatsMXBean(final TierCache cache)
    {
        this.cache = cache;
    }

    @Override
    public long getAccesses()
    {
        return cache.stats().accesses();
    }

    @Override
    public long getHits()
    {
        return cache.stats().hits();
    }

    @Override
    public double getHitRate()
    {
        return cache.stats().hitRate();
    }

    @Override
    public String[] getLevelSummaries()
    {
        return cache.stats().levels().stream().map(LevelStats::toString).toArray(String[]::new);
    }

    @Override
    public long[] getCapacityBytes()
    {
        return perLevel(LevelStats::capacityBytes);
    }

    @Override
    public long[] getUsedBytes()
    {
        return perLevel(LevelStats::usedBytes);
    }

    @Override
    public long[] getEntries()
    {
        return perLevel(LevelStats::entries);
    }

    @Override
    public long[] getLevelHits()
    {
        return perLevel(LevelStats::hits);
    }

    @Override
    public long[] getLevelAccesses()
    {
        return perLevel(LevelStats::accesses);
    }

    @Override
    public long[] getEvictions()
    {
        return perLevel(LevelStats::evictions);
    }

    @Override
    public long[] getPromotions()
    {
        return perLevel(LevelStats::promotions);
    }

    @Override
    public long[] getDemotions()
    {
        return perLevel(LevelStats::demotions);
    }

    @Override
    public long[] getBytesMovedUp()
    {
        return perLevel(LevelStats::bytesMovedUp);
    }

    @Override
    public long[] getBytesMovedDown()
    {
        return perLevel(LevelStats::bytesMovedDown);
    }

    private long[] perLevel(final ToLongFunction<LevelStats> figure)
    {
        return cache.stats().levels().stream().mapToLong(figure).toArray();
    }

    @Override
    public long getCorruptSkipped()
    {
        return cache.stats().level(Tier.FILE).corruptSkipped();
    }
}
