package dev.tiercache;

import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.locks.LockSupport;

/**
 * How the mover waits when it has nothing to do: a few spins and yields right after work (more
 * work often follows), then it parks until a reader wakes it or its next timed duty is due, at most
 * {@link #MAX_PARK_NANOS}. A reader that buffers an access while the mover is parked wakes it
 * ({@link #wake}): one volatile read per access when the mover is awake. The bounded park covers a
 * wake-up lost to the race between a reader's check and the mover's parking (a window of a few
 * instructions), and keeps an idle cache at about five wake-ups a second, its timed duties
 * included.
 */
final class MoverIdle implements IdleStrategy
{
    /** The longest park: the worst delay of a promotion a lost wake-up can cause. */
    static final long MAX_PARK_NANOS = 250_000_000L;
    private static final int SPINS = 20;
    private static final int YIELDS = 10;

    private final CacheCore core;
    private final Mover mover;
    private int idleCycles;
    private volatile Thread thread;
    /** Parks since open (a test reads it: an idle cache must not poll). */
    private volatile long parks;

    MoverIdle(final CacheCore core, final Mover mover)
    {
        this.core = core;
        this.mover = mover;
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            idleCycles = 0;
            return;
        }
        idle();
    }

    @Override
    public void idle()
    {
        final int cycle = idleCycles++;
        if (cycle < SPINS)
        {
            Thread.onSpinWait();
            return;
        }
        if (cycle < SPINS + YIELDS)
        {
            Thread.yield();
            return;
        }
        if (thread == null)
        {
            thread = Thread.currentThread();
        }
        core.moverParked = true;
        // an access buffered before the flag was seen by its reader is found here
        if (!core.accessEvents.hasEvents() && !core.missEvents.hasEvents())
        {
            final long untilDuty = mover.nanosUntilDuty();
            parks++;
            LockSupport.parkNanos(this, Math.max(1_000L, Math.min(MAX_PARK_NANOS, untilDuty)));
        }
        core.moverParked = false;
    }

    @Override
    public void reset()
    {
        idleCycles = 0;
    }

    /** Wakes a parked mover; called by readers that saw {@link CacheCore#moverParked}. */
    void wake()
    {
        final Thread parked = thread;
        if (parked != null)
        {
            core.moverParked = false;
            LockSupport.unpark(parked);
        }
    }

    long parks()
    {
        return parks;
    }

    @Override
    public String alias()
    {
        return "tiercache-mover-park";
    }
}
