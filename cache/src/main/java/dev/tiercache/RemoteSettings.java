package dev.tiercache;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * L4's configuration: a shared level on a remote server below L3 (decision record 0020). Entries
 * there are immutable values under a namespace (a dataset's name and version), so caches on many
 * machines that point at one server and one namespace share one decoded dataset.
 *
 * <p>{@link #toString()} and every message replace the URI's password with {@code ***}.
 *
 * @param uri             {@code redis://[user:password@]host:port[/db]}, {@code rediss://} for TLS,
 *                        {@code redis-cluster://[user:password@]h1:p1,h2:p2,...}.
 * @param namespace       letters, digits, {@code . _ -}; at most {@value #MAX_NAMESPACE_LENGTH}
 *                        characters. Two datasets (or two versions of one) never share a namespace.
 * @param ttl             time to live of the values written, {@link Duration#ZERO} for none.
 * @param queueBytes      bound of the write-behind queue; a write that does not fit is dropped and
 *                        counted, never waited for.
 * @param timeout         bound of every remote call; past it L4 turns off until the server answers again.
 * @param writeOnPut      whether a put is written behind to L4.
 * @param writeOnEviction whether an entry that L3 drops is written behind to L4.
 * @param tlsCaFile       for a TLS URI ({@code rediss://}, {@code rediss-cluster://}): a PEM file of
 *                        the CA certificates that sign the server's certificate, trusted instead of
 *                        the JVM's trust store; {@code null} for the JVM's (the {@code cacerts} file,
 *                        or {@code javax.net.ssl.trustStore}). The server's host name is verified
 *                        against its certificate either way.
 */
public record RemoteSettings(
    String uri, String namespace, Duration ttl, long queueBytes, Duration timeout, boolean writeOnPut, boolean writeOnEviction,
    Path tlsCaFile)
{
    /** Longest namespace. */
    public static final int MAX_NAMESPACE_LENGTH = dev.tiercache.config.SettingsKey.NAMESPACE_MAX_LENGTH;

    private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_NAMESPACE_LENGTH + "}");
    /** {@code user:password@} after a scheme, a slash or a comma, or at the start (a URI written without its scheme). */
    private static final Pattern PASSWORD = Pattern.compile("(^|[:/,])([^:/@,\\s]*):[^@/\\s]*@");
    /** {@code ://secret@}: a password given without a user. */
    private static final Pattern LONE_SECRET = Pattern.compile("://([^:@/]+)@");

    /**
     * Checks every value.
     *
     * @param uri             where.
     * @param namespace       the dataset's namespace.
     * @param ttl             time to live, zero for none.
     * @param queueBytes      write-behind bound.
     * @param timeout         call bound.
     * @param writeOnPut      write puts behind.
     * @param writeOnEviction write L3 evictions behind.
     * @param tlsCaFile       PEM CA certificates for TLS, or {@code null} for the JVM's trust store.
     * @throws IllegalArgumentException naming the bad value (a URI without its password).
     */
    public RemoteSettings
    {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(ttl, "ttl");
        Objects.requireNonNull(timeout, "timeout");
        final String scheme = parse(uri).getScheme();
        if (scheme == null || !scheme.matches("[a-z][a-z0-9+.-]*"))
        {
            throw new IllegalArgumentException("remote.uri=" + redact(uri) + ": must start with a scheme such as redis://");
        }
        if (!NAMESPACE.matcher(namespace).matches())
        {
            throw new IllegalArgumentException("remote.namespace=\"" + namespace + "\": must be 1 to " + MAX_NAMESPACE_LENGTH +
                " letters, digits, '.', '_' or '-' (a dataset's name and version, e.g. imagenet-train.v3)");
        }
        if (ttl.isNegative() || (!ttl.isZero() && ttl.toMillis() == 0))
        {
            throw new IllegalArgumentException("remote.ttl=" + ttl + ": must be 0 (none) or at least 1 ms");
        }
        if (queueBytes < 0)
        {
            throw new IllegalArgumentException("remote.queue_size=" + queueBytes + ": must be >= 0 (0 writes nothing behind)");
        }
        if (timeout.isNegative() || timeout.toMillis() < 1)
        {
            throw new IllegalArgumentException("remote.timeout=" + timeout + ": must be at least 1 ms");
        }
        if (tlsCaFile != null && tlsCaFile.toString().isEmpty())
        {
            throw new IllegalArgumentException("remote.tls_ca_file=\"\": must be a path, or null for the JVM's trust store");
        }
    }

    /**
     * Settings without a CA file of their own (TLS, if any, trusts the JVM's trust store).
     *
     * @param uri             where.
     * @param namespace       the dataset's namespace.
     * @param ttl             time to live, zero for none.
     * @param queueBytes      write-behind bound.
     * @param timeout         call bound.
     * @param writeOnPut      write puts behind.
     * @param writeOnEviction write L3 evictions behind.
     * @throws IllegalArgumentException naming the bad value (a URI without its password).
     */
    public RemoteSettings(
        final String uri, final String namespace, final Duration ttl, final long queueBytes, final Duration timeout, final boolean writeOnPut,
        final boolean writeOnEviction)
    {
        this(uri, namespace, ttl, queueBytes, timeout, writeOnPut, writeOnEviction, null);
    }

    /**
     * L4 at a URI under a namespace, with the defaults of {@link TierCacheConfig}: no TTL, a
     * 64 MiB queue, 250 ms timeout, puts written behind, L3 evictions not.
     *
     * @param uri       where.
     * @param namespace the dataset's namespace.
     * @return the settings.
     */
    public static RemoteSettings of(final String uri, final String namespace)
    {
        return new RemoteSettings(uri, namespace, Duration.ofNanos(TierCacheConfig.REMOTE_TTL_NANOS_DEFAULT),
            TierCacheConfig.REMOTE_QUEUE_BYTES_DEFAULT, Duration.ofNanos(TierCacheConfig.REMOTE_TIMEOUT_NANOS_DEFAULT),
            TierCacheConfig.REMOTE_WRITE_ON_PUT_DEFAULT, TierCacheConfig.REMOTE_WRITE_ON_EVICTION_DEFAULT);
    }

    /**
     * A copy with another TTL.
     *
     * @param ttl time to live; zero for none.
     * @return the copy.
     */
    public RemoteSettings withTtl(final Duration ttl)
    {
        return new RemoteSettings(uri, namespace, ttl, queueBytes, timeout, writeOnPut, writeOnEviction, tlsCaFile);
    }

    /**
     * A copy with another queue bound.
     *
     * @param bytes the bound.
     * @return the copy.
     */
    public RemoteSettings withQueueBytes(final long bytes)
    {
        return new RemoteSettings(uri, namespace, ttl, bytes, timeout, writeOnPut, writeOnEviction, tlsCaFile);
    }

    /**
     * A copy with another call bound.
     *
     * @param timeout the bound.
     * @return the copy.
     */
    public RemoteSettings withTimeout(final Duration timeout)
    {
        return new RemoteSettings(uri, namespace, ttl, queueBytes, timeout, writeOnPut, writeOnEviction, tlsCaFile);
    }

    /**
     * A copy with other write-behind triggers.
     *
     * @param onPut      write puts behind.
     * @param onEviction write entries L3 drops behind.
     * @return the copy.
     */
    public RemoteSettings withWriteBehind(final boolean onPut, final boolean onEviction)
    {
        return new RemoteSettings(uri, namespace, ttl, queueBytes, timeout, onPut, onEviction, tlsCaFile);
    }

    /**
     * A copy that trusts the CA certificates of a PEM file for TLS.
     *
     * @param caFile a PEM file of CA certificates, or {@code null} for the JVM's trust store.
     * @return the copy.
     */
    public RemoteSettings withTlsCaFile(final Path caFile)
    {
        return new RemoteSettings(uri, namespace, ttl, queueBytes, timeout, writeOnPut, writeOnEviction, caFile);
    }

    /**
     * The URI, parsed; {@code redis-cluster://h1:p1,h2:p2} is not a server-based URI, so only the
     * scheme and the raw parts are meaningful.
     *
     * @return the URI.
     */
    public URI parsedUri()
    {
        return parse(uri);
    }

    /**
     * A URI with any password replaced by {@code ***}.
     *
     * @param uri a URI.
     * @return the printable form.
     */
    public static String redact(final String uri)
    {
        return uri == null ? null : LONE_SECRET.matcher(PASSWORD.matcher(uri).replaceAll("$1$2:***@")).replaceFirst("://***@");
    }

    private static URI parse(final String uri)
    {
        try
        {
            return new URI(uri);
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalArgumentException("remote.uri=" + redact(uri) + ": not a URI (" + ex.getReason() + ")", null);
        }
    }

    /**
     * The settings with the URI's password replaced by {@code ***}.
     */
    @Override
    public String toString()
    {
        return "RemoteSettings[uri=" + redact(uri) + ", namespace=" + namespace + ", ttl=" + ttl + ", queueBytes=" + queueBytes +
            ", timeout=" + timeout + ", writeOnPut=" + writeOnPut + ", writeOnEviction=" + writeOnEviction +
            (tlsCaFile == null ? "" : ", tlsCaFile=" + tlsCaFile) + "]";
    }
}
