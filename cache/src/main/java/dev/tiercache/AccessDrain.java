package dev.tiercache;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.index.IndexSlotDescriptor;
import dev.tiercache.policy.HeapBytes;

import java.util.function.LongConsumer;

/**
 * What readers asked for, applied under the writer lock: the accesses and misses buffered in the
 * {@link AccessBuffer}s go to the policies (a hit below is a miss above), expired entries found by
 * a read are removed, and entries that reached a promotion threshold are queued for the mover, one
 * request per slot. Every writer operation starts with {@link #drainLocked}; the mover drains on
 * each duty cycle, and a reader drains when its stripe is full and the lock is free.
 */
final class AccessDrain extends CacheRoom
{
    /** The promotion queue's first length: a quiet cache's queue stays this small. */
    static final int MIN_PENDING_PROMOTIONS = 64;

    private final SlotTable slots;
    /** The most promotion requests that wait; one more is dropped (the entry asks again on its next hit). */
    private final int maxPendingPromotions;
    /** A ring of key hashes, doubled while full up to {@link #maxPendingPromotions}. */
    private long[] pendingPromotions = new long[MIN_PENDING_PROMOTIONS];
    private int pendingHead;
    private int pendingSize;
    private final LongConsumer applyAccess = this::applyAccess;
    private final LongConsumer applyMiss = this::applyMiss;

    /** One clock reading per drain: the accesses of one drain happened within its span. */
    private long drainNanos;

    AccessDrain(final CacheCore core, final SlotTable slots)
    {
        super(core);
        this.slots = slots;
        this.maxPendingPromotions = Math.max(MIN_PENDING_PROMOTIONS, Math.min(config.maxEntries, 1 << 16));
    }

    /**
     * Applies what readers buffered (accesses, misses) and reclaims retired slots whose last pin
     * readers dropped. Every writer operation starts with it.
     */
    void drainLocked()
    {
        drainNanos = System.nanoTime();
        accessEvents.drain(applyAccess);
        missEvents.drain(applyMiss);
        slots.reclaimRetired();
    }

    /**
     * Drains the buffers for the mover (a duty-cycle step).
     *
     * @return events applied.
     */
    int drain()
    {
        if (!accessEvents.hasEvents() && !missEvents.hasEvents() && !slots.hasRetired())
        {
            return 0;
        }
        lock.lock();
        try
        {
            if (core.closed)
            {
                return 0;
            }
            drainNanos = System.nanoTime();
            final int applied = accessEvents.drain(applyAccess) + missEvents.drain(applyMiss);
            slots.reclaimRetired();
            return applied + 1;
        }
        finally
        {
            lock.unlock();
        }
    }

    void applyAccess(final long event)
    {
        final int slot = (int) event;
        if (!slots.isCurrent(slot, (int) (event >>> 32)))
        {
            return;
        }
        final long now = drainNanos;
        if (rule.isExpired(index, slot, now))
        {
            slots.removeSlot(slot);
            return;
        }
        index.recordAccess(slot, now);
        final Tier tier = levelOf(slot);
        final long hash = index.keyHash(slot);
        // a hit below is a miss above: the upper levels' admission learns how often the key is asked for
        if (tier != Tier.DEVICE && device != null)
        {
            policies[Tier.DEVICE.ordinal()].onMiss(hash);
        }
        if (tier == Tier.FILE)
        {
            policies[Tier.HOST.ordinal()].onMiss(hash);
            if (rule.shouldPromote(index, slot, IndexSlotDescriptor.LEVEL_L2))
            {
                requestPromotion(slot);
            }
            return;
        }
        policies[tier.ordinal()].onAccess(slot);
        if (tier == Tier.HOST && device != null && rule.shouldPromote(index, slot, IndexSlotDescriptor.LEVEL_L1) &&
            index.rawLength(slot) <= device.capacity() && promotionPays(slot, Tier.HOST, Tier.DEVICE))
        {
            requestPromotion(slot);
        }
    }

    void applyMiss(final long hash)
    {
        policies[Tier.HOST.ordinal()].onMiss(hash);
        if (device != null)
        {
            policies[Tier.DEVICE.ordinal()].onMiss(hash);
        }
    }

    /**
     * With a hardware profile, a promotion must also pay for itself: the entry's past accesses
     * stand for its future hits, and the link costs (latency plus bytes over bandwidth) of the
     * profile price the copy and the victim it displaces. On the target laptop the GPU link is about
     * as slow as the disk, so a large entry read twice does not earn a move to L1 there.
     */
    boolean promotionPays(final int slot, final Tier from, final Tier to)
    {
        return costs == null || costs.promotionPays(from, to, index.rawLength(slot), index.accessCount(slot));
    }

    void requestPromotion(final int slot)
    {
        final byte flags = index.flags(slot);
        if (pendingSize == maxPendingPromotions || (flags & (FLAG_QUEUED | FLAG_MOVING)) != 0)
        {
            return;
        }
        if (pendingSize == pendingPromotions.length)
        {
            growPromotions();
        }
        index.flags(slot, (byte) (flags | FLAG_QUEUED));
        pendingPromotions[(pendingHead + pendingSize) % pendingPromotions.length] = index.keyHash(slot);
        pendingSize++;
        if (core.moverParked)
        {
            core.moverIdle.wake();
        }
    }

    /**
     * Doubles the full ring, oldest request first: a few times while the mover falls behind (at
     * most ten), so that a cache whose promotions keep up never holds the largest queue.
     */
    private void growPromotions()
    {
        final long[] old = pendingPromotions;
        final long[] grown = new long[Math.min(maxPendingPromotions, old.length * 2)];
        final int firstRun = old.length - pendingHead;
        System.arraycopy(old, pendingHead, grown, 0, firstRun);
        System.arraycopy(old, 0, grown, firstRun, pendingHead);
        pendingPromotions = grown;
        pendingHead = 0;
    }

    /**
     * The heap the promotion queue holds now.
     *
     * @return bytes (see {@link HeapBytes}).
     */
    long heapBytes()
    {
        return HeapBytes.longs(pendingPromotions.length);
    }

    /**
     * The promotion queue's length now, for tests.
     *
     * @return its capacity in requests.
     */
    int promotionQueueLength()
    {
        return pendingPromotions.length;
    }

    /**
     * A writer's lookup of a {@code long} key: the buffered reads applied first, so the policies and
     * the slot it finds are up to date.
     *
     * @param key the key.
     * @return its live slot, or {@link EntryIndex#NOT_FOUND}.
     */
    int findLongLocked(final long key)
    {
        drainLocked();
        return slots.findKey(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
    }

    /**
     * Whether a promotion request waits.
     *
     * @return true when {@link #pollPromotion} has one.
     */
    boolean hasPromotions()
    {
        return pendingSize > 0;
    }

    /**
     * Takes the oldest promotion request.
     *
     * @return the key hash it was made for.
     */
    long pollPromotion()
    {
        final long hash = pendingPromotions[pendingHead];
        pendingHead = (pendingHead + 1) % pendingPromotions.length;
        pendingSize--;
        return hash;
    }

    /**
     * Forgets every promotion request (the cache was cleared).
     */
    void clearPromotions()
    {
        pendingSize = 0;
    }
}
