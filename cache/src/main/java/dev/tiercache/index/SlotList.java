package dev.tiercache.index;

/**
 * An intrusive doubly-linked list of slots of one {@link EntryIndex}: the links live in the slots,
 * the head, tail and size in the index, so no operation allocates. The head is the hot end (most
 * recently added or moved), the tail the cold end that eviction walks from.
 *
 * <p>A slot is on at most one list of its index; adding a slot that is on a list, or moving or
 * removing one that is not on this list, is a broken contract and throws
 * {@link IllegalStateException}. Not thread-safe, like its index.
 */
public final class SlotList
{
    private final EntryIndex index;
    private final byte id;

    SlotList(final EntryIndex index, final byte id)
    {
        this.index = index;
        this.id = id;
    }

    /**
     * This list's id, as stored in each member slot's {@code listId}.
     *
     * @return the id.
     */
    public byte id()
    {
        return id;
    }

    /**
     * The number of slots on the list.
     *
     * @return the size.
     */
    public int size()
    {
        return index.listSize(id);
    }

    /**
     * Whether the list is empty.
     *
     * @return {@code true} when it has no slots.
     */
    public boolean isEmpty()
    {
        return index.listSize(id) == 0;
    }

    /**
     * The hot end.
     *
     * @return the first slot, or {@link IndexSlotDescriptor#NIL} when empty.
     */
    public int first()
    {
        return index.listHead(id);
    }

    /**
     * The cold end.
     *
     * @return the last slot, or {@link IndexSlotDescriptor#NIL} when empty.
     */
    public int last()
    {
        return index.listTail(id);
    }

    /**
     * The slot after {@code slot}, towards the cold end.
     *
     * @param slot a slot on this list.
     * @return the next slot, or {@link IndexSlotDescriptor#NIL} at the tail.
     */
    public int next(final int slot)
    {
        return index.nextOf(slot);
    }

    /**
     * The slot before {@code slot}, towards the hot end.
     *
     * @param slot a slot on this list.
     * @return the previous slot, or {@link IndexSlotDescriptor#NIL} at the head.
     */
    public int prev(final int slot)
    {
        return index.prevOf(slot);
    }

    /**
     * Whether a live slot is on this list.
     *
     * @param slot a live slot.
     * @return {@code true} when it is.
     */
    public boolean contains(final int slot)
    {
        return index.listId(slot) == id;
    }

    /**
     * Puts a slot that is on no list at the hot end.
     *
     * @param slot a live slot on no list.
     */
    public void addFirst(final int slot)
    {
        index.linkFirst(id, slot);
    }

    /**
     * Puts a slot that is on no list at the cold end.
     *
     * @param slot a live slot on no list.
     */
    public void addLast(final int slot)
    {
        index.linkLast(id, slot);
    }

    /**
     * Moves a slot of this list to the hot end (an LRU touch).
     *
     * @param slot a slot on this list.
     */
    public void moveToFront(final int slot)
    {
        index.checkOn(id, slot);
        if (index.listHead(id) != slot)
        {
            index.unlink(id, slot);
            index.linkFirst(id, slot);
        }
    }

    /**
     * Moves a slot of this list to the cold end.
     *
     * @param slot a slot on this list.
     */
    public void moveToBack(final int slot)
    {
        index.checkOn(id, slot);
        if (index.listTail(id) != slot)
        {
            index.unlink(id, slot);
            index.linkLast(id, slot);
        }
    }

    /**
     * Takes a slot off this list; the slot stays live in the index.
     *
     * @param slot a slot on this list.
     */
    public void remove(final int slot)
    {
        index.checkOn(id, slot);
        index.unlink(id, slot);
    }

    /**
     * Takes the cold-end slot off the list.
     *
     * @return the removed slot, or {@link IndexSlotDescriptor#NIL} when empty.
     */
    public int pollLast()
    {
        final int tail = index.listTail(id);
        if (tail != IndexSlotDescriptor.NIL)
        {
            index.unlink(id, tail);
        }
        return tail;
    }
}
