package dev.tiercache.policy;

/**
 * A count-min sketch of 4-bit counters that estimates how often each key was requested recently:
 * the history behind TinyLFU admission.
 *
 * <h2>Design</h2>
 * Sixteen counters are packed into each {@code long}; a key maps to one counter in each of four
 * rows (independent bit fields of one mixed 64-bit hash), and its estimate is the smallest of the
 * four, so collisions can only overestimate. Counters saturate at 15: beyond that, "more popular"
 * adds nothing an admission decision needs. After {@code 10 E} increments all counters are
 * halved (aging), so a key that was hot an hour ago does not outrank today's working set forever.
 *
 * <p>Memory: with {@code E} the next power of two of the expected entries (at least 4096), each
 * row has {@code 4E} counters, so the sketch is {@code E} longs, 8 bytes per entry (32 KiB at the
 * minimum, which keeps small caches from drowning in collisions when the key space is much larger
 * than the cache). Allocated once, at construction; {@link #increment} and {@link #frequency}
 * allocate nothing.
 *
 * <h2>Concurrency</h2>
 * Not thread-safe; the owning policy runs under the cache's lock.
 */
public final class FrequencySketch
{
    /** Largest value a counter reaches. */
    public static final int MAX_FREQUENCY = 15;

    private static final int ROWS = 4;
    private static final int MIN_ENTRIES = 4096;
    private static final long RESET_MASK = 0x7777_7777_7777_7777L;
    private static final long[] SEEDS =
        {0x9E37_79B9_7F4A_7C15L, 0xC2B2_AE3D_27D4_EB4FL, 0x1656_67B1_9E37_79F9L, 0x85EB_CA77_C2B2_AE63L};

    private final long[] table;
    private final int rowMask;
    private final int rowLongs;
    private final int sampleSize;
    private int additions;

    /**
     * Makes a sketch for about {@code expectedEntries} resident keys.
     *
     * @param expectedEntries the cache's capacity in entries, {@code >= 1}.
     */
    public FrequencySketch(final int expectedEntries)
    {
        if (expectedEntries < 1)
        {
            throw new IllegalArgumentException("expectedEntries=" + expectedEntries + " < 1");
        }
        final int entries = Math.max(MIN_ENTRIES, Integer.highestOneBit(Math.min(expectedEntries, 1 << 26) - 1) << 1);
        this.rowLongs = entries >>> 2;
        this.rowMask = rowLongs - 1;
        this.table = new long[rowLongs * ROWS];
        this.sampleSize = 10 * entries;
    }

    /**
     * Records one request for a key.
     *
     * @param keyHash the key's hash.
     */
    public void increment(final long keyHash)
    {
        final long hash = spread(keyHash);
        boolean added = false;
        for (int row = 0; row < ROWS; row++)
        {
            final long rowHash = rowHash(hash, row);
            final int index = row * rowLongs + ((int)rowHash & rowMask);
            final int shift = (int)(rowHash >>> 60) << 2;
            final long value = table[index];
            if (((value >>> shift) & 0xF) < MAX_FREQUENCY)
            {
                table[index] = value + (1L << shift);
                added = true;
            }
        }
        if (added && ++additions == sampleSize)
        {
            age();
        }
    }

    /**
     * The estimated recent request count of a key.
     *
     * @param keyHash the key's hash.
     * @return the estimate in {@code [0, MAX_FREQUENCY]}.
     */
    public int frequency(final long keyHash)
    {
        final long hash = spread(keyHash);
        int min = MAX_FREQUENCY;
        for (int row = 0; row < ROWS; row++)
        {
            final long rowHash = rowHash(hash, row);
            final int index = row * rowLongs + ((int)rowHash & rowMask);
            final int shift = (int)(rowHash >>> 60) << 2;
            min = Math.min(min, (int)((table[index] >>> shift) & 0xF));
        }
        return min;
    }

    private void age()
    {
        for (int i = 0; i < table.length; i++)
        {
            table[i] = (table[i] >>> 1) & RESET_MASK;
        }
        additions = additions >>> 1;
    }

    private static long rowHash(final long hash, final int row)
    {
        long h = (hash ^ SEEDS[row]) * 0x9E37_79B9_7F4A_7C15L;
        h ^= h >>> 29;
        h *= 0xBF58_476D_1CE4_E5B9L;
        return h ^ (h >>> 32);
    }

    private static long spread(final long keyHash)
    {
        long z = keyHash;
        z = (z ^ (z >>> 33)) * 0xFF51_AFD7_ED55_8CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CE_B9FE_1A85_EC53L;
        return z ^ (z >>> 33);
    }
}
