package dev.tiercache;

/**
 * The figures of {@link CacheStats} as a JMX MXBean, registered as
 * {@code dev.tiercache:type=TierCache,name=NAME}. Arrays are indexed L1, L2, L3.
 */
public interface TierCacheMXBean
{
    /**
     * Lookups.
     *
     * @return count.
     */
    long getAccesses();

    /**
     * Lookups served.
     *
     * @return count.
     */
    long getHits();

    /**
     * Hits over accesses.
     *
     * @return in [0, 1].
     */
    double getHitRate();

    /**
     * One line per level, as {@link LevelStats#toString()}.
     *
     * @return three lines.
     */
    String[] getLevelSummaries();

    /**
     * Capacity per level.
     *
     * @return bytes.
     */
    long[] getCapacityBytes();

    /**
     * Used bytes per level.
     *
     * @return bytes.
     */
    long[] getUsedBytes();

    /**
     * Entries per level.
     *
     * @return counts.
     */
    long[] getEntries();

    /**
     * Hits per level.
     *
     * @return counts.
     */
    long[] getLevelHits();

    /**
     * Accesses per level.
     *
     * @return counts.
     */
    long[] getLevelAccesses();

    /**
     * Evictions per level.
     *
     * @return counts.
     */
    long[] getEvictions();

    /**
     * Promotions out of each level.
     *
     * @return counts.
     */
    long[] getPromotions();

    /**
     * Demotions out of each level.
     *
     * @return counts.
     */
    long[] getDemotions();

    /**
     * Bytes moved up out of each level.
     *
     * @return bytes.
     */
    long[] getBytesMovedUp();

    /**
     * Bytes moved down out of each level.
     *
     * @return bytes.
     */
    long[] getBytesMovedDown();

    /**
     * Corrupt entries skipped (L3).
     *
     * @return count.
     */
    long getCorruptSkipped();
}
