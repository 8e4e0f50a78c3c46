package dev.tiercache.policy;

/**
 * What bounds one cache level, from which its policy estimates how many entries the level will
 * hold: the number that sizes a frequency sketch and a sampled LRU shadow. A level bounded by
 * entries holds {@code maxEntries}; a level bounded by bytes holds about
 * {@code bytes / mean entry size}, where the mean is that of the entries it holds now, so the
 * estimate moves as the sizes do (see {@link #estimate}).
 *
 * @param bytes          the level's capacity in bytes, or {@link #UNBOUNDED_BYTES} when only
 *                       {@code maxEntries} bounds it.
 * @param maxEntries     the most entries the level may hold, {@code >= 1}.
 * @param initialEntries the estimate before the level holds anything, in {@code [1, maxEntries]}.
 */
public record LevelCapacity(long bytes, int maxEntries, int initialEntries)
{
    /** {@link #bytes} of a level that only its entry count bounds. */
    public static final long UNBOUNDED_BYTES = Long.MAX_VALUE;

    /**
     * Checks the values.
     *
     * @param bytes          the capacity in bytes, {@code >= 1}.
     * @param maxEntries     the most entries, {@code >= 1}.
     * @param initialEntries the first estimate, in {@code [1, maxEntries]}.
     */
    public LevelCapacity
    {
        if (bytes < 1)
        {
            throw new IllegalArgumentException("bytes=" + bytes + " < 1");
        }
        if (maxEntries < 1)
        {
            throw new IllegalArgumentException("maxEntries=" + maxEntries + " < 1");
        }
        if (initialEntries < 1 || initialEntries > maxEntries)
        {
            throw new IllegalArgumentException("initialEntries=" + initialEntries + " not in [1, maxEntries=" + maxEntries + "]");
        }
    }

    /**
     * A level bounded by its entry count only.
     *
     * @param entries the most entries it holds, {@code >= 1}.
     * @return the capacity.
     */
    public static LevelCapacity ofEntries(final int entries)
    {
        return new LevelCapacity(UNBOUNDED_BYTES, entries, entries);
    }

    /**
     * A level bounded by bytes (and by the index's entry count).
     *
     * @param bytes             the level's capacity in bytes, {@code >= 1}.
     * @param maxEntries        the most entries it may hold, {@code >= 1}.
     * @param typicalEntryBytes the entry size to assume before the level holds any, {@code >= 1}.
     * @return the capacity.
     */
    public static LevelCapacity ofBytes(final long bytes, final int maxEntries, final long typicalEntryBytes)
    {
        if (typicalEntryBytes < 1)
        {
            throw new IllegalArgumentException("typicalEntryBytes=" + typicalEntryBytes + " < 1");
        }
        return new LevelCapacity(bytes, maxEntries, (int)Math.max(1, Math.min(maxEntries, bytes / typicalEntryBytes)));
    }

    /**
     * The entries the level will hold when full, judged by the entries it holds now.
     *
     * @param residentEntries the entries it holds now.
     * @param residentBytes   their total size.
     * @return {@code bytes / (residentBytes / residentEntries)}, in {@code [1, maxEntries]};
     *         {@link #initialEntries} while the level is empty, {@link #maxEntries} when it is
     *         bounded by entries only or its entries are empty.
     */
    public int estimate(final long residentEntries, final long residentBytes)
    {
        if (bytes == UNBOUNDED_BYTES)
        {
            return maxEntries;
        }
        if (residentEntries <= 0)
        {
            return initialEntries;
        }
        if (residentBytes <= 0)
        {
            return maxEntries;
        }
        // exact for uniform sizes: bytes * n / (size * n) has no rounding while both products fit 53 bits
        final double entries = (double)bytes * residentEntries / residentBytes;
        return (int)Math.max(1, Math.min(maxEntries, entries));
    }
}
