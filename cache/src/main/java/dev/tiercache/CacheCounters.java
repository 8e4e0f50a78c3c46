package dev.tiercache;

import java.util.concurrent.atomic.LongAdder;

/**
 * The cache's statistics. What readers count without the cache's lock (accesses, hits per level,
 * corrupt entries found on a read) are striped {@link LongAdder}s, so counting does not make
 * readers contend on one line; what only the lock holder changes (entries per level, evictions,
 * moves, bytes moved) are plain longs read and written under that lock.
 *
 * <p>A snapshot ({@link TierCache#stats()}) sums the adders while readers go on, so its reader
 * figures are each exact at some moment during the call, not all at the same moment.
 */
final class CacheCounters
{
    static final int LEVELS = 3;

    final LongAdder accesses = new LongAdder();
    final LongAdder hits = new LongAdder();
    final LongAdder[] levelAccesses = adders();
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
     * Counts one lookup that found nothing in any level.
     */
    void miss()
    {
        accesses.increment();
        for (int l = 0; l < LEVELS; l++)
        {
            levelAccesses[l].increment();
        }
    }

    /**
     * Counts one lookup served from {@code level}: an access of that level and every level above
     * it, a hit of that level.
     *
     * @param level the level's ordinal.
     */
    void hit(final int level)
    {
        accesses.increment();
        hits.increment();
        for (int l = 0; l <= level; l++)
        {
            levelAccesses[l].increment();
        }
        levelHits[level].increment();
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
