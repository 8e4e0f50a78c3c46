package dev.tiercache;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.index.IndexSlotDescriptor;
import dev.tiercache.policy.EvictionPolicy;
import dev.tiercache.store.FileStore;
import dev.tiercache.store.SpaceAllocator;
import dev.tiercache.store.Transfers;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.IntPredicate;

/**
 * Where entries go: a put's landing level, room made by evicting a level's victims one level down
 * (L1 to L2 to L3 to dropped), the mover's periodic duty (expiry, idle demotion, high-water
 * trimming) and the write-back at close. Decisions and bookkeeping run under the writer lock; the
 * copies do not: a put or a demotion reserves under the lock, leaves it for the copy (or the L3
 * encoding), and commits under it again ({@link #placeLocked}, {@link #demote}). So every step that
 * can evict, or leave the lock, is followed by a check that the slot being handled is still the one
 * it was ({@link SlotTable#isCurrent}) and that the cache is still open.
 */
final class Placement extends CacheRoom
{
    private final SlotTable slots;
    private final AccessDrain accessDrain;
    private final IntPredicate evictable = this::isEvictable;

    Placement(final CacheCore core, final SlotTable slots, final AccessDrain accessDrain)
    {
        super(core);
        this.slots = slots;
        this.accessDrain = accessDrain;
    }

    Tier put(final long hash, final int keyKind, final MemorySegment key, final Part[] parts)
    {
        if (parts.length == 0 || parts.length > EntryMetaDescriptor.MAX_PARTS)
        {
            throw new IllegalArgumentException("parts=" + parts.length + " is not in [1, " + EntryMetaDescriptor.MAX_PARTS + "]");
        }
        long payloadLength = 0;
        for (int i = 0; i < parts.length; i++)
        {
            payloadLength = (i + 1 < parts.length) ?
                EntryMetaDescriptor.align(payloadLength + parts[i].spec().byteSize(), EntryMetaDescriptor.PART_ALIGNMENT) :
                payloadLength + parts[i].spec().byteSize();
        }
        if (payloadLength > IndexSlotDescriptor.MAX_RAW_LENGTH)
        {
            throw new IllegalArgumentException("entry of " + payloadLength + " bytes is larger than the " + IndexSlotDescriptor.MAX_RAW_LENGTH +
                " bytes an index slot's length holds");
        }
        final boolean fitsHost = payloadLength > 0 && payloadLength <= hostMaxEntry();
        final boolean fitsFile = file != null && payloadLength <= fileMaxEntry();
        int existing = EntryIndex.NOT_FOUND;
        lock.lock();
        try
        {
            checkOpen();
            accessDrain.drainLocked();
            if (!fitsHost && !fitsFile)
            {
                counters.rejected++;
                throw new IllegalArgumentException("entry of " + payloadLength + " bytes is larger than every level: L2 holds entries up to " +
                    hostMaxEntry() + " bytes, L3 " + (file == null ? "is off (" + core.levels.fileOffReason + ")" : "up to " + fileMaxEntry() + " bytes"));
            }
            // the old entry stays readable, and out of eviction (pinned), until the new one is in place
            existing = index.find(hash);
            if (existing != EntryIndex.NOT_FOUND)
            {
                index.tryPin(existing);
            }
            return placeLocked(hash, keyKind, key, parts, payloadLength, fitsHost, fitsFile, existing);
        }
        finally
        {
            if (existing != EntryIndex.NOT_FOUND && index.unpin(existing))
            {
                slots.freeRetired(existing);
            }
            lock.unlock();
        }
    }

    /**
     * Reserve, copy, commit: under the lock a slot, its meta record and the space in the landing
     * level are reserved (making room demotes victims, whose copies also run outside the lock);
     * the payload is copied into L2, or encoded for L3, with the lock left; back under it the L3
     * append (a copy) and the publication run. Nobody sees the reserved slot before it is linked;
     * whatever fails gives back everything reserved.
     */
    Tier placeLocked(
        final long hash, final int keyKind, final MemorySegment key, final Part[] parts, final long payloadLength,
        final boolean fitsHost, final boolean fitsFile, final int existing)
    {
        if (existing == EntryIndex.NOT_FOUND)
        {
            while (index.size() >= config.maxEntries)
            {
                if (!evictAnyFileEntry() && !evictOne(Tier.HOST, hash, false) && !evictOne(Tier.DEVICE, hash, false))
                {
                    counters.rejected++;
                    throw new IllegalStateException("the index is full (maxEntries=" + config.maxEntries + ") of leased entries");
                }
                checkOpen();
            }
        }
        final int slot = slots.allocateSlot(hash);
        if (slot == EntryIndex.FULL)
        {
            counters.rejected++;
            throw new IllegalStateException("every index slot is live, being filled or held by a lease (maxEntries=" + config.maxEntries + ")");
        }
        long metaOffset = SpaceAllocator.FULL;
        long hostLocation = SpaceAllocator.FULL;
        try
        {
            metaOffset = acquireMeta(keyKind, key, parts);
            final MemorySegment meta = metas.record(metaOffset);
            Tier landed = null;
            long location = SpaceAllocator.FULL;
            long sequence = 0;
            if (fitsHost)
            {
                hostLocation = makeRoom(Tier.HOST, hash, payloadLength);
                checkOpen();
                if (hostLocation != SpaceAllocator.FULL)
                {
                    final boolean left = leaveLock();
                    try
                    {
                        copyParts(parts, meta, host.view(hostLocation, payloadLength));
                    }
                    finally
                    {
                        reenterLock(left);
                    }
                    checkOpen();
                    location = hostLocation;
                    landed = Tier.HOST;
                }
            }
            if (landed == null && fitsFile)
            {
                try (Arena arena = Arena.ofConfined())
                {
                    final FileStore.Encoded encoded;
                    final boolean left = leaveLock();
                    try
                    {
                        final MemorySegment payload;
                        if (parts.length == 1 && parts[0].bytes().isNative())
                        {
                            payload = parts[0].bytes();
                        }
                        else
                        {
                            payload = arena.allocate(payloadLength, EntryMetaDescriptor.PART_ALIGNMENT);
                            copyParts(parts, meta, payload);
                        }
                        encoded = file.encode(hash, key, MetaRecords.fullRecord(meta, hash, arena), payload, codec, arena);
                    }
                    finally
                    {
                        reenterLock(left);
                    }
                    checkOpen();
                    final long appended = encoded == null ? FileStore.FULL : file.appendEncoded(encoded);
                    if (appended >= 0)
                    {
                        location = appended;
                        sequence = file.sequence(location);
                        landed = Tier.FILE;
                    }
                }
            }
            if (landed == null)
            {
                counters.rejected++;
                throw new IllegalArgumentException("entry of " + payloadLength + " bytes found no room: every candidate level is full of leased entries");
            }
            slots.fillSlot(slot, landed, location, payloadLength, metaOffset, sequence, rule.expiresAtNanos(System.nanoTime()), 0);
            metaOffset = SpaceAllocator.FULL;
            hostLocation = SpaceAllocator.FULL;
            index.publish(slot);
            // the lock was left, and evictions above may have moved or dropped the old entry: look it up again
            final int current = index.find(hash);
            if (current != EntryIndex.NOT_FOUND)
            {
                if (landed != Tier.FILE)
                {
                    // the old value's L3 record stays until the new value reaches the file: a crash
                    // meanwhile finds the old value, never neither
                    slots.handOnRecord(current, slot, false);
                }
                final Tier old = levelOf(current);
                policies[old.ordinal()].onRemove(current);
                counters.levelEntries[old.ordinal()]--;
                index.relink(current, slot);
                slots.retireLocked(current);
            }
            else
            {
                index.link(slot);
            }
            policies[landed.ordinal()].onInsert(slot);
            counters.levelEntries[landed.ordinal()]++;
            counters.puts++;
            return landed;
        }
        catch (final RuntimeException | Error ex)
        {
            if (index.state(slot) == IndexSlotDescriptor.STATE_RESERVED)
            {
                if (metaOffset != SpaceAllocator.FULL)
                {
                    metas.release(metaOffset);
                }
                if (hostLocation != SpaceAllocator.FULL)
                {
                    host.free(hostLocation);
                }
                slots.abandonReserved(slot);
            }
            throw ex;
        }
    }

    static void copyParts(final Part[] parts, final MemorySegment meta, final MemorySegment payload)
    {
        for (int i = 0; i < parts.length; i++)
        {
            final MemorySegment bytes = parts[i].bytes();
            MemorySegment.copy(bytes, 0, payload, EntryMetaDescriptor.partOffset(meta, i), bytes.byteSize());
        }
    }

    /**
     * The meta record of an entry being put, shared with entries of the same shape where the key
     * kind allows (see {@link MetaRecords}); retired slots are reclaimed and L3 entries evicted
     * while the arena is full.
     */
    long acquireMeta(final int keyKind, final MemorySegment key, final Part[] parts)
    {
        long offset = metas.acquire(keyKind, key, parts);
        while (offset == SpaceAllocator.FULL)
        {
            slots.reclaimRetired();
            offset = metas.acquire(keyKind, key, parts);
            if (offset == SpaceAllocator.FULL && !evictAnyFileEntry())
            {
                throw new IllegalStateException("the key/spec arena of " + config.metaBytes() + " bytes is full; raise maxEntries");
            }
            offset = metas.acquire(keyKind, key, parts);
        }
        return offset;
    }

    /**
     * Neither being moved nor pinned (by a reader, a move, or a put replacing it).
     */
    boolean isEvictable(final int slot)
    {
        return (index.flags(slot) & FLAG_MOVING) == 0 && index.pins(slot) == 0;
    }

    /**
     * Allocates {@code length} bytes in a level, evicting that level's victims one level down until
     * it fits or the policy keeps its residents. When every resident is being moved out already,
     * it waits (without the lock) for those moves to give their space back: the back-pressure of a
     * full level. The lock may be left on the way; the caller checks its own slot again.
     *
     * @return the offset, or {@link SpaceAllocator#FULL} when the entry does not enter the level.
     */
    long makeRoom(final Tier tier, final long hash, final long length)
    {
        if (tier == Tier.DEVICE && device == null)
        {
            return SpaceAllocator.FULL;
        }
        final EvictionPolicy policy = policies[tier.ordinal()];
        long offset = allocate(tier, length);
        int waits = 0;
        while (offset == SpaceAllocator.FULL && !core.closed)
        {
            final int victim = policy.selectVictim(evictable);
            if (victim != EvictionPolicy.NONE)
            {
                if (!policy.admit(hash, victim))
                {
                    return SpaceAllocator.FULL;
                }
                counters.evictions[tier.ordinal()]++;
                demote(victim);
            }
            else if (waits++ == MAX_ROOM_WAITS || !awaitDemotionOutOf(tier))
            {
                return SpaceAllocator.FULL;
            }
            offset = allocate(tier, length);
        }
        return offset;
    }

    /** How often one {@link #makeRoom} waits for demotions in flight before it gives up on the level. */
    static final int MAX_ROOM_WAITS = 64;
    static final long ROOM_WAIT_NANOS = 50_000_000L;

    /**
     * Waits, the lock left, for a demotion out of a level to end.
     *
     * @return false when none is under way, the lock cannot be left, or the cache closed.
     */
    boolean awaitDemotionOutOf(final Tier tier)
    {
        if (core.demotionsOutOf[tier.ordinal()] == 0 || lock.getHoldCount() != 1)
        {
            return false;
        }
        core.writersOutside++;
        try
        {
            core.placed.awaitNanos(ROOM_WAIT_NANOS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
        finally
        {
            if (--core.writersOutside == 0)
            {
                core.placed.signalAll();
            }
        }
        return !core.closed;
    }

    /**
     * Room for an entry moving up. Free space is used only below the level's high-water mark;
     * past it the entry must win admission against a victim. Otherwise a level trimmed to its
     * low-water mark would refill from below at once and be trimmed again, writing a few percent of
     * itself down to the file every cleanup interval (seen on shuffled epochs). A promotion never
     * waits for room.
     *
     * @return the offset, or {@link SpaceAllocator#FULL} when the entry stays where it is.
     */
    long makeRoomForPromotion(final Tier tier, final long hash, final long length)
    {
        return makeRoomForPromotion(tier, hash, length, false);
    }

    /**
     * Room for an entry moving up; with {@code planned} (a prefetch by a plan that knows the reads
     * to come), past the high-water mark the policy's victim is evicted without asking
     * {@code admitPromotion}: the plan, not the frequency sketch, knows the entry is read next.
     */
    long makeRoomForPromotion(final Tier tier, final long hash, final long length, final boolean planned)
    {
        final long capacity = tier == Tier.DEVICE ? device.capacity() : host.capacity();
        final EvictionPolicy policy = policies[tier.ordinal()];
        while (!core.closed)
        {
            if (!rule.isPastHighWaterMark(used(tier) + length, capacity))
            {
                final long offset = allocate(tier, length);
                if (offset != SpaceAllocator.FULL)
                {
                    return offset;
                }
            }
            final int victim = policy.selectVictim(evictable);
            if (victim == EvictionPolicy.NONE || (!planned && !policy.admitPromotion(hash, victim)))
            {
                return SpaceAllocator.FULL;
            }
            counters.evictions[tier.ordinal()]++;
            demote(victim);
        }
        return SpaceAllocator.FULL;
    }

    /**
     * Evicts one victim of a level one level down (L3 drops).
     *
     * @param admission whether to ask the policy if {@code hash} may take the victim's place.
     * @return false when nothing could be evicted (or admission said no).
     */
    boolean evictOne(final Tier tier, final long hash, final boolean admission)
    {
        if (core.closed || (tier == Tier.DEVICE && device == null))
        {
            return false;
        }
        final EvictionPolicy policy = policies[tier.ordinal()];
        final int victim = policy.selectVictim(evictable);
        if (victim == EvictionPolicy.NONE || (admission && !policy.admit(hash, victim)))
        {
            return false;
        }
        counters.evictions[tier.ordinal()]++;
        demote(victim);
        return true;
    }

    /**
     * Moves a slot one level down, or drops it when there is no level below that takes it. Reserve,
     * copy, commit: the slot is marked moving and pinned (its bytes stay while the lock is left),
     * the space below is reserved under the lock, the copy (device to host, or the L3 encoding) runs
     * with the lock left, and the new slot is committed under it if the old one is still current.
     * Every path clears the mark and drops the pin; a slot removed meanwhile is freed by that unpin.
     */
    void demote(final int slot)
    {
        final Tier from = levelOf(slot);
        final long length = index.rawLength(slot);
        final long location = index.location(slot);
        final long hash = index.keyHash(slot);
        final int incarnation = index.incarnation(slot);
        index.flags(slot, (byte) (index.flags(slot) | FLAG_MOVING));
        index.tryPin(slot);
        core.demotionsOutOf[from.ordinal()]++;
        try
        {
            if (from == Tier.DEVICE)
            {
                final long target = makeRoom(Tier.HOST, hash, length);
                if (target != SpaceAllocator.FULL)
                {
                    int copied = COPY_FAILED;
                    if (!core.closed && slots.isCurrent(slot, incarnation))
                    {
                        final boolean left = leaveLock();
                        try
                        {
                            copied = copyDown(location, host.view(target, length));
                        }
                        finally
                        {
                            reenterLock(left);
                        }
                    }
                    if (copied == COPIED && !core.closed && slots.isCurrent(slot, incarnation) &&
                        slots.replaceSlot(slot, Tier.HOST, target, 0) != EntryIndex.FULL)
                    {
                        movedDown(Tier.DEVICE, length);
                        return;
                    }
                    if (copied == COPY_IN_FLIGHT)
                    {
                        transfers.quarantine(host, target);
                    }
                    else
                    {
                        host.free(target);
                    }
                }
                else if (!core.closed && slots.isCurrent(slot, incarnation) && demoteOntoBacking(slot))
                {
                    movedDown(Tier.DEVICE, length);
                    return;
                }
                else if (file != null && length <= fileMaxEntry() && !core.closed && slots.isCurrent(slot, incarnation))
                {
                    final long fileLocation = copyToFile(slot, Tier.DEVICE, location, length, true);
                    if (fileLocation >= 0 && commitToFile(slot, incarnation, fileLocation))
                    {
                        movedDown(Tier.DEVICE, length);
                        return;
                    }
                }
            }
            else if (from == Tier.HOST && demoteOntoBacking(slot))
            {
                movedDown(Tier.HOST, length);
                return;
            }
            else if (from == Tier.HOST && file != null && length <= fileMaxEntry())
            {
                final long fileLocation = copyToFile(slot, Tier.HOST, location, length, true);
                if (fileLocation >= 0 && commitToFile(slot, incarnation, fileLocation))
                {
                    movedDown(Tier.HOST, length);
                    return;
                }
            }
            if (!core.closed && slots.isCurrent(slot, incarnation))
            {
                slots.removeSlot(slot);
            }
        }
        finally
        {
            core.demotionsOutOf[from.ordinal()]--;
            if (slots.isCurrent(slot, incarnation))
            {
                index.flags(slot, (byte) (index.flags(slot) & ~FLAG_MOVING));
            }
            if (index.unpin(slot))
            {
                slots.freeRetired(slot);
            }
            core.placed.signalAll();
        }
    }

    /**
     * Demotes a clean slot to L3 without a copy: its value is in L3 already, as its backing record,
     * which the new L3 slot takes over.
     *
     * @return false when the slot is not clean, its record is gone, or no index slot was free.
     */
    boolean demoteOntoBacking(final int slot)
    {
        if (file == null || !isClean(slot))
        {
            return false;
        }
        final long location = index.backingLocation(slot);
        final long sequence = index.backingSequence(slot);
        if (file.sequence(location) != sequence)
        {
            slots.dropBacking(slot);
            return false;
        }
        return slots.replaceSlot(slot, Tier.FILE, location, sequence) != EntryIndex.FULL;
    }

    void movedDown(final Tier from, final long length)
    {
        counters.demotions[from.ordinal()]++;
        counters.bytesDown[from.ordinal()] += length;
    }

    /** {@link #copyDown}: the bytes are in the target. */
    static final int COPIED = 1;
    /** {@link #copyDown}: the copy failed; the target may be freed. */
    static final int COPY_FAILED = 0;
    /** {@link #copyDown}: the copy failed and may still be running; the target must be quarantined. */
    static final int COPY_IN_FLIGHT = -1;

    /**
     * Device to host for a demotion; a CUDA failure is logged (the entry is then dropped).
     *
     * @return {@link #COPIED}, {@link #COPY_FAILED} or {@link #COPY_IN_FLIGHT}.
     */
    int copyDown(final long deviceOffset, final MemorySegment target)
    {
        try
        {
            transfers.deviceToHost(device, deviceOffset, target);
            return COPIED;
        }
        catch (final Transfers.CopyInFlightException ex)
        {
            LOG.log(System.Logger.Level.ERROR, "tiercache " + name + ": copy out of L1 failed and may still be running; the entry is " +
                "dropped and its " + target.byteSize() + " bytes of host memory are kept out of use", ex);
            return COPY_IN_FLIGHT;
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": copy out of L1 failed; the entry is dropped", ex);
            return COPY_FAILED;
        }
    }

    /**
     * Points a slot at its new L3 copy, if the slot is still the one that was copied; otherwise
     * the copy is removed again.
     */
    boolean commitToFile(final int slot, final int incarnation, final long fileLocation)
    {
        final long sequence = file.sequence(fileLocation);
        if (sequence >= 0 && !core.closed && slots.isCurrent(slot, incarnation) &&
            slots.replaceSlot(slot, Tier.FILE, fileLocation, sequence) != EntryIndex.FULL)
        {
            return true;
        }
        if (sequence >= 0)
        {
            file.remove(fileLocation, sequence);
        }
        return false;
    }

    /**
     * Writes a copy of a slot's bytes to L3: staged out of L1 when they are there, encoded
     * (compressed, checksummed) with the lock left when {@code leave} allows it (the slot must then
     * be pinned), appended under the lock.
     *
     * @return the L3 location, or a negative value when the copy failed, L3 had no room or the
     *         cache closed meanwhile.
     */
    long copyToFile(final int slot, final Tier from, final long location, final long length, final boolean leave)
    {
        final long hash = index.keyHash(slot);
        final MemorySegment meta = metaOf(slot);
        final Arena arena = Arena.ofConfined();
        boolean inFlight = false;
        try
        {
            final FileStore.Encoded encoded;
            final boolean left = leave && leaveLock();
            try
            {
                final MemorySegment raw;
                if (from == Tier.DEVICE)
                {
                    raw = arena.allocate(length, EntryMetaDescriptor.PART_ALIGNMENT);
                    final int copied = copyDown(location, raw);
                    if (copied != COPIED)
                    {
                        // a copy that may still land keeps its staging: the arena is never closed
                        inFlight = copied == COPY_IN_FLIGHT;
                        if (inFlight)
                        {
                            transfers.quarantined(length);
                        }
                        return FileStore.FULL;
                    }
                }
                else
                {
                    raw = host.view(location, length);
                }
                final MemorySegment full = MetaRecords.fullRecord(meta, hash, arena);
                encoded = file.encode(hash, EntryMetaDescriptor.key(full), full, raw, codec, arena);
            }
            finally
            {
                reenterLock(left);
            }
            if (encoded == null || (left && core.closed))
            {
                return FileStore.FULL;
            }
            return file.appendEncoded(encoded);
        }
        finally
        {
            if (!inFlight)
            {
                arena.close();
            }
        }
    }

    boolean evictAnyFileEntry()
    {
        if (file != null)
        {
            final int victim = policies[Tier.FILE.ordinal()].selectVictim(evictable);
            if (victim != EvictionPolicy.NONE)
            {
                counters.evictions[Tier.FILE.ordinal()]++;
                slots.removeSlot(victim);
                return true;
            }
        }
        return false;
    }

    /**
     * Called by the file store, inside {@code append} (so under our lock), before it overwrites
     * the oldest region: every live entry there leaves the index. A reader that pinned one of them
     * before finds the sequence changed and looks again.
     */
    void onFileRegionReclaimed(final long location, final long keyHash)
    {
        final int slot = index.find(keyHash);
        if (slot == EntryIndex.NOT_FOUND)
        {
            return;
        }
        if (levelOf(slot) == Tier.FILE && index.location(slot) == location)
        {
            counters.evictions[Tier.FILE.ordinal()]++;
            if (core.remote != null && core.remote.writesOnEviction())
            {
                core.remote.writeEvicted(core.levels.file, location); // its region is not yet written over
            }
            index.flags(slot, (byte) (index.flags(slot) | FLAG_FILE_GONE));
            slots.removeSlot(slot);
        }
        else if (levelOf(slot) != Tier.FILE && index.backingLocation(slot) == location)
        {
            // an L1/L2 entry's L3 record goes with its region: the entry is dirty from now on
            index.backing(slot, IndexSlotDescriptor.NO_BACKING, 0);
            index.flags(slot, (byte) (index.flags(slot) & ~FLAG_BACKING_STALE));
        }
    }

    /**
     * The mover's periodic duty: drop expired entries, demote idle ones, trim levels past their
     * high-water mark.
     *
     * @return entries handled.
     */
    int maintain()
    {
        lock.lock();
        try
        {
            if (core.closed)
            {
                return 0;
            }
            accessDrain.drainLocked();
            final long now = System.nanoTime();
            int work = 0;
            for (int slot = 0; slot < index.capacity() && !core.closed; slot++)
            {
                if (index.state(slot) != IndexSlotDescriptor.STATE_LIVE || !evictable.test(slot))
                {
                    continue;
                }
                if (rule.isExpired(index, slot, now))
                {
                    slots.removeSlot(slot);
                    work++;
                }
                else if (config.demoteAfterIdleNanos > 0 && levelOf(slot) != Tier.FILE && rule.isIdle(index, slot, now))
                {
                    demote(slot);
                    work++;
                }
            }
            work += trim(Tier.DEVICE);
            work += trim(Tier.HOST);
            return work;
        }
        finally
        {
            lock.unlock();
        }
    }

    int trim(final Tier tier)
    {
        if (tier == Tier.DEVICE && device == null)
        {
            return 0;
        }
        final long capacity = tier == Tier.DEVICE ? device.capacity() : host.capacity();
        int work = 0;
        if (rule.isPastHighWaterMark(used(tier), capacity))
        {
            final long target = rule.evictionTargetBytes(capacity);
            // demotions leave the lock: the cache may close meanwhile, and then nothing moves
            while (!core.closed && used(tier) > target && evictOne(tier, 0, false))
            {
                work++;
            }
        }
        return work;
    }

    /**
     * Writes a dirty L1 or L2 slot's value to L3, under the lock throughout; the new record
     * becomes the slot's clean backing and an older value it kept is removed after it.
     *
     * @return the record's location, or a negative value when it was not written.
     */
    long persistLocked(final int slot)
    {
        final long written = copyToFile(slot, levelOf(slot), index.location(slot), index.rawLength(slot), false);
        if (written >= 0)
        {
            final long sequence = file.sequence(written);
            if (sequence < 0)
            {
                return FileStore.FULL;
            }
            slots.dropBacking(slot);
            index.backing(slot, written, sequence);
        }
        return written;
    }

    /**
     * What {@link #writeBack} could not do.
     *
     * @param written    entries written to L3.
     * @param notWritten entries left out (L3 had no room, the copy failed, or the entry is larger
     *                   than L3 takes).
     * @param bytes      their raw bytes.
     * @param firstError the first exception, or null.
     */
    record WriteBackResult(int written, int notWritten, long bytes, RuntimeException firstError)
    {
        String describe()
        {
            return notWritten + " entries (" + bytes + " bytes) could not be written back to L3" +
                (firstError == null ? "" : "; the first error: " + firstError.getMessage());
        }
    }

    /**
     * Writes every dirty L1 and L2 entry to L3 and forces the file, under the lock throughout
     * (at close, and for {@code flush}). Failures are logged and counted; none stops it.
     *
     * @return what could not be written back.
     */
    WriteBackResult writeBack()
    {
        int written = 0;
        int notWritten = 0;
        long notWrittenBytes = 0;
        RuntimeException firstError = null;
        for (int slot = 0; slot < index.capacity(); slot++)
        {
            if (index.state(slot) == IndexSlotDescriptor.STATE_LIVE && levelOf(slot) != Tier.FILE && !isClean(slot))
            {
                final long length = index.rawLength(slot);
                long location = FileStore.FULL;
                if (length <= fileMaxEntry())
                {
                    try
                    {
                        location = persistLocked(slot);
                    }
                    catch (final RuntimeException ex)
                    {
                        firstError = firstError == null ? ex : firstError;
                        LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": write-back of an entry of " + length + " bytes failed", ex);
                    }
                }
                if (location < 0)
                {
                    notWritten++;
                    notWrittenBytes += length;
                }
                else
                {
                    written++;
                }
            }
        }
        try
        {
            file.force();
        }
        catch (final RuntimeException ex)
        {
            firstError = firstError == null ? ex : firstError;
            LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": forcing L3 to the disk failed", ex);
        }
        final WriteBackResult result = new WriteBackResult(written, notWritten, notWrittenBytes, firstError);
        if (notWritten > 0 || firstError != null)
        {
            LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": " + result.describe());
        }
        return result;
    }
}
