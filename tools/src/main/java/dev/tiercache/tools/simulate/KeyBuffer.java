package dev.tiercache.tools.simulate;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects a trace's keys as they are read, in 4 bytes a key while every key fits an {@code int}
 * (the public block and object traces do) and in 8 once one does not. Keys are kept in chunks, so
 * growing never copies the whole sequence, and {@link #toTrace} hands them to the trace in one
 * exact array, releasing each chunk as it is copied: reading 13.2 M requests peaks at about the
 * final array plus one chunk, not at the three arrays of a doubling-and-trim.
 */
final class KeyBuffer
{
    private static final int CHUNK_SHIFT = 20;
    private static final int CHUNK = 1 << CHUNK_SHIFT;

    private final List<int[]> narrow = new ArrayList<>();
    private List<long[]> wide;
    private int size;

    /**
     * Appends one key.
     *
     * @param key the key.
     */
    void add(final long key)
    {
        final int offset = size & (CHUNK - 1);
        if (wide == null && key == (int)key)
        {
            if (offset == 0)
            {
                narrow.add(new int[CHUNK]);
            }
            narrow.get(narrow.size() - 1)[offset] = (int)key;
        }
        else
        {
            if (wide == null)
            {
                widen();
            }
            if (offset == 0)
            {
                wide.add(new long[CHUNK]);
            }
            wide.get(wide.size() - 1)[offset] = key;
        }
        size++;
    }

    /**
     * The keys appended so far.
     *
     * @return the count.
     */
    int size()
    {
        return size;
    }

    /**
     * Makes the trace and empties the buffer.
     *
     * @param name  the trace's name.
     * @param sizes the request sizes, {@code null} or of {@link #size()} elements.
     * @return the trace.
     */
    Trace toTrace(final String name, final long[] sizes)
    {
        if (wide == null)
        {
            final int[] keys = new int[size];
            for (int c = 0; c < narrow.size(); c++)
            {
                System.arraycopy(narrow.get(c), 0, keys, c << CHUNK_SHIFT, Math.min(CHUNK, size - (c << CHUNK_SHIFT)));
                narrow.set(c, null);
            }
            narrow.clear();
            size = 0;
            return new Trace(name, keys, sizes);
        }
        final long[] keys = new long[size];
        for (int c = 0; c < wide.size(); c++)
        {
            System.arraycopy(wide.get(c), 0, keys, c << CHUNK_SHIFT, Math.min(CHUNK, size - (c << CHUNK_SHIFT)));
            wide.set(c, null);
        }
        wide = null;
        size = 0;
        return new Trace(name, keys, sizes);
    }

    private void widen()
    {
        wide = new ArrayList<>();
        for (int c = 0; c < narrow.size(); c++)
        {
            final int[] from = narrow.get(c);
            final long[] to = new long[CHUNK];
            for (int i = 0; i < CHUNK; i++)
            {
                to[i] = from[i];
            }
            wide.add(to);
            narrow.set(c, null);
        }
        narrow.clear();
    }
}
