package dev.tiercache.redis;

import dev.tiercache.RemoteSettings;
import dev.tiercache.remote.RemoteStore;
import dev.tiercache.remote.RemoteStoreProvider;

import java.net.URI;
import java.time.Duration;
import java.util.Set;

/**
 * Opens {@link RedisStore}s for {@code redis}, {@code rediss}, {@code redis-cluster} and
 * {@code rediss-cluster} URIs; registered for {@link java.util.ServiceLoader}.
 */
public final class RedisStoreProvider implements RemoteStoreProvider
{
    private static final Set<String> SCHEMES = Set.of("redis", "rediss", "redis-cluster", "rediss-cluster");

    /**
     * The service-loader constructor.
     */
    public RedisStoreProvider()
    {
    }

    @Override
    public boolean accepts(final String scheme)
    {
        return SCHEMES.contains(scheme);
    }

    @Override
    public RemoteStore open(final URI uri, final Duration timeout)
    {
        return RedisStore.open(RedisUri.parse(uri), timeout);
    }

    @Override
    public RemoteStore open(final URI uri, final RemoteSettings settings)
    {
        return RedisStore.open(RedisUri.parse(uri), settings.timeout(), settings.tlsCaFile());
    }
}
