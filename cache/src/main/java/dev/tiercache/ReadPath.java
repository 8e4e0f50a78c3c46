package dev.tiercache;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.store.FileStore;
import dev.tiercache.store.NativeMemoryCounters;
import dev.tiercache.store.SpaceAllocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The read path, on the caller's thread and without the writer lock: find the key in the index's
 * table, pin its slot with one compare-and-set, check the full key and the expiry under the pin,
 * then read the bytes of whichever level holds them: an L2 copy or view, an L1 device copy, an L3
 * read that proves the entry's identity by its sequence number and verifies its checksum. A lookup
 * that loses a race with a writer tries again, and falls back to the writer lock after
 * {@link #OPTIMISTIC_ATTEMPTS} tries. Hits, misses and accesses are counted in striped counters and
 * buffered for the policies; nothing here allocates on an L1 or L2 hit.
 */
final class ReadPath extends CacheRoom
{
    private final SlotTable slots;
    private final AccessDrain accessDrain;
    private final MoveExecutor moves;
    /** The facade handles call back into (to end their leases). */
    private final TierCache owner;
    /** Lock-free lookups tried before a reader falls back to the writer lock. */
    private static final int OPTIMISTIC_ATTEMPTS = 8;
    /** Pinned-slot lookup result: no entry. */
    private static final long NOT_PINNED = -1;
    private static final ThreadLocal<EntryHandle> SCRATCH_HANDLE = ThreadLocal.withInitial(EntryHandle::new);

    private static final int ARMED = 0;
    private static final int ARM_CORRUPT = 1;
    private static final int ARM_AGAIN = 2;

    /** Times {@link #getOnDevice} waits for the mover's copy into L1 before it gives up. */
    private static final int DEVICE_WAITS = 20;
    private static final long DEVICE_WAIT_NANOS = 100_000_000L;

    ReadPath(final CacheCore core, final SlotTable slots, final AccessDrain accessDrain, final MoveExecutor moves, final TierCache owner)
    {
        super(core);
        this.slots = slots;
        this.accessDrain = accessDrain;
        this.moves = moves;
        this.owner = owner;
    }

    /**
     * Copies an entry's parts, back to back, into the caller's memory. An L1 or L2 hit takes no
     * cache-wide lock and allocates nothing; an L3 hit of one part into native memory is read,
     * verified and decompressed straight into {@code destination} on the caller's thread.
     *
     * @param key         the key.
     * @param destination at least the entry's {@link EntryHandle#byteSize()}.
     * @return bytes copied, or {@link #MISS}.
     */
    long getInto(final long key, final MemorySegment destination)
    {
        checkOpen();
        for (int round = 0; round < OPTIMISTIC_ATTEMPTS; round++)
        {
            final long pinned = acquire(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
            if (pinned == NOT_PINNED)
            {
                return TierCache.MISS;
            }
            final int slot = (int) pinned;
            final Tier tier = levelOf(slot);
            if (tier == Tier.HOST)
            {
                final long copied;
                try
                {
                    copied = copyHostParts(slot, destination);
                }
                finally
                {
                    slots.unpin(slot);
                }
                hit(pinned, Tier.HOST);
                return copied;
            }
            if (tier == Tier.FILE && destination.isNative() && index.onePart(slot))
            {
                final long read;
                try
                {
                    read = readFileInto(slot, destination);
                }
                finally
                {
                    slots.unpin(slot);
                }
                if (read >= 0)
                {
                    hit(pinned, Tier.FILE);
                    return read;
                }
                if (read == FileStore.CORRUPT)
                {
                    onCorrupt(pinned);
                    return TierCache.MISS;
                }
                continue; // the entry moved or its region was reclaimed under the read: look again
            }
            final EntryHandle handle = SCRATCH_HANDLE.get();
            final int armed = armPinned(pinned, handle);
            if (armed == ARMED)
            {
                try (handle)
                {
                    return copyParts(handle, destination);
                }
            }
            if (armed == ARM_CORRUPT)
            {
                return TierCache.MISS;
            }
        }
        counters.miss();
        return TierCache.MISS;
    }

    long copyHostParts(final int slot, final MemorySegment destination)
    {
        if (index.onePart(slot))
        {
            // one part starts the payload and is all of it: no meta read
            final long length = index.rawLength(slot);
            if (destination.byteSize() < length)
            {
                throw new IllegalArgumentException("destination of " + destination.byteSize() + " bytes < entry of " + length + " bytes");
            }
            MemorySegment.copy(host.memory(), index.location(slot), destination, 0, length);
            return length;
        }
        final MemorySegment meta = metaStore.memory();
        final long record = index.meta(slot);
        final int parts = EntryMetaDescriptor.partCount(meta, record);
        long total = 0;
        for (int i = 0; i < parts; i++)
        {
            total += EntryMetaDescriptor.partLength(meta, record, i);
        }
        if (destination.byteSize() < total)
        {
            throw new IllegalArgumentException("destination of " + destination.byteSize() + " bytes < entry of " + total + " bytes");
        }
        final MemorySegment memory = host.memory();
        final long base = index.location(slot);
        long at = 0;
        for (int i = 0; i < parts; i++)
        {
            final long length = EntryMetaDescriptor.partLength(meta, record, i);
            MemorySegment.copy(memory, base + EntryMetaDescriptor.partOffset(meta, record, i), destination, at, length);
            at += length;
        }
        return total;
    }

    /**
     * Reads a pinned one-part L3 entry into the caller's memory, proving its identity by sequence.
     *
     * @return the length, {@link FileStore#CORRUPT}, or another negative result (look again).
     */
    long readFileInto(final int slot, final MemorySegment destination)
    {
        final long length = index.rawLength(slot);
        if (destination.byteSize() < length)
        {
            throw new IllegalArgumentException("destination of " + destination.byteSize() + " bytes < entry of " + length + " bytes");
        }
        return file.read(index.location(slot), index.fileSequence(slot), destination.asSlice(0, length));
    }

    static long copyParts(final EntryHandle handle, final MemorySegment destination)
    {
        final long total = handle.byteSize();
        if (destination.byteSize() < total)
        {
            throw new IllegalArgumentException("destination of " + destination.byteSize() + " bytes < entry of " + total + " bytes");
        }
        long at = 0;
        for (int i = 0, n = handle.partCount(); i < n; i++)
        {
            final long length = handle.partByteSize(i);
            handle.copyTo(i, destination.asSlice(at, length));
            at += length;
        }
        return total;
    }

    /**
     * Looks up, pins and arms a handle, retrying when an L3 entry moved under its read.
     */
    boolean lookupInto(final long hash, final int keyKind, final MemorySegment keyBytes, final long longKey, final EntryHandle handle)
    {
        checkOpen();
        for (int round = 0; round < OPTIMISTIC_ATTEMPTS; round++)
        {
            final long pinned = acquire(hash, keyKind, keyBytes, longKey);
            if (pinned == NOT_PINNED)
            {
                return false;
            }
            final int armed = armPinned(pinned, handle);
            if (armed == ARMED)
            {
                return true;
            }
            if (armed == ARM_CORRUPT)
            {
                return false;
            }
        }
        counters.miss();
        return false;
    }

    /**
     * Arms a handle on a pinned slot; the handle then owns the pin. An L3 entry is read into memory
     * the handle owns (a block of L2's arena when there is room).
     *
     * @return {@link #ARMED}; {@link #ARM_CORRUPT} (counted, the pin dropped, a miss); or
     *         {@link #ARM_AGAIN} (the L3 entry moved under the read; the pin dropped).
     */
    int armPinned(final long pinned, final EntryHandle handle)
    {
        final int slot = (int) pinned;
        final Tier tier = levelOf(slot);
        final long metaOffset = index.meta(slot);
        if (tier == Tier.DEVICE)
        {
            handle.arm(owner, tier, slot, metaStore.memory(), metaOffset, null, 0, device.deviceAddress(index.location(slot)), null,
                EntryHandle.NO_STAGING);
            hit(pinned, tier);
            return ARMED;
        }
        if (tier == Tier.HOST)
        {
            handle.arm(owner, tier, slot, metaStore.memory(), metaOffset, host.memory(), index.location(slot), 0, null, EntryHandle.NO_STAGING);
            hit(pinned, tier);
            return ARMED;
        }
        final long length = index.rawLength(slot);
        final long staging = host.allocate(Math.max(1, length));
        final Arena owned = staging == SpaceAllocator.FULL ? NativeMemoryCounters.countedSharedArena(NativeMemoryCounters.Owner.STAGING) : null;
        final long read;
        final MemorySegment memory;
        final long base;
        try
        {
            memory = owned == null ? host.memory() : owned.allocate(Math.max(1, length), EntryMetaDescriptor.PART_ALIGNMENT);
            base = owned == null ? staging : 0;
            read = file.read(index.location(slot), index.fileSequence(slot), memory.asSlice(base, length));
        }
        catch (final RuntimeException | Error ex)
        {
            releaseStaging(owned, staging);
            slots.unpin(slot);
            throw ex;
        }
        if (read != length)
        {
            releaseStaging(owned, staging);
            slots.unpin(slot);
            if (read == FileStore.CORRUPT)
            {
                onCorrupt(pinned);
                return ARM_CORRUPT;
            }
            return ARM_AGAIN;
        }
        handle.arm(owner, Tier.FILE, slot, metaStore.memory(), metaOffset, memory, base, 0, owned, owned == null ? staging : EntryHandle.NO_STAGING);
        hit(pinned, Tier.FILE);
        return ARMED;
    }

    void releaseStaging(final Arena owned, final long staging)
    {
        if (owned != null)
        {
            owned.close();
        }
        else
        {
            host.free(staging);
        }
    }

    /**
     * Finds a key and pins its slot: lock-free while the optimistic lookups win, under the writer
     * lock after {@link #OPTIMISTIC_ATTEMPTS} lost races. A miss and an expired entry are counted
     * and reported to the policies here; a hit is counted by the caller once it has read the bytes.
     *
     * @return {@code incarnation << 32 | slot} of the pinned slot, or {@link #NOT_PINNED}.
     */
    long acquire(final long hash, final int keyKind, final MemorySegment keyBytes, final long longKey)
    {
        for (int attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++)
        {
            final int slot = index.findConcurrent(hash);
            if (slot == EntryIndex.NOT_FOUND)
            {
                return missed(hash);
            }
            if (slot == EntryIndex.RETRY)
            {
                Thread.onSpinWait();
                continue;
            }
            final long word = index.tryPin(slot);
            if (word == EntryIndex.PIN_FAILED)
            {
                continue;
            }
            if (index.keyHash(slot) != hash)
            {
                slots.unpin(slot); // a stale probe: the slot was reused for another key
                continue;
            }
            return checkPinned(slot, word, hash, keyKind, keyBytes, longKey);
        }
        lock.lock();
        try
        {
            checkOpen();
            final int slot = index.find(hash);
            if (slot == EntryIndex.NOT_FOUND)
            {
                return missed(hash);
            }
            final long word = index.tryPin(slot);
            if (word == EntryIndex.PIN_FAILED)
            {
                throw new IllegalStateException("slot=" + slot + " of keyHash=" + hash + " is live but cannot be pinned");
            }
            return checkPinned(slot, word, hash, keyKind, keyBytes, longKey);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * The pinned slot holds {@code hash}: compare the full key (a collision is a miss) and the expiry.
     */
    long checkPinned(final int slot, final long word, final long hash, final int keyKind, final MemorySegment keyBytes, final long longKey)
    {
        final long pinned = ((word >>> 32) << 32) | slot;
        if (!slots.keyMatches(slot, keyKind, keyBytes, longKey))
        {
            slots.unpin(slot);
            return missed(hash);
        }
        final long expiresAt = index.expiresAtNanos(slot);
        if (expiresAt != 0 && System.nanoTime() - expiresAt >= 0)
        {
            slots.unpin(slot);
            record(accessEvents, pinned); // the drain removes it
            counters.miss();
            return NOT_PINNED;
        }
        return pinned;
    }

    long missed(final long hash)
    {
        counters.miss();
        record(missEvents, hash);
        return NOT_PINNED;
    }

    void hit(final long pinned, final Tier tier)
    {
        counters.hit(tier.ordinal());
        // a hit that may earn a promotion (L3 to L2, L2 to L1) wakes the mover at once; the others
        // wait for its next duty, a full stripe (drained by the reader) or a put (which drains first)
        record(accessEvents, pinned, tier == Tier.FILE || (tier == Tier.HOST && device != null));
    }

    void record(final AccessBuffer buffer, final long event)
    {
        record(buffer, event, false);
    }

    /**
     * Buffers a policy event; a full stripe is drained at once when the writer lock is free, so a
     * single thread never loses one, and dropped otherwise. A parked mover is woken only for an
     * {@code urgent} event, one that may earn a promotion: waking it costs the reader a system call
     * (about a microsecond and a half a hit in {@code HeapBaselineBenchmark}), too much to pay on
     * every hit of a busy cache. The rest are applied by the mover's next duty (it drains before
     * its idle demotions), by a reader whose stripe filled, or by a put, which drains before it
     * evicts, so the order it sees is never stale.
     */
    void record(final AccessBuffer buffer, final long event, final boolean urgent)
    {
        if (core.moverParked && urgent)
        {
            core.moverIdle.wake();
        }
        if (buffer.offer(event) == AccessBuffer.FULL && lock.tryLock())
        {
            try
            {
                if (!core.closed)
                {
                    accessDrain.drainLocked();
                }
            }
            finally
            {
                lock.unlock();
            }
            buffer.offer(event);
        }
    }

    /**
     * Brings an entry to L1 (synchronously) and leases it there.
     *
     * @param key the key.
     * @return a lease with {@link Tier#DEVICE}, or {@code null} on a miss.
     * @throws IllegalStateException when there is no usable GPU level (with the reason), or the
     *                               entry cannot be brought there (with what stopped it).
     * @throws IllegalArgumentException when the entry is larger than L1 may hold.
     */
    EntryHandle getOnDevice(final long key)
    {
        checkOpen();
        if (device == null)
        {
            throw new IllegalStateException("no L1 (device) level: " + core.levels.deviceOffReason);
        }
        checkOpen();
        final long fast = acquire(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
        if (fast == NOT_PINNED)
        {
            return null;
        }
        if (levelOf((int) fast) == Tier.DEVICE)
        {
            final EntryHandle handle = new EntryHandle();
            armPinned(fast, handle);
            return handle;
        }
        slots.unpin((int) fast);
        long pinned = NOT_PINNED;
        for (int attempt = 0; pinned == NOT_PINNED; attempt++)
        {
            lock.lock();
            try
            {
                checkOpen();
                final int slot = accessDrain.findLongLocked(key);
                if (slot == EntryIndex.NOT_FOUND)
                {
                    return null;
                }
                int target = slot;
                if (levelOf(slot) != Tier.DEVICE)
                {
                    final long length = index.rawLength(slot);
                    if (length > deviceMaxEntry())
                    {
                        throw new IllegalArgumentException("entry of " + length + " bytes is larger than L1 holds (" + deviceMaxEntry() + ")");
                    }
                    target = moves.promoteToDeviceLocked(slot, key);
                    if (target == MoveExecutor.BLOCKED_BY_MOVE && attempt == DEVICE_WAITS)
                    {
                        throw new IllegalStateException("L1 has no room for key=" + key + ": " + moves.deviceRoomReason());
                    }
                }
                if (target >= 0)
                {
                    final long word = index.tryPin(target);
                    pinned = ((word >>> 32) << 32) | target;
                }
            }
            finally
            {
                lock.unlock();
            }
            if (pinned == NOT_PINNED)
            {
                // the mover's copy holds the free space: it commits soon, and its entry is then evictable
                moves.awaitDeviceMoves(DEVICE_WAIT_NANOS);
            }
        }
        final EntryHandle handle = new EntryHandle();
        armPinned(pinned, handle);
        return handle;
    }

    /**
     * A reader found the L3 entry of a pinned slot corrupt: count it and drop the entry, if it is
     * still the one the reader saw (it may be gone or replaced already).
     */
    void onCorrupt(final long pinned)
    {
        counters.corruptSkipped.increment();
        counters.miss();
        final int slot = (int) pinned;
        lock.lock();
        try
        {
            if (!core.closed && slots.isCurrent(slot, (int) (pinned >>> 32)))
            {
                LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": L3 entry at " + index.location(slot) + " is corrupt; dropped");
                slots.removeSlot(slot);
            }
        }
        finally
        {
            lock.unlock();
        }
    }
}
