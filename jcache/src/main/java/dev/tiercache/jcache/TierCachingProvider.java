package dev.tiercache.jcache;

import javax.cache.CacheManager;
import javax.cache.configuration.OptionalFeature;
import javax.cache.spi.CachingProvider;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.WeakHashMap;

/**
 * The JCache provider of tiercache, found by {@code Caching.getCachingProvider()} through
 * {@code META-INF/services/javax.cache.spi.CachingProvider}. One {@link TierCacheManager} per class
 * loader and URI. Store-by-reference is not supported: values live as bytes outside the heap.
 */
public final class TierCachingProvider implements CachingProvider
{
    /** The URI of the default cache manager. */
    public static final URI DEFAULT_URI = URI.create("urn:dev.tiercache:jcache");

    // @GuardedBy("this")
    private final Map<ClassLoader, Map<URI, TierCacheManager>> managers = new WeakHashMap<>();

    /** Created by the service loader. */
    public TierCachingProvider()
    {
    }

    @Override
    public synchronized CacheManager getCacheManager(final URI uri, final ClassLoader classLoader, final Properties properties)
    {
        final URI managerUri = uri == null ? getDefaultURI() : uri;
        final ClassLoader loader = classLoader == null ? getDefaultClassLoader() : classLoader;
        final Map<URI, TierCacheManager> byUri = managers.computeIfAbsent(loader, l -> new HashMap<>());
        TierCacheManager manager = byUri.get(managerUri);
        if (manager == null || manager.isClosed())
        {
            final Properties copy = new Properties();
            if (properties != null)
            {
                copy.putAll(properties);
            }
            manager = new TierCacheManager(this, managerUri, loader, copy);
            byUri.put(managerUri, manager);
        }
        return manager;
    }

    @Override
    public CacheManager getCacheManager(final URI uri, final ClassLoader classLoader)
    {
        return getCacheManager(uri, classLoader, getDefaultProperties());
    }

    @Override
    public CacheManager getCacheManager()
    {
        return getCacheManager(getDefaultURI(), getDefaultClassLoader(), getDefaultProperties());
    }

    @Override
    public ClassLoader getDefaultClassLoader()
    {
        return getClass().getClassLoader();
    }

    @Override
    public URI getDefaultURI()
    {
        return DEFAULT_URI;
    }

    @Override
    public Properties getDefaultProperties()
    {
        return new Properties();
    }

    @Override
    public void close()
    {
        final List<TierCacheManager> all = new ArrayList<>();
        synchronized (this)
        {
            for (final Map<URI, TierCacheManager> byUri : managers.values())
            {
                all.addAll(byUri.values());
            }
            managers.clear();
        }
        all.forEach(TierCacheManager::close);
    }

    @Override
    public void close(final ClassLoader classLoader)
    {
        final ClassLoader loader = classLoader == null ? getDefaultClassLoader() : classLoader;
        final List<TierCacheManager> all;
        synchronized (this)
        {
            final Map<URI, TierCacheManager> byUri = managers.remove(loader);
            all = byUri == null ? List.of() : new ArrayList<>(byUri.values());
        }
        all.forEach(TierCacheManager::close);
    }

    @Override
    public void close(final URI uri, final ClassLoader classLoader)
    {
        final URI managerUri = uri == null ? getDefaultURI() : uri;
        final ClassLoader loader = classLoader == null ? getDefaultClassLoader() : classLoader;
        final TierCacheManager manager;
        synchronized (this)
        {
            final Map<URI, TierCacheManager> byUri = managers.get(loader);
            manager = byUri == null ? null : byUri.remove(managerUri);
            if (byUri != null && byUri.isEmpty())
            {
                managers.remove(loader);
            }
        }
        if (manager != null)
        {
            manager.close();
        }
    }

    @Override
    public boolean isSupported(final OptionalFeature optionalFeature)
    {
        return false;
    }

    synchronized void released(final TierCacheManager manager)
    {
        final Map<URI, TierCacheManager> byUri = managers.get(manager.getClassLoader());
        if (byUri != null)
        {
            byUri.remove(manager.getURI(), manager);
            if (byUri.isEmpty())
            {
                managers.remove(manager.getClassLoader());
            }
        }
    }
}
