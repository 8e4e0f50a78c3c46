package dev.tiercache.index;

import java.util.concurrent.ConcurrentLinkedQueue;

import static dev.tiercache.index.IndexSlotDescriptor.STATE_FREE;
import static dev.tiercache.index.IndexSlotDescriptor.STATE_LIVE;

/**
 * Small {@link EntryIndex}es for jcstress states, reused instead of closed.
 *
 * <p>jcstress makes a new state object for every sample, millions per test, and has no teardown.
 * An index per state that is never closed leaks its native memory (its arena is shared, not
 * automatic); closing one per sample costs a thread handshake, 20 µs to 2.6 ms on the 2-core
 * build machine (FACTS.md §5), which would starve the actors. So each state {@link #take}s an index
 * and its {@link org.openjdk.jcstress.annotations.Arbiter} (which runs after every actor, with a
 * happens-before edge) {@link #giveBack}s it. The queue adds a happens-before edge from one state's
 * arbiter to the next state's constructor only, never between the actors of one state.
 */
final class IndexPool
{
    /** Slots per index: enough for the tests' three keys and a replacement. */
    static final int CAPACITY = 4;

    /** Key table cells minus one, computed as {@link EntryIndex}'s constructor does. */
    static final int TABLE_MASK = (Integer.highestOneBit(CAPACITY) << 2) - 1;

    private static final ConcurrentLinkedQueue<EntryIndex> FREE = new ConcurrentLinkedQueue<>();

    private IndexPool()
    {
    }

    /**
     * An empty index: every slot free, the key table empty.
     *
     * @return an index of {@link #CAPACITY} slots.
     */
    static EntryIndex take()
    {
        final EntryIndex index = FREE.poll();
        return index != null ? index : new EntryIndex(CAPACITY);
    }

    /**
     * Empties an index as its writer would (unlink, retire, free every slot) and pools it. An index
     * whose pins did not all go, which only a broken protocol leaves behind, is closed instead.
     *
     * @param index an index from {@link #take}, no longer used by any actor.
     */
    static void giveBack(final EntryIndex index)
    {
        for (int slot = 0; slot < CAPACITY; slot++)
        {
            final byte state = index.state(slot);
            if (state == STATE_FREE)
            {
                continue;
            }
            if (index.pins(slot) != 0)
            {
                index.close();
                return;
            }
            if (state == STATE_LIVE)
            {
                index.unlink(slot);
            }
            index.retire(slot);
            index.free(slot);
        }
        FREE.offer(index);
    }

    /**
     * The key table cell a key hash probes first.
     *
     * @param keyHash a key hash.
     * @return its home cell.
     */
    static int home(final long keyHash)
    {
        return (int)EntryIndex.mix(keyHash) & TABLE_MASK;
    }

    /**
     * The smallest key hash above {@code after} whose home cell is {@code home}.
     *
     * @param home  a cell in {@code [0, TABLE_MASK]}.
     * @param after where the search starts (exclusive).
     * @return the key hash.
     */
    static long keyWithHome(final int home, final long after)
    {
        long key = after + 1;
        while (home(key) != home)
        {
            key++;
        }
        return key;
    }
}
