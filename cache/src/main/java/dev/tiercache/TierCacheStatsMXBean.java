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

    @Override
    public String getRemoteSummary()
    {
        final RemoteStats remote = cache.remoteStats();
        return remote == null ? "none" : remote.toString();
    }

    @Override
    public boolean isRemoteOn()
    {
        final RemoteStats remote = cache.remoteStats();
        return remote != null && remote.on();
    }

    private long remote(final ToLongFunction<RemoteStats> figure)
    {
        final RemoteStats remote = cache.remoteStats();
        return remote == null ? 0 : figure.applyAsLong(remote);
    }

    @Override
    public long getRemoteLookups()
    {
        return remote(RemoteStats::lookups);
    }

    @Override
    public long getRemoteHits()
    {
        return remote(RemoteStats::hits);
    }

    @Override
    public long getRemoteCorrupt()
    {
        return remote(RemoteStats::corrupt);
    }

    @Override
    public long getRemoteErrors()
    {
        return remote(RemoteStats::errors);
    }

    @Override
    public long getRemoteBytesIn()
    {
        return remote(RemoteStats::bytesIn);
    }

    @Override
    public long getRemoteBytesOut()
    {
        return remote(RemoteStats::bytesOut);
    }

    @Override
    public long getRemoteDropped()
    {
        return remote(RemoteStats::dropped);
    }

    @Override
    public long getRemoteMeanRoundTripNanos()
    {
        return remote(RemoteStats::meanRoundTripNanos);
    }

    @Override
    public long getRemoteMaxRoundTripNanos()
    {
        return remote(RemoteStats::maxRoundTripNanos);
    }

    @Override
    public long getRemoteMaxReadRoundTripBytes()
    {
        return remote(RemoteStats::maxReadRoundTripBytes);
    }
}
