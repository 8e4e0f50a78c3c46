package dev.tiercache.policy;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.index.IndexSlotDescriptor;
import dev.tiercache.index.SlotList;

import java.util.function.IntPredicate;

/**
 * Least recently used: one list, a hit moves the slot to the hot end, the victim is the coldest
 * evictable slot. Admits every candidate.
 */
public final class LruPolicy implements EvictionPolicy
{
    /** Registered name. */
    public static final String NAME = "lru";

    private final SlotList list;

    /**
     * Makes the policy with a new list of the index.
     *
     * @param index the level's index.
     */
    public LruPolicy(final EntryIndex index)
    {
        this.list = index.newList();
    }

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public void onInsert(final int slot)
    {
        list.addFirst(slot);
    }

    @Override
    public void onAccess(final int slot)
    {
        list.moveToFront(slot);
    }

    @Override
    public void onMiss(final long keyHash)
    {
    }

    @Override
    public void onRemove(final int slot)
    {
        list.remove(slot);
    }

    @Override
    public int selectVictim(final IntPredicate evictable)
    {
        return coldestEvictable(list, evictable);
    }

    @Override
    public boolean admit(final long candidateKeyHash, final int victimSlot)
    {
        return true;
    }

    @Override
    public int size()
    {
        return list.size();
    }

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
