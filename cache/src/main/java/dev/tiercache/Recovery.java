package dev.tiercache;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.store.RecoveredEntry;
import dev.tiercache.store.SpaceAllocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Rebuilds the index from the L3 file at open: every entry the file store's scan recovered whose
 * meta record validates becomes an L3 slot (the newest entry of a key wins); the rest is counted as
 * corrupt.
 */
final class Recovery extends CacheRoom
{
    private final SlotTable slots;

    Recovery(final CacheCore core, final SlotTable slots)
    {
        super(core);
        this.slots = slots;
    }

    void recover()
    {
        final List<RecoveredEntry> entries = file.recover();
        int restored = 0;
        for (final RecoveredEntry entry : entries)
        {
            final MemorySegment meta = entry.meta();
            if (EntryMetaDescriptor.validate(meta, entry.rawLength()) != null || !keyMatchesHash(meta, entry.keyHash()))
            {
                counters.corruptSkipped.increment();
                file.remove(entry.location(), entry.sequence());
                continue;
            }
            final int existing = index.find(entry.keyHash());
            if (existing != EntryIndex.NOT_FOUND)
            {
                slots.removeSlot(existing);
            }
            if (index.size() >= config.maxEntries)
            {
                break;
            }
            final long metaOffset = metas.acquireCopyOf(meta);
            if (metaOffset == SpaceAllocator.FULL)
            {
                break;
            }
            final int slot = index.allocate(entry.keyHash());
            if (slot == EntryIndex.FULL)
            {
                metas.release(metaOffset);
                break;
            }
            slots.fillSlot(slot, Tier.FILE, entry.location(), entry.rawLength(), metaOffset, entry.sequence(), 0, 0);
            index.publish(slot);
            index.link(slot);
            policies[Tier.FILE.ordinal()].onInsert(slot);
            counters.levelEntries[Tier.FILE.ordinal()]++;
            restored++;
        }
        for (long i = file.corruptEntriesSkipped(); i > 0; i--)
        {
            counters.corruptSkipped.increment();
        }
        LOG.log(System.Logger.Level.INFO, "tiercache " + name + ": recovered " + restored + " entries from L3");
    }

    /**
     * A {@code long} key is its own hash, and its shared record will not carry it: the header's
     * copy must be that key, 8 bytes, or the entry is not what it says.
     */
    private static boolean keyMatchesHash(final MemorySegment meta, final long keyHash)
    {
        if (!MetaRecords.isShared(EntryMetaDescriptor.keyKind(meta)))
        {
            return true;
        }
        final MemorySegment key = EntryMetaDescriptor.key(meta);
        return key.byteSize() == Long.BYTES && key.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) == keyHash;
    }
}
