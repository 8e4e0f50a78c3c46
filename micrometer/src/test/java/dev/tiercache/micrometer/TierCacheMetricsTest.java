package dev.tiercache.micrometer;

import dev.tiercache.CacheStats;
import dev.tiercache.EntryHandle;
import dev.tiercache.Tier;
import dev.tiercache.TierCache;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The binder against a real cache: L1 on the simulated device the surefire configuration selects,
 * L2 in host memory, L3 in a temporary file. The periodic duty is pushed out of the test's way so
 * the figures change only through the test's own calls.
 */
class TierCacheMetricsTest
{
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;

    @TempDir
    Path dir;

    private TierCache smallCache()
    {
        return TierCache.builder().name("metrics-" + System.nanoTime()).deviceBytes(4 * MIB).hostBytes(1 * MIB)
            .file(dir.resolve("l3.tc"), 16 * MIB).fileRegionBytes(1 * MIB).maxEntries(1024)
            .cleanupInterval(java.time.Duration.ofHours(1)).demoteAfterIdle(java.time.Duration.ofHours(1))
            .promoteToHostAfter(1_000).promoteToDeviceAfter(1_000).build();
    }

    private static MemorySegment blob(final Arena arena, final long size, final int fill)
    {
        return arena.allocate(size).fill((byte) fill);
    }

    private static double counter(final MeterRegistry registry, final String name, final String... tags)
    {
        final FunctionCounter counter = registry.find(name).tags(tags).functionCounter();
        assertNotNull(counter, name + " " + List.of(tags));
        return counter.count();
    }

    private static double gauge(final MeterRegistry registry, final String name, final String... tags)
    {
        final Gauge gauge = registry.find(name).tags(tags).gauge();
        assertNotNull(gauge, name + " " + List.of(tags));
        return gauge.value();
    }

    @Test
    void everyLevelMeter_readsTheCachesOwnStatistics()
    {
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TierCache cache = smallCache(); Arena arena = Arena.ofConfined())
        {
            TierCacheMetrics.monitor(registry, cache, "app", "test");
            // 40 x 64 KiB into a 1 MiB L2: most of them are evicted down to L3
            for (long key = 0; key < 40; key++)
            {
                cache.put(key, blob(arena, 64 * KIB, (int) key));
            }
            long fileKey = -1;
            for (long key = 0; key < 40; key++)
            {
                try (EntryHandle hit = cache.get(key))
                {
                    assertNotNull(hit, "key=" + key);
                    fileKey = hit.tier() == Tier.FILE ? key : fileKey;
                }
            }
            assertNull(cache.get(1_000L));
            assertTrue(fileKey >= 0, "some entry must be in L3");
            for (int i = 0; i < 3; i++)
            {
                cache.get(fileKey).close(); // more often asked for than any L2 resident, so it wins L2's admission
            }
            assertEquals(Tier.HOST, cache.promoteToHost(fileKey));

            final CacheStats stats = cache.stats();
            for (final Tier tier : Tier.values())
            {
                final String level = tier.label();
                final var figures = stats.level(tier);
                assertTrue(figures.enabled(), level);
                assertEquals(figures.hits(), counter(registry, "cache.gets", "level", level, "result", "hit"), level);
                assertEquals(figures.misses(), counter(registry, "cache.gets", "level", level, "result", "miss"), level);
                assertEquals(figures.entries(), gauge(registry, "cache.size", "level", level), level);
                assertEquals(figures.evictions(), counter(registry, "cache.evictions", "level", level), level);
                assertEquals(figures.promotions(), counter(registry, "cache.promotions", "level", level), level);
                assertEquals(figures.demotions(), counter(registry, "cache.demotions", "level", level), level);
                assertEquals(figures.bytesMovedUp(), counter(registry, "cache.moved", "level", level, "direction", "up"), level);
                assertEquals(figures.bytesMovedDown(), counter(registry, "cache.moved", "level", level, "direction", "down"), level);
                assertEquals(figures.usedBytes(), gauge(registry, "cache.level.used", "level", level), level);
                assertEquals(figures.capacityBytes(), gauge(registry, "cache.level.capacity", "level", level), level);
            }
            assertEquals(stats.level(Tier.FILE).corruptSkipped(), counter(registry, "cache.corrupt.skipped", "level", "L3"));
            assertEquals(40, counter(registry, "cache.puts"));
            assertEquals(0, counter(registry, "cache.puts.rejected"));

            // the workload really moved things, so the equalities above compared something
            assertTrue(stats.level(Tier.FILE).entries() > 0, stats.toString());
            assertTrue(stats.level(Tier.HOST).evictions() + stats.level(Tier.HOST).demotions() > 0, stats.toString());
            assertTrue(stats.level(Tier.FILE).hits() > 0, stats.toString());
            assertTrue(stats.level(Tier.FILE).promotions() > 0, stats.toString());
            assertEquals(cache.size(), gauge(registry, "cache.size", "level", "L1") + gauge(registry, "cache.size", "level", "L2")
                + gauge(registry, "cache.size", "level", "L3"));
        }
    }

    @Test
    void hitsSummedOverLevels_areTheCachesHits_andTheLowestLevelsMisses_itsMisses()
    {
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TierCache cache = smallCache(); Arena arena = Arena.ofConfined())
        {
            new TierCacheMetrics(cache, Tags.empty()).bindTo(registry);
            for (long key = 0; key < 30; key++)
            {
                cache.put(key, blob(arena, 64 * KIB, 7));
            }
            for (long key = 0; key < 45; key++)
            {
                try (EntryHandle hit = cache.get(key))
                {
                    assertEquals(key < 30, hit != null, "key=" + key);
                }
            }
            final double hits = registry.find("cache.gets").tag("result", "hit").functionCounters().stream()
                .mapToDouble(FunctionCounter::count).sum();
            assertEquals(30, hits);
            assertEquals(15, counter(registry, "cache.gets", "level", "L3", "result", "miss"));
            assertEquals(cache.stats().misses(), counter(registry, "cache.gets", "level", "L3", "result", "miss"));
        }
    }

    @Test
    void everyMeter_carriesTheCacheName_andTheCallersTags()
    {
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TierCache cache = smallCache())
        {
            TierCacheMetrics.monitor(registry, cache, "app", "trainer");
            final Set<String> names = new HashSet<>();
            for (final Meter meter : registry.getMeters())
            {
                assertEquals(cache.name(), meter.getId().getTag("cache"), meter.getId().toString());
                assertEquals("trainer", meter.getId().getTag("app"), meter.getId().toString());
                names.add(meter.getId().getName());
            }
            assertEquals(Set.of("cache.gets", "cache.size", "cache.evictions", "cache.promotions", "cache.demotions",
                "cache.moved", "cache.level.used", "cache.level.capacity", "cache.corrupt.skipped", "cache.puts",
                "cache.puts.rejected"), names);
            assertEquals(3, registry.find("cache.size").gauges().size());
        }
    }

    @Test
    void aLevelThatIsOff_getsNoMeters()
    {
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(1 * MIB).build())
        {
            TierCacheMetrics.monitor(registry, cache);
            assertNull(registry.find("cache.size").tag("level", "L1").gauge());
            assertNull(registry.find("cache.size").tag("level", "L3").gauge());
            assertNotNull(registry.find("cache.size").tag("level", "L2").gauge());
        }
    }

    @Test
    void aClosedCache_readsAsEmpty_andDoesNotThrow()
    {
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final TierCache cache = smallCache();
        TierCacheMetrics.monitor(registry, cache);
        try (Arena arena = Arena.ofConfined())
        {
            cache.put(1L, blob(arena, 4 * KIB, 1));
        }
        cache.close();
        assertEquals(0, gauge(registry, "cache.level.used", "level", "L2"));
        assertEquals(1, counter(registry, "cache.puts"));
    }
}
