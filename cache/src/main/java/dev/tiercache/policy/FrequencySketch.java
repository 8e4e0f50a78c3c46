package dev.tiercache.policy;

/**
 * A count-min sketch of 4-bit counters that estimates how often each key was requested recently:
 * the history behind TinyLFU admission.
 *
 * <h2>Design</h2>
 * Sixteen counters are packed into each {@code long}; a key maps to one counter in each of four
 * rows (independent bit fields of one mixed 64-bit hash), and its estimate is the smallest of the
 * four, so collisions can only overestimate. Counters saturate at 15: beyond that, "more popular"
 * adds nothing an admission decision needs. After {@code 10 E} increments all counters are halved
 * (aging), so a key that was hot an hour ago does not outrank today's working set forever. Here
 * {@code E} is the level's expected entries rounded up to a power of two, at least 4096: below
 * that, a small cache would age every few hundred requests, and on recency-bound traces (LIRS
 * {@code backf}, {@code zigzag} at 38 to 600 entries) that costs up to 1.4 points of hit ratio.
 * A sketch made with a lower floor ages as often as its level asks: the default policy keeps one
 * beside the first on small levels and lets the two sketches' predictions decide which it follows
 * ({@link WindowTinyLfuPolicy}, "Aging chosen by the evidence").
 *
 * <h2>Width follows the workload</h2>
 * How many counters a row needs depends on how many distinct keys pass through between agings,
 * not on how many the level holds: shuffled epochs of 20 000 samples through 2 000 entries put ten
 * keys in the sketch for every resident. The sketch starts {@code E} wide and estimates those keys
 * by linear counting (the share of zero counters, {@code d = -m ln(zeros / m)} for {@code m}
 * counters a row), every {@code width} increments and at each aging. Once {@code d} exceeds the
 * width (more than one key per four counters of a row) it widens at once to twice {@code d},
 * before the narrow table's collisions pile up; at an aging it also narrows when {@code d} has
 * fallen below a quarter of the width. The width stays within {@code [E, }{@value #MAX_WIDTH_FACTOR}
 * {@code E]}: 8 to 128 bytes per expected entry. With four counters per key and four rows, about
 * one key in 400 shares all four of its counters with another.
 *
 * <h2>Resizing keeps the counts</h2>
 * Rows are indexed by the low bits of a per-row hash, so a row of twice the width splits each
 * counter into two that the old one bounds from above: growing copies each old {@code long} to
 * its two places, shrinking keeps the larger of each pair of counters. Either way no key's
 * estimate falls below its true recent count, and the history survives a resize; only the
 * collision noise of the narrower table lingers until it ages out.
 *
 * <p>Memory: {@code width} longs, allocated at construction and on a resize (a few times while
 * a level fills, then only when its mean entry size or its key population moves by a factor of
 * two or more); {@link #frequency} allocates nothing, {@link #increment} only when it widens.
 *
 * <h2>Concurrency</h2>
 * Not thread-safe; the owning policy runs under the cache's lock.
 */
public final class FrequencySketch
{
    /** Largest value a counter reaches. */
    public static final int MAX_FREQUENCY = 15;

    /** Widest the sketch grows, as a multiple of the expected entries. */
    public static final int MAX_WIDTH_FACTOR = 16;

    private static final int ROWS = 4;
    /** The smallest expected entries a sketch made with {@link #FrequencySketch(int)} is sized for. */
    public static final int MIN_ENTRIES = 4096;

    private static final int MAX_ENTRIES = 1 << 26;
    private static final int SAMPLE_FACTOR = 10;
    private static final long RESET_MASK = 0x7777_7777_7777_7777L;
    private static final long NIBBLE_LOW_BITS = 0x1111_1111_1111_1111L;
    private static final long[] SEEDS =
        {0x9E37_79B9_7F4A_7C15L, 0xC2B2_AE3D_27D4_EB4FL, 0x1656_67B1_9E37_79F9L, 0x85EB_CA77_C2B2_AE63L};

    private final int minEntries;
    private long[] table;
    private int rowMask;
    private int rowLongs;
    private int expected;
    private int sampleSize;
    private int additions;
    private int sinceLoadCheck;

    /**
     * Makes a sketch for about {@code expectedEntries} resident keys.
     *
     * @param expectedEntries the level's capacity in entries, {@code >= 1}.
     */
    public FrequencySketch(final int expectedEntries)
    {
        this(expectedEntries, MIN_ENTRIES);
    }

    /**
     * Makes a sketch for about {@code expectedEntries} resident keys, sized (and so aged) for at
     * least {@code minEntries}.
     *
     * @param expectedEntries the level's capacity in entries, {@code >= 1}.
     * @param minEntries      the floor on the expected entries, a power of two {@code >= 4}.
     */
    public FrequencySketch(final int expectedEntries, final int minEntries)
    {
        if (minEntries < ROWS || Integer.bitCount(minEntries) != 1)
        {
            throw new IllegalArgumentException("minEntries=" + minEntries + " is not a power of two >= " + ROWS);
        }
        this.minEntries = minEntries;
        this.expected = entriesFor(expectedEntries);
        this.sampleSize = SAMPLE_FACTOR * expected;
        allocate(expected);
    }

    /**
     * The level's estimate of its entries has moved: sets the aging period and the width bounds
     * from it, keeping the counts (see the class comment). Allocates when the width changes.
     *
     * @param expectedEntries the new estimate, {@code >= 1}.
     */
    public void resize(final int expectedEntries)
    {
        final int entries = entriesFor(expectedEntries);
        if (entries == expected)
        {
            return;
        }
        expected = entries;
        sampleSize = SAMPLE_FACTOR * entries;
        final int width = width();
        final int bounded = Math.max(entries, Math.min(width, maxWidth(entries)));
        if (bounded != width)
        {
            rescale(bounded);
        }
        if (additions >= sampleSize)
        {
            age();
        }
    }

    /**
     * The expected entries the sketch is sized for, rounded up to a power of two.
     *
     * @return entries.
     */
    public int expectedEntries()
    {
        return expected;
    }

    /**
     * The sketch's width: {@code 4 * width} counters per row, {@code width} longs in all.
     *
     * @return entries.
     */
    public int width()
    {
        return rowLongs * ROWS;
    }

    /**
     * The heap the sketch holds: its table of {@link #width()} longs.
     *
     * @return bytes (see {@link HeapBytes}).
     */
    public long heapBytes()
    {
        return HeapBytes.longs(table.length);
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
        if (added)
        {
            ++additions;
            if (additions >= sampleSize)
            {
                age();
            }
            else if (++sinceLoadCheck >= width() && width() < maxWidth(expected))
            {
                sinceLoadCheck = 0;
                growIfCrowded();
            }
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

    /**
     * Checked every {@code width} additions between agings: once the recent keys outnumber the
     * width (more than one per four counters of a row), widens to twice their number at once
     * rather than waiting for the next aging, so the narrow table's collisions, which the copy
     * carries over, stay few.
     */
    private void growIfCrowded()
    {
        final int distinct = distinctKeys(zeroCounters());
        if (distinct > width())
        {
            rescale(Math.min(maxWidth(expected), entriesFor(distinct) * 2));
        }
    }

    private void age()
    {
        final long zeros = zeroCounters();
        for (int i = 0; i < table.length; i++)
        {
            table[i] = (table[i] >>> 1) & RESET_MASK;
        }
        additions = additions >>> 1;
        sinceLoadCheck = 0;
        final int target = Math.max(expected, Math.min(maxWidth(expected), entriesFor(distinctKeys(zeros))));
        final int width = width();
        if (target > width || target < width / 4)
        {
            rescale(target);
        }
    }

    private long zeroCounters()
    {
        long zeros = 0;
        for (final long value : table)
        {
            long nonZero = value | (value >>> 1);
            nonZero |= nonZero >>> 2;
            zeros += 16 - Long.bitCount(nonZero & NIBBLE_LOW_BITS);
        }
        return zeros;
    }

    /** Linear counting over all rows: {@code -m ln(zeros/m)} per row, capped when no counter is zero. */
    private int distinctKeys(final long zeros)
    {
        final double countersPerRow = 16.0 * rowLongs;
        final double zeroShare = Math.max(zeros, 1) / (countersPerRow * ROWS);
        return (int)Math.max(1, Math.min(MAX_ENTRIES, -countersPerRow * Math.log(zeroShare)));
    }

    private void rescale(final int entries)
    {
        final long[] old = table;
        final int oldRowLongs = rowLongs;
        allocate(entries);
        for (int row = 0; row < ROWS; row++)
        {
            final int from = row * oldRowLongs;
            final int to = row * rowLongs;
            if (rowLongs >= oldRowLongs)
            {
                for (int i = 0; i < rowLongs; i++)
                {
                    table[to + i] = old[from + (i & (oldRowLongs - 1))];
                }
            }
            else
            {
                for (int i = 0; i < oldRowLongs; i++)
                {
                    table[to + (i & rowMask)] = maxPerCounter(table[to + (i & rowMask)], old[from + i]);
                }
            }
        }
    }

    private void allocate(final int entries)
    {
        this.rowLongs = entries / ROWS;
        this.rowMask = rowLongs - 1;
        this.table = new long[rowLongs * ROWS];
    }

    private static long maxPerCounter(final long a, final long b)
    {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 4)
        {
            result |= Math.max((a >>> shift) & 0xF, (b >>> shift) & 0xF) << shift;
        }
        return result;
    }

    private static int maxWidth(final int entries)
    {
        return (int)Math.min(MAX_ENTRIES, (long)entries * MAX_WIDTH_FACTOR);
    }

    private int entriesFor(final int keys)
    {
        if (keys < 1)
        {
            throw new IllegalArgumentException("expectedEntries=" + keys + " < 1");
        }
        return Math.max(minEntries, Integer.highestOneBit(Math.min(keys, MAX_ENTRIES) - 1) << 1);
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
