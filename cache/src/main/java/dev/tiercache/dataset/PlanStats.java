package dev.tiercache.dataset;

import java.util.Locale;

/**
 * What the epoch plan of a {@link DatasetCache} has done (see {@link DatasetCache#epoch(long[])}).
 * The reads that still waited on L3 are in {@link BatchStats#fileReads()}.
 *
 * @param position       the consumer's position: plan positions read so far, over all epochs.
 * @param raisedToHost   entries the plan read from L3 into L2 ahead of the consumer.
 * @param raisedToDevice entries the plan brought to L1 ahead of the consumer.
 * @param demoted        entries the plan moved one level down because they were needed furthest ahead.
 * @param notRaised      window entries left in L3 (too large for L2, or under a move).
 * @param missing        plan keys the cache did not hold.
 * @param outOfOrder     reads that were not of the key at the consumer's position.
 * @param roomWaits      times the window stopped because everything it could demote was needed sooner.
 * @param rescans        times the plan looked every queued key up again because a level held more
 *                       than it had filed (entries it could not demote, being read or moved).
 * @param raiseNanos     time the plan thread spent raising entries (reads from L3 included).
 * @param failures       1 when the plan thread stopped early: the cache closed under it, or a
 *                       cache call failed (logged).
 * @param windowBytes    bytes of the entries raised ahead of the position now: at most the
 *                       look-ahead, unless one entry alone is larger.
 * @param advised        L3 entries past the window whose pages the kernel was asked to read ahead.
 * @param repaired       window entries raised again after L2's own room-making put them back in L3.
 * @param raiseCpuNanos  CPU time of the plan thread while raising (0 where the JVM cannot tell it):
 *                       against {@code raiseNanos}, how much of the raising was work and how much
 *                       waiting for a core or a lock.
 */
public record PlanStats(
    long position, long raisedToHost, long raisedToDevice, long demoted, long notRaised, long missing, long outOfOrder, long roomWaits,
    long rescans, long raiseNanos, long failures, long windowBytes, long advised, long repaired, long raiseCpuNanos)
{
    @Override
    public String toString()
    {
        return String.format(Locale.ROOT,
            "plan at %d: raised L3->L2 %d, to L1 %d, demoted %d, not raised %d, missing %d, out of order %d, waits for room %d, rescans %d, raising %.3f s (CPU %.3f s), window %.1f MiB, read ahead %d, raised again %d",
            position, raisedToHost, raisedToDevice, demoted, notRaised, missing, outOfOrder, roomWaits, rescans, raiseNanos / 1e9, raiseCpuNanos / 1e9,
            windowBytes / (1024.0 * 1024.0), advised, repaired);
    }
}
