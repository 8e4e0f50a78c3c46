package dev.tiercache.jcache;

import javax.cache.Cache;

/**
 * A key and value, as the iterator returns them and the writer receives them.
 *
 * @param <K> the key type.
 * @param <V> the value type.
 */
final class JCacheEntry<K, V> implements Cache.Entry<K, V>
{
    private final K key;
    private final V value;

    JCacheEntry(final K key, final V value)
    {
        this.key = key;
        this.value = value;
    }

    @Override
    public K getKey()
    {
        return key;
    }

    @Override
    public V getValue()
    {
        return value;
    }

    @Override
    public <T> T unwrap(final Class<T> clazz)
    {
        if (clazz.isInstance(this))
        {
            return clazz.cast(this);
        }
        throw new IllegalArgumentException("cannot unwrap a cache entry to " + clazz.getName());
    }

    @Override
    public String toString()
    {
        return key + "=" + value;
    }
}
