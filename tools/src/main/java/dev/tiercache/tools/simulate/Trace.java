package dev.tiercache.tools.simulate;

import org.agrona.collections.LongHashSet;

import java.util.Arrays;
import java.util.Objects;

/**
 * A request sequence held in memory: one key per request and, for sized traces, one size per
 * request. The offline optimum needs the whole sequence, and replaying one trace through several
 * policies and capacities should read the file once.
 */
public final class Trace
{
    private final String name;
    private final long[] keys;
    private final long[] sizes;
    private final int distinctKeys;
    private final long distinctBytes;

    /**
     * Wraps the arrays (not copied).
     *
     * @param name  what to call the trace in reports.
     * @param keys  the requested keys, in order.
     * @param sizes the size of each request in bytes, or {@code null} when every request is one entry.
     */
    public Trace(final String name, final long[] keys, final long[] sizes)
    {
        this.name = Objects.requireNonNull(name, "name");
        this.keys = Objects.requireNonNull(keys, "keys");
        if (sizes != null && sizes.length != keys.length)
        {
            throw new IllegalArgumentException("sizes.length=" + sizes.length + " != keys.length=" + keys.length);
        }
        this.sizes = sizes;
        final LongHashSet seen = new LongHashSet(Math.max(16, keys.length / 4));
        long bytes = 0;
        for (int i = 0; i < keys.length; i++)
        {
            if (seen.add(keys[i]) && sizes != null)
            {
                bytes += sizes[i];
            }
        }
        this.distinctKeys = seen.size();
        this.distinctBytes = sizes == null ? distinctKeys : bytes;
    }

    /**
     * The trace's name.
     *
     * @return the name.
     */
    public String name()
    {
        return name;
    }

    /**
     * The number of requests.
     *
     * @return the length.
     */
    public int length()
    {
        return keys.length;
    }

    /**
     * The key of a request.
     *
     * @param i the request number.
     * @return its key.
     */
    public long key(final int i)
    {
        return keys[i];
    }

    /**
     * The size of a request: bytes for a sized trace, else {@code 1}.
     *
     * @param i the request number.
     * @return its size.
     */
    public long size(final int i)
    {
        return sizes == null ? 1 : sizes[i];
    }

    /**
     * Whether requests carry byte sizes (capacity then counts bytes).
     *
     * @return {@code true} for sized traces.
     */
    public boolean isSized()
    {
        return sizes != null;
    }

    /**
     * The number of distinct keys.
     *
     * @return distinct keys.
     */
    public int distinctKeys()
    {
        return distinctKeys;
    }

    /**
     * The total size of the distinct keys (their first request's size); equals
     * {@link #distinctKeys()} for unsized traces.
     *
     * @return the footprint.
     */
    public long footprint()
    {
        return distinctBytes;
    }

    /**
     * A copy of the first {@code n} requests.
     *
     * @param n how many requests to keep.
     * @return the shorter trace, or this one when it is not longer than {@code n}.
     */
    public Trace prefix(final int n)
    {
        if (n >= keys.length)
        {
            return this;
        }
        return new Trace(name, Arrays.copyOf(keys, n), sizes == null ? null : Arrays.copyOf(sizes, n));
    }
}
