package dev.tiercache.redis;

import dev.tiercache.RemoteSettings;
import redis.clients.jedis.HostAndPort;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Redis URI taken apart: {@code redis://[user:password@]host[:port][/db]}, {@code rediss://}
 * for TLS, {@code redis-cluster://[user:password@]h1:p1,h2:p2,...} and {@code rediss-cluster://}.
 * A password alone is written {@code redis://:password@host}. User and password are
 * percent-decoded. {@link #toString()} never shows the password.
 *
 * @param cluster  whether the nodes are seeds of a Redis Cluster.
 * @param tls      whether to connect over TLS.
 * @param nodes    the server, or the cluster's seed nodes.
 * @param user     the ACL user, or {@code null}.
 * @param password the password, or {@code null}.
 * @param database the database number (standalone only), default 0.
 */
public record RedisUri(boolean cluster, boolean tls, List<HostAndPort> nodes, String user, String password, int database)
{
    /** Port when a URI names none. */
    public static final int DEFAULT_PORT = 6379;

    /**
     * Copies the node list.
     *
     * @param cluster  cluster or not.
     * @param tls      TLS or not.
     * @param nodes    at least one.
     * @param user     or {@code null}.
     * @param password or {@code null}.
     * @param database 0 to 15 usually.
     */
    public RedisUri
    {
        nodes = List.copyOf(nodes);
    }

    /**
     * Parses a URI.
     *
     * @param uri the URI.
     * @return its parts.
     * @throws IllegalArgumentException naming the URI without its password and what is wrong.
     */
    public static RedisUri parse(final URI uri)
    {
        final String text = uri.toString();
        final String shown = RemoteSettings.redact(text);
        final String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        final boolean cluster = scheme.endsWith("-cluster");
        final boolean tls = scheme.startsWith("rediss");
        if (!scheme.equals("redis") && !scheme.equals("rediss") && !scheme.equals("redis-cluster") && !scheme.equals("rediss-cluster"))
        {
            throw new IllegalArgumentException("remote.uri=" + shown + ": the scheme must be redis, rediss, redis-cluster or rediss-cluster");
        }
        String rest = text.substring(text.indexOf("://") + 3);
        int database = 0;
        final int slash = rest.indexOf('/');
        if (slash >= 0)
        {
            final String path = rest.substring(slash + 1);
            rest = rest.substring(0, slash);
            if (!path.isEmpty())
            {
                if (cluster || !path.matches("\\d{1,4}"))
                {
                    throw new IllegalArgumentException("remote.uri=" + shown + ": the path must be a database number" +
                        (cluster ? ", and a cluster has none" : ""));
                }
                database = Integer.parseInt(path);
            }
        }
        String user = null;
        String password = null;
        final int at = rest.lastIndexOf('@');
        if (at >= 0)
        {
            final String info = rest.substring(0, at);
            rest = rest.substring(at + 1);
            final int colon = info.indexOf(':');
            if (colon < 0)
            {
                password = decode(info);
            }
            else
            {
                user = colon == 0 ? null : decode(info.substring(0, colon));
                password = decode(info.substring(colon + 1));
            }
        }
        final List<HostAndPort> nodes = new ArrayList<>();
        for (final String node : rest.split(","))
        {
            if (node.isBlank())
            {
                throw new IllegalArgumentException("remote.uri=" + shown + ": an empty host");
            }
            final int colon = node.lastIndexOf(':');
            final String host = colon < 0 ? node : node.substring(0, colon);
            final int port;
            try
            {
                port = colon < 0 ? DEFAULT_PORT : Integer.parseInt(node.substring(colon + 1));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("remote.uri=" + shown + ": port of " + node + " is not a number", ex);
            }
            if (port < 1 || port > 65535 || host.isEmpty())
            {
                throw new IllegalArgumentException("remote.uri=" + shown + ": " + node + " is not host:port with a port in [1, 65535]");
            }
            nodes.add(new HostAndPort(host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host, port));
        }
        if (!cluster && nodes.size() != 1)
        {
            throw new IllegalArgumentException("remote.uri=" + shown + ": " + nodes.size() + " hosts; use redis-cluster:// for a cluster");
        }
        return new RedisUri(cluster, tls, nodes, user, password, database);
    }

    private static String decode(final String text)
    {
        return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /**
     * The URI with {@code ***} for the password.
     */
    @Override
    public String toString()
    {
        final StringBuilder out = new StringBuilder(tls ? "rediss" : "redis").append(cluster ? "-cluster://" : "://");
        if (user != null || password != null)
        {
            out.append(user == null ? "" : user).append(password == null ? "" : ":***").append('@');
        }
        for (int i = 0; i < nodes.size(); i++)
        {
            out.append(i == 0 ? "" : ",").append(nodes.get(i).getHost()).append(':').append(nodes.get(i).getPort());
        }
        return out.append(database == 0 ? "" : "/" + database).toString();
    }
}
