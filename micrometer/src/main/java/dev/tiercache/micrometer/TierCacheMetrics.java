package dev.tiercache.micrometer;

import dev.tiercache.CacheStats;
import dev.tiercache.LevelStats;
import dev.tiercache.Tier;
import dev.tiercache.TierCache;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Objects;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The figures of {@link TierCache#stats()} as Micrometer meters, named as Micrometer names its
 * cache meters ({@code cache.gets}, {@code cache.size}, {@code cache.evictions}, {@code cache.puts})
 * and tagged with {@code cache} (the cache's name), the caller's tags and, for everything a level
 * counts, {@code level} ({@code L1}, {@code L2}, {@code L3}).
 *
 * <pre>
 * meter                      type     tags                 what
 * cache.gets                 counter  level, result=hit    lookups served from the level
 * cache.gets                 counter  level, result=miss   lookups that reached the level and missed it
 * cache.size                 gauge    level                entries held
 * cache.evictions            counter  level                entries moved out (L3: dropped) to make room
 * cache.promotions           counter  level                entries moved up out of the level
 * cache.demotions            counter  level                entries moved down out of the level
 * cache.moved (bytes)        counter  level, direction     bytes moved out of the level, up or down
 * cache.level.used (bytes)   gauge    level                bytes held, alignment included
 * cache.level.capacity (bytes) gauge  level                bytes the level may hold
 * cache.corrupt.skipped      counter  level=L3             file entries found corrupt and skipped
 * cache.puts                 counter                       entries stored
 * cache.puts.rejected        counter                       entries larger than every level
 * </pre>
 *
 * <h2>Reading the levels</h2>
 * A lookup goes down the levels until one serves it, so a lookup served from L3 is a miss for L1
 * and L2. Summing {@code cache.gets{result=hit}} over the levels gives the cache's hits; the cache's
 * misses are the lowest level's misses. Only levels that are on when {@link #bindTo} runs get meters
 * (without a GPU there is no L1; a level that is off stays off).
 *
 * <h2>Cost</h2>
 * Each meter read takes one {@link TierCache#stats()} snapshot (the cache's writer lock for a few
 * hundred nanoseconds and one small allocation); a scrape reads a few dozen meters. The meters hold
 * the cache weakly, as Micrometer's own cache binders do: a collected cache reads as NaN and the
 * binder never keeps a closed cache's memory alive.
 */
public final class TierCacheMetrics implements MeterBinder
{
    /** Tag naming the level: {@code L1}, {@code L2}, {@code L3}. */
    public static final String LEVEL_TAG = "level";
    /** Tag naming the cache. */
    public static final String CACHE_TAG = "cache";

    private final TierCache cache;
    private final Tags tags;

    /**
     * A binder for one cache.
     *
     * @param cache the cache.
     * @param tags  extra tags for every meter.
     */
    public TierCacheMetrics(final TierCache cache, final Iterable<Tag> tags)
    {
        this.cache = Objects.requireNonNull(cache, "cache");
        this.tags = Tags.concat(tags, CACHE_TAG, cache.name());
    }

    /**
     * Binds a cache's meters to a registry.
     *
     * @param registry the registry.
     * @param cache    the cache.
     * @param tags     extra tags, as key-value pairs.
     * @return the cache.
     */
    public static TierCache monitor(final MeterRegistry registry, final TierCache cache, final String... tags)
    {
        new TierCacheMetrics(cache, Tags.of(tags)).bindTo(registry);
        return cache;
    }

    @Override
    public void bindTo(final MeterRegistry registry)
    {
        final CacheStats initial = cache.stats();
        for (final Tier tier : Tier.values())
        {
            if (initial.level(tier).enabled())
            {
                bindLevel(registry, tier);
            }
        }
        FunctionCounter.builder("cache.puts", cache, c -> c.stats().puts())
            .tags(tags).description("Entries stored").register(registry);
        FunctionCounter.builder("cache.puts.rejected", cache, c -> c.stats().rejected())
            .tags(tags).description("Entries refused: larger than every level may hold").register(registry);
    }

    private void bindLevel(final MeterRegistry registry, final Tier tier)
    {
        final Tags levelTags = tags.and(LEVEL_TAG, tier.label());
        counter(registry, "cache.gets", levelTags.and("result", "hit"), tier, LevelStats::hits,
            "Lookups served from this level");
        counter(registry, "cache.gets", levelTags.and("result", "miss"), tier, LevelStats::misses,
            "Lookups that reached this level and were not served by it");
        gauge(registry, "cache.size", levelTags, tier, LevelStats::entries, null, "Entries held in this level");
        counter(registry, "cache.evictions", levelTags, tier, LevelStats::evictions,
            "Entries moved out of this level (dropped, for the lowest) to make room");
        counter(registry, "cache.promotions", levelTags, tier, LevelStats::promotions, "Entries moved up out of this level");
        counter(registry, "cache.demotions", levelTags, tier, LevelStats::demotions, "Entries moved down out of this level");
        FunctionCounter.builder("cache.moved", cache, c -> c.stats().level(tier).bytesMovedUp())
            .tags(levelTags.and("direction", "up")).baseUnit(BaseUnits.BYTES)
            .description("Bytes promoted out of this level").register(registry);
        FunctionCounter.builder("cache.moved", cache, c -> c.stats().level(tier).bytesMovedDown())
            .tags(levelTags.and("direction", "down")).baseUnit(BaseUnits.BYTES)
            .description("Bytes demoted out of this level").register(registry);
        gauge(registry, "cache.level.used", levelTags, tier, LevelStats::usedBytes, BaseUnits.BYTES,
            "Bytes held in this level, alignment included");
        gauge(registry, "cache.level.capacity", levelTags, tier, LevelStats::capacityBytes, BaseUnits.BYTES,
            "Bytes this level may hold");
        if (tier == Tier.FILE)
        {
            counter(registry, "cache.corrupt.skipped", levelTags, tier, LevelStats::corruptSkipped,
                "File entries found corrupt (checksum, torn write) and skipped, never returned");
        }
    }

    private void counter(final MeterRegistry registry, final String name, final Tags meterTags, final Tier tier,
        final ToLongFunction<LevelStats> figure, final String description)
    {
        final ToDoubleFunction<TierCache> read = c -> figure.applyAsLong(c.stats().level(tier));
        FunctionCounter.builder(name, cache, read).tags(meterTags).description(description).register(registry);
    }

    private void gauge(final MeterRegistry registry, final String name, final Tags meterTags, final Tier tier,
        final ToLongFunction<LevelStats> figure, final String baseUnit, final String description)
    {
        final ToDoubleFunction<TierCache> read = c -> figure.applyAsLong(c.stats().level(tier));
        Gauge.builder(name, cache, read).tags(meterTags).baseUnit(baseUnit).description(description).register(registry);
    }
}
