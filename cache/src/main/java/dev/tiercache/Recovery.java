package dev.tiercache;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.store.RecoveredEntry;
import dev.tiercache.store.SpaceAllocator;

import java.lang.foreign.MemorySegment;
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
            if (EntryMetaDescriptor.validate(meta, entry.rawLength()) != null)
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
            final long metaOffset = metaStore.allocate(meta.byteSize());
            if (metaOffset == SpaceAllocator.FULL)
            {
                break;
            }
            final int slot = index.allocate(entry.keyHash());
            if (slot == EntryIndex.FULL)
            {
                metaStore.free(metaOffset);
                break;
            }
            MemorySegment.copy(meta, 0, metaStore.view(metaOffset, meta.byteSize()), 0, meta.byteSize());
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
}
