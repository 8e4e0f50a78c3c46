package dev.tiercache.policy;

import org.agrona.collections.Long2LongHashMap;

/**
 * Scores two frequency sketches that differ only in how often they age, by the admission contests
 * on which they disagree, so that the policy can follow whichever has predicted better lately.
 *
 * <h2>Design</h2>
 * An admission contest is a prediction: admitting the candidate bets that it is requested again
 * before the victim, keeping the victim bets the other way. When the two sketches would decide a
 * contest differently, the contest is recorded, and whichever of its two keys is requested first
 * settles it: the sketch that preferred that key was right. Each settled contest moves a score by
 * one, saturating at {@code ±}{@value #SCORE_LIMIT}, so a change of workload turns it within a few
 * dozen disagreements; the fast-aging sketch is followed while the score is positive, the
 * slow-aging one otherwise (and at the start). Contests the sketches agree on say nothing about
 * which ages better and are not recorded.
 *
 * <p>At most {@value #CONTESTS} contests wait to be settled; recording one more drops the oldest
 * unsettled. A key waits in one contest at most, its latest: a victim that defends its slot again
 * and again would otherwise have all its contests settled by its one next request, and one
 * resident would outvote the workload. (Keeping the first contest instead of the latest was
 * measured too: LIRS {@code sprite} at 354 entries 65.73 % against 66.13 %, {@code cpp} at 122
 * 77.86 % against 78.45 %.)
 *
 * <p>Everything is allocated at construction (the map is presized below its resize threshold);
 * {@link #record} and {@link #settle} allocate nothing. Deterministic: the score depends only on
 * the requests. Not thread-safe; the owning policy runs under the cache's lock.
 */
final class AgingDuel
{
    /** How many recorded contests may wait to be settled. */
    static final int CONTESTS = 256;

    /** The score's bound either way. */
    static final int SCORE_LIMIT = 16;

    private static final int NONE = -1;

    private final long[] candidates = new long[CONTESTS];
    private final long[] victims = new long[CONTESTS];
    private final boolean[] fastPrefersCandidate = new boolean[CONTESTS];
    private final boolean[] waiting = new boolean[CONTESTS];
    private final Long2LongHashMap contestOfKey = new Long2LongHashMap(CONTESTS * 4, 0.65f, NONE);
    private int next;
    private int score;

    /**
     * Whether the fast-aging sketch has predicted better lately.
     *
     * @return {@code true} while its score is ahead.
     */
    boolean fastAhead()
    {
        return score > 0;
    }

    /**
     * The current score: positive while the fast-aging sketch predicts better.
     *
     * @return a value in {@code [-SCORE_LIMIT, SCORE_LIMIT]}.
     */
    int score()
    {
        return score;
    }

    /**
     * The heap the duel holds, all of it allocated at construction: the contests' arrays and the
     * map from a waiting key to its contest.
     *
     * @return bytes (see {@link HeapBytes}).
     */
    long heapBytes()
    {
        return HeapBytes.longs(candidates.length) + HeapBytes.longs(victims.length) +
            HeapBytes.booleans(fastPrefersCandidate.length) + HeapBytes.booleans(waiting.length) + HeapBytes.of(contestOfKey);
    }

    /**
     * Records a contest on which the two sketches disagree. A contest that either key already
     * waits in is dropped unscored: the new one is settled by the same request.
     *
     * @param candidateKeyHash     the window's candidate.
     * @param victimKeyHash        the main space's victim.
     * @param fastPrefersCandidate whether the fast-aging sketch would admit the candidate.
     */
    void record(final long candidateKeyHash, final long victimKeyHash, final boolean fastPrefersCandidate)
    {
        drop((int)contestOfKey.get(candidateKeyHash));
        drop((int)contestOfKey.get(victimKeyHash));
        final int i = next;
        next = i + 1 == CONTESTS ? 0 : i + 1;
        drop(i);
        candidates[i] = candidateKeyHash;
        victims[i] = victimKeyHash;
        this.fastPrefersCandidate[i] = fastPrefersCandidate;
        waiting[i] = true;
        contestOfKey.put(candidateKeyHash, i);
        contestOfKey.put(victimKeyHash, i);
    }

    /**
     * A key was requested: settles the contest it waits in, if any.
     *
     * @param keyHash the requested key's hash.
     */
    void settle(final long keyHash)
    {
        final int i = (int)contestOfKey.get(keyHash);
        if (i == NONE)
        {
            return;
        }
        final boolean candidateFirst = candidates[i] == keyHash;
        drop(i);
        score = candidateFirst == fastPrefersCandidate[i] ? Math.min(SCORE_LIMIT, score + 1) : Math.max(-SCORE_LIMIT, score - 1);
    }

    /** Forgets a waiting contest, unscored; nothing when {@code i} is {@link #NONE} or not waiting. */
    private void drop(final int i)
    {
        if (i != NONE && waiting[i])
        {
            contestOfKey.remove(candidates[i]);
            contestOfKey.remove(victims[i]);
            waiting[i] = false;
        }
    }
}
