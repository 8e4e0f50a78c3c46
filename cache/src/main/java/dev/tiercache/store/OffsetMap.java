package dev.tiercache.store;

import java.util.Arrays;

/**
 * A map from a non-negative {@code long} key to a non-negative {@code long} value, in one primitive
 * array on the heap: the lookup tables of {@link SpaceAllocator} (a live block's offset to its size,
 * a free block's start and end to its row), keyed by offsets in alignment units.
 *
 * <h2>Layout</h2>
 * Open addressing with linear probing. When the largest key and the largest value fit together in
 * 64 bits, as they do for any arena below 2<sup>32</sup> alignment units, a cell is one {@code long}:
 * <pre>
 *  63                         valueBits   valueBits-1              0
 * +----------------------------------------+---------------------------+
 * |                key                     |        value + 1          |
 * +----------------------------------------+---------------------------+
 * </pre>
 * so a mapping costs 8 bytes per cell, and {@code 0} is an empty cell. Otherwise (a space of more
 * than 2<sup>32</sup> units, e.g. 2<sup>40</sup> bytes at 1-byte alignment) a cell holds
 * {@code key + 1} and a second array holds the value: 16 bytes per cell.
 *
 * <p>The table's length is any number, not a power of two: a key's home cell is the high half of
 * its Fibonacci hash multiplied by the length. So the table grows by half (when more than its
 * {@code maxLoad} of cells are in use) rather than doubling, and between growths it is two thirds
 * of that to that full: with a {@code maxLoad} of 0.75, 10.7 to 16 bytes per mapping when packed. A removal shifts the cells after it back (no tombstones), so a lookup's
 * probe ends at the first empty cell and the load never silts up. The table never shrinks; {@link
 * #clear()} keeps its length.
 *
 * <h2>Garbage</h2>
 * {@link #get}, {@link #remove} and a {@link #put} that does not grow allocate nothing.
 *
 * <h2>Concurrency</h2>
 * Not thread-safe; its allocator's owner guards it.
 */
final class OffsetMap
{
    /** {@link #get} and {@link #remove} result: the key is not mapped. */
    static final long MISSING = -1;

    private static final long FIBONACCI = 0x9E37_79B9_7F4A_7C15L;
    private static final int INITIAL_CELLS = 64;
    private static final int MAX_CELLS = Integer.MAX_VALUE - 8;

    private final int valueBits;
    private final long valueMask;
    private final long maxKey;
    private final long maxValue;
    private long[] cells;
    /** The values when they do not fit beside the keys; {@code null} when packed. */
    private long[] wideValues;
    private final float maxLoad;
    private int size;
    private int growAt;

    /**
     * An empty map for keys {@code 0..maxKey} and values {@code 0..maxValue}.
     *
     * @param maxKey   the largest key, at most 2<sup>62</sup>.
     * @param maxValue the largest value, at most 2<sup>62</sup>.
     * @param maxLoad  the share of cells in use past which the table grows by half, in
     *                 {@code [0.25, 0.9]}: 0.75 to keep a big map small, 0.5 for short probes.
     */
    OffsetMap(final long maxKey, final long maxValue, final float maxLoad)
    {
        if (maxKey < 0 || maxKey > 1L << 62 || maxValue < 0 || maxValue > 1L << 62)
        {
            throw new IllegalArgumentException("maxKey=" + maxKey + ", maxValue=" + maxValue + " not in [0, 2^62]");
        }
        if (!(maxLoad >= 0.25f && maxLoad <= 0.9f))
        {
            throw new IllegalArgumentException("maxLoad=" + maxLoad + " not in [0.25, 0.9]");
        }
        this.maxLoad = maxLoad;
        this.maxKey = maxKey;
        this.maxValue = maxValue;
        final int keyBits = 64 - Long.numberOfLeadingZeros(maxKey);
        final int bits = 64 - Long.numberOfLeadingZeros(maxValue + 1);
        final boolean packed = keyBits + bits <= 64;
        this.valueBits = packed ? bits : 0;
        this.valueMask = packed ? (bits == 64 ? -1L : (1L << bits) - 1) : 0;
        this.cells = new long[INITIAL_CELLS];
        this.wideValues = packed ? null : new long[INITIAL_CELLS];
        this.growAt = growAt(INITIAL_CELLS);
    }

    /**
     * Whether a mapping takes one {@code long} (key and value packed) rather than two.
     *
     * @return true when packed.
     */
    boolean isPacked()
    {
        return wideValues == null;
    }

    /**
     * The number of mappings.
     *
     * @return mappings held.
     */
    int size()
    {
        return size;
    }

    /**
     * The number of cells, mapped or empty.
     *
     * @return the table's length.
     */
    int cells()
    {
        return cells.length;
    }

    /**
     * The value of a key.
     *
     * @param key {@code 0..maxKey}; any other key is simply not mapped.
     * @return its value, or {@link #MISSING}.
     */
    long get(final long key)
    {
        if (key < 0 || key > maxKey)
        {
            return MISSING;
        }
        final int cell = find(key);
        return cell < 0 ? MISSING : valueAt(cell);
    }

    /**
     * Maps a key to a value, replacing any value it had.
     *
     * @param key   {@code 0..maxKey}.
     * @param value {@code 0..maxValue}.
     */
    void put(final long key, final long value)
    {
        if (key < 0 || key > maxKey || value < 0 || value > maxValue)
        {
            throw new IllegalArgumentException("key=" + key + " value=" + value + " outside maxKey=" + maxKey +
                " maxValue=" + maxValue);
        }
        final long[] cells = this.cells;
        final int length = cells.length;
        int cell = home(key, length);
        while (true)
        {
            final long content = cells[cell];
            if (content == 0)
            {
                break;
            }
            if (keyOf(content) == key)
            {
                store(cell, key, value);
                return;
            }
            cell = ++cell == length ? 0 : cell;
        }
        store(cell, key, value);
        if (++size > growAt)
        {
            grow();
        }
    }

    /**
     * Removes a key's mapping.
     *
     * @param key any key.
     * @return the value it had, or {@link #MISSING} when it had none (nothing changes then).
     */
    long remove(final long key)
    {
        if (key < 0 || key > maxKey)
        {
            return MISSING;
        }
        final int found = find(key);
        if (found < 0)
        {
            return MISSING;
        }
        final long value = valueAt(found);
        final long[] cells = this.cells;
        final int length = cells.length;
        int hole = found;
        int cell = hole + 1 == length ? 0 : hole + 1;
        while (cells[cell] != 0)
        {
            final int home = home(keyOf(cells[cell]), length);
            // the entry at cell may move back into the hole unless its home lies cyclically in (hole, cell]
            final boolean stays = hole <= cell ? hole < home && home <= cell : hole < home || home <= cell;
            if (!stays)
            {
                cells[hole] = cells[cell];
                if (wideValues != null)
                {
                    wideValues[hole] = wideValues[cell];
                }
                hole = cell;
            }
            cell = ++cell == length ? 0 : cell;
        }
        cells[hole] = 0;
        size--;
        return value;
    }

    /** Removes every mapping; the table keeps its length. */
    void clear()
    {
        Arrays.fill(cells, 0);
        size = 0;
    }

    /**
     * The key in a cell, for walks over the table (tests, consistency checks).
     *
     * @param cell {@code 0..cells()-1}.
     * @return the key, or {@link #MISSING} when the cell is empty.
     */
    long keyAt(final int cell)
    {
        final long content = cells[cell];
        return content == 0 ? MISSING : keyOf(content);
    }

    /**
     * The value in a mapped cell.
     *
     * @param cell a cell whose {@link #keyAt} is not {@link #MISSING}.
     * @return the value.
     */
    long valueAt(final int cell)
    {
        return wideValues == null ? (cells[cell] & valueMask) - 1 : wideValues[cell];
    }

    /**
     * Walks the table and reports the first cell that a lookup of its own key would not reach, or a
     * count that disagrees. For tests; O(cells).
     *
     * @return {@code null} when consistent, else what is wrong.
     */
    String checkConsistency()
    {
        int mapped = 0;
        for (int cell = 0; cell < cells.length; cell++)
        {
            final long key = keyAt(cell);
            if (key != MISSING)
            {
                mapped++;
                if (key > maxKey || find(key) != cell)
                {
                    return "cell " + cell + " key=" + key + " is not where a lookup finds it (" + find(key) + ")";
                }
            }
        }
        return mapped == size ? null : "size=" + size + " but " + mapped + " cells are mapped";
    }

    @Override
    public String toString()
    {
        return "OffsetMap{size=" + size + ", cells=" + cells.length + ", packed=" + isPacked() + '}';
    }

    private int find(final long key)
    {
        final long[] cells = this.cells;
        final int length = cells.length;
        int cell = home(key, length);
        while (true)
        {
            final long content = cells[cell];
            if (content == 0)
            {
                return -1;
            }
            if (keyOf(content) == key)
            {
                return cell;
            }
            cell = ++cell == length ? 0 : cell;
        }
    }

    private long keyOf(final long content)
    {
        return wideValues == null ? content >>> valueBits : content - 1;
    }

    private void store(final int cell, final long key, final long value)
    {
        if (wideValues == null)
        {
            cells[cell] = key << valueBits | (value + 1);
        }
        else
        {
            cells[cell] = key + 1;
            wideValues[cell] = value;
        }
    }

    private static int home(final long key, final int length)
    {
        return (int)(((key * FIBONACCI) >>> 32) * length >>> 32);
    }

    private int growAt(final int length)
    {
        return (int)(length * (double)maxLoad);
    }

    private void grow()
    {
        final long[] oldCells = cells;
        final long[] oldValues = wideValues;
        final int length = (int)Math.min(MAX_CELLS, (long)oldCells.length + (oldCells.length >>> 1));
        if (length == oldCells.length)
        {
            if (size == length)
            {
                throw new IllegalStateException("OffsetMap full at " + size + " mappings");
            }
            growAt = length;
            return;
        }
        cells = new long[length];
        wideValues = oldValues == null ? null : new long[length];
        growAt = growAt(length);
        for (int cell = 0; cell < oldCells.length; cell++)
        {
            final long content = oldCells[cell];
            if (content != 0)
            {
                final long key = oldValues == null ? content >>> valueBits : content - 1;
                int target = home(key, length);
                while (cells[target] != 0)
                {
                    target = ++target == length ? 0 : target;
                }
                cells[target] = content;
                if (oldValues != null)
                {
                    wideValues[target] = oldValues[cell];
                }
            }
        }
    }
}
