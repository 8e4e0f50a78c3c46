package dev.tiercache.jcache;

import javax.cache.event.CacheEntryListenerException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * Delivers an operation's events: to synchronous listeners on the caller's thread before the
 * operation returns (their exceptions reach the caller), to asynchronous ones on the cache's one
 * event thread, which keeps each listener's events in the order they happened.
 *
 * @param <K> the key type.
 * @param <V> the value type.
 */
final class EventDispatcher<K, V>
{
    private static final System.Logger LOG = System.getLogger(EventDispatcher.class.getName());

    final CopyOnWriteArrayList<ListenerRegistration<K, V>> registrations = new CopyOnWriteArrayList<>();
    private final ExecutorService asyncExecutor;

    EventDispatcher(final ExecutorService asyncExecutor)
    {
        this.asyncExecutor = asyncExecutor;
    }

    boolean hasListeners()
    {
        return !registrations.isEmpty();
    }

    void dispatch(final List<JCacheEntryEvent<K, V>> events)
    {
        if (events.isEmpty() || registrations.isEmpty())
        {
            return;
        }
        CacheEntryListenerException failure = null;
        for (final ListenerRegistration<K, V> registration : registrations)
        {
            if (registration.isSynchronous())
            {
                try
                {
                    registration.deliver(events);
                }
                catch (final CacheEntryListenerException ex)
                {
                    failure = failure == null ? ex : failure;
                }
            }
            else
            {
                final List<JCacheEntryEvent<K, V>> copy = List.copyOf(events);
                try
                {
                    asyncExecutor.execute(() -> deliverAsync(registration, copy));
                }
                catch (final RejectedExecutionException ex)
                {
                    LOG.log(System.Logger.Level.DEBUG, "cache closed: asynchronous events dropped");
                }
            }
        }
        if (failure != null)
        {
            throw failure;
        }
    }

    private static <K, V> void deliverAsync(final ListenerRegistration<K, V> registration, final List<JCacheEntryEvent<K, V>> events)
    {
        try
        {
            registration.deliver(events);
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "asynchronous cache entry listener failed", ex);
        }
    }
}
