package dev.tiercache.remote;

import dev.tiercache.RemoteSettings;

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

    /**
     * Connects with every setting of L4 that concerns the connection: the timeout, and the
     * {@link RemoteSettings#tlsCaFile() CA file} of a TLS scheme. The default opens with the
     * timeout alone and refuses a CA file.
     *
     * @param uri      where, with credentials if any.
     * @param settings L4's settings (the URI in them is the same).
     * @return an open store; its owner closes it.
     * @throws RemoteStoreException     when the server cannot be reached now (the cache then starts
     *                                  with L4 off and retries).
     * @throws IllegalArgumentException when the URI or a connection setting is wrong (a CA file
     *                                  this provider cannot use), naming it without a password.
     */
    default RemoteStore open(final URI uri, final RemoteSettings settings)
    {
        if (settings.tlsCaFile() != null)
        {
            throw new IllegalArgumentException("remote.tls_ca_file=" + settings.tlsCaFile() + ": the provider of " + uri.getScheme() +
                ":// has no TLS settings");
        }
        return open(uri, settings.timeout());
    }
}
