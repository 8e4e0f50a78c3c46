package dev.tiercache.remote;

import java.net.URI;
import java.time.Duration;

/**
 * Opens {@link RemoteStore}s for the URI schemes it knows; found with {@link java.util.ServiceLoader}
 * (the {@code tiercache-redis} artifact provides {@code redis://}, {@code rediss://} and
 * {@code redis-cluster://}).
 */
public interface RemoteStoreProvider
{
    /**
     * Whether this provider opens a URI of that scheme.
     *
     * @param scheme a URI scheme in lower case, e.g. {@code redis}.
     * @return true when it does.
     */
    boolean accepts(String scheme);

    /**
     * Connects.
     *
     * @param uri     where, with credentials if any.
     * @param timeout the bound of every call (connect, read, write).
     * @return an open store; its owner closes it.
     * @throws RemoteStoreException     when the server cannot be reached now (the cache then starts
     *                                  with L4 off and retries).
     * @throws IllegalArgumentException when the URI is malformed, naming it without its password.
     */
    RemoteStore open(URI uri, Duration timeout);
}
