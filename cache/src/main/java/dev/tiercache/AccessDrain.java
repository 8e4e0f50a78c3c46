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
    private final SlotTable slots;
    private final long[] pendingPromotions;
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
        this.pendingPromotions = new long[Math.max(64, Math.min(config.maxEntries, 1 << 16))];
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
        if (pendingSize == pendingPromotions.length || (flags & (FLAG_QUEUED | FLAG_MOVING)) != 0)
        {
            return;
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
     * The heap the promotion queue holds now.
     *
     * @return bytes (see {@link HeapBytes}).
     */
    long heapBytes()
    {
        return HeapBytes.longs(pendingPromotions.length);
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
