package dev.tiercache.remote;

import java.util.List;

/**
 * A connection to a remote key-value server, seen as opaque keys and values: what L4 needs and
 * nothing more. The cache does the rest (the value format and its checksum, the write-behind queue,
 * turning L4 off and on, the statistics), so an implementation stays a thin adapter over a client.
 *
 * <h2>Failure</h2>
 * Every call returns or throws within the timeout the store was opened with. A call that cannot
 * reach the server throws {@link RemoteStoreException}; {@link RemoteStoreException#wholeStore()}
 * says whether the whole server is gone (L4 turns off) or only the part that owns this key (one
 * master of a cluster: the key is a miss, the rest keeps working).
 *
 * <h2>Concurrency</h2>
 * Implementations are thread-safe: readers on many threads and the one write-behind thread call
 * them at once.
 */
public interface RemoteStore extends AutoCloseable
{
    /** An element of {@link #getAll}'s result for a key whose part of the server could not answer. */
    byte[] FAILED = new byte[0];

    /**
     * Reads one value.
     *
     * @param key the key.
     * @return the value, or {@code null} when there is none.
     * @throws RemoteStoreException when the server (or the key's part of it) does not answer in time.
     */
    byte[] get(byte[] key);

    /**
     * Reads many values in one pipelined exchange per server node, not one round trip each.
     *
     * @param keys the keys.
     * @return one element per key in the same order: the value, {@code null} when there is none,
     *         or {@link #FAILED} (by identity) when the key's node did not answer.
     * @throws RemoteStoreException when no node answered at all.
     */
    List<byte[]> getAll(List<byte[]> keys);

    /**
     * Stores a value, replacing any.
     *
     * @param key       the key.
     * @param value     the value.
     * @param ttlMillis time to live, 0 for none.
     * @throws RemoteStoreException when the server does not answer in time, or refuses the value
     *                              ({@link RemoteStoreException#refused()}, e.g. over its memory limit).
     */
    void set(byte[] key, byte[] value, long ttlMillis);

    /**
     * Stores many values pipelined, replacing any: one exchange per server node, not one round
     * trip each. The default sends them one {@link #set} at a time.
     *
     * @param keys      the keys.
     * @param values    one value per key.
     * @param ttlMillis time to live, 0 for none.
     * @return one element per key: {@code null} when stored, else why not (a refusal, or the
     *         failure of the key's node).
     * @throws RemoteStoreException when the whole server does not answer in time
     *                              ({@link RemoteStoreException#wholeStore()}); some values may be stored.
     */
    default RemoteStoreException[] setAll(final List<byte[]> keys, final List<byte[]> values, final long ttlMillis)
    {
        final RemoteStoreException[] failures = new RemoteStoreException[keys.size()];
        for (int i = 0; i < keys.size(); i++)
        {
            try
            {
                set(keys.get(i), values.get(i), ttlMillis);
            }
            catch (final RemoteStoreException ex)
            {
                if (ex.wholeStore())
                {
                    throw ex;
                }
                failures[i] = ex;
            }
        }
        return failures;
    }

    /**
     * Checks that the server answers.
     *
     * @throws RemoteStoreException when it does not.
     */
    void ping();

    /**
     * The largest value the server accepts (its configured bulk length limit).
     *
     * @return bytes.
     */
    long maxValueBytes();

    /**
     * Counts the keys under a prefix and their value bytes, over every node (a scan: for tools, not
     * for the read path).
     *
     * @param prefix   the key prefix.
     * @param progress told the keys counted so far, now and then; may be {@code null}.
     * @return {@code {entries, bytes}}.
     */
    long[] usage(byte[] prefix, java.util.function.LongConsumer progress);

    /**
     * Where the store points, with any password replaced by {@code ***}.
     *
     * @return a printable description.
     */
    String describe();

    /**
     * Closes every connection. Idempotent.
     */
    @Override
    void close();
}
