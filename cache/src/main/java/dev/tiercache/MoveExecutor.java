package dev.tiercache;

import dev.tiercache.cuda.CudaException;
import dev.tiercache.index.EntryIndex;
import dev.tiercache.index.IndexSlotDescriptor;
import dev.tiercache.store.FileStore;
import dev.tiercache.store.SpaceAllocator;
import dev.tiercache.store.Transfers;

/**
 * The mover's promotions: L3 to L2 (read, verified and decoded with the writer lock left), L2 to
 * L1 (copied outside the lock with the source pinned, committed even while readers hold the source
 * pinned), and the synchronous promotion of {@link TierCache#getOnDevice} (its copy also outside
 * the lock). Each
 * move marks its slot as moving and clears the mark on every path by the slot's incarnation, so an
 * abandoned move never leaves it behind; each gives back what it reserved when it does not commit.
 */
final class MoveExecutor extends CacheRoom
{
    private final SlotTable slots;
    private final AccessDrain accessDrain;
    private final Placement placement;

    /**
     * {@link #promoteToDeviceLocked} result: L1's free space is reserved by a copy in flight, or the
     * entry moved, was replaced or removed while the lock was left; look the key up again.
     */
    static final int BLOCKED_BY_MOVE = -2;

    /** Bytes of L1 the mover reserved for copies in flight; written under the lock, read by waiters without it. */
    private volatile long deviceBytesInFlight;

    MoveExecutor(final CacheCore core, final SlotTable slots, final AccessDrain accessDrain, final Placement placement)
    {
        super(core);
        this.slots = slots;
        this.accessDrain = accessDrain;
        this.placement = placement;
    }

    /**
     * The L3 to L2 promotion (the mover's, or a prefetch's): reserve, copy, commit. The slot is
     * marked moving and pinned, L2's space reserved under the lock, the entry read, verified and
     * decoded into it with the lock left (readers meanwhile keep reading L3, and a reclaim of its
     * region makes the read report the entry gone), and the new slot committed under the lock if
     * the old one is still current.
     */
    void promoteFileToHostLocked(final int slot)
    {
        promoteFileToHostLocked(slot, false);
    }

    /**
     * The L3 to L2 promotion, with {@code planned} skipping L2's admission (see
     * {@link Placement#makeRoomForPromotion(Tier, long, long, boolean)}).
     */
    void promoteFileToHostLocked(final int slot, final boolean planned)
    {
        final long length = index.rawLength(slot);
        if (length > hostMaxEntry())
        {
            return;
        }
        final long hash = index.keyHash(slot);
        final int incarnation = index.incarnation(slot);
        index.flags(slot, (byte) (index.flags(slot) | FLAG_MOVING));
        index.tryPin(slot);
        long target = SpaceAllocator.FULL;
        try
        {
            target = placement.makeRoomForPromotion(Tier.HOST, hash, length, planned);
            // making room demotes L2 victims into L3, which may reclaim this entry's own region
            if (target == SpaceAllocator.FULL || !slots.isCurrent(slot, incarnation))
            {
                if (target != SpaceAllocator.FULL)
                {
                    counters.movesAborted++;
                }
                return;
            }
            final long location = index.location(slot);
            final long sequence = index.fileSequence(slot);
            final long read;
            final boolean left = leaveLock();
            try
            {
                read = file.read(location, sequence, host.view(target, length));
            }
            finally
            {
                reenterLock(left);
            }
            if (core.closed)
            {
                return;
            }
            if (read != length)
            {
                if (read == FileStore.CORRUPT)
                {
                    counters.corruptSkipped.increment();
                    LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": L3 entry at " + location + " is corrupt; dropped");
                }
                if (slots.isCurrent(slot, incarnation))
                {
                    slots.removeSlot(slot);
                }
                return;
            }
            if (!slots.isCurrent(slot, incarnation) || slots.replaceSlot(slot, Tier.HOST, target, 0) == EntryIndex.FULL)
            {
                counters.movesAborted++;
                return;
            }
            target = SpaceAllocator.FULL;
            file.adviseDontNeed(location);
            counters.promotions[Tier.FILE.ordinal()]++;
            counters.bytesUp[Tier.FILE.ordinal()] += length;
        }
        finally
        {
            if (target != SpaceAllocator.FULL)
            {
                host.free(target);
            }
            if (slots.isCurrent(slot, incarnation))
            {
                index.flags(slot, (byte) (index.flags(slot) & ~FLAG_MOVING));
            }
            if (index.unpin(slot))
            {
                slots.freeRetired(slot);
            }
        }
    }

    /**
     * Synchronous promotion to L1 for {@link #getOnDevice}: a caller that asks for device memory
     * waits for it by definition. Reserve, copy, commit: the copy (and the wait on its event) runs
     * with the lock left, the slot marked moving and pinned.
     *
     * @return the entry's new slot in L1, or {@link #BLOCKED_BY_MOVE}.
     * @throws IllegalStateException saying what stopped it.
     */
    int promoteToDeviceLocked(final int slot, final long key)
    {
        final long length = index.rawLength(slot);
        final long hash = index.keyHash(slot);
        final int incarnation = index.incarnation(slot);
        final Tier from = levelOf(slot);
        index.flags(slot, (byte) (index.flags(slot) | FLAG_MOVING));
        index.tryPin(slot);
        long target = SpaceAllocator.FULL;
        try
        {
            target = placement.makeRoom(Tier.DEVICE, hash, length);
            checkOpen();
            if (target == SpaceAllocator.FULL)
            {
                if (deviceBytesInFlight > 0)
                {
                    return BLOCKED_BY_MOVE;
                }
                throw new IllegalStateException("L1 has no room for key=" + key + " (" + length + " bytes): " + deviceRoomReason());
            }
            if (!slots.isCurrent(slot, incarnation))
            {
                // moved (by the mover, to L1 perhaps), replaced or removed meanwhile: look again
                return BLOCKED_BY_MOVE;
            }
            final long location = index.location(slot);
            final long sequence = index.fileSequence(slot);
            long read = length;
            RuntimeException failure = null;
            deviceBytesInFlight += length;
            final boolean left = leaveLock();
            try
            {
                if (from == Tier.HOST)
                {
                    transfers.hostToDevice(host.view(location, length), device, target);
                }
                else
                {
                    read = transfers.fileToDevice(file, location, sequence, length, host, device, target);
                }
            }
            catch (final Transfers.CopyInFlightException ex)
            {
                failure = ex;
                transfers.quarantine(device, target);
                target = SpaceAllocator.FULL;
            }
            catch (final CudaException ex)
            {
                failure = ex;
            }
            finally
            {
                reenterLock(left);
                deviceBytesInFlight -= length;
            }
            checkOpen();
            if (failure != null)
            {
                throw new IllegalStateException("key=" + key + ": copy to L1 failed, the entry stays in " + from.label() + ": " +
                    failure.getMessage(), failure);
            }
            if (read != length)
            {
                if (read == FileStore.CORRUPT)
                {
                    counters.corruptSkipped.increment();
                }
                if (slots.isCurrent(slot, incarnation))
                {
                    slots.removeSlot(slot);
                }
                throw new IllegalStateException("key=" + key + ": its L3 entry is " + (read == FileStore.CORRUPT ? "corrupt" : "gone") +
                    "; dropped");
            }
            if (!slots.isCurrent(slot, incarnation))
            {
                // moved (by the mover, to L1 perhaps), replaced or removed meanwhile: look again
                return BLOCKED_BY_MOVE;
            }
            final int next = slots.replaceSlot(slot, Tier.DEVICE, target, 0);
            if (next == EntryIndex.FULL)
            {
                throw new IllegalStateException("key=" + key + ": no free index slot or meta record for the move to L1");
            }
            target = SpaceAllocator.FULL;
            counters.promotions[from.ordinal()]++;
            counters.bytesUp[from.ordinal()] += length;
            return next;
        }
        finally
        {
            if (target != SpaceAllocator.FULL)
            {
                device.free(target);
            }
            if (slots.isCurrent(slot, incarnation))
            {
                index.flags(slot, (byte) (index.flags(slot) & ~FLAG_MOVING));
            }
            if (index.unpin(slot))
            {
                slots.freeRetired(slot);
            }
        }
    }

    /**
     * Waits (without the lock) until no copy into L1 is in flight, at most {@code nanos}.
     *
     * @param nanos the longest wait.
     */
    void awaitDeviceMoves(final long nanos)
    {
        final long deadline = System.nanoTime() + nanos;
        while (deviceBytesInFlight > 0 && System.nanoTime() - deadline < 0)
        {
            java.util.concurrent.locks.LockSupport.parkNanos(50_000);
        }
    }

    String deviceRoomReason()
    {
        int pinned = 0;
        int moving = 0;
        int resident = 0;
        int retired = 0;
        for (int slot = 0; slot < index.capacity(); slot++)
        {
            final byte state = index.state(slot);
            if (state == IndexSlotDescriptor.STATE_LIVE && levelOf(slot) == Tier.DEVICE)
            {
                resident++;
                pinned += index.pins(slot) > 0 ? 1 : 0;
                moving += (index.flags(slot) & FLAG_MOVING) != 0 ? 1 : 0;
            }
            else if (state == IndexSlotDescriptor.STATE_RETIRED && levelOf(slot) == Tier.DEVICE)
            {
                retired++;
            }
        }
        return resident + " entries resident in " + device.usedBytes() + " of " + device.capacity() + " bytes, " + pinned +
            " of them leased, " + moving + " being moved, " + retired + " replaced or removed ones still leased, " + deviceBytesInFlight +
            " bytes reserved by a move in flight; the policy kept them" +
            " or the free space is fragmented";
    }

    /**
     * One unit of the mover's work: the next promotion request. An L2 to L1 copy runs outside the
     * lock with the source pinned and commits even while readers hold it pinned (their pins keep
     * the old bytes until they finish); the move's mark is cleared on every path, by the slot's
     * incarnation, so an abandoned move never leaves it behind.
     *
     * @return 1 when something was done, else 0.
     */
    int moveOne()
    {
        final long hash;
        final int slot;
        final int incarnation;
        final long location;
        final long length;
        final long target;
        lock.lock();
        try
        {
            if (core.closed || !accessDrain.hasPromotions())
            {
                return 0;
            }
            accessDrain.drainLocked();
            hash = accessDrain.pollPromotion();
            slot = index.find(hash);
            if (slot == EntryIndex.NOT_FOUND)
            {
                return 1;
            }
            index.flags(slot, (byte) (index.flags(slot) & ~FLAG_QUEUED));
            if ((index.flags(slot) & FLAG_MOVING) != 0)
            {
                return 1;
            }
            final Tier from = levelOf(slot);
            length = index.rawLength(slot);
            if (from == Tier.FILE)
            {
                promoteFileToHostLocked(slot);
                return 1;
            }
            if (from != Tier.HOST || device == null || length > deviceMaxEntry())
            {
                return 1;
            }
            incarnation = index.incarnation(slot);
            index.flags(slot, (byte) (index.flags(slot) | FLAG_MOVING));
            target = placement.makeRoomForPromotion(Tier.DEVICE, hash, length);
            if (target == SpaceAllocator.FULL || !slots.isCurrent(slot, incarnation))
            {
                if (target != SpaceAllocator.FULL)
                {
                    device.free(target);
                    counters.movesAborted++;
                }
                if (slots.isCurrent(slot, incarnation))
                {
                    index.flags(slot, (byte) (index.flags(slot) & ~FLAG_MOVING));
                }
                return 1;
            }
            location = index.location(slot);
            index.tryPin(slot);
            deviceBytesInFlight += length;
        }
        finally
        {
            lock.unlock();
        }

        boolean copied = false;
        boolean inFlight = false;
        try
        {
            transfers.hostToDevice(host.view(location, length), device, target);
            copied = true;
        }
        catch (final Transfers.CopyInFlightException ex)
        {
            inFlight = true;
            LOG.log(System.Logger.Level.ERROR, "tiercache " + name + ": promotion to L1 failed and may still be running; the entry " +
                "stays in L2 and " + length + " bytes of L1 are kept out of use", ex);
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": promotion to L1 failed, entry stays in L2", ex);
        }

        lock.lock();
        try
        {
            deviceBytesInFlight -= length;
            // closed meanwhile: close() joins this thread before it closes the stores, so give back
            // what the move holds like any aborted move; above all the pin, whose last holder frees a
            // slot that clear() or remove() retired meanwhile, and with it the slot's L3 record
            final boolean current = slots.isCurrent(slot, incarnation);
            if (current)
            {
                index.flags(slot, (byte) (index.flags(slot) & ~FLAG_MOVING));
            }
            if (copied && current && !core.closed && slots.replaceSlot(slot, Tier.DEVICE, target, 0) != EntryIndex.FULL)
            {
                counters.promotions[Tier.HOST.ordinal()]++;
                counters.bytesUp[Tier.HOST.ordinal()] += length;
            }
            else if (inFlight)
            {
                transfers.quarantine(device, target);
                counters.movesAborted++;
            }
            else
            {
                device.free(target);
                counters.movesAborted++;
            }
            if (index.unpin(slot))
            {
                slots.freeRetired(slot);
            }
        }
        finally
        {
            lock.unlock();
        }
        return 1;
    }
}
