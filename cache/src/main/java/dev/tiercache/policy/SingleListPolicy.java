package dev.tiercache.policy;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.index.IndexSlotDescriptor;
import dev.tiercache.index.SlotList;

import java.util.Map;
import java.util.function.IntPredicate;

/**
 * What LRU and FIFO share: one list of the index, new slots at the hot end, the victim the
 * coldest evictable slot, every candidate admitted, no history of misses. They differ only in
 * whether a hit moves the slot ({@link #onAccess}).
 */
abstract class SingleListPolicy implements EvictionPolicy
{
    /** The slots, hottest first. */
    final SlotList list;

    SingleListPolicy(final EntryIndex index)
    {
        this.list = index.newList();
    }

    @Override
    public final void onInsert(final int slot)
    {
        list.addFirst(slot);
    }

    @Override
    public final void onMiss(final long keyHash)
    {
    }

    @Override
    public final void onRemove(final int slot)
    {
        list.remove(slot);
    }

    @Override
    public final int selectVictim(final IntPredicate evictable)
    {
        return coldestEvictable(list, evictable);
    }

    @Override
    public final boolean admit(final long candidateKeyHash, final int victimSlot)
    {
        return true;
    }

    @Override
    public final int size()
    {
        return list.size();
    }

    /**
     * Nothing: the one list is the index's.
     *
     * @return an empty map.
     */
    @Override
    public final Map<String, Long> heapBytesByPart()
    {
        return Map.of();
    }

    /**
     * The coldest slot of a list that may be evicted.
     *
     * @param list      the list, hottest first.
     * @param evictable says whether a slot may go now.
     * @return the slot, or {@link #NONE}.
     */
    static int coldestEvictable(final SlotList list, final IntPredicate evictable)
    {
        for (int slot = list.last(); slot != IndexSlotDescriptor.NIL; slot = list.prev(slot))
        {
            if (evictable.test(slot))
            {
                return slot;
            }
        }
        return NONE;
    }
}
