package dev.tiercache;

import dev.tiercache.policy.HeapBytes;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongConsumer;

/**
 * Striped, lossy buffers of events that readers record without the cache's lock and one owner
 * applies later under it (Caffeine's read buffers). A reader picks a stripe by its thread, claims
 * a cell with one compare-and-set on that stripe's write counter and stores the event with release
 * semantics; the drain, run by whoever holds the cache's lock, reads each stripe from its read
 * counter up to the first cell not yet stored, applies the events in order and clears the cells.
 *
 * <h2>Why lossy</h2>
 * The events are policy hints (which entry was read, which key missed): an LRU order and a
 * frequency sketch stay good when a few are dropped under contention, and a reader must never wait
 * for the owner. A full stripe makes {@link #offer} return {@link #FULL}; the caller then drains
 * if it can take the lock at once and offers again, else drops the event. One thread alone never
 * loses an event and sees them applied in the order it recorded them.
 *
 * <h2>Memory ordering</h2>
 * A cell is claimed by a CAS on the write counter, stored with {@code setRelease} and read by the
 * drain with {@code getAcquire}; the drain clears it with {@code setRelease} before it publishes the
 * new read counter with {@code setRelease}, and a writer checks room against the read counter read
 * with {@code getAcquire}, so a cell is never reused before it was consumed.
 *
 * <p>Events are longs; {@link #EMPTY} ({@code Long.MIN_VALUE}) marks a free cell and cannot be
 * recorded (such an event is dropped).
 */
final class AccessBuffer
{
    /** {@link #offer} result: recorded. */
    static final int OK = 0;

    /** {@link #offer} result: the stripe is full; drain and retry, or drop. */
    static final int FULL = 1;

    static final long EMPTY = Long.MIN_VALUE;

    private static final int STRIPE_LENGTH = 16;
    private static final int STRIPE_MASK = STRIPE_LENGTH - 1;

    private final Stripe[] stripes;
    private final int mask;

    AccessBuffer()
    {
        final int cpus = Runtime.getRuntime().availableProcessors();
        // four stripes per processor: two readers rarely share one (a shared stripe costs a CAS retry and a line)
        final int count = Math.min(64, Integer.highestOneBit(Math.max(1, cpus * 4 - 1)) << 1);
        this.stripes = new Stripe[count];
        for (int i = 0; i < count; i++)
        {
            stripes[i] = new Stripe();
        }
        this.mask = count - 1;
    }

    /**
     * Records an event. Allocates nothing.
     *
     * @param event any long but {@link #EMPTY}.
     * @return {@link #OK} or {@link #FULL}.
     */
    int offer(final long event)
    {
        if (event == EMPTY)
        {
            return OK;
        }
        final Stripe stripe = stripes[stripeOf(Thread.currentThread().threadId())];
        final long write = stripe.writeCounter.get();
        if (write - stripe.readCounter.getAcquire() >= STRIPE_LENGTH)
        {
            return FULL;
        }
        if (!stripe.writeCounter.compareAndSet(write, write + 1))
        {
            // another reader on this stripe won the cell: a hint may be dropped, never waited for
            return FULL;
        }
        stripe.cells.setRelease((int)(write & STRIPE_MASK), event);
        return OK;
    }

    /**
     * Applies every recorded event. The caller holds the cache's lock (one drain at a time).
     *
     * @param sink what to do with each event.
     * @return events applied.
     */
    int drain(final LongConsumer sink)
    {
        int applied = 0;
        for (final Stripe stripe : stripes)
        {
            long read = stripe.readCounter.get();
            final long write = stripe.writeCounter.getAcquire();
            while (read < write)
            {
                final int cell = (int)(read & STRIPE_MASK);
                final long event = stripe.cells.getAcquire(cell);
                if (event == EMPTY)
                {
                    break; // claimed, not yet stored: the next drain takes it
                }
                stripe.cells.setRelease(cell, EMPTY);
                read++;
                sink.accept(event);
                applied++;
            }
            stripe.readCounter.setRelease(read);
        }
        return applied;
    }

    /**
     * Whether any stripe has events waiting (a hint; racy).
     *
     * @return true when a drain would find something.
     */
    boolean hasEvents()
    {
        for (final Stripe stripe : stripes)
        {
            if (stripe.writeCounter.get() != stripe.readCounter.get())
            {
                return true;
            }
        }
        return false;
    }

    /**
     * The heap the stripes' array and their cells hold: fixed at construction by the processor
     * count, whatever the entries.
     *
     * @return bytes (see {@link HeapBytes}).
     */
    long heapBytes()
    {
        return HeapBytes.references(stripes.length) + HeapBytes.longs(STRIPE_LENGTH) * stripes.length;
    }

    private int stripeOf(final long threadId)
    {
        long h = threadId * 0x9E37_79B9_7F4A_7C15L;
        h ^= h >>> 29;
        return (int)h & mask;
    }

    /** One stripe: its counters are separate objects, so readers of two stripes rarely share a line. */
    private static final class Stripe
    {
        final AtomicLong writeCounter = new AtomicLong();
        final AtomicLong readCounter = new AtomicLong();
        final AtomicLongArray cells = new AtomicLongArray(STRIPE_LENGTH);

        Stripe()
        {
            for (int i = 0; i < STRIPE_LENGTH; i++)
            {
                cells.set(i, EMPTY);
            }
        }
    }
}
