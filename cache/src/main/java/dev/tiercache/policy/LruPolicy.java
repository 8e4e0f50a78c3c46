package dev.tiercache.policy;

import dev.tiercache.index.EntryIndex;

/**
 * Least recently used: one list, a hit moves the slot to the hot end, the victim is the coldest
 * evictable slot. Admits every candidate.
 */
public final class LruPolicy extends SingleListPolicy
{
    /** Registered name. */
    public static final String NAME = "lru";

    /**
     * Makes the policy with a new list of the index.
     *
     * @param index the level's index.
     */
    public LruPolicy(final EntryIndex index)
    {
        super(index);
    }

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public void onAccess(final int slot)
    {
        list.moveToFront(slot);
    }
}
