package dev.tiercache;

import org.agrona.concurrent.Agent;

/**
 * The mover: runs on its own thread (an Agrona {@code AgentRunner}) and does the work that must not
 * slow a caller down: applying the accesses readers buffered, promotions requested by hits, and every cleanup interval the idle demotions,
 * TTL expiry and high-water trimming. Each unit of work is one call into the cache, which takes and
 * drops its lock around the bookkeeping and copies outside it.
 */
final class Mover implements Agent
{
    private static final int PROMOTIONS_PER_DUTY_CYCLE = 16;

    private final TierCache cache;
    private final long cleanupIntervalNanos;
    private long nextCleanupNanos;

    Mover(final TierCache cache, final long cleanupIntervalNanos)
    {
        this.cache = cache;
        this.cleanupIntervalNanos = cleanupIntervalNanos;
        this.nextCleanupNanos = System.nanoTime() + cleanupIntervalNanos;
    }

    @Override
    public int doWork()
    {
        int work = cache.drain();
        for (int i = 0; i < PROMOTIONS_PER_DUTY_CYCLE; i++)
        {
            final int done = cache.moveOne();
            if (done == 0)
            {
                break;
            }
            work += done;
        }
        final long now = System.nanoTime();
        if (now - nextCleanupNanos >= 0)
        {
            nextCleanupNanos = now + cleanupIntervalNanos;
            work += cache.maintain();
        }
        return work;
    }

    /**
     * Time until the next timed duty (the cleanup), for the idle strategy's park.
     *
     * @return nanoseconds, 0 when it is due.
     */
    long nanosUntilDuty()
    {
        return Math.max(0, nextCleanupNanos - System.nanoTime());
    }

    @Override
    public String roleName()
    {
        return "tiercache-mover";
    }
}
