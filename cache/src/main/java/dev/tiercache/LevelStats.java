package dev.tiercache;

import java.util.Locale;

/**
 * A snapshot of one level's figures.
 *
 * @param tier               the level.
 * @param enabled            whether the level is in use.
 * @param disabledReason     why not, or {@code null}.
 * @param capacityBytes      bytes the level may hold.
 * @param usedBytes          bytes held now (allocated, including alignment).
 * @param entries            entries held now.
 * @param accesses           lookups that reached this level (all lookups for L1; those not served
 *                           above for L2 and L3).
 * @param hits               lookups served from this level.
 * @param evictions          entries moved out (or dropped, for L3) to make room.
 * @param promotions         entries moved up out of this level.
 * @param demotions          entries moved down into the level below.
 * @param bytesMovedUp       bytes promoted out of this level.
 * @param bytesMovedDown     bytes demoted out of this level.
 * @param corruptSkipped     entries found corrupt and skipped (L3).
 */
public record LevelStats(
    Tier tier,
    boolean enabled,
    String disabledReason,
    long capacityBytes,
    long usedBytes,
    long entries,
    long accesses,
    long hits,
    long evictions,
    long promotions,
    long demotions,
    long bytesMovedUp,
    long bytesMovedDown,
    long corruptSkipped)
{
    private static final double MB = 1024.0 * 1024.0;

    /**
     * Lookups that reached this level and missed it.
     *
     * @return accesses minus hits.
     */
    public long misses()
    {
        return accesses - hits;
    }

    /**
     * Hits over accesses.
     *
     * @return in [0, 1]; 0 when there were no accesses.
     */
    public double hitRate()
    {
        return accesses == 0 ? 0.0 : (double) hits / accesses;
    }

    /**
     * Used over capacity.
     *
     * @return in [0, 1].
     */
    public double usage()
    {
        return capacityBytes == 0 ? 0.0 : (double) usedBytes / capacityBytes;
    }

    /**
     * One line, e.g.
     * {@code L1 (device) - Usage: 846.2/1024.0MB (82.6%), Items: 421, Accesses: 1337, Hit rate: 71.3%}.
     */
    @Override
    public String toString()
    {
        final String head = tier.label() + " (" + tier.medium() + ") - ";
        if (!enabled)
        {
            return head + "off: " + disabledReason;
        }
        return head + String.format(Locale.ROOT, "Usage: %.1f/%.1fMB (%.1f%%), Items: %d, Accesses: %d, Hit rate: %.1f%%",
            usedBytes / MB, capacityBytes / MB, 100.0 * usage(), entries, accesses, 100.0 * hitRate());
    }
}
