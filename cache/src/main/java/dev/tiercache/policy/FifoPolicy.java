package dev.tiercache.policy;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.index.SlotList;

import java.util.function.IntPredicate;

/**
 * First in, first out: one list in insertion order, hits do not reorder, the victim is the oldest
 * evictable slot. Admits every candidate. The order of the L3 region log.
 */
public final class FifoPolicy implements EvictionPolicy
{
    /** Registered name. */
    public static final String NAME = "fifo";

    private final SlotList list;

    /**
     * Makes the policy with a new list of the index.
     *
     * @param index the level's index.
     */
    public FifoPolicy(final EntryIndex index)
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
        return LruPolicy.coldestEvictable(list, evictable);
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
}
