package dev.tiercache.store;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every byte has at most one owner: a long random churn through an allocator with an owner recorded
 * for every alignment unit of the space. An allocation must land on units nobody owns (so two live
 * blocks never overlap and a freed block is never handed out twice), a free must give back exactly
 * the units its block took, and freeing a block that is not live (freed already, or never handed
 * out) must be refused without a change. Many more blocks live at once than in the model tests, so
 * that the allocator's tables grow many times and long probe runs form.
 */
class AllocatorOwnershipTest
{
    private static final long SEED = 0x0B1_0C4_0031L;
    private static final int OPERATIONS = 300_000;

    @ParameterizedTest(name = "{0} capacity={1} alignment={2}")
    @CsvSource({
        "space, 8388608, 64",
        "space, 8388608, 8",
        "space, 4000003, 64",
        "slab, 8388608, 8",
        "slab, 4000003, 64"})
    void noUnitHasTwoOwners(final String kind, final long capacity, final long alignment)
    {
        final BlockAllocator allocator = kind.equals("space") ?
            new SpaceAllocator(capacity, alignment) : new SlabAllocator(capacity, alignment);
        final SplittableRandom rng = new SplittableRandom(SEED ^ capacity ^ alignment);
        System.out.println("AllocatorOwnershipTest seed=" + (SEED ^ capacity ^ alignment));
        final int[] owner = new int[(int)((capacity + alignment - 1) / alignment)];
        final long[] liveOffset = new long[owner.length];
        final long[] liveSize = new long[owner.length];
        final int[] liveId = new int[owner.length];
        final long[] freedRecently = new long[64];
        int freedCount = 0;
        int live = 0;
        int nextId = 1;
        for (int op = 0; op < OPERATIONS; op++)
        {
            final String where = "op " + op + " " + allocator;
            final int roll = rng.nextInt(100);
            if (roll < 52 || live == 0)
            {
                final long size = rng.nextInt(20) > 0 ? 1 + rng.nextLong(256) : 1 + rng.nextLong(16 * 1024);
                final long offset = allocator.allocate(size);
                if (offset == SpaceAllocator.FULL)
                {
                    // whether FULL was right is the model tests' business; here it only must not hand out bytes
                    continue;
                }
                final long blockSize = allocator.blockSize(offset);
                assertTrue(offset >= 0 && offset % alignment == 0 && blockSize >= size && offset + blockSize <= capacity,
                    where + ": block [" + offset + "+" + blockSize + ") for " + size);
                final int id = nextId++;
                for (long unit = offset / alignment; unit * alignment < offset + blockSize; unit++)
                {
                    if (owner[(int)unit] != 0)
                    {
                        throw new AssertionError(where + ": block [" + offset + "+" + blockSize + ") overlaps unit " + unit +
                            " of live block " + owner[(int)unit]);
                    }
                    owner[(int)unit] = id;
                }
                liveOffset[live] = offset;
                liveSize[live] = blockSize;
                liveId[live] = id;
                live++;
            }
            else if (roll < 97)
            {
                final int victim = rng.nextInt(live);
                final long offset = liveOffset[victim];
                assertEquals(liveSize[victim], allocator.blockSize(offset), where);
                allocator.free(offset);
                for (long unit = offset / alignment; unit * alignment < offset + liveSize[victim]; unit++)
                {
                    assertEquals(liveId[victim], owner[(int)unit], where + ": unit " + unit);
                    owner[(int)unit] = 0;
                }
                freedRecently[freedCount++ & (freedRecently.length - 1)] = offset;
                live--;
                liveOffset[victim] = liveOffset[live];
                liveSize[victim] = liveSize[live];
                liveId[victim] = liveId[live];
            }
            else if (freedCount > 0)
            {
                final long offset = freedRecently[rng.nextInt(Math.min(freedCount, freedRecently.length))];
                final int unit = (int)(offset / alignment);
                final boolean liveAgain = owner[unit] != 0 && isBlockStart(liveOffset, live, offset);
                if (!liveAgain)
                {
                    final String before = allocator.toString();
                    assertThrows(IllegalArgumentException.class, () -> allocator.free(offset), where + ": double free of " + offset);
                    assertEquals(before, allocator.toString(), where + ": a refused free changed the allocator");
                }
            }
            if (op % 50_000 == 0 && allocator instanceof SpaceAllocator space)
            {
                assertNull(space.checkConsistency(), where);
            }
        }
        assertEquals(live, allocator.liveBlocks());
        while (live > 0)
        {
            allocator.free(liveOffset[--live]);
        }
        assertEquals(0, allocator.usedBytes(), allocator.toString());
        if (allocator instanceof SpaceAllocator space)
        {
            assertNull(space.checkConsistency());
            assertEquals(capacity, space.largestFreeBlock());
        }
    }

    private static boolean isBlockStart(final long[] liveOffset, final int live, final long offset)
    {
        for (int i = 0; i < live; i++)
        {
            if (liveOffset[i] == offset)
            {
                return true;
            }
        }
        return false;
    }
}
