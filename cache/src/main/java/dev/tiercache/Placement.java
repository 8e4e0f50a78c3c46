package dev.tiercache;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.index.IndexSlotDescriptor;
import dev.tiercache.policy.EvictionPolicy;
import dev.tiercache.store.FileStore;
import dev.tiercache.store.SpaceAllocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.IntPredicate;

/**
 * Where entries go, under the writer lock: a put's landing level, room made by evicting a level's
 * victims one level down (L1 to L2 to L3 to dropped), the mover's periodic duty (expiry, idle
 * demotion, high-water trimming) and the write-back at close. Every step that can evict is followed
 * by a check that the slot being handled is still the one it was ({@link SlotTable#isCurrent}).
 */
final class Placement extends CacheRoom
{
    private final SlotTable slots;
    private final AccessDrain accessDrain;
    int protectedSlot = NO_SLOT;
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
        final long metaLength = EntryMetaDescriptor.metaLength(parts.length, (int) key.byteSize());
        long payloadLength = 0;
        for (int i = 0; i < parts.length; i++)
        {
            payloadLength = (i + 1 < parts.length) ?
                EntryMetaDescriptor.align(payloadLength + parts[i].spec().byteSize(), EntryMetaDescriptor.PART_ALIGNMENT) :
                payloadLength + parts[i].spec().byteSize();
        }
        final boolean fitsHost = payloadLength > 0 && payloadLength <= hostMaxEntry();
        final boolean fitsFile = file != null && payloadLength <= fileMaxEntry();
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
            // the old entry stays readable, and is kept out of eviction, until the new one is in place
            final int existing = index.find(hash);
            protectedSlot = existing;
            try
            {
                return placeLocked(hash, keyKind, key, parts, metaLength, payloadLength, fitsHost, fitsFile, existing);
            }
            finally
            {
                protectedSlot = NO_SLOT;
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    Tier placeLocked(
        final long hash, final int keyKind, final MemorySegment key, final Part[] parts, final long metaLength, final long payloadLength,
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
            }
        }
        final int slot = slots.allocateSlot(hash);
        if (slot == EntryIndex.FULL)
        {
            counters.rejected++;
            throw new IllegalStateException("every index slot is live or held by a lease (maxEntries=" + config.maxEntries + ")");
        }
        long metaOffset = SpaceAllocator.FULL;
        try
        {
            metaOffset = allocateMeta(metaLength);
            final MemorySegment meta = metaStore.view(metaOffset, metaLength);
            EntryMetaDescriptor.write(meta, keyKind, key, parts);
            Tier landed = null;
            long location = SpaceAllocator.FULL;
            long sequence = 0;
            if (fitsHost)
            {
                location = makeRoom(Tier.HOST, hash, payloadLength);
                if (location != SpaceAllocator.FULL)
                {
                    copyParts(parts, meta, host.view(location, payloadLength));
                    landed = Tier.HOST;
                }
            }
            if (landed == null && fitsFile)
            {
                try (Arena arena = Arena.ofConfined())
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
                    location = appendToFile(hash, meta, payload);
                    if (location != FileStore.FULL)
                    {
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
            index.publish(slot);
            // evictions above may have moved or dropped the old entry: look it up again
            final int current = index.find(hash);
            if (current != EntryIndex.NOT_FOUND)
            {
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
                    metaStore.free(metaOffset);
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

    long allocateMeta(final long length)
    {
        long offset = metaStore.allocate(length);
        while (offset == SpaceAllocator.FULL)
        {
            slots.reclaimRetired();
            offset = metaStore.allocate(length);
            if (offset == SpaceAllocator.FULL && !evictAnyFileEntry())
            {
                throw new IllegalStateException("the key/spec arena of " + config.metaBytes() + " bytes is full; raise maxEntries");
            }
            offset = metaStore.allocate(length);
        }
        return offset;
    }

    boolean isEvictable(final int slot)
    {
        return slot != protectedSlot && (index.flags(slot) & FLAG_MOVING) == 0 && index.pins(slot) == 0;
    }

    /**
     * Allocates {@code length} bytes in a level, evicting that level's victims one level down until
     * it fits or the policy keeps its residents.
     *
     * @return the offset, or {@link SpaceAllocator#FULL} when the entry does not enter the level.
     */
    long makeRoom(final Tier tier, final long hash, final long length)
    {
        long offset = allocate(tier, length);
        while (offset == SpaceAllocator.FULL)
        {
            if (!evictOne(tier, hash, true))
            {
                return SpaceAllocator.FULL;
            }
            offset = allocate(tier, length);
        }
        return offset;
    }

    /**
     * Room for an entry moving up. Free space is used only below the level's high-water mark;
     * past it the entry must win admission against a victim. Otherwise a level trimmed to its
     * low-water mark would refill from below at once and be trimmed again, writing a few percent of
     * itself down to the file every cleanup interval (seen on shuffled epochs).
     *
     * @return the offset, or {@link SpaceAllocator#FULL} when the entry stays where it is.
     */
    long makeRoomForPromotion(final Tier tier, final long hash, final long length)
    {
        final long capacity = tier == Tier.DEVICE ? device.capacity() : host.capacity();
        final EvictionPolicy policy = policies[tier.ordinal()];
        while (true)
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
            if (victim == EvictionPolicy.NONE || !policy.admitPromotion(hash, victim))
            {
                return SpaceAllocator.FULL;
            }
            counters.evictions[tier.ordinal()]++;
            demote(victim);
        }
    }

    /**
     * Evicts one victim of a level one level down (L3 drops).
     *
     * @param admission whether to ask the policy if {@code hash} may take the victim's place.
     * @return false when nothing could be evicted (or admission said no).
     */
    boolean evictOne(final Tier tier, final long hash, final boolean admission)
    {
        if (tier == Tier.DEVICE && device == null)
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
     * Moves a slot one level down, or drops it when there is no level below that takes it. Every
     * step that can evict is followed by a check that the slot is still the one it was.
     */
    void demote(final int slot)
    {
        final Tier from = levelOf(slot);
        final long length = index.rawLength(slot);
        final long location = index.location(slot);
        final long hash = index.keyHash(slot);
        final int incarnation = index.incarnation(slot);
        index.flags(slot, (byte) (index.flags(slot) | FLAG_MOVING));
        try
        {
            if (from == Tier.DEVICE)
            {
                final long target = makeRoom(Tier.HOST, hash, length);
                if (target != SpaceAllocator.FULL)
                {
                    if (slots.isCurrent(slot, incarnation) && copyDown(location, host.view(target, length)) &&
                        slots.replaceSlot(slot, Tier.HOST, target, 0) != EntryIndex.FULL)
                    {
                        movedDown(Tier.DEVICE, length);
                        return;
                    }
                    host.free(target);
                }
                else if (file != null && length <= fileMaxEntry() && slots.isCurrent(slot, incarnation))
                {
                    final long fileLocation = deviceToFile(slot, location, length);
                    if (fileLocation >= 0 && commitToFile(slot, incarnation, fileLocation))
                    {
                        movedDown(Tier.DEVICE, length);
                        return;
                    }
                }
            }
            else if (from == Tier.HOST && file != null && length <= fileMaxEntry())
            {
                final long fileLocation = appendToFile(hash, metaOf(slot), host.view(location, length));
                if (fileLocation != FileStore.FULL && commitToFile(slot, incarnation, fileLocation))
                {
                    movedDown(Tier.HOST, length);
                    return;
                }
            }
            if (slots.isCurrent(slot, incarnation))
            {
                slots.removeSlot(slot);
            }
        }
        finally
        {
            if (slots.isCurrent(slot, incarnation))
            {
                index.flags(slot, (byte) (index.flags(slot) & ~FLAG_MOVING));
            }
        }
    }

    void movedDown(final Tier from, final long length)
    {
        counters.demotions[from.ordinal()]++;
        counters.bytesDown[from.ordinal()] += length;
    }

    /**
     * Device to host for a demotion; a CUDA failure is logged and reported as false.
     */
    boolean copyDown(final long deviceOffset, final MemorySegment target)
    {
        try
        {
            transfers.deviceToHost(device, deviceOffset, target);
            return true;
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": copy out of L1 failed; the entry is dropped", ex);
            return false;
        }
    }

    /**
     * Points a slot at its new L3 copy, if the slot is still the one that was copied; otherwise
     * the copy is removed again.
     */
    boolean commitToFile(final int slot, final int incarnation, final long fileLocation)
    {
        final long sequence = file.sequence(fileLocation);
        if (sequence >= 0 && slots.isCurrent(slot, incarnation) && slots.replaceSlot(slot, Tier.FILE, fileLocation, sequence) != EntryIndex.FULL)
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
     * @return the L3 location, or a negative value when the copy failed or L3 had no room.
     */
    long deviceToFile(final int slot, final long location, final long length)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment staging = arena.allocate(length, EntryMetaDescriptor.PART_ALIGNMENT);
            if (!copyDown(location, staging))
            {
                return FileStore.FULL;
            }
            return appendToFile(index.keyHash(slot), metaOf(slot), staging);
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
        if (slot != EntryIndex.NOT_FOUND && levelOf(slot) == Tier.FILE && index.location(slot) == location)
        {
            counters.evictions[Tier.FILE.ordinal()]++;
            index.flags(slot, (byte) (index.flags(slot) | FLAG_FILE_GONE));
            slots.removeSlot(slot);
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
            for (int slot = 0; slot < index.capacity(); slot++)
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
            while (used(tier) > target && evictOne(tier, 0, false))
            {
                work++;
            }
        }
        return work;
    }

    void writeBack()
    {
        int failed = 0;
        for (int slot = 0; slot < index.capacity(); slot++)
        {
            if (index.state(slot) == IndexSlotDescriptor.STATE_LIVE && levelOf(slot) != Tier.FILE)
            {
                final long length = index.rawLength(slot);
                if (length <= fileMaxEntry())
                {
                    try
                    {
                        if (levelOf(slot) == Tier.DEVICE)
                        {
                            deviceToFile(slot, index.location(slot), length);
                        }
                        else
                        {
                            appendToFile(index.keyHash(slot), metaOf(slot), host.view(index.location(slot), length));
                        }
                    }
                    catch (final RuntimeException ex)
                    {
                        failed++;
                        LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": write-back of an entry of " + length + " bytes failed", ex);
                    }
                }
            }
        }
        if (failed > 0)
        {
            LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": " + failed + " entries could not be written back to L3");
        }
        file.force();
    }
}
