package dev.tiercache.jcache;

import javax.cache.configuration.CacheEntryListenerConfiguration;
import javax.cache.configuration.Factory;
import javax.cache.event.CacheEntryCreatedListener;
import javax.cache.event.CacheEntryEvent;
import javax.cache.event.CacheEntryEventFilter;
import javax.cache.event.CacheEntryExpiredListener;
import javax.cache.event.CacheEntryListener;
import javax.cache.event.CacheEntryListenerException;
import javax.cache.event.CacheEntryRemovedListener;
import javax.cache.event.CacheEntryUpdatedListener;
import javax.cache.event.EventType;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One registered listener: made once from its configuration's factories, with its filter, and
 * told only of the event types it implements a listener interface for.
 *
 * @param <K> the key type.
 * @param <V> the value type.
 */
final class ListenerRegistration<K, V>
{
    private static final System.Logger LOG = System.getLogger(ListenerRegistration.class.getName());

    final CacheEntryListenerConfiguration<K, V> configuration;
    private final CacheEntryListener<? super K, ? super V> listener;
    private final CacheEntryEventFilter<? super K, ? super V> filter;

    ListenerRegistration(final CacheEntryListenerConfiguration<K, V> configuration)
    {
        this.configuration = configuration;
        this.listener = configuration.getCacheEntryListenerFactory().create();
        final Factory<CacheEntryEventFilter<? super K, ? super V>> filterFactory = configuration.getCacheEntryEventFilterFactory();
        this.filter = filterFactory == null ? null : filterFactory.create();
    }

    boolean isSynchronous()
    {
        return configuration.isSynchronous();
    }

    boolean wants(final EventType type)
    {
        return switch (type)
        {
            case CREATED -> listener instanceof CacheEntryCreatedListener;
            case UPDATED -> listener instanceof CacheEntryUpdatedListener;
            case REMOVED -> listener instanceof CacheEntryRemovedListener;
            case EXPIRED -> listener instanceof CacheEntryExpiredListener;
        };
    }

    /**
     * Tells the listener of the events it wants that pass its filter, in order, one call per run
     * of events of one type.
     *
     * @throws CacheEntryListenerException what the listener or filter threw, wrapped when needed.
     */
    @SuppressWarnings("unchecked")
    void deliver(final List<JCacheEntryEvent<K, V>> events)
    {
        final List<CacheEntryEvent<? extends K, ? extends V>> run = new ArrayList<>();
        EventType runType = null;
        try
        {
            for (final JCacheEntryEvent<K, V> event : events)
            {
                if (!wants(event.getEventType()))
                {
                    continue;
                }
                final JCacheEntryEvent<K, V> seen = configuration.isOldValueRequired() ? event : event.withoutOldValue();
                if (filter != null && !filter.evaluate(seen))
                {
                    continue;
                }
                if (runType != null && runType != event.getEventType())
                {
                    call(runType, run);
                    run.clear();
                }
                runType = event.getEventType();
                run.add(seen);
            }
            if (runType != null)
            {
                call(runType, run);
            }
        }
        catch (final CacheEntryListenerException ex)
        {
            throw ex;
        }
        catch (final RuntimeException ex)
        {
            throw new CacheEntryListenerException(ex);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void call(final EventType type, final List<CacheEntryEvent<? extends K, ? extends V>> run)
    {
        final Iterable events = List.copyOf(run);
        switch (type)
        {
            case CREATED -> ((CacheEntryCreatedListener) listener).onCreated(events);
            case UPDATED -> ((CacheEntryUpdatedListener) listener).onUpdated(events);
            case REMOVED -> ((CacheEntryRemovedListener) listener).onRemoved(events);
            case EXPIRED -> ((CacheEntryExpiredListener) listener).onExpired(events);
        }
    }

    void close()
    {
        closeQuietly(listener);
        closeQuietly(filter);
    }

    static void closeQuietly(final Object resource)
    {
        if (resource instanceof Closeable closeable)
        {
            try
            {
                closeable.close();
            }
            catch (final IOException | RuntimeException ex)
            {
                LOG.log(System.Logger.Level.WARNING, "closing " + resource.getClass().getName() + " failed", ex);
            }
        }
    }
}
