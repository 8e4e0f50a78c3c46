package dev.tiercache.jcache;

import dev.tiercache.CacheStats;
import dev.tiercache.Tier;
import dev.tiercache.TierCache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.spi.CachingProvider;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the TCK does not check: that values really live in the cache's own TierCache, that closing
 * the cache closes it, what happens when that store drops a value, the file level and the
 * serializer hook. Each test has a cache manager of its own URI.
 */
class TierJCacheTest
{
    private static final long KIB = 1024;

    @TempDir
    Path dir;

    private CacheManager manager;

    @BeforeEach
    void openManager()
    {
        final CachingProvider provider = Caching.getCachingProvider(TierCachingProvider.class.getName());
        manager = provider.getCacheManager(URI.create("urn:tiercache-test:" + System.nanoTime()), getClass().getClassLoader());
    }

    @AfterEach
    void closeManager()
    {
        manager.close();
    }

    private static byte[] bytes(final int size, final int seed)
    {
        final byte[] out = new byte[size];
        Arrays.fill(out, (byte) seed);
        out[0] = (byte) (seed >>> 8);
        return out;
    }

    @Test
    void theDefaultProvider_isTiercaches()
    {
        assertInstanceOf(TierCachingProvider.class, Caching.getCachingProvider());
        assertInstanceOf(TierCacheManager.class, manager);
    }

    @Test
    void aValue_isStoredSerializedInTheCachesOwnTierCache()
    {
        final Cache<String, byte[]> cache = manager.createCache("values", new MutableConfiguration<String, byte[]>().setTypes(String.class, byte[].class));
        final byte[] value = bytes(1000, 3);
        cache.put("a", value);
        value[5] = 99; // stored by value: the caller's array may change afterwards
        final TierCache store = cache.unwrap(TierCache.class);
        assertEquals(1, store.size());
        assertEquals(1, store.stats().puts());
        assertArrayEquals(bytes(1000, 3), cache.get("a"));
        assertNotNull(store.stats().level(Tier.HOST));
        assertTrue(store.stats().level(Tier.HOST).usedBytes() >= 1000, store.stats().toString());
    }

    @Test
    void closingTheCache_closesItsTierCache_andClosingTwiceIsSafe()
    {
        final Cache<Integer, String> cache = manager.createCache("closing", new MutableConfiguration<>());
        cache.put(1, "one");
        final TierCache store = cache.unwrap(TierCache.class);
        cache.close();
        cache.close();
        assertTrue(cache.isClosed());
        assertEquals(0, store.size());
        assertThrows(IllegalStateException.class, () -> store.contains(1L));
        assertThrows(IllegalStateException.class, () -> cache.get(1));
        assertNull(manager.getCache("closing"));
    }

    @Test
    void closingTheManager_closesEveryCachesTierCache()
    {
        final Cache<Integer, String> first = manager.createCache("first", new MutableConfiguration<>());
        final Cache<Integer, String> second = manager.createCache("second", new MutableConfiguration<>());
        first.put(1, "one");
        second.put(2, "two");
        final TierCache firstStore = first.unwrap(TierCache.class);
        final TierCache secondStore = second.unwrap(TierCache.class);
        manager.close();
        assertTrue(first.isClosed());
        assertTrue(second.isClosed());
        assertThrows(IllegalStateException.class, () -> firstStore.contains(1L));
        assertThrows(IllegalStateException.class, () -> secondStore.contains(2L));
    }

    @Test
    void aValueTheStoreDropped_readsAsAbsent_andCountsAsAnEviction()
    {
        // 64 KiB of host memory and no file: 200 values of 4 KiB cannot all stay
        final TierJCacheConfiguration<Integer, byte[]> configuration = new TierJCacheConfiguration<Integer, byte[]>().setHostBytes(64 * KIB);
        configuration.setTypes(Integer.class, byte[].class).setStatisticsEnabled(true);
        final Cache<Integer, byte[]> cache = manager.createCache("dropping", configuration);
        for (int key = 0; key < 200; key++)
        {
            cache.put(key, bytes((int) (4 * KIB), key));
        }
        int present = 0;
        for (int key = 0; key < 200; key++)
        {
            final byte[] value = cache.get(key);
            if (value != null)
            {
                assertArrayEquals(bytes((int) (4 * KIB), key), value, "key=" + key);
                present++;
            }
        }
        final JCacheStatistics statistics = cache.unwrap(TierJCache.class).statistics();
        assertTrue(present > 0 && present < 200, "present=" + present);
        assertEquals(200 - present, statistics.getCacheEvictions());
        assertEquals(present, statistics.getCacheHits());
        assertEquals(200 - present, statistics.getCacheMisses());
        int iterated = 0;
        for (final Cache.Entry<Integer, byte[]> entry : cache)
        {
            assertNotNull(entry.getValue());
            iterated++;
        }
        assertEquals(present, iterated);
    }

    @Test
    void withAFile_valuesLargerThanHostMemorySpillToIt_andReadBack()
    {
        final TierJCacheConfiguration<Integer, byte[]> configuration = new TierJCacheConfiguration<Integer, byte[]>()
            .setHostBytes(256 * KIB).setFile(dir.resolve("jcache.tc"), 16L << 20);
        configuration.setTypes(Integer.class, byte[].class);
        final Cache<Integer, byte[]> cache = manager.createCache("spilling", configuration);
        for (int key = 0; key < 100; key++)
        {
            cache.put(key, bytes((int) (16 * KIB), key));
        }
        for (int key = 0; key < 100; key++)
        {
            assertArrayEquals(bytes((int) (16 * KIB), key), cache.get(key), "key=" + key);
        }
        final CacheStats stats = cache.unwrap(TierCache.class).stats();
        assertTrue(stats.level(Tier.FILE).entries() > 0, stats.toString());
        assertEquals(100, stats.level(Tier.HOST).entries() + stats.level(Tier.FILE).entries(), stats.toString());
    }

    @Test
    void aFileFromAnEarlierCache_isStartedAfresh()
    {
        final TierJCacheConfiguration<Integer, String> configuration = new TierJCacheConfiguration<Integer, String>()
            .setHostBytes(64 * KIB).setFile(dir.resolve("again.tc"), 4L << 20);
        final Cache<Integer, String> first = manager.createCache("again", configuration);
        first.put(1, "one");
        manager.destroyCache("again");
        final Cache<Integer, String> second = manager.createCache("again", configuration);
        assertEquals(0, second.unwrap(TierCache.class).size());
        assertNull(second.get(1));
    }

    @Test
    void aConfiguredSerializer_isUsedForKeysAndValues()
    {
        CountingUtf8Serializer.CALLS.set(0);
        final TierJCacheConfiguration<String, String> configuration = new TierJCacheConfiguration<String, String>()
            .setSerializerFactory(FactoryBuilder.factoryOf(CountingUtf8Serializer.class));
        configuration.setTypes(String.class, String.class);
        final Cache<String, String> cache = manager.createCache("utf8", configuration);
        cache.put("key", "välue");
        assertEquals("välue", cache.get("key"));
        assertTrue(CountingUtf8Serializer.CALLS.get() >= 3, "calls=" + CountingUtf8Serializer.CALLS.get());
        assertInstanceOf(TierJCacheConfiguration.class, cache.unwrap(TierJCache.class).configuration());
    }

    @Test
    void aValueLargerThanEveryLevel_isACacheException_andLeavesTheOldValue()
    {
        final TierJCacheConfiguration<Integer, byte[]> configuration = new TierJCacheConfiguration<Integer, byte[]>().setHostBytes(64 * KIB);
        configuration.setTypes(Integer.class, byte[].class);
        final Cache<Integer, byte[]> cache = manager.createCache("toolarge", configuration);
        cache.put(1, bytes(100, 1));
        final CacheException thrown = assertThrows(CacheException.class, () -> cache.put(1, bytes((int) (1024 * KIB), 2)));
        assertTrue(thrown.getMessage().contains("finds no room"), thrown.getMessage());
        assertArrayEquals(bytes(100, 1), cache.get(1));
    }

    @Test
    void theConfigurationsLimits_areChecked()
    {
        final TierJCacheConfiguration<Object, Object> configuration = new TierJCacheConfiguration<>();
        assertEquals("hostBytes=0: must be > 0", assertThrows(IllegalArgumentException.class, () -> configuration.setHostBytes(0)).getMessage());
        assertEquals("maxEntries=-1: must be > 0", assertThrows(IllegalArgumentException.class, () -> configuration.setMaxEntries(-1)).getMessage());
        assertFalse(Caching.getCachingProvider().isSupported(javax.cache.configuration.OptionalFeature.STORE_BY_REFERENCE));
    }

    @Test
    void invokeFromManyThreads_isAtomicPerKey() throws InterruptedException
    {
        final Cache<Integer, Integer> cache = manager.createCache("counting", new MutableConfiguration<Integer, Integer>().setTypes(Integer.class, Integer.class));
        final int threads = 4;
        final int rounds = 500;
        final Thread[] workers = new Thread[threads];
        final AtomicInteger failures = new AtomicInteger();
        for (int t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() ->
            {
                try
                {
                    for (int i = 0; i < rounds; i++)
                    {
                        for (int key = 0; key < 3; key++)
                        {
                            cache.invoke(key, (entry, arguments) ->
                            {
                                entry.setValue(entry.exists() ? entry.getValue() + 1 : 1);
                                return null;
                            });
                        }
                    }
                }
                catch (final RuntimeException ex)
                {
                    failures.incrementAndGet();
                    throw ex;
                }
            });
            workers[t].start();
        }
        for (final Thread worker : workers)
        {
            worker.join();
        }
        assertEquals(0, failures.get());
        for (int key = 0; key < 3; key++)
        {
            assertEquals(threads * rounds, cache.get(key), "key=" + key);
        }
    }

    /** A serializer for Strings only, counting its calls. */
    public static final class CountingUtf8Serializer implements Serializer
    {
        static final AtomicInteger CALLS = new AtomicInteger();

        /** Made by the configuration's factory. */
        public CountingUtf8Serializer()
        {
        }

        @Override
        public byte[] toBytes(final Object object)
        {
            CALLS.incrementAndGet();
            return ((String) object).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public Object fromBytes(final byte[] bytes, final ClassLoader classLoader)
        {
            CALLS.incrementAndGet();
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }
}
