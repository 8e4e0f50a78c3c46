package dev.tiercache.policy;

import dev.tiercache.index.EntryIndex;
import org.junit.jupiter.api.Test;

import java.util.function.IntPredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LevelCapacityTest
{
    private static final IntPredicate ANY = slot -> true;

    @Test
    void estimate_isBytesOverTheResidentsMeanSize_boundedByMaxEntries()
    {
        final LevelCapacity level = LevelCapacity.ofBytes(4_096_000, 1 << 20, 64 * 1024);
        assertEquals(62, level.initialEntries());
        assertEquals(62, level.estimate(0, 0));
        assertEquals(1000, level.estimate(7, 7 * 4096));
        assertEquals(1000, level.estimate(999_999, 999_999L * 4096));
        assertEquals(500, level.estimate(3, 3 * 8192));
        assertEquals(1 << 20, level.estimate(10, 10));
        assertEquals(1 << 20, level.estimate(10, 0));
        assertEquals(300, LevelCapacity.ofEntries(300).estimate(10, 1 << 30));
    }

    @Test
    void constructor_namesTheBadValue()
    {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new LevelCapacity(0, 1, 1)).getMessage().contains("bytes=0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new LevelCapacity(10, 5, 6)).getMessage().contains("initialEntries=6"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LevelCapacity.ofBytes(10, 5, 0)).getMessage().contains("typicalEntryBytes=0"));
    }

    @Test
    void byteBoundedPolicy_sizesItselfByTheEntriesItHolds_andFollowsTheMeanSize()
    {
        final int slots = 1 << 16;
        try (EntryIndex index = new EntryIndex(slots))
        {
            // a level of 4 096 000 bytes in a cache of 65 536 entries: it holds 1000 entries of 4 KiB, not 65 536
            final WindowTinyLfuPolicy policy = (WindowTinyLfuPolicy)EvictionPolicies.create(
                EvictionPolicies.DEFAULT, index, LevelCapacity.ofBytes(4_096_000, slots, 64 * 1024));
            long key = 0;
            long used = fill(index, policy, key, 2_000, 4096, 4_096_000, 0);
            key += 2_000;
            assertEquals(1000, policy.size());
            assertEquals(1000, policy.expectedEntries());
            // the level is emptied and refilled with entries twice as large: it now holds 500, and the policy follows
            for (int victim = policy.selectVictim(ANY); victim != EvictionPolicy.NONE; victim = policy.selectVictim(ANY))
            {
                used -= index.rawLength(victim);
                policy.onRemove(victim);
                index.remove(victim);
            }
            assertEquals(0, used);
            used = fill(index, policy, key, 1_000, 8192, 4_096_000, used);
            assertTrue(policy.size() <= 500, "size=" + policy.size());
            assertTrue(Math.abs(policy.expectedEntries() - 500) <= 500 / 4, "expectedEntries=" + policy.expectedEntries());
            assertTrue(used <= 4_096_000);
        }
    }

    /** Inserts new keys of one size, evicting (without admission, as a burst of writes would) to stay within the bytes. */
    private static long fill(
        final EntryIndex index, final EvictionPolicy policy, final long firstKey, final int count, final long size,
        final long capacity, final long usedBefore)
    {
        long used = usedBefore;
        for (long key = firstKey; key < firstKey + count; key++)
        {
            policy.onMiss(key);
            while (used + size > capacity)
            {
                final int victim = policy.selectVictim(ANY);
                used -= index.rawLength(victim);
                policy.onRemove(victim);
                index.remove(victim);
            }
            final int slot = index.insert(key);
            index.rawLength(slot, size);
            used += size;
            policy.onInsert(slot);
        }
        return used;
    }
}
