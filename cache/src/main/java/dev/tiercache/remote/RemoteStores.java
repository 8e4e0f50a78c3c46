package dev.tiercache.remote;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * Finding a store for a URI, and the key space of a namespace: shared by L4 and the tools.
 */
public final class RemoteStores
{
    private RemoteStores()
    {
    }

    /**
     * The provider of a URI's scheme, found with {@link ServiceLoader}.
     *
     * @param uri    the URI.
     * @param shown  the URI as it may be printed (without its password).
     * @return the provider.
     * @throws IllegalArgumentException when none knows the scheme, or the URI is malformed.
     */
    public static RemoteStoreProvider provider(final String uri, final String shown)
    {
        final String scheme;
        try
        {
            scheme = String.valueOf(new URI(uri).getScheme()).toLowerCase(Locale.ROOT);
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalArgumentException("remote.uri=" + shown + ": not a URI", null);
        }
        for (final RemoteStoreProvider candidate : ServiceLoader.load(RemoteStoreProvider.class, RemoteStores.class.getClassLoader()))
        {
            if (candidate.accepts(scheme))
            {
                return candidate;
            }
        }
        throw new IllegalArgumentException("remote.uri=" + shown + ": no L4 provider for the scheme " + scheme +
            "; add the tiercache-redis artifact for redis://, rediss:// and redis-cluster://");
    }

    /**
     * Opens a store.
     *
     * @param uri     the URI.
     * @param shown   the URI as it may be printed.
     * @param timeout bound of every call.
     * @return the store; the caller closes it.
     */
    public static RemoteStore open(final String uri, final String shown, final Duration timeout)
    {
        return provider(uri, shown).open(URI.create(uri), timeout);
    }

    /**
     * Opens a store with every connection setting of L4 (timeout, TLS trust).
     *
     * @param uri      the URI.
     * @param shown    the URI as it may be printed.
     * @param settings L4's settings for that URI.
     * @return the store; the caller closes it.
     */
    public static RemoteStore open(final String uri, final String shown, final dev.tiercache.RemoteSettings settings)
    {
        return provider(uri, shown).open(URI.create(uri), settings);
    }

    /**
     * The prefix of every key of a namespace: {@code tc:<namespace>:}.
     *
     * @param namespace a valid namespace.
     * @return the prefix bytes.
     */
    public static byte[] prefix(final String namespace)
    {
        return ("tc:" + namespace + ":").getBytes(StandardCharsets.US_ASCII);
    }
}
