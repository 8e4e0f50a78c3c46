package dev.tiercache.jcache;

import dev.tiercache.TierCache;

import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.configuration.Configuration;
import javax.cache.spi.CachingProvider;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The caches of one URI and class loader. Each cache owns one {@link TierCache}, built from its
 * {@link TierJCacheConfiguration} (host memory only unless a file is configured; no GPU level,
 * since JCache values are small serialized objects that a GPU would only have to copy back), and
 * closed with it.
 */
public final class TierCacheManager implements CacheManager
{
    private static final AtomicInteger STORES = new AtomicInteger();

    private final TierCachingProvider provider;
    private final URI uri;
    private final ClassLoader classLoader;
    private final Properties properties;
    private final ConcurrentHashMap<String, TierJCache<?, ?>> caches = new ConcurrentHashMap<>();
    private volatile boolean closed;

    TierCacheManager(final TierCachingProvider provider, final URI uri, final ClassLoader classLoader, final Properties properties)
    {
        this.provider = provider;
        this.uri = uri;
        this.classLoader = classLoader;
        this.properties = properties;
    }

    @Override
    public CachingProvider getCachingProvider()
    {
        return provider;
    }

    @Override
    public URI getURI()
    {
        return uri;
    }

    @Override
    public ClassLoader getClassLoader()
    {
        return classLoader;
    }

    @Override
    public Properties getProperties()
    {
        return properties;
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("the cache manager of " + uri + " is closed");
        }
    }

    @Override
    public <K, V, C extends Configuration<K, V>> Cache<K, V> createCache(final String cacheName, final C configuration)
    {
        ensureOpen();
        Objects.requireNonNull(cacheName, "cacheName");
        Objects.requireNonNull(configuration, "configuration");
        final TierJCacheConfiguration<K, V> complete = complete(configuration);
        synchronized (caches)
        {
            if (caches.containsKey(cacheName))
            {
                throw new CacheException("a cache named " + cacheName + " exists already in " + uri);
            }
            final TierCache store = openStore(cacheName, complete);
            final TierJCache<K, V> cache;
            try
            {
                cache = new TierJCache<>(this, cacheName, complete, store);
            }
            catch (final RuntimeException | Error ex)
            {
                store.close();
                throw ex;
            }
            caches.put(cacheName, cache);
            return cache;
        }
    }

    private static <K, V> TierJCacheConfiguration<K, V> complete(final Configuration<K, V> configuration)
    {
        if (configuration instanceof CompleteConfiguration<K, V> complete)
        {
            return new TierJCacheConfiguration<>(complete);
        }
        final TierJCacheConfiguration<K, V> basic = new TierJCacheConfiguration<>();
        basic.setTypes(configuration.getKeyType(), configuration.getValueType());
        basic.setStoreByValue(configuration.isStoreByValue());
        return basic;
    }

    private TierCache openStore(final String cacheName, final TierJCacheConfiguration<?, ?> configuration)
    {
        final TierCache.Builder builder = TierCache.builder()
            .name("jcache-" + STORES.incrementAndGet() + "-" + cacheName)
            .useGpu(false)
            .hostBytes(configuration.getHostBytes())
            .maxEntries(configuration.getMaxEntries())
            .persistOnClose(false);
        if (configuration.getFile() != null)
        {
            builder.file(configuration.getFile(), configuration.getFileBytes()).fileRegionBytes(regionBytes(configuration.getFileBytes()));
        }
        final TierCache store = builder.build();
        // a file from an earlier run holds values whose keys died with that run's heap
        store.clear();
        return store;
    }

    /**
     * The file level's unit of reclaim: a sixteenth of the file (a region reclaimed drops at most
     * that share of the values), a multiple of 4 KiB between 1 MiB and the TierCache default of 64 MiB.
     */
    static long regionBytes(final long fileBytes)
    {
        final long mib = 1L << 20;
        return Math.clamp((fileBytes / 16) & ~4095L, mib, 64 * mib);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <K, V> Cache<K, V> getCache(final String cacheName, final Class<K> keyType, final Class<V> valueType)
    {
        ensureOpen();
        Objects.requireNonNull(cacheName, "cacheName");
        Objects.requireNonNull(keyType, "keyType");
        Objects.requireNonNull(valueType, "valueType");
        final TierJCache<?, ?> cache = caches.get(cacheName);
        if (cache == null)
        {
            return null;
        }
        final CompleteConfiguration<?, ?> configuration = cache.configuration();
        if (!keyType.equals(configuration.getKeyType()))
        {
            throw new ClassCastException("cache " + cacheName + " has keys of " + configuration.getKeyType().getName() + ", not " + keyType.getName());
        }
        if (!valueType.equals(configuration.getValueType()))
        {
            throw new ClassCastException("cache " + cacheName + " has values of " + configuration.getValueType().getName() + ", not " + valueType.getName());
        }
        return (Cache<K, V>) cache;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <K, V> Cache<K, V> getCache(final String cacheName)
    {
        ensureOpen();
        Objects.requireNonNull(cacheName, "cacheName");
        return (Cache<K, V>) caches.get(cacheName);
    }

    @Override
    public Iterable<String> getCacheNames()
    {
        ensureOpen();
        return Collections.unmodifiableSet(new TreeSet<>(caches.keySet()));
    }

    @Override
    public void destroyCache(final String cacheName)
    {
        ensureOpen();
        Objects.requireNonNull(cacheName, "cacheName");
        final TierJCache<?, ?> cache = caches.get(cacheName);
        if (cache != null)
        {
            cache.clear();
            cache.close();
        }
    }

    @Override
    public void enableManagement(final String cacheName, final boolean enabled)
    {
        ensureOpen();
        Objects.requireNonNull(cacheName, "cacheName");
        final TierJCache<?, ?> cache = caches.get(cacheName);
        if (cache != null)
        {
            cache.setManagementEnabled(enabled);
        }
    }

    @Override
    public void enableStatistics(final String cacheName, final boolean enabled)
    {
        ensureOpen();
        Objects.requireNonNull(cacheName, "cacheName");
        final TierJCache<?, ?> cache = caches.get(cacheName);
        if (cache != null)
        {
            cache.setStatisticsEnabled(enabled);
        }
    }

    void released(final TierJCache<?, ?> cache)
    {
        caches.remove(cache.getName(), cache);
    }

    /**
     * Closes every cache (and so every TierCache) of this manager. Idempotent.
     */
    @Override
    public void close()
    {
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            closed = true;
        }
        provider.released(this);
        for (final TierJCache<?, ?> cache : new ArrayList<>(caches.values()))
        {
            cache.close();
        }
        caches.clear();
    }

    @Override
    public boolean isClosed()
    {
        return closed;
    }

    @Override
    public <T> T unwrap(final Class<T> clazz)
    {
        if (clazz.isInstance(this))
        {
            return clazz.cast(this);
        }
        throw new IllegalArgumentException("cannot unwrap the cache manager to " + clazz.getName());
    }

    Set<String> names()
    {
        return caches.keySet();
    }
}
