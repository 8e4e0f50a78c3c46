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

    /**
     * L4's figures as one line ({@link RemoteStats#toString()}), never with a password.
     *
     * @return the line, or {@code "none"} without L4.
     */
    String getRemoteSummary();

    /**
     * Whether L4 is on.
     *
     * @return false when off, or without L4.
     */
    boolean isRemoteOn();

    /**
     * L4 lookups (local misses that asked L4).
     *
     * @return the figure, 0 without L4.
     */
    long getRemoteLookups();

    /**
     * L4 lookups answered with a verified value.
     *
     * @return the figure, 0 without L4.
     */
    long getRemoteHits();

    /**
     * L4 values that failed verification (counted as misses).
     *
     * @return the figure, 0 without L4.
     */
    long getRemoteCorrupt();

    /**
     * L4 calls that failed (timeouts, unreachable nodes, refusals).
     *
     * @return the figure, 0 without L4.
     */
    long getRemoteErrors();

    /**
     * Value bytes read from L4.
     *
     * @return the figure, 0 without L4.
     */
    long getRemoteBytesIn();

    /**
     * Value bytes written to L4.
     *
     * @return the figure, 0 without L4.
     */
    long getRemoteBytesOut();

    /**
     * Writes to L4 dropped (queue full, or L4 off).
     *
     * @return the figure, 0 without L4.
     */
    long getRemoteDropped();

    /**
     * Mean L4 round trip.
     *
     * @return the figure, 0 without L4.
     */
    long getRemoteMeanRoundTripNanos();

    /**
     * Longest L4 round trip.
     *
     * @return the figure, 0 without L4.
     */
    long getRemoteMaxRoundTripNanos();

    /**
     * The most value bytes one round trip of an L4 batch read brought.
     *
     * @return the figure, 0 without L4.
     */
    long getRemoteMaxReadRoundTripBytes();
}
