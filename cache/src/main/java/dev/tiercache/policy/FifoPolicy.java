package dev.tiercache.policy;

import dev.tiercache.index.EntryIndex;

/**
 * First in, first out: one list in insertion order, hits do not reorder, the victim is the oldest
 * evictable slot. Admits every candidate. The order of the L3 region log.
 */
public final class FifoPolicy extends SingleListPolicy
{
    /** Registered name. */
    public static final String NAME = "fifo";

    /**
     * Makes the policy with a new list of the index.
     *
     * @param index the level's index.
     */
    public FifoPolicy(final EntryIndex index)
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
    }
}
