package dev.tiercache;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.index.IndexSlotDescriptor;
import dev.tiercache.store.SpaceAllocator;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The life of an index slot, under the writer lock: look a key up, allocate and fill a slot,
 * replace a slot by one at another level, take a slot out of the index and free what it held once
 * its last pin is gone. Readers' last pins of retired slots arrive through a lock-free stack
 * ({@link #unpin}) and are freed by the next writer ({@link #reclaimRetired}).
 *
 * <p>A slot is never edited in place while published: that is what lets readers use it without
 * the lock (see {@link EntryIndex}). Every method but {@link #unpin} runs under the writer lock.
 */
final class SlotTable extends CacheRoom
{
    /**
     * Treiber stack of retired slots whose last pin a reader dropped, linked through the slots
     * themselves ({@link EntryIndex#reclaimLink}): a retired slot is off every list, so its link
     * field is free until the writer frees it, and the pusher's compare-and-set publishes the link.
     */
    private final AtomicInteger reclaimHead = new AtomicInteger(NO_SLOT);

    SlotTable(final CacheCore core)
    {
        super(core);
    }

    boolean keyMatches(final int slot, final int keyKind, final MemorySegment keyBytes, final long longKey)
    {
        if (index.keyKind(slot) != keyKind)
        {
            return false;
        }
        if (keyKind == EntryMetaDescriptor.KEY_KIND_LONG)
        {
            // a long key is its own hash: the slot's copy of the kind and its hash are the whole key
            return index.keyHash(slot) == longKey;
        }
        return EntryMetaDescriptor.key(metaOf(slot)).mismatch(keyBytes) == -1;
    }

    /**
     * Drops a reader's pin; the last pin of a retired slot hands it to the writer for reclamation.
     */
    void unpin(final int slot)
    {
        if (index.unpin(slot))
        {
            int head;
            do
            {
                head = reclaimHead.get();
                index.reclaimLink(slot, head);
            }
            while (!reclaimHead.compareAndSet(head, slot));
        }
    }

    void reclaimRetired()
    {
        int slot = reclaimHead.getAndSet(NO_SLOT);
        while (slot != NO_SLOT)
        {
            final int next = index.reclaimLink(slot);
            freeRetired(slot);
            slot = next;
        }
    }

    /**
     * Whether a slot is still the live slot of its key in the incarnation a reader or a move saw.
     */
    boolean isCurrent(final int slot, final int incarnation)
    {
        return index.state(slot) == IndexSlotDescriptor.STATE_LIVE && index.incarnation(slot) == incarnation;
    }

    int findKey(final long hash, final int keyKind, final MemorySegment keyBytes, final long longKey)
    {
        final int slot = index.find(hash);
        if (slot == EntryIndex.NOT_FOUND)
        {
            return slot;
        }
        return keyMatches(slot, keyKind, keyBytes, longKey) ? slot : EntryIndex.NOT_FOUND;
    }

    /**
     * Takes a free index slot, reclaiming retired ones first when none is free.
     *
     * @return the slot (reserved), or {@link EntryIndex#FULL}.
     */
    int allocateSlot(final long hash)
    {
        int slot = index.allocate(hash);
        if (slot == EntryIndex.FULL)
        {
            reclaimRetired();
            slot = index.allocate(hash);
        }
        return slot;
    }

    void fillSlot(
        final int slot, final Tier tier, final long location, final long length, final long metaOffset, final long sequence,
        final long expiresAt, final int accessCount)
    {
        index.level(slot, (byte) tier.ordinal());
        index.location(slot, location);
        index.rawLength(slot, length);
        index.meta(slot, metaOffset);
        final MemorySegment memory = metaStore.memory();
        index.keyKindAndParts(slot, EntryMetaDescriptor.keyKind(memory, metaOffset), EntryMetaDescriptor.partCount(memory, metaOffset));
        index.fileSequence(slot, sequence);
        index.accessCount(slot, accessCount);
        index.lastAccessNanos(slot, System.nanoTime());
        index.expiresAtNanos(slot, expiresAt);
        index.flags(slot, (byte) 0);
        index.backing(slot, IndexSlotDescriptor.NO_BACKING, 0);
    }

    /**
     * Hands the durable record of a slot being replaced to the slot that replaces it: an L3 slot's
     * own record, or an L1/L2 slot's backing. The new slot then owns it (and frees it), the old one
     * forgets it. {@code sameValue} says whether the new slot holds the same value (a move: the
     * record stays a clean copy) or a new one (a replacing put: the record is the older value,
     * kept until the new one reaches the file).
     */
    void handOnRecord(final int from, final int to, final boolean sameValue)
    {
        final long location;
        final long sequence;
        final boolean stale;
        if (levelOf(from) == Tier.FILE)
        {
            if ((index.flags(from) & FLAG_FILE_GONE) != 0)
            {
                return;
            }
            location = index.location(from);
            sequence = index.fileSequence(from);
            stale = !sameValue;
            index.flags(from, (byte) (index.flags(from) | FLAG_FILE_GONE));
        }
        else
        {
            location = index.backingLocation(from);
            if (location == IndexSlotDescriptor.NO_BACKING)
            {
                return;
            }
            sequence = index.backingSequence(from);
            stale = !sameValue || (index.flags(from) & FLAG_BACKING_STALE) != 0;
            index.backing(from, IndexSlotDescriptor.NO_BACKING, 0);
        }
        index.backing(to, location, sequence);
        index.flags(to, (byte) (stale ? index.flags(to) | FLAG_BACKING_STALE : index.flags(to) & ~FLAG_BACKING_STALE));
    }

    /**
     * Removes the L3 record an L1 or L2 slot owns, if any (the sequence check makes it a no-op
     * when the record's region was reclaimed and reused).
     */
    void dropBacking(final int slot)
    {
        final long location = index.backingLocation(slot);
        if (location != IndexSlotDescriptor.NO_BACKING)
        {
            file.remove(location, index.backingSequence(slot));
            index.backing(slot, IndexSlotDescriptor.NO_BACKING, 0);
            index.flags(slot, (byte) (index.flags(slot) & ~FLAG_BACKING_STALE));
        }
    }

    /**
     * At close, before the file closes: removes the L3 records of slots that were taken out (by
     * {@code remove}, {@code clear} or a replacement) but are still held by an open handle, whose
     * last release will come after the file is closed. Without this a removed key's record would
     * still be live in the file, and the next open would bring the key back.
     *
     * @return slots whose records were removed.
     */
    int removeRecordsOfRetired()
    {
        int removed = 0;
        for (int slot = 0; slot < index.capacity(); slot++)
        {
            if (index.state(slot) != IndexSlotDescriptor.STATE_RETIRED)
            {
                continue;
            }
            if (levelOf(slot) == Tier.FILE)
            {
                if ((index.flags(slot) & FLAG_FILE_GONE) == 0)
                {
                    file.remove(index.location(slot), index.fileSequence(slot));
                    index.flags(slot, (byte) (index.flags(slot) | FLAG_FILE_GONE));
                    removed++;
                }
            }
            else if (index.backingLocation(slot) != IndexSlotDescriptor.NO_BACKING)
            {
                dropBacking(slot);
                removed++;
            }
        }
        return removed;
    }

    /**
     * Gives back a reserved slot that never entered the key table.
     */
    void abandonReserved(final int slot)
    {
        index.publish(slot);
        index.retire(slot);
        index.free(slot);
    }

    /**
     * Replaces a live slot by a new one holding the same entry at another level and location: the
     * readers that pinned the old slot go on reading the old bytes, which are freed with it.
     *
     * @return the new slot, or {@link EntryIndex#FULL} when no slot or meta record was free (nothing changed).
     */
    int replaceSlot(final int slot, final Tier to, final long location, final long sequence)
    {
        final long hash = index.keyHash(slot);
        final int next = allocateSlot(hash);
        if (next == EntryIndex.FULL)
        {
            return EntryIndex.FULL;
        }
        final long metaOffset = metas.share(index.meta(slot));
        if (metaOffset == SpaceAllocator.FULL)
        {
            abandonReserved(next);
            return EntryIndex.FULL;
        }
        fillSlot(next, to, location, index.rawLength(slot), metaOffset, sequence, index.expiresAtNanos(slot), index.accessCount(slot));
        index.copyLastAccess(slot, next);
        if (to == Tier.FILE)
        {
            if (isClean(slot) && index.backingLocation(slot) == location)
            {
                // a clean demotion onto its own copy: the record passes to the L3 slot
                index.backing(slot, IndexSlotDescriptor.NO_BACKING, 0);
            }
            // else the old slot's stale record (if any) goes when the old slot is freed, after
            // the new record is in the file
        }
        else
        {
            handOnRecord(slot, next, true);
        }
        index.publish(next);
        final Tier from = levelOf(slot);
        policies[from.ordinal()].onRemove(slot);
        counters.levelEntries[from.ordinal()]--;
        index.relink(slot, next);
        retireLocked(slot);
        policies[to.ordinal()].onInsert(next);
        counters.levelEntries[to.ordinal()]++;
        return next;
    }

    /**
     * Takes a live slot out of the index and frees its bytes and meta now, or when its last pin goes.
     */
    void removeSlot(final int slot)
    {
        final Tier tier = levelOf(slot);
        policies[tier.ordinal()].onRemove(slot);
        counters.levelEntries[tier.ordinal()]--;
        index.unlink(slot);
        retireLocked(slot);
    }

    void retireLocked(final int slot)
    {
        if (index.retire(slot))
        {
            freeRetired(slot);
        }
    }

    /**
     * Frees what a retired slot with no pins held: its bytes in its level, its meta record, the slot.
     */
    void freeRetired(final int slot)
    {
        final long location = index.location(slot);
        switch (levelOf(slot))
        {
            case DEVICE ->
            {
                device.free(location);
                dropBacking(slot);
            }
            case HOST ->
            {
                host.free(location);
                dropBacking(slot);
            }
            case FILE ->
            {
                if ((index.flags(slot) & FLAG_FILE_GONE) == 0)
                {
                    file.remove(location, index.fileSequence(slot));
                }
            }
        }
        metas.release(index.meta(slot));
        index.free(slot);
    }

    /**
     * Whether readers handed back retired slots not yet freed (a hint, racy).
     *
     * @return true when {@link #reclaimRetired} has work.
     */
    boolean hasRetired()
    {
        return reclaimHead.get() != NO_SLOT;
    }
}
