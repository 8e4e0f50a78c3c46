package dev.tiercache.redis;

import dev.tiercache.remote.RemoteStore;
import dev.tiercache.remote.RemoteStoreException;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.providers.ClusterConnectionProvider;
import redis.clients.jedis.providers.PooledConnectionProvider;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.util.JedisClusterCRC16;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * A {@link RemoteStore} on Redis through Jedis: one server ({@code redis://}, {@code rediss://})
 * or a Redis Cluster ({@code redis-cluster://}).
 *
 * <h2>Connections</h2>
 * A pool of at most {@value #MAX_CONNECTIONS} connections per node, none opened before it is
 * needed, none kept by an evictor thread; borrowing one waits at most the timeout. Connect, read
 * and write are each bounded by the timeout ({@code SO_TIMEOUT} bounds every blocking read, so a
 * stopped server costs one timeout per call, never a hang).
 *
 * <h2>Batches</h2>
 * {@link #getAll} sends one {@code MGET} to a standalone server. On a cluster it groups the keys by
 * the node that owns their slot and pipelines their {@code GET}s on one connection per node, so a
 * batch costs one round trip per node; a node that fails makes only its own keys
 * {@link RemoteStore#FAILED}.
 *
 * <h2>Writes</h2>
 * {@link #setAll} pipelines the write-behind queue's {@code SET}s the same way: one exchange per
 * node; a value the server refuses fails alone.
 *
 * <h2>Failure</h2>
 * A standalone server that cannot be reached, or answers too late, fails the whole store. On a
 * cluster a node's failure fails its keys only, and the slot map is refreshed; the cluster must
 * then run with {@code cluster-require-full-coverage no} for the other masters to keep answering.
 * An {@code OOM} or a refused bulk length is a refusal of the value, not a failure of the store.
 */
public final class RedisStore implements RemoteStore
{
    /** Connections per node at most. */
    public static final int MAX_CONNECTIONS = 16;
    /** The server's default bulk length limit, assumed when {@code CONFIG GET} is not allowed. */
    public static final long DEFAULT_MAX_BULK_BYTES = 512L << 20;
    private static final int SCAN_COUNT = 1000;

    private final RedisUri uri;
    private final Duration timeout;
    private final UnifiedJedis client;
    private final PooledConnectionProvider single;
    private final ClusterConnectionProvider cluster;
    private final long maxValueBytes;
    private volatile boolean closed;

    private RedisStore(final RedisUri uri, final Duration timeout, final UnifiedJedis client, final PooledConnectionProvider single,
        final ClusterConnectionProvider cluster)
    {
        this.uri = uri;
        this.timeout = timeout;
        this.client = client;
        this.single = single;
        this.cluster = cluster;
        this.maxValueBytes = readMaxValueBytes();
    }

    /**
     * Connects to a server or a cluster.
     *
     * @param uri     where.
     * @param timeout bound of every call.
     * @return the store.
     * @throws RemoteStoreException when it cannot be reached (a cluster: none of its seeds).
     */
    public static RedisStore open(final RedisUri uri, final Duration timeout)
    {
        return open(uri, timeout, null);
    }

    /**
     * Connects to a server or a cluster, over TLS trusting a CA file's certificates.
     *
     * <p>TLS ({@code rediss://}, {@code rediss-cluster://}) verifies the server's certificate
     * chain and that the certificate names the host of the URI (its subject alternative names:
     * connect to {@code 127.0.0.1} only with an IP entry for it). The chain is checked against
     * {@code caFile} when given, else the JVM's trust store ({@code javax.net.ssl.trustStore},
     * else {@code cacerts}). A client certificate, for a server with {@code tls-auth-clients yes},
     * comes from the standard {@code javax.net.ssl.keyStore}, {@code javax.net.ssl.keyStorePassword}
     * and {@code javax.net.ssl.keyStoreType} system properties when they are set.
     *
     * @param uri     where.
     * @param timeout bound of every call.
     * @param caFile  a PEM file of CA certificates for TLS, or {@code null}.
     * @return the store.
     * @throws RemoteStoreException     when it cannot be reached (a cluster: none of its seeds), or
     *                                  the TLS handshake fails (the reason names TLS and the cause).
     * @throws IllegalArgumentException when {@code caFile} is given for a URI without TLS, or
     *                                  holds no readable certificate.
     */
    public static RedisStore open(final RedisUri uri, final Duration timeout, final Path caFile)
    {
        final int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
        final DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(millis).socketTimeoutMillis(millis).clientName("tiercache");
        if (caFile != null && !uri.tls())
        {
            throw new IllegalArgumentException("remote.tls_ca_file=" + caFile + ": set for " + uri +
                ", which does not use TLS (rediss:// or rediss-cluster://)");
        }
        if (uri.tls())
        {
            config.sslOptions(RedisTls.options(caFile));
        }
        if (uri.password() != null)
        {
            config.user(uri.user()).password(uri.password());
        }
        if (!uri.cluster())
        {
            config.database(uri.database());
        }
        final JedisClientConfig clientConfig = config.build();
        final GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(MAX_CONNECTIONS);
        pool.setMaxIdle(MAX_CONNECTIONS);
        pool.setMinIdle(0);
        pool.setMaxWait(timeout);
        pool.setJmxEnabled(false);
        try
        {
            if (uri.cluster())
            {
                final ClusterConnectionProvider provider = new ClusterConnectionProvider(new HashSet<>(uri.nodes()), clientConfig, pool);
                try
                {
                    final UnifiedJedis client = RedisClusterClient.builder().nodes(new HashSet<>(uri.nodes())).connectionProvider(provider)
                        .maxAttempts(2).maxTotalRetriesDuration(timeout).build();
                    return new RedisStore(uri, timeout, client, null, provider);
                }
                catch (final RuntimeException ex)
                {
                    provider.close();
                    throw ex;
                }
            }
            final PooledConnectionProvider provider = new PooledConnectionProvider(uri.nodes().getFirst(), clientConfig, pool);
            final UnifiedJedis client = RedisClient.builder().connectionProvider(provider).build();
            try
            {
                return new RedisStore(uri, timeout, client, provider, null);
            }
            catch (final RuntimeException ex)
            {
                client.close();
                throw ex;
            }
        }
        catch (final JedisException ex)
        {
            throw new RemoteStoreException(uri + ": " + describe(ex), true, false, null);
        }
    }

    private long readMaxValueBytes()
    {
        long limit = Long.MAX_VALUE;
        JedisConnectionException last = null;
        for (final HostAndPort node : primaries())
        {
            try (Connection connection = connection(node))
            {
                final Map<String, String> config = new Jedis(connection).configGet("proto-max-bulk-len");
                final String value = config.get("proto-max-bulk-len");
                limit = Math.min(limit, value == null ? DEFAULT_MAX_BULK_BYTES : Long.parseLong(value.trim()));
            }
            catch (final JedisDataException | NumberFormatException ex)
            {
                limit = Math.min(limit, DEFAULT_MAX_BULK_BYTES); // CONFIG not allowed for this user
            }
            catch (final JedisConnectionException ex)
            {
                // a failed master of a cluster: the others decide; a standalone server fails below
                last = ex;
            }
        }
        if (limit == Long.MAX_VALUE)
        {
            throw last != null ? last : new JedisConnectionException("no node answered");
        }
        return limit;
    }

    private List<HostAndPort> primaries()
    {
        if (cluster == null)
        {
            return uri.nodes();
        }
        final List<HostAndPort> nodes = new ArrayList<>();
        for (final String node : cluster.getPrimaryNodes().keySet())
        {
            nodes.add(HostAndPort.from(node));
        }
        return nodes;
    }

    private Connection connection(final HostAndPort node)
    {
        return cluster == null ? single.getConnection() : cluster.getConnection(node);
    }

    @Override
    public byte[] get(final byte[] key)
    {
        try
        {
            return client.get(key);
        }
        catch (final JedisException ex)
        {
            throw failure("GET", ex);
        }
    }

    @Override
    public List<byte[]> getAll(final List<byte[]> keys)
    {
        if (keys.isEmpty())
        {
            return List.of();
        }
        if (cluster == null)
        {
            try
            {
                return client.mget(keys.toArray(new byte[0][]));
            }
            catch (final JedisException ex)
            {
                throw failure("MGET", ex);
            }
        }
        final Map<HostAndPort, List<Integer>> byNode = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++)
        {
            final HostAndPort node = cluster.getNode(JedisClusterCRC16.getSlot(keys.get(i)));
            byNode.computeIfAbsent(node, n -> new ArrayList<>()).add(i);
        }
        final byte[][] values = new byte[keys.size()][];
        int failedNodes = 0;
        boolean refresh = false;
        for (final Map.Entry<HostAndPort, List<Integer>> group : byNode.entrySet())
        {
            final List<Integer> at = group.getValue();
            if (group.getKey() == null)
            {
                at.forEach(i -> values[i] = FAILED);
                failedNodes++;
                refresh = true;
                continue;
            }
            try (Connection connection = cluster.getConnection(group.getKey()))
            {
                final Pipeline pipeline = new Pipeline(connection);
                final List<Response<byte[]>> responses = new ArrayList<>(at.size());
                for (final int i : at)
                {
                    responses.add(pipeline.get(keys.get(i)));
                }
                pipeline.sync();
                for (int r = 0; r < responses.size(); r++)
                {
                    try
                    {
                        values[at.get(r)] = responses.get(r).get();
                    }
                    catch (final JedisDataException ex)
                    {
                        values[at.get(r)] = FAILED; // MOVED during a reshard, CLUSTERDOWN, or not a string
                        refresh = true;
                    }
                }
            }
            catch (final JedisException ex)
            {
                at.forEach(i -> values[i] = FAILED);
                failedNodes++;
                refresh = true;
            }
        }
        if (refresh)
        {
            renewSlots();
        }
        if (failedNodes == byNode.size())
        {
            throw new RemoteStoreException(uri + ": no node of the cluster answered a pipelined GET of " + keys.size() + " keys", false, false, null);
        }
        return Arrays.asList(values);
    }

    private void renewSlots()
    {
        try
        {
            cluster.renewSlotCache();
        }
        catch (final JedisException ex)
        {
            // the next call renews it again; the failure was counted by the caller
        }
    }

    @Override
    public void set(final byte[] key, final byte[] value, final long ttlMillis)
    {
        try
        {
            if (ttlMillis > 0)
            {
                client.set(key, value, SetParams.setParams().px(ttlMillis));
            }
            else
            {
                client.set(key, value);
            }
        }
        catch (final JedisException ex)
        {
            throw failure("SET of " + value.length + " bytes", ex);
        }
    }

    /**
     * Pipelines the {@code SET}s on one connection (a cluster: one per node owning their slots), so
     * the write-behind queue's values go in one exchange per node; a refused value (over the
     * memory or bulk limit) fails alone, a node that fails fails its own values.
     */
    @Override
    public RemoteStoreException[] setAll(final List<byte[]> keys, final List<byte[]> values, final long ttlMillis)
    {
        final RemoteStoreException[] failures = new RemoteStoreException[keys.size()];
        if (keys.isEmpty())
        {
            return failures;
        }
        final Map<HostAndPort, List<Integer>> byNode = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++)
        {
            final HostAndPort node = cluster == null ? uri.nodes().getFirst() : cluster.getNode(JedisClusterCRC16.getSlot(keys.get(i)));
            byNode.computeIfAbsent(node, n -> new ArrayList<>()).add(i);
        }
        final SetParams params = ttlMillis > 0 ? SetParams.setParams().px(ttlMillis) : null;
        int failedNodes = 0;
        boolean refresh = false;
        RemoteStoreException nodeFailure = null;
        for (final Map.Entry<HostAndPort, List<Integer>> group : byNode.entrySet())
        {
            final List<Integer> at = group.getValue();
            if (group.getKey() == null)
            {
                nodeFailure = new RemoteStoreException(uri + ": pipelined SET: no node owns the slot", false, false, null);
                for (final int i : at)
                {
                    failures[i] = nodeFailure;
                }
                failedNodes++;
                refresh = true;
                continue;
            }
            try (Connection connection = connection(group.getKey()))
            {
                final Pipeline pipeline = new Pipeline(connection);
                final List<Response<String>> responses = new ArrayList<>(at.size());
                for (final int i : at)
                {
                    responses.add(params == null ? pipeline.set(keys.get(i), values.get(i)) : pipeline.set(keys.get(i), values.get(i), params));
                }
                pipeline.sync();
                for (int r = 0; r < responses.size(); r++)
                {
                    try
                    {
                        responses.get(r).get();
                    }
                    catch (final JedisDataException ex)
                    {
                        final int i = at.get(r);
                        failures[i] = failure("SET of " + values.get(i).length + " bytes", ex);
                        refresh |= cluster != null && !failures[i].refused(); // MOVED during a reshard
                    }
                }
            }
            catch (final JedisException ex)
            {
                nodeFailure = failure("pipelined SET of " + at.size() + " values", ex);
                if (cluster == null)
                {
                    throw nodeFailure;
                }
                for (final int i : at)
                {
                    failures[i] = nodeFailure;
                }
                failedNodes++;
                refresh = true;
            }
        }
        if (refresh && cluster != null)
        {
            renewSlots();
        }
        if (cluster != null && failedNodes == byNode.size())
        {
            // like a cluster's single SET or a batch read: counted, L4 stays on (the probe judges the cluster)
            throw new RemoteStoreException(uri + ": no node of the cluster answered a pipelined SET of " + keys.size() + " values", false, false,
                null);
        }
        return failures;
    }

    @Override
    public void ping()
    {
        int answered = 0;
        JedisException last = null;
        for (final HostAndPort node : primaries())
        {
            try (Connection connection = connection(node))
            {
                if (connection.ping())
                {
                    answered++;
                }
            }
            catch (final JedisException ex)
            {
                last = ex;
            }
        }
        if (answered == 0)
        {
            throw new RemoteStoreException(uri + ": PING: " + (last == null ? "no node" : describe(last)), true, last instanceof JedisDataException, null);
        }
    }

    @Override
    public long maxValueBytes()
    {
        return maxValueBytes;
    }

    @Override
    public long[] usage(final byte[] prefix, final LongConsumer progress)
    {
        final byte[] match = Arrays.copyOf(prefix, prefix.length + 1);
        match[prefix.length] = '*';
        final ScanParams params = new ScanParams().match(match).count(SCAN_COUNT);
        long entries = 0;
        long bytes = 0;
        for (final HostAndPort node : primaries())
        {
            try (Connection connection = connection(node))
            {
                final Jedis jedis = new Jedis(connection);
                byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
                do
                {
                    final ScanResult<byte[]> page = jedis.scan(cursor, params);
                    final Pipeline pipeline = new Pipeline(connection);
                    final List<Response<Long>> lengths = new ArrayList<>(page.getResult().size());
                    for (final byte[] key : page.getResult())
                    {
                        lengths.add(pipeline.strlen(key));
                    }
                    pipeline.sync();
                    for (final Response<Long> length : lengths)
                    {
                        bytes += length.get();
                    }
                    entries += lengths.size();
                    if (progress != null)
                    {
                        progress.accept(entries);
                    }
                    cursor = page.getCursorAsBytes();
                }
                while (!Arrays.equals(cursor, ScanParams.SCAN_POINTER_START_BINARY));
            }
            catch (final JedisException ex)
            {
                throw failure("SCAN of " + node, ex);
            }
        }
        return new long[] {entries, bytes};
    }

    @Override
    public String describe()
    {
        return uri.toString();
    }

    /**
     * The pools of the nodes this store has connected to (tests: every connection given back).
     *
     * @return active connections over all pools.
     */
    public int activeConnections()
    {
        if (cluster == null)
        {
            return single.getPool().getNumActive();
        }
        int active = 0;
        for (final ConnectionPool pool : cluster.getNodes().values())
        {
            active += pool.getNumActive();
        }
        return active;
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        client.close();
        if (cluster != null)
        {
            cluster.close();
        }
    }

    private RemoteStoreException failure(final String what, final JedisException ex)
    {
        final String message = uri + ": " + what + ": " + describe(ex);
        if (ex instanceof JedisAccessControlException)
        {
            return new RemoteStoreException(message, true, false, null);
        }
        if (ex instanceof JedisDataException data)
        {
            final String reply = String.valueOf(data.getMessage());
            final boolean refused = reply.startsWith("OOM") || reply.contains("bulk length") || reply.contains("too large");
            return new RemoteStoreException(message, false, refused, null);
        }
        return new RemoteStoreException(message, cluster == null, false, null);
    }

    /**
     * The client's message (it names hosts and replies, never credentials), and what kind of
     * failure; a failed TLS handshake says so, with the JSSE reason (an untrusted certificate, a
     * host name it does not name, a protocol the server refuses).
     */
    private static String describe(final JedisException ex)
    {
        final Throwable root = ex.getCause() != null ? ex.getCause() : ex;
        final String tls = RedisTls.failure(ex);
        final String message = tls != null ? tls : ex.getMessage() == null ? root.getClass().getSimpleName() : ex.getMessage();
        return message.length() > 400 ? message.substring(0, 400) + "..." : message;
    }
}
