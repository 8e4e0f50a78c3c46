package dev.tiercache;

import java.util.concurrent.atomic.LongAdder;

/**
 * The cache's statistics. What readers count without the cache's lock (misses, hits per level,
 * corrupt entries found on a read) are striped {@link LongAdder}s, one add per lookup, so counting
 * does not make readers contend on one line; accesses are derived from them; what only the lock holder changes (entries per level, evictions,
 * moves, bytes moved) are plain longs read and written under that lock.
 *
 * <p>A snapshot ({@link TierCache#stats()}) sums the adders while readers go on, so its reader
 * figures are each exact at some moment during the call, not all at the same moment.
 */
final class CacheCounters
{
    static final int LEVELS = 3;

    /** Lookups that found nothing (or an expired or corrupt entry). */
    final LongAdder misses = new LongAdder();
    /** Lookups served from each level. */
    final LongAdder[] levelHits = adders();
    final LongAdder corruptSkipped = new LongAdder();

    // @GuardedBy("lock") of the cache from here on
    long puts;
    long rejected;
    long movesAborted;
    final long[] levelEntries = new long[LEVELS];
    final long[] evictions = new long[LEVELS];
    final long[] promotions = new long[LEVELS];
    final long[] demotions = new long[LEVELS];
    final long[] bytesUp = new long[LEVELS];
    final long[] bytesDown = new long[LEVELS];

    /**
     * Counts one lookup that found nothing in any level: one increment, so counting costs a reader
     * one uncontended add.
     */
    void miss()
    {
        misses.increment();
    }

    /**
     * Counts one lookup served from {@code level}.
     *
     * @param level the level's ordinal.
     */
    void hit(final int level)
    {
        levelHits[level].increment();
    }

    /**
     * Accesses of a level: every lookup reaches L1, and a lookup goes on to the next level when the
     * one above did not have the entry, so a level's accesses are the misses plus the hits of it
     * and of every level below it.
     *
     * @param level the level's ordinal.
     * @return accesses of that level.
     */
    long levelAccesses(final int level)
    {
        long accesses = misses.sum();
        for (int l = level; l < LEVELS; l++)
        {
            accesses += levelHits[l].sum();
        }
        return accesses;
    }

    /**
     * Hits of every level together.
     *
     * @return hits.
     */
    long hits()
    {
        long hits = 0;
        for (int l = 0; l < LEVELS; l++)
        {
            hits += levelHits[l].sum();
        }
        return hits;
    }

    private static LongAdder[] adders()
    {
        final LongAdder[] adders = new LongAdder[LEVELS];
        for (int i = 0; i < LEVELS; i++)
        {
            adders[i] = new LongAdder();
        }
        return adders;
    }
}
