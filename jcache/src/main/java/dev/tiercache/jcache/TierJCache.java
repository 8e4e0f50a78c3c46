package dev.tiercache.jcache;

import dev.tiercache.EntryHandle;
import dev.tiercache.Part;
import dev.tiercache.TierCache;

import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.configuration.CacheEntryListenerConfiguration;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.configuration.Configuration;
import javax.cache.event.EventType;
import javax.cache.expiry.Duration;
import javax.cache.expiry.ExpiryPolicy;
import javax.cache.integration.CacheLoader;
import javax.cache.integration.CacheLoaderException;
import javax.cache.integration.CacheWriter;
import javax.cache.integration.CacheWriterException;
import javax.cache.integration.CompletionListener;
import javax.cache.processor.EntryProcessor;
import javax.cache.processor.EntryProcessorException;
import javax.cache.processor.EntryProcessorResult;
import javax.cache.processor.MutableEntry;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A JCache whose values live, serialized, in a {@link TierCache} of its own.
 *
 * <h2>Keys</h2>
 * JCache compares keys with {@code equals}; a serialized form is not canonical (a set's order, an
 * object's transient fields), so byte equality is the wrong test. The heap therefore keeps a map
 * from each key (a copy, made by serializing it, so the caller's object may change afterwards) to a
 * {@link StoredEntry}: a {@code long} that keys the value's bytes in the TierCache (its fast key
 * kind), and the expiry time. Decision record 0014 says why.
 *
 * <h2>Concurrency</h2>
 * Every operation on a key holds that key's stripe lock (a {@link ReentrantLock}, one of
 * {@value #STRIPES}) for its reads, writer and loader calls and store changes, so each operation is
 * atomic per key, as the specification requires; bulk operations take the keys one at a time.
 * Events are collected under the lock and delivered after it is released, synchronous listeners
 * before the call returns.
 *
 * <h2>Capacity</h2>
 * The TierCache may drop a value to make room (its lowest level is full). The heap entry then finds
 * no bytes on its next access: it is removed, counted as an eviction, and the key reads as absent.
 * JCache defines no eviction event, so listeners hear nothing of it.
 *
 * @param <K> the key type.
 * @param <V> the value type.
 */
final class TierJCache<K, V> implements Cache<K, V>
{
    static final int STRIPES = 64;
    private static final System.Logger LOG = System.getLogger(TierJCache.class.getName());

    private final TierCacheManager manager;
    private final String name;
    private final TierJCacheConfiguration<K, V> configuration;
    private final TierCache store;
    private final Serializer serializer;
    private final ClassLoader classLoader;
    private final ConcurrentHashMap<Object, StoredEntry> index = new ConcurrentHashMap<>();
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    private final AtomicLong nextId = new AtomicLong();
    private final ExpiryPolicy expiry;
    private final CacheLoader<K, V> loader;
    private final CacheWriter<K, V> writer;
    private final ExecutorService eventExecutor;
    private final ExecutorService loadExecutor;
    private final EventDispatcher<K, V> dispatcher;
    private final JCacheStatistics statistics = new JCacheStatistics();
    private final JCacheConfigurationMXBean configurationBean;
    private volatile boolean statisticsEnabled;
    private volatile boolean managementEnabled;
    private volatile boolean closed;

    TierJCache(final TierCacheManager manager, final String name, final TierJCacheConfiguration<K, V> configuration, final TierCache store)
    {
        this.manager = manager;
        this.name = name;
        this.configuration = configuration;
        this.store = store;
        this.classLoader = manager.getClassLoader();
        this.serializer = Objects.requireNonNull(configuration.getSerializerFactory().create(), "serializer");
        for (int i = 0; i < STRIPES; i++)
        {
            stripes[i] = new ReentrantLock();
        }
        this.expiry = configuration.getExpiryPolicyFactory().create();
        this.loader = configuration.getCacheLoaderFactory() == null ? null : configuration.getCacheLoaderFactory().create();
        @SuppressWarnings("unchecked") // the writer takes K and V or their supertypes; it is only handed K and V
        final CacheWriter<K, V> typedWriter = configuration.getCacheWriterFactory() == null ? null
            : (CacheWriter<K, V>) configuration.getCacheWriterFactory().create();
        this.writer = typedWriter;
        this.eventExecutor = Executors.newSingleThreadExecutor(daemon("tiercache-jcache-events-" + name));
        this.loadExecutor = Executors.newCachedThreadPool(daemon("tiercache-jcache-load-" + name));
        this.dispatcher = new EventDispatcher<>(eventExecutor);
        for (final CacheEntryListenerConfiguration<K, V> listener : configuration.getCacheEntryListenerConfigurations())
        {
            dispatcher.registrations.add(new ListenerRegistration<>(listener));
        }
        this.configurationBean = new JCacheConfigurationMXBean(configuration);
        setManagementEnabled(configuration.isManagementEnabled());
        setStatisticsEnabled(configuration.isStatisticsEnabled());
    }

    private static java.util.concurrent.ThreadFactory daemon(final String threadName)
    {
        return runnable ->
        {
            final Thread thread = new Thread(runnable, threadName);
            thread.setDaemon(true);
            return thread;
        };
    }

    // ---------------------------------------------------------------------------------------------
    // plumbing

    private ReentrantLock lockOf(final Object key)
    {
        final int h = key.hashCode();
        return stripes[(h ^ (h >>> 16)) & (STRIPES - 1)];
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("cache " + name + " is closed");
        }
    }

    private K checkKey(final K key)
    {
        Objects.requireNonNull(key, "key");
        final Class<K> type = configuration.getKeyType();
        if (type != Object.class && !type.isInstance(key))
        {
            throw new ClassCastException("key " + key.getClass().getName() + " is not a " + type.getName());
        }
        return key;
    }

    private V checkValue(final V value)
    {
        Objects.requireNonNull(value, "value");
        final Class<V> type = configuration.getValueType();
        if (type != Object.class && !type.isInstance(value))
        {
            throw new ClassCastException("value " + value.getClass().getName() + " is not a " + type.getName());
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    private <T> T copyOf(final T object)
    {
        return (T) serializer.fromBytes(serializer.toBytes(object), classLoader);
    }

    /** The value's bytes, or {@code null} when the store no longer holds them. */
    private byte[] readBytes(final StoredEntry entry)
    {
        try (EntryHandle handle = store.get(entry.id))
        {
            if (handle == null)
            {
                return null;
            }
            final byte[] bytes = new byte[Math.toIntExact(handle.byteSize())];
            handle.copyTo(0, MemorySegment.ofArray(bytes));
            return bytes;
        }
    }

    @SuppressWarnings("unchecked")
    private V decode(final byte[] bytes)
    {
        return (V) serializer.fromBytes(bytes, classLoader);
    }

    private void writeBytes(final long id, final V value)
    {
        final byte[] bytes = serializer.toBytes(value);
        try
        {
            store.put(id, Part.blob(MemorySegment.ofArray(bytes)));
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            // larger than every level, or every level (or the index) full of entries being read
            throw new CacheException("cache " + name + ": a value of " + bytes.length + " bytes finds no room: " + ex.getMessage(), ex);
        }
    }

    private long expiryTime(final Duration duration, final long now)
    {
        return duration.isEternal() ? StoredEntry.ETERNAL : duration.getAdjustedTime(now);
    }

    private long creationExpiry(final long now)
    {
        try
        {
            final Duration duration = expiry.getExpiryForCreation();
            return duration == null ? StoredEntry.ETERNAL : expiryTime(duration, now);
        }
        catch (final RuntimeException ex)
        {
            return StoredEntry.ETERNAL;
        }
    }

    private void accessed(final StoredEntry entry, final long now)
    {
        try
        {
            final Duration duration = expiry.getExpiryForAccess();
            if (duration != null)
            {
                entry.expiresAtMillis = expiryTime(duration, now);
            }
        }
        catch (final RuntimeException ex)
        {
            // the expiry stays as it was when no duration can be had
        }
    }

    private void updatedExpiry(final StoredEntry entry, final long now)
    {
        try
        {
            final Duration duration = expiry.getExpiryForUpdate();
            if (duration != null)
            {
                entry.expiresAtMillis = expiryTime(duration, now);
            }
        }
        catch (final RuntimeException ex)
        {
            // the expiry stays as it was when no duration can be had
        }
    }

    private JCacheEntryEvent<K, V> event(final EventType type, final K key, final V value, final V oldValue)
    {
        return new JCacheEntryEvent<>(this, type, key, value, oldValue, oldValue != null);
    }

    /**
     * The key's live entry and its value, or {@code null}: an expired entry is removed (with an
     * expired event), one whose bytes the store dropped is removed and counted as an eviction.
     * Caller holds the key's stripe.
     */
    private Live live(final Object key, final long now, final List<JCacheEntryEvent<K, V>> events)
    {
        final StoredEntry entry = index.get(key);
        if (entry == null)
        {
            return null;
        }
        final boolean expired = entry.isExpiredAt(now);
        final byte[] bytes = expired && !dispatcher.hasListeners() ? null : readBytes(entry);
        if (expired)
        {
            drop(entry);
            if (bytes != null)
            {
                final V old = decode(bytes);
                events.add(event(EventType.EXPIRED, keyOf(entry), old, old));
            }
            return null;
        }
        if (bytes == null)
        {
            index.remove(entry.key, entry);
            if (statisticsEnabled)
            {
                statistics.evictions(1);
            }
            return null;
        }
        return new Live(entry, bytes);
    }

    @SuppressWarnings("unchecked")
    private K keyOf(final StoredEntry entry)
    {
        return (K) entry.key;
    }

    private void drop(final StoredEntry entry)
    {
        index.remove(entry.key, entry);
        store.remove(entry.id);
    }

    /**
     * Stores a new entry for a key that has none, unless the expiry policy gives it no time at all
     * (then nothing is stored and no event raised). Caller holds the key's stripe.
     *
     * @return whether the entry was stored.
     */
    private boolean createUnlessExpired(final K key, final V value, final long now, final List<JCacheEntryEvent<K, V>> events)
    {
        final long expiresAt = creationExpiry(now);
        if (expiresAt <= now)
        {
            return false;
        }
        create(key, value, expiresAt);
        events.add(event(EventType.CREATED, key, value, null));
        return true;
    }

    /** Stores a new entry for a key that has none. Caller holds the key's stripe. */
    private void create(final K key, final V value, final long expiresAt)
    {
        final StoredEntry entry = new StoredEntry(configuration.isStoreByValue() ? copyOf(key) : key, nextId.incrementAndGet(), expiresAt);
        writeBytes(entry.id, value);
        index.put(entry.key, entry);
    }

    private void write(final K key, final V value)
    {
        if (configuration.isWriteThrough() && writer != null)
        {
            try
            {
                writer.write(new JCacheEntry<>(key, value));
            }
            catch (final CacheWriterException ex)
            {
                throw ex;
            }
            catch (final RuntimeException ex)
            {
                throw new CacheWriterException("cache " + name + ": the writer failed on key " + key, ex);
            }
        }
    }

    private void delete(final K key)
    {
        if (configuration.isWriteThrough() && writer != null)
        {
            try
            {
                writer.delete(key);
            }
            catch (final CacheWriterException ex)
            {
                throw ex;
            }
            catch (final RuntimeException ex)
            {
                throw new CacheWriterException("cache " + name + ": the writer failed to delete key " + key, ex);
            }
        }
    }

    private V load(final K key)
    {
        try
        {
            return loader.load(key);
        }
        catch (final CacheLoaderException ex)
        {
            throw ex;
        }
        catch (final RuntimeException ex)
        {
            throw new CacheLoaderException("cache " + name + ": the loader failed on key " + key, ex);
        }
    }

    private boolean readsThrough()
    {
        return configuration.isReadThrough() && loader != null;
    }

    private void dispatch(final List<JCacheEntryEvent<K, V>> events)
    {
        dispatcher.dispatch(events);
    }

    /** A live entry and its bytes, decoded once when asked. */
    private final class Live
    {
        final StoredEntry entry;
        private final byte[] bytes;
        private V value;

        Live(final StoredEntry entry, final byte[] bytes)
        {
            this.entry = entry;
            this.bytes = bytes;
        }

        V value()
        {
            if (value == null)
            {
                value = decode(bytes);
            }
            return value;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // reads

    @Override
    public V get(final K key)
    {
        ensureOpen();
        checkKey(key);
        final long start = System.nanoTime();
        final List<JCacheEntryEvent<K, V>> events = new ArrayList<>(0);
        final V value;
        final ReentrantLock lock = lockOf(key);
        lock.lock();
        try
        {
            value = getLocked(key, System.currentTimeMillis(), events);
        }
        finally
        {
            lock.unlock();
            if (statisticsEnabled)
            {
                statistics.getNanos(System.nanoTime() - start);
            }
        }
        dispatch(events);
        return value;
    }

    private V getLocked(final K key, final long now, final List<JCacheEntryEvent<K, V>> events)
    {
        final Live live = live(key, now, events);
        if (live != null)
        {
            accessed(live.entry, now);
            if (statisticsEnabled)
            {
                statistics.hits(1);
            }
            return live.value();
        }
        if (statisticsEnabled)
        {
            statistics.misses(1);
        }
        if (!readsThrough())
        {
            return null;
        }
        final V loaded = load(key);
        if (loaded == null)
        {
            return null;
        }
        checkValue(loaded);
        return createUnlessExpired(key, loaded, now, events) ? loaded : null;
    }

    @Override
    public Map<K, V> getAll(final Set<? extends K> keys)
    {
        ensureOpen();
        Objects.requireNonNull(keys, "keys");
        for (final K key : keys)
        {
            checkKey(key);
        }
        final Map<K, V> result = new HashMap<>(Math.max(4, keys.size() * 2));
        final List<JCacheEntryEvent<K, V>> events = new ArrayList<>(0);
        for (final K key : keys)
        {
            final long start = System.nanoTime();
            final ReentrantLock lock = lockOf(key);
            lock.lock();
            try
            {
                final V value = getLocked(key, System.currentTimeMillis(), events);
                if (value != null)
                {
                    result.put(key, value);
                }
            }
            finally
            {
                lock.unlock();
                if (statisticsEnabled)
                {
                    statistics.getNanos(System.nanoTime() - start);
                }
            }
        }
        dispatch(events);
        return result;
    }

    @Override
    public boolean containsKey(final K key)
    {
        ensureOpen();
        checkKey(key);
        final ReentrantLock lock = lockOf(key);
        lock.lock();
        try
        {
            final StoredEntry entry = index.get(key);
            return entry != null && !entry.isExpiredAt(System.currentTimeMillis()) && store.contains(entry.id);
        }
        finally
        {
            lock.unlock();
        }
    }

    @Override
    public void loadAll(final Set<? extends K> keys, final boolean replaceExistingValues, final CompletionListener completionListener)
    {
        ensureOpen();
        Objects.requireNonNull(keys, "keys");
        for (final K key : keys)
        {
            Objects.requireNonNull(key, "a key in keys");
        }
        if (loader == null)
        {
            if (completionListener != null)
            {
                completionListener.onCompletion();
            }
            return;
        }
        final List<K> requested = List.copyOf(keys);
        loadExecutor.execute(() ->
        {
            try
            {
                final List<K> toLoad = new ArrayList<>(requested.size());
                for (final K key : requested)
                {
                    if (replaceExistingValues || !containsKey(key))
                    {
                        toLoad.add(key);
                    }
                }
                final Map<K, V> loaded;
                try
                {
                    loaded = loader.loadAll(toLoad);
                }
                catch (final CacheLoaderException ex)
                {
                    throw ex;
                }
                catch (final RuntimeException ex)
                {
                    throw new CacheLoaderException("cache " + name + ": the loader failed", ex);
                }
                final Map<K, V> present = new LinkedHashMap<>();
                if (loaded != null)
                {
                    for (final Map.Entry<K, V> loadedEntry : loaded.entrySet())
                    {
                        if (loadedEntry.getKey() != null && loadedEntry.getValue() != null)
                        {
                            present.put(loadedEntry.getKey(), loadedEntry.getValue());
                        }
                    }
                }
                putAll(present, replaceExistingValues, false);
                if (completionListener != null)
                {
                    completionListener.onCompletion();
                }
            }
            catch (final Exception ex)
            {
                if (completionListener != null)
                {
                    completionListener.onException(ex);
                }
                else
                {
                    LOG.log(System.Logger.Level.WARNING, "cache " + name + ": loadAll failed", ex);
                }
            }
        });
    }

    // ---------------------------------------------------------------------------------------------
    // writes

    @Override
    public void put(final K key, final V value)
    {
        ensureOpen();
        checkKey(key);
        checkValue(value);
        final long start = System.nanoTime();
        final List<JCacheEntryEvent<K, V>> events = new ArrayList<>(1);
        final ReentrantLock lock = lockOf(key);
        final boolean stored;
        lock.lock();
        try
        {
            stored = putLocked(key, value, System.currentTimeMillis(), events, true).stored();
        }
        finally
        {
            lock.unlock();
        }
        if (statisticsEnabled && stored)
        {
            statistics.puts(1);
            statistics.putNanos(System.nanoTime() - start);
        }
        dispatch(events);
    }

    /** What a put did: the value it replaced, and whether it stored anything. */
    private record PutResult<V>(V old, boolean stored)
    {
    }

    /** Puts under the key's stripe. */
    private PutResult<V> putLocked(final K key, final V value, final long now, final List<JCacheEntryEvent<K, V>> events,
        final boolean writeThrough)
    {
        final Live live = live(key, now, events);
        if (writeThrough)
        {
            write(key, value);
        }
        if (live == null)
        {
            return new PutResult<>(null, createUnlessExpired(key, value, now, events));
        }
        final V old = live.value();
        writeBytes(live.entry.id, value);
        updatedExpiry(live.entry, now);
        events.add(event(EventType.UPDATED, key, value, old));
        return new PutResult<>(old, true);
    }

    @Override
    public V getAndPut(final K key, final V value)
    {
        ensureOpen();
        checkKey(key);
        checkValue(value);
        final long start = System.nanoTime();
        final List<JCacheEntryEvent<K, V>> events = new ArrayList<>(1);
        final PutResult<V> put;
        final ReentrantLock lock = lockOf(key);
        lock.lock();
        try
        {
            put = putLocked(key, value, System.currentTimeMillis(), events, true);
        }
        finally
        {
            lock.unlock();
        }
        final V old = put.old();
        if (statisticsEnabled)
        {
            final long nanos = System.nanoTime() - start;
            if (put.stored())
            {
                statistics.puts(1);
                statistics.putNanos(nanos);
            }
            if (old != null)
            {
                statistics.hits(1);
            }
            else
            {
                statistics.misses(1);
            }
            statistics.getNanos(nanos);
        }
        dispatch(events);
        return old;
    }

    @Override
    public void putAll(final Map<? extends K, ? extends V> map)
    {
        ensureOpen();
        Objects.requireNonNull(map, "map");
        for (final Map.Entry<? extends K, ? extends V> entry : map.entrySet())
        {
            checkKey(entry.getKey());
            checkValue(entry.getValue());
        }
        putAll(map, true, true);
    }

    private void putAll(final Map<? extends K, ? extends V> map, final boolean replaceExisting, final boolean useWriter)
    {
        final long start = System.nanoTime();
        CacheWriterException failure = null;
        final Map<K, V> toPut = new LinkedHashMap<>(map);
        if (useWriter && configuration.isWriteThrough() && writer != null && !toPut.isEmpty())
        {
            final List<Cache.Entry<? extends K, ? extends V>> pending = new ArrayList<>(toPut.size());
            for (final Map.Entry<K, V> entry : toPut.entrySet())
            {
                pending.add(new JCacheEntry<>(entry.getKey(), entry.getValue()));
            }
            try
            {
                writer.writeAll(pending);
                pending.clear();
            }
            catch (final CacheWriterException ex)
            {
                failure = ex;
            }
            catch (final RuntimeException ex)
            {
                failure = new CacheWriterException("cache " + name + ": the writer failed", ex);
            }
            // what the writer left in the list it did not write: the cache does not take those
            for (final Cache.Entry<? extends K, ? extends V> unwritten : pending)
            {
                toPut.remove(unwritten.getKey());
            }
        }
        final List<JCacheEntryEvent<K, V>> events = new ArrayList<>(toPut.size());
        long puts = 0;
        for (final Map.Entry<K, V> entry : toPut.entrySet())
        {
            final K key = entry.getKey();
            final ReentrantLock lock = lockOf(key);
            lock.lock();
            try
            {
                final long now = System.currentTimeMillis();
                if (replaceExisting)
                {
                    puts += putLocked(key, entry.getValue(), now, events, false).stored() ? 1 : 0;
                }
                else if (live(key, now, events) == null)
                {
                    puts += createUnlessExpired(key, entry.getValue(), now, events) ? 1 : 0;
                }
            }
            finally
            {
                lock.unlock();
            }
        }
        if (statisticsEnabled && puts > 0)
        {
            statistics.puts(puts);
            statistics.putNanos(System.nanoTime() - start);
        }
        dispatch(events);
        if (failure != null)
        {
            throw failure;
        }
    }

    @Override
    public boolean putIfAbsent(final K key, final V value)
    {
        ensureOpen();
        checkKey(key);
        checkValue(value);
        final long start = System.nanoTime();
        final List<JCacheEntryEvent<K, V>> events = new ArrayList<>(1);
        final boolean stored;
        final boolean absent;
        final ReentrantLock lock = lockOf(key);
        lock.lock();
        try
        {
            final long now = System.currentTimeMillis();
            absent = live(key, now, events) == null;
            if (absent)
            {
                write(key, value);
                stored = createUnlessExpired(key, value, now, events);
            }
            else
            {
                stored = false;
            }
        }
        finally
        {
            lock.unlock();
        }
        if (statisticsEnabled)
        {
            if (stored)
            {
                statistics.puts(1);
                statistics.putNanos(System.nanoTime() - start);
            }
            if (absent)
            {
                statistics.misses(1);
            }
            else
            {
                statistics.hits(1);
            }
        }
        dispatch(events);
        return stored;
    }

    @Override
    public boolean remove(final K key)
    {
        ensureOpen();
        checkKey(key);
        final long start = System.nanoTime();
        final List<JCacheEntryEvent<K, V>> events = new ArrayList<>(1);
        final boolean removed;
        final ReentrantLock lock = lockOf(key);
        lock.lock();
        try
        {
            final long now = System.currentTimeMillis();
            delete(key);
            final Live live = live(key, now, events);
            if (live == null)
            {
                removed = false;
            }
            else
            {
                final V old = dispatcher.hasListeners() ? live.value() : null;
                drop(live.entry);
                if (old != null)
                {
                    events.add(event(EventType.REMOVED, key, old, old));
                }
                removed = true;
            }
        }
        finally
        {
            lock.unlock();
        }
        if (statisticsEnabled && removed)
        {
            statistics.removals(1);
            statistics.removeNanos(System.nanoTime() - start);
        }
        dispatch(events);
        return removed;
    }

    @Override
    public boolean remove(final K key, final V oldValue)
    {
        ensureOpen();
        checkKey(key);
        checkValue(oldValue);
        final long start = System.nanoTime();
        final List<JCacheEntryEvent<K, V>> events = new ArrayList<>(1);
        final boolean removed;
        boolean hit = false;
        final ReentrantLock lock = lockOf(key);
        lock.lock();
        try
        {
            final long now = System.currentTimeMillis();
            final Live live = live(key, now, events);
            if (live == null)
            {
                removed = false;
            }
            else
            {
                hit = true;
                final V current = live.value();
                if (current.equals(oldValue))
                {
                    delete(key);
                    drop(live.entry);
                    events.add(event(EventType.REMOVED, key, current, current));
                    removed = true;
                }
                else
                {
                    accessed(live.entry, now);
                    removed = false;
                }
            }
        }
        finally
        {
            lock.unlock();
        }
        if (statisticsEnabled)
        {
            if (hit)
            {
                statistics.hits(1);
            }
            else
            {
                statistics.misses(1);
            }
            if (removed)
            {
                statistics.removals(1);
                statistics.removeNanos(System.nanoTime() - start);
            }
        }
        dispatch(events);
        return removed;
    }

    @Override
    public V getAndRemove(final K key)
    {
        ensureOpen();
        checkKey(key);
        final long start = System.nanoTime();
        final List<JCacheEntryEvent<K, V>> events = new ArrayList<>(1);
        V old = null;
        final ReentrantLock lock = lockOf(key);
        lock.lock();
        try
        {
            final long now = System.currentTimeMillis();
            delete(key);
            final Live live = live(key, now, events);
            if (live != null)
            {
                old = live.value();
                drop(live.entry);
                events.add(event(EventType.REMOVED, key, old, old));
            }
        }
        finally
        {
            lock.unlock();
        }
        if (statisticsEnabled)
        {
            final long nanos = System.nanoTime() - start;
            statistics.getNanos(nanos);
            if (old != null)
            {
                statistics.hits(1);
                statistics.removals(1);
                statistics.removeNanos(nanos);
            }
            else
            {
                statistics.misses(1);
            }
        }
        dispatch(events);
        return old;
    }

    @Override
    public boolean replace(final K key, final V oldValue, final V newValue)
    {
        ensureOpen();
        checkKey(key);
        checkValue(oldValue);
        checkValue(newValue);
        final long start = System.nanoTime();
        final List<JCacheEntryEvent<K, V>> events = new ArrayList<>(1);
        boolean hit = false;
        boolean replaced = false;
        final ReentrantLock lock = lockOf(key);
        lock.lock();
        try
        {
            final long now = System.currentTimeMillis();
            final Live live = live(key, now, events);
            if (live != null)
            {
                hit = true;
                final V current = live.value();
                if (current.equals(oldValue))
                {
                    write(key, newValue);
                    writeBytes(live.entry.id, newValue);
                    updatedExpiry(live.entry, now);
                    events.add(event(EventType.UPDATED, key, newValue, current));
                    replaced = true;
                }
                else
                {
                    accessed(live.entry, now);
                }
            }
        }
        finally
        {
            lock.unlock();
        }
        if (statisticsEnabled)
        {
            if (hit)
            {
                statistics.hits(1);
            }
            else
            {
                statistics.misses(1);
            }
            if (replaced)
            {
                statistics.puts(1);
                statistics.putNanos(System.nanoTime() - start);
            }
        }
        dispatch(events);
        return replaced;
    }

    @Override
    public boolean replace(final K key, final V value)
    {
        return getAndReplace(key, value, false) != null;
    }

    @Override
    public V getAndReplace(final K key, final V value)
    {
        return getAndReplace(key, value, true);
    }

    private V getAndReplace(final K key, final V value, final boolean countsAsGet)
    {
        ensureOpen();
        checkKey(key);
        checkValue(value);
        final long start = System.nanoTime();
        final List<JCacheEntryEvent<K, V>> events = new ArrayList<>(1);
        V old = null;
        final ReentrantLock lock = lockOf(key);
        lock.lock();
        try
        {
            final long now = System.currentTimeMillis();
            final Live live = live(key, now, events);
            if (live != null)
            {
                old = live.value();
                write(key, value);
                writeBytes(live.entry.id, value);
                updatedExpiry(live.entry, now);
                events.add(event(EventType.UPDATED, key, value, old));
            }
        }
        finally
        {
            lock.unlock();
        }
        if (statisticsEnabled)
        {
            final long nanos = System.nanoTime() - start;
            if (old != null)
            {
                statistics.hits(1);
                statistics.puts(1);
                statistics.putNanos(nanos);
            }
            else
            {
                statistics.misses(1);
            }
            if (countsAsGet)
            {
                statistics.getNanos(nanos);
            }
        }
        dispatch(events);
        return old;
    }

    @Override
    public void removeAll(final Set<? extends K> keys)
    {
        ensureOpen();
        Objects.requireNonNull(keys, "keys");
        for (final K key : keys)
        {
            checkKey(key);
        }
        removeKeys(new java.util.LinkedHashSet<K>(keys));
    }

    @Override
    public void removeAll()
    {
        ensureOpen();
        final Set<K> keys = new java.util.LinkedHashSet<>();
        for (final Object key : index.keySet())
        {
            @SuppressWarnings("unchecked")
            final K typed = (K) key;
            keys.add(typed);
        }
        removeKeys(keys);
    }

    private void removeKeys(final Set<K> keys)
    {
        final long start = System.nanoTime();
        CacheWriterException failure = null;
        final Set<K> toRemove = new java.util.LinkedHashSet<>(keys);
        if (configuration.isWriteThrough() && writer != null && !toRemove.isEmpty())
        {
            final Collection<Object> pending = new ArrayList<>(toRemove);
            try
            {
                writer.deleteAll(pending);
                pending.clear();
            }
            catch (final CacheWriterException ex)
            {
                failure = ex;
            }
            catch (final RuntimeException ex)
            {
                failure = new CacheWriterException("cache " + name + ": the writer failed", ex);
            }
            // what the writer left in the collection it did not delete: the cache keeps those
            toRemove.removeAll(new HashSet<>(pending));
        }
        final List<JCacheEntryEvent<K, V>> events = new ArrayList<>();
        long removals = 0;
        for (final K key : toRemove)
        {
            final ReentrantLock lock = lockOf(key);
            lock.lock();
            try
            {
                final Live live = live(key, System.currentTimeMillis(), events);
                if (live != null)
                {
                    final V old = dispatcher.hasListeners() ? live.value() : null;
                    drop(live.entry);
                    if (old != null)
                    {
                        events.add(event(EventType.REMOVED, key, old, old));
                    }
                    removals++;
                }
            }
            finally
            {
                lock.unlock();
            }
        }
        if (statisticsEnabled && removals > 0)
        {
            statistics.removals(removals);
            statistics.removeNanos(System.nanoTime() - start);
        }
        dispatch(events);
        if (failure != null)
        {
            throw failure;
        }
    }

    @Override
    public void clear()
    {
        ensureOpen();
        for (final StoredEntry entry : index.values())
        {
            final ReentrantLock lock = lockOf(entry.key);
            lock.lock();
            try
            {
                drop(entry);
            }
            finally
            {
                lock.unlock();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // entry processors

    @Override
    public <T> T invoke(final K key, final EntryProcessor<K, V, T> entryProcessor, final Object... arguments)
    {
        ensureOpen();
        checkKey(key);
        Objects.requireNonNull(entryProcessor, "entryProcessor");
        final List<JCacheEntryEvent<K, V>> events = new ArrayList<>(1);
        final T result;
        final ReentrantLock lock = lockOf(key);
        lock.lock();
        try
        {
            result = invokeLocked(key, entryProcessor, arguments, events);
        }
        finally
        {
            lock.unlock();
        }
        dispatch(events);
        return result;
    }

    private <T> T invokeLocked(final K key, final EntryProcessor<K, V, T> processor, final Object[] arguments,
        final List<JCacheEntryEvent<K, V>> events)
    {
        final long start = System.nanoTime();
        final long now = System.currentTimeMillis();
        final Live live = live(key, now, events);
        final ProcessorEntry entry = new ProcessorEntry(key, live);
        final T result;
        try
        {
            result = processor.process(entry, arguments);
        }
        catch (final EntryProcessorException ex)
        {
            throw ex;
        }
        catch (final RuntimeException ex)
        {
            throw new EntryProcessorException(ex);
        }
        if (statisticsEnabled)
        {
            // the lookup is the access: a hit or a miss whatever the processor then does
            if (live != null)
            {
                statistics.hits(1);
            }
            else
            {
                statistics.misses(1);
            }
            statistics.getNanos(System.nanoTime() - start);
        }
        final long changeStart = System.nanoTime();
        switch (entry.operation)
        {
            case NONE ->
            {
            }
            case ACCESS -> accessed(live.entry, now);
            case LOAD -> createUnlessExpired(key, entry.value, now, events);
            case CREATE ->
            {
                write(key, entry.value);
                if (createUnlessExpired(key, entry.value, now, events) && statisticsEnabled)
                {
                    statistics.puts(1);
                    statistics.putNanos(System.nanoTime() - changeStart);
                }
            }
            case UPDATE ->
            {
                final V old = live.value();
                write(key, entry.value);
                writeBytes(live.entry.id, entry.value);
                updatedExpiry(live.entry, now);
                events.add(event(EventType.UPDATED, key, entry.value, old));
                if (statisticsEnabled)
                {
                    statistics.puts(1);
                    statistics.putNanos(System.nanoTime() - changeStart);
                }
            }
            case REMOVE ->
            {
                delete(key);
                if (live != null)
                {
                    final V old = live.value();
                    drop(live.entry);
                    events.add(event(EventType.REMOVED, key, old, old));
                    if (statisticsEnabled)
                    {
                        statistics.removals(1);
                        statistics.removeNanos(System.nanoTime() - changeStart);
                    }
                }
            }
        }
        return result;
    }

    @Override
    public <T> Map<K, EntryProcessorResult<T>> invokeAll(final Set<? extends K> keys, final EntryProcessor<K, V, T> entryProcessor,
        final Object... arguments)
    {
        ensureOpen();
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(entryProcessor, "entryProcessor");
        for (final K key : keys)
        {
            checkKey(key);
        }
        final Map<K, EntryProcessorResult<T>> results = new HashMap<>();
        for (final K key : keys)
        {
            try
            {
                final T result = invoke(key, entryProcessor, arguments);
                if (result != null)
                {
                    results.put(key, () -> result);
                }
            }
            catch (final EntryProcessorException ex)
            {
                results.put(key, () ->
                {
                    throw ex;
                });
            }
            catch (final RuntimeException ex)
            {
                final EntryProcessorException wrapped = new EntryProcessorException(ex);
                results.put(key, () ->
                {
                    throw wrapped;
                });
            }
        }
        return results;
    }

    /** What an entry processor did to its entry, applied once it returns. */
    private enum Operation
    {
        NONE,
        ACCESS,
        LOAD,
        CREATE,
        UPDATE,
        REMOVE
    }

    /** The entry an entry processor sees; changes are applied when it returns. */
    private final class ProcessorEntry implements MutableEntry<K, V>
    {
        private final K key;
        private final Live live;
        Operation operation = Operation.NONE;
        V value;

        ProcessorEntry(final K key, final Live live)
        {
            this.key = key;
            this.live = live;
        }

        @Override
        public K getKey()
        {
            return key;
        }

        @Override
        public V getValue()
        {
            if (operation == Operation.NONE)
            {
                if (live != null)
                {
                    value = live.value();
                    operation = Operation.ACCESS;
                }
                else if (readsThrough())
                {
                    final V loaded = load(key);
                    if (loaded != null)
                    {
                        value = checkValue(loaded);
                        operation = Operation.LOAD;
                    }
                }
            }
            return value;
        }

        @Override
        public boolean exists()
        {
            return operation == Operation.NONE ? live != null : value != null;
        }

        @Override
        public void remove()
        {
            // removing what this call created or loaded leaves nothing to do; anything else is a
            // removal, passed to the writer even when there was no entry
            operation = operation == Operation.CREATE || operation == Operation.LOAD ? Operation.NONE : Operation.REMOVE;
            value = null;
        }

        @Override
        public void setValue(final V newValue)
        {
            checkValue(newValue);
            operation = live == null ? Operation.CREATE : Operation.UPDATE;
            value = newValue;
        }

        @Override
        public <T> T unwrap(final Class<T> clazz)
        {
            if (clazz.isInstance(this))
            {
                return clazz.cast(this);
            }
            throw new IllegalArgumentException("cannot unwrap a mutable entry to " + clazz.getName());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // iteration

    @Override
    public Iterator<Cache.Entry<K, V>> iterator()
    {
        ensureOpen();
        return new EntryIterator(new ArrayList<>(index.values()).iterator());
    }

    /** Walks a snapshot of the keys, reading each live entry when it gets there. */
    private final class EntryIterator implements Iterator<Cache.Entry<K, V>>
    {
        private final Iterator<StoredEntry> entries;
        private Cache.Entry<K, V> next;
        private Cache.Entry<K, V> last;

        EntryIterator(final Iterator<StoredEntry> entries)
        {
            this.entries = entries;
        }

        @Override
        public boolean hasNext()
        {
            ensureOpen();
            while (next == null && entries.hasNext())
            {
                final StoredEntry candidate = entries.next();
                final List<JCacheEntryEvent<K, V>> events = new ArrayList<>(0);
                final ReentrantLock lock = lockOf(candidate.key);
                lock.lock();
                try
                {
                    final long now = System.currentTimeMillis();
                    final Live live = live(candidate.key, now, events);
                    if (live != null && live.entry == candidate)
                    {
                        accessed(candidate, now);
                        if (statisticsEnabled)
                        {
                            statistics.hits(1);
                        }
                        next = new JCacheEntry<>(keyOf(candidate), live.value());
                    }
                }
                finally
                {
                    lock.unlock();
                }
                dispatch(events);
            }
            return next != null;
        }

        @Override
        public Cache.Entry<K, V> next()
        {
            if (!hasNext())
            {
                throw new NoSuchElementException();
            }
            last = next;
            next = null;
            return last;
        }

        @Override
        public void remove()
        {
            if (last == null)
            {
                throw new IllegalStateException("next() first");
            }
            final K key = last.getKey();
            last = null;
            TierJCache.this.remove(key);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // the rest of the API

    @Override
    public String getName()
    {
        return name;
    }

    @Override
    public CacheManager getCacheManager()
    {
        return manager;
    }

    @Override
    public <C extends Configuration<K, V>> C getConfiguration(final Class<C> clazz)
    {
        if (clazz.isInstance(configuration))
        {
            return clazz.cast(configuration);
        }
        throw new IllegalArgumentException("the configuration is a " + configuration.getClass().getName() + ", not a " + clazz.getName());
    }

    CompleteConfiguration<K, V> configuration()
    {
        return configuration;
    }

    JCacheStatistics statistics()
    {
        return statistics;
    }

    @Override
    public synchronized void registerCacheEntryListener(final CacheEntryListenerConfiguration<K, V> listenerConfiguration)
    {
        ensureOpen();
        Objects.requireNonNull(listenerConfiguration, "listenerConfiguration");
        for (final ListenerRegistration<K, V> registration : dispatcher.registrations)
        {
            if (registration.configuration.equals(listenerConfiguration))
            {
                throw new IllegalArgumentException("the listener configuration is registered already");
            }
        }
        configuration.addCacheEntryListenerConfiguration(listenerConfiguration);
        dispatcher.registrations.add(new ListenerRegistration<>(listenerConfiguration));
    }

    @Override
    public synchronized void deregisterCacheEntryListener(final CacheEntryListenerConfiguration<K, V> listenerConfiguration)
    {
        ensureOpen();
        Objects.requireNonNull(listenerConfiguration, "listenerConfiguration");
        for (final ListenerRegistration<K, V> registration : dispatcher.registrations)
        {
            if (registration.configuration.equals(listenerConfiguration))
            {
                dispatcher.registrations.remove(registration);
                configuration.removeCacheEntryListenerConfiguration(listenerConfiguration);
                registration.close();
            }
        }
    }

    @Override
    public <T> T unwrap(final Class<T> clazz)
    {
        if (clazz.isInstance(this))
        {
            return clazz.cast(this);
        }
        if (clazz.isInstance(store))
        {
            return clazz.cast(store);
        }
        throw new IllegalArgumentException("cannot unwrap the cache to " + clazz.getName());
    }

    void setStatisticsEnabled(final boolean enabled)
    {
        configuration.setStatisticsEnabled(enabled);
        statisticsEnabled = enabled;
        final var beanName = JCacheMBeans.name(JCacheMBeans.Kind.CacheStatistics, manager.getURI(), name);
        if (enabled)
        {
            JCacheMBeans.register(statistics, beanName);
        }
        else
        {
            JCacheMBeans.unregister(beanName);
        }
    }

    void setManagementEnabled(final boolean enabled)
    {
        configuration.setManagementEnabled(enabled);
        managementEnabled = enabled;
        final var beanName = JCacheMBeans.name(JCacheMBeans.Kind.CacheConfiguration, manager.getURI(), name);
        if (enabled)
        {
            JCacheMBeans.register(configurationBean, beanName);
        }
        else
        {
            JCacheMBeans.unregister(beanName);
        }
    }

    boolean isManagementEnabled()
    {
        return managementEnabled;
    }

    @Override
    public boolean isClosed()
    {
        return closed;
    }

    /**
     * Closes the cache: its beans are unregistered, its loader, writer, expiry policy and listeners
     * closed when they are {@link java.io.Closeable}, its threads stopped, and its TierCache, the
     * one owner of the native memory behind the values, closed. Idempotent.
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
        manager.released(this);
        try
        {
            JCacheMBeans.unregister(JCacheMBeans.name(JCacheMBeans.Kind.CacheStatistics, manager.getURI(), name));
            JCacheMBeans.unregister(JCacheMBeans.name(JCacheMBeans.Kind.CacheConfiguration, manager.getURI(), name));
        }
        finally
        {
            loadExecutor.shutdown();
            eventExecutor.shutdown();
            try
            {
                eventExecutor.awaitTermination(10, TimeUnit.SECONDS);
                loadExecutor.awaitTermination(10, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            ListenerRegistration.closeQuietly(loader);
            ListenerRegistration.closeQuietly(writer);
            ListenerRegistration.closeQuietly(expiry);
            for (final ListenerRegistration<K, V> registration : dispatcher.registrations)
            {
                registration.close();
            }
            index.clear();
            store.close();
        }
    }

    @Override
    public String toString()
    {
        return "TierJCache[" + name + " of " + manager.getURI() + "]";
    }
}
