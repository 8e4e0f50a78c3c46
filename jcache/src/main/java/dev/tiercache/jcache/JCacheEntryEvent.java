package dev.tiercache.jcache;

import javax.cache.Cache;
import javax.cache.event.CacheEntryEvent;
import javax.cache.event.EventType;
import java.io.Serial;

/**
 * One created, updated, removed or expired entry, as listeners receive it.
 *
 * @param <K> the key type.
 * @param <V> the value type.
 */
final class JCacheEntryEvent<K, V> extends CacheEntryEvent<K, V>
{
    @Serial
    private static final long serialVersionUID = 1L;

    private final transient Cache<K, V> cache;
    private final transient K key;
    private final transient V value;
    private final transient V oldValue;
    private final boolean oldValueAvailable;

    JCacheEntryEvent(final Cache<K, V> source, final EventType type, final K key, final V value, final V oldValue, final boolean oldValueAvailable)
    {
        super(source, type);
        this.cache = source;
        this.key = key;
        this.value = value;
        this.oldValue = oldValue;
        this.oldValueAvailable = oldValueAvailable;
    }

    /**
     * The event as a listener that did not ask for old values sees it: no old value, and for a
     * removed or expired entry (whose only value is the old one) no value either.
     */
    JCacheEntryEvent<K, V> withoutOldValue()
    {
        if (!oldValueAvailable)
        {
            return this;
        }
        final boolean gone = getEventType() == EventType.REMOVED || getEventType() == EventType.EXPIRED;
        return new JCacheEntryEvent<>(cache, getEventType(), key, gone ? null : value, null, false);
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
    public V getOldValue()
    {
        return oldValue;
    }

    @Override
    public boolean isOldValueAvailable()
    {
        return oldValueAvailable;
    }

    @Override
    public <T> T unwrap(final Class<T> clazz)
    {
        if (clazz.isInstance(this))
        {
            return clazz.cast(this);
        }
        throw new IllegalArgumentException("cannot unwrap a cache entry event to " + clazz.getName());
    }

    @Override
    public String toString()
    {
        return getEventType() + " " + key + "=" + value + (oldValueAvailable ? " (was " + oldValue + ")" : "");
    }
}
