package dev.tiercache.tools.simulate;

import org.agrona.collections.IntHashSet;
import org.agrona.collections.LongHashSet;

import java.util.Arrays;
import java.util.Objects;

/**
 * A request sequence held in memory: one key per request and, for sized traces, one size per
 * request. The offline optimum needs the whole sequence, and replaying one trace through several
 * policies and capacities should read the file once.
 *
 * <p>Memory: 4 bytes a request when every key fits an {@code int}, else 8, plus 8 for each size;
 * counting the distinct keys once takes a hash set that grows with them (not with the requests).
 */
public final class Trace
{
    private final String name;
    private final int[] narrowKeys;
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
        this(name, null, Objects.requireNonNull(keys, "keys"), sizes);
    }

    /**
     * Wraps the arrays (not copied): keys that all fit an {@code int}.
     *
     * @param name  what to call the trace in reports.
     * @param keys  the requested keys, in order.
     * @param sizes the size of each request in bytes, or {@code null} when every request is one entry.
     */
    public Trace(final String name, final int[] keys, final long[] sizes)
    {
        this(name, Objects.requireNonNull(keys, "keys"), null, sizes);
    }

    private Trace(final String name, final int[] narrowKeys, final long[] keys, final long[] sizes)
    {
        this.name = Objects.requireNonNull(name, "name");
        this.narrowKeys = narrowKeys;
        this.keys = keys;
        final int length = narrowKeys != null ? narrowKeys.length : keys.length;
        if (sizes != null && sizes.length != length)
        {
            throw new IllegalArgumentException("sizes.length=" + sizes.length + " != keys.length=" + length);
        }
        this.sizes = sizes;
        long bytes = 0;
        if (narrowKeys != null)
        {
            final IntHashSet seen = new IntHashSet();
            for (int i = 0; i < length; i++)
            {
                if (seen.add(narrowKeys[i]) && sizes != null)
                {
                    bytes += sizes[i];
                }
            }
            this.distinctKeys = seen.size();
        }
        else
        {
            final LongHashSet seen = new LongHashSet();
            for (int i = 0; i < length; i++)
            {
                if (seen.add(keys[i]) && sizes != null)
                {
                    bytes += sizes[i];
                }
            }
            this.distinctKeys = seen.size();
        }
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
        return narrowKeys != null ? narrowKeys.length : keys.length;
    }

    /**
     * The key of a request.
     *
     * @param i the request number.
     * @return its key.
     */
    public long key(final int i)
    {
        return narrowKeys != null ? narrowKeys[i] : keys[i];
    }

    /**
     * Whether every key fits an {@code int} (the trace then holds them in 4 bytes each).
     *
     * @return {@code true} for int keys.
     */
    public boolean hasIntKeys()
    {
        return narrowKeys != null;
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
        if (n >= length())
        {
            return this;
        }
        final long[] shorterSizes = sizes == null ? null : Arrays.copyOf(sizes, n);
        return narrowKeys != null
            ? new Trace(name, Arrays.copyOf(narrowKeys, n), shorterSizes)
            : new Trace(name, Arrays.copyOf(keys, n), shorterSizes);
    }
}
