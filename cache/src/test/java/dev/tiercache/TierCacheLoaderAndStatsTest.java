package dev.tiercache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.tiercache.TierCacheRegressionTest.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code get(key, loader)}: single flight, loaders that throw or return null, and one count per
 * lookup; and the identities the statistics keep on any workload.
 */
@org.junit.jupiter.api.extension.ExtendWith(dev.tiercache.testing.SimulatedMx250.class)
class TierCacheLoaderAndStatsTest
{
    @TempDir
    Path dir;


    private TierCache open()
    {
        return TierCache.builder().deviceBytes(256 << 10).hostBytes(1 << 20).file(dir.resolve("l3.tc"), 16 << 20)
            .fileRegionBytes(1 << 20).maxEntries(2048).build();
    }

    /**
     * {@code usedBytes} answers what the snapshot says, level by level, as entries come and go;
     * {@code adviseWillNeed} is given for an entry in L3 only.
     */
    @Test
    void usedBytes_isTheSnapshotsFigure_andAdviseWillNeed_takesOnlyL3Entries()
    {
        try (TierCache cache = open())
        {
            for (final Tier tier : Tier.values())
            {
                assertEquals(cache.stats().level(tier).usedBytes(), cache.usedBytes(tier), tier.label());
            }
            for (int key = 0; key < 120; key++)
            {
                cache.put(key, value(key, 1, 16 << 10));
                if (key % 17 == 0)
                {
                    cache.remove(key / 2);
                }
                for (final Tier tier : Tier.values())
                {
                    assertEquals(cache.stats().level(tier).usedBytes(), cache.usedBytes(tier), tier.label() + " after key " + key);
                }
            }
            int inFile = 0;
            for (int key = 0; key < 120; key++)
            {
                final Tier tier = cache.tierOf(key);
                assertEquals(tier == Tier.FILE, cache.adviseWillNeed(key), "key " + key + " in " + tier);
                inFile += tier == Tier.FILE ? 1 : 0;
            }
            assertTrue(inFile > 0, "some entries must be in L3, or this shows nothing");
            assertFalse(cache.adviseWillNeed(10_000), "a missing key");
            assertThrows(NullPointerException.class, () -> cache.usedBytes(null));
        }
    }

    @Test
    void fourThreadsMissingOneKey_loadItOnce() throws Exception
    {
        try (TierCache cache = open())
        {
            final AtomicInteger loads = new AtomicInteger();
            final CountDownLatch release = new CountDownLatch(1);
            final TierCache.Loader slow = key ->
            {
                loads.incrementAndGet();
                release.await(10, TimeUnit.SECONDS);
                return new Part[] {Part.blob(value(key, 1, 4096))};
            };
            final ExecutorService pool = Executors.newFixedThreadPool(4);
            try
            {
                final List<Future<Boolean>> results = new ArrayList<>();
                for (int i = 0; i < 4; i++)
                {
                    results.add(pool.submit(() ->
                    {
                        try (EntryHandle handle = cache.get(7L, slow))
                        {
                            return handle != null && handle.byteSize() == 4096;
                        }
                    }));
                }
                // wait until the other three are parked on the first one's load
                for (int i = 0; i < 500 && loads.get() == 0; i++)
                {
                    Thread.sleep(10);
                }
                Thread.sleep(200);
                release.countDown();
                for (final Future<Boolean> result : results)
                {
                    assertTrue(result.get(30, TimeUnit.SECONDS));
                }
            }
            finally
            {
                pool.shutdownNow();
            }
            assertEquals(1, loads.get(), "four threads missing one key load it once");
        }
    }

    @Test
    void aCheckedLoaderException_isWrapped_andANullLoadIsAMiss()
    {
        try (TierCache cache = open())
        {
            final IOException io = new IOException("disk gone");
            final TierCache.LoadException thrown = assertThrows(TierCache.LoadException.class, () -> cache.get(1L, key ->
            {
                throw io;
            }));
            assertSame(io, thrown.getCause());
            assertTrue(thrown.getMessage().contains("key=1"), thrown.getMessage());
            final IllegalArgumentException unchecked = new IllegalArgumentException("bad sample");
            assertSame(unchecked, assertThrows(IllegalArgumentException.class, () -> cache.get(1L, key ->
            {
                throw unchecked;
            })));
            assertNull(cache.get(2L, key -> null));
            assertFalse(cache.contains(2L));
            assertNotNull(cache.get(3L, key -> new Part[] {Part.blob(value(key, 1, 100))}));
        }
    }

    @Test
    void eightLookupsThroughALoader_countEightAccesses()
    {
        try (TierCache cache = open())
        {
            final TierCache.Loader loader = key -> new Part[] {Part.blob(value(key, 1, 4096))};
            for (int i = 0; i < 8; i++)
            {
                cache.get(i % 4, loader).close(); // 4 loads (misses), then 4 hits
            }
            final CacheStats stats = cache.stats();
            assertEquals(8, stats.accesses(), stats.toString());
            assertEquals(4, stats.hits(), stats.toString());
            assertEquals(8, stats.level(Tier.DEVICE).accesses(), stats.toString());
        }
    }

    @Test
    void theStatisticsAddUp_onARandomWorkload()
    {
        final long seed = Long.getLong("tiercache.seed", System.nanoTime());
        final SplittableRandom random = new SplittableRandom(seed);
        try (TierCache cache = open())
        {
            long lookups = 0;
            for (int op = 0; op < 5000; op++)
            {
                final long key = random.nextInt(600);
                switch (random.nextInt(4))
                {
                    case 0 -> cache.put(key, value(key, op, 1024 + random.nextInt(8192)));
                    case 1 ->
                    {
                        cache.remove(key);
                    }
                    default ->
                    {
                        lookups++;
                        final EntryHandle handle = cache.get(key);
                        if (handle != null)
                        {
                            handle.close();
                        }
                    }
                }
            }
            final CacheStats stats = cache.stats();
            final String where = "seed=" + seed + ": " + stats;
            assertEquals(lookups, stats.accesses(), where);
            assertEquals(stats.accesses(), stats.level(Tier.DEVICE).accesses(), "every lookup reaches L1; " + where);
            long hits = 0;
            final Tier[] tiers = Tier.values();
            for (int l = 0; l < tiers.length; l++)
            {
                final LevelStats level = stats.level(tiers[l]);
                hits += level.hits();
                final long below = l + 1 < tiers.length ? stats.level(tiers[l + 1]).accesses() : stats.accesses() - stats.hits();
                assertEquals(level.accesses(), level.hits() + below, tiers[l] + ": accesses = hits + what went on below; " + where);
            }
            assertEquals(stats.hits(), hits, "the cache's hits are the levels' hits; " + where);
        }
    }
}
