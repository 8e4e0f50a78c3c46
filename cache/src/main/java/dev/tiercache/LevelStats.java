package dev.tiercache;

import java.util.Locale;

/**
 * A snapshot of one level's figures.
 *
 * @param tier               the level.
 * @param enabled            whether the level is in use.
 * @param disabledReason     why not, or {@code null}.
 * @param capacityBytes      bytes the level may hold.
 * @param usedBytes          bytes held now by live entries: allocated blocks, alignment included,
 *                           in L1 and L2; the stored (compressed) bytes of live entries in L3.
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
 * @param deadBytes          bytes of removed, replaced or moved entries that the level still
 *                           holds until their region is reclaimed (L3; always 0 in L1 and L2,
 *                           which free a block at once).
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
    long corruptSkipped,
    long deadBytes)
{
    private static final double MIB = 1024.0 * 1024.0;

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
     * {@code L1 (device) - Usage: 846.2/1024.0MiB (82.6%), Items: 421, Accesses: 1337, Hit rate: 71.3%};
     * L3 adds its dead bytes awaiting reclaim after the usage.
     */
    @Override
    public String toString()
    {
        final String head = tier.label() + " (" + tier.medium() + ") - ";
        if (!enabled)
        {
            return head + "off: " + disabledReason;
        }
        final String dead = tier == Tier.FILE ? String.format(Locale.ROOT, " live, %.1fMiB dead awaiting reclaim", deadBytes / MIB) : "";
        return head + String.format(Locale.ROOT, "Usage: %.1f/%.1fMiB (%.1f%%)%s, Items: %d, Accesses: %d, Hit rate: %.1f%%",
            usedBytes / MIB, capacityBytes / MIB, 100.0 * usage(), dead, entries, accesses, 100.0 * hitRate());
    }
}
