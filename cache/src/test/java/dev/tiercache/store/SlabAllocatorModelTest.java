package dev.tiercache.store;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Model-based property test of {@link SlabAllocator}: random allocate/free/clear sequences, mostly
 * of small sizes (so slabs fill, empty and are given back) with some large ones, against a model of
 * the live blocks ({@link TreeMap} offset to block size), checked after every operation: blocks are
 * aligned, inside the capacity and never overlap; the figures add up; a free of anything that is
 * not a live block is refused and changes nothing; {@code FULL} comes only when the backing
 * allocator has no block for the request and no slab a free record large enough. Failures print the seed and a shrunk operation list;
 * {@code -Dtiercache.seed=N} replays one case.
 */
class SlabAllocatorModelTest
{
    private static final int CASES = 600;
    private static final int MAX_OPS = 600;

    enum Kind
    {
        ALLOCATE, FREE, FREE_NOT_LIVE, CLEAR
    }

    record Op(Kind kind, long argument)
    {
        @Override
        public String toString()
        {
            return kind == Kind.CLEAR ? "CLEAR" : kind + "(" + argument + ")";
        }
    }

    record Case(long seed, long capacity, long alignment, List<Op> ops)
    {
    }

    @Test
    void randomOperationSequencesAgreeWithTheModel()
    {
        SpaceAllocatorModelTest.forEachSeed("SlabAllocatorModelTest", new SplittableRandom().nextLong(), CASES, seed -> check(generate(seed)));
    }

    @Test
    void aMillionRecords_costSlabsNotRows_andEmptySlabsGoBack()
    {
        final SlabAllocator allocator = new SlabAllocator(256L << 20, 8);
        final long[] offsets = new long[1_000_000];
        for (int i = 0; i < offsets.length; i++)
        {
            offsets[i] = allocator.allocate(112);
            assertTrue(offsets[i] >= 0, "record " + i);
        }
        assertEquals(112_000_000L, allocator.usedBytes());
        assertEquals(1_000_000, allocator.liveBlocks());
        final long perSlab = allocator.slabBytes() / 112;
        assertEquals((offsets.length + perSlab - 1) / perSlab, allocator.slabs(), "records fill whole slabs");
        for (final long offset : offsets)
        {
            allocator.free(offset);
        }
        assertEquals(0, allocator.usedBytes());
        assertEquals(0, allocator.liveBlocks());
        assertEquals(1, allocator.slabs(), "an emptied class keeps one slab");
        assertThrows(IllegalArgumentException.class, () -> allocator.free(offsets[0]), "a double free is refused");
    }

    @Test
    void whenNoSlabCanBeHad_smallRequestsUseTheBackingAllocator()
    {
        // 64 KiB: slabs of 4 KiB; fill it with 1000-byte records, then ask for 16-byte ones
        final SlabAllocator allocator = new SlabAllocator(64 * 1024, 8);
        final List<Long> big = new ArrayList<>();
        for (long offset = allocator.allocate(1000); offset != SpaceAllocator.FULL; offset = allocator.allocate(1000))
        {
            big.add(offset);
        }
        // the last slab's tail and the space too small for a slab still serve requests directly
        assertTrue(allocator.usedBytes() > 60 * 1024, "filled: " + allocator);
        allocator.free(big.get(0));
        final long small = allocator.allocate(16);
        assertTrue(small >= 0, "no room for a 16-byte slab, but the freed 1000-byte record serves it: " + allocator);
        assertEquals(1024, allocator.blockSize(small), "it takes the larger class's record whole");
        assertEquals(SpaceAllocator.FULL, allocator.allocate(16), "and then nothing is left");
        allocator.free(small);
        assertEquals(small, allocator.allocate(8), "the record is free again");
    }

    static Case generate(final long seed)
    {
        final SplittableRandom rng = new SplittableRandom(seed);
        final long alignment = 1L << rng.nextInt(7);
        final long capacity = switch (rng.nextInt(3))
        {
            case 0 -> 4096 + rng.nextLong(16 * 1024);
            case 1 -> 64 * 1024 + rng.nextLong(1 << 20);
            default -> 1L << (20 + rng.nextInt(12));
        };
        final int palette = rng.nextInt(3);
        final int count = 1 + rng.nextInt(MAX_OPS);
        final List<Op> ops = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            final int roll = rng.nextInt(100);
            if (roll < 60)
            {
                final long size = switch (palette)
                {
                    case 0 -> 100 + rng.nextLong(40);
                    case 1 -> 1 + rng.nextLong(SlabAllocator.SMALL_MAX);
                    default -> rng.nextInt(10) == 0 ? 1 + rng.nextLong(Math.min(capacity, 64 * 1024)) : 1 + rng.nextLong(300);
                };
                ops.add(new Op(Kind.ALLOCATE, size));
            }
            else if (roll < 93)
            {
                ops.add(new Op(Kind.FREE, rng.nextLong(1L << 30)));
            }
            else if (roll < 99)
            {
                ops.add(new Op(Kind.FREE_NOT_LIVE, rng.nextLong(1L << 30)));
            }
            else
            {
                ops.add(new Op(Kind.CLEAR, 0));
            }
        }
        return new Case(seed, capacity, alignment, ops);
    }

    private static void check(final Case original)
    {
        if (failureOf(original) != null)
        {
            SpaceAllocatorModelTest.failShrunk(original.seed(), "capacity=" + original.capacity() + " alignment=" + original.alignment(), original.ops(),
                ops -> failureOf(new Case(original.seed(), original.capacity(), original.alignment(), ops)));
        }
    }

    private static Throwable failureOf(final Case testCase)
    {
        return SpaceAllocatorModelTest.failureOf(() -> run(testCase));
    }

    private static void run(final Case testCase)
    {
        final long capacity = testCase.capacity();
        final long alignment = testCase.alignment();
        final SlabAllocator allocator = new SlabAllocator(capacity, alignment);
        final TreeMap<Long, Long> live = new TreeMap<>();
        final List<Long> freed = new ArrayList<>();
        int step = 0;
        for (final Op op : testCase.ops())
        {
            final String where = "op " + step++ + " " + op;
            switch (op.kind())
            {
                case ALLOCATE ->
                {
                    final long size = op.argument();
                    final long need = (size + alignment - 1) & -alignment;
                    final long largestBefore = allocator.largestFreeBlock();
                    final long recordBefore = allocator.largestFreeRecord();
                    final long offset = allocator.allocate(size);
                    if (offset == SpaceAllocator.FULL)
                    {
                        check(largestBefore < need, where + ": FULL although the backing allocator's largest free block is " + largestBefore);
                        check(need > SlabAllocator.SMALL_MAX || recordBefore < need, where + ": FULL although a slab has a free record of " + recordBefore);
                    }
                    else
                    {
                        final long blockSize = allocator.blockSize(offset);
                        check(offset % alignment == 0, where + ": offset=" + offset + " not aligned");
                        check(blockSize >= size, where + ": blockSize=" + blockSize + " < size");
                        check(offset >= 0 && offset + blockSize <= capacity, where + ": block [" + offset + ", +" + blockSize + ") outside the capacity");
                        final Map.Entry<Long, Long> before = live.floorEntry(offset);
                        check(before == null || before.getKey() + before.getValue() <= offset, where + ": overlaps " + before);
                        final Long after = live.ceilingKey(offset);
                        check(after == null || offset + blockSize <= after, where + ": overlaps block at " + after);
                        live.put(offset, blockSize);
                    }
                }
                case FREE ->
                {
                    if (!live.isEmpty())
                    {
                        final long offset = SpaceAllocatorModelTest.byRank(live, op.argument());
                        allocator.free(offset);
                        live.remove(offset);
                        freed.add(offset);
                    }
                }
                case FREE_NOT_LIVE ->
                {
                    final long offset = SpaceAllocatorModelTest.notLiveOffset(live, freed, capacity, op.argument());
                    final String before = allocator.toString();
                    try
                    {
                        allocator.free(offset);
                        check(false, where + ": free(" + offset + ") of a block that is not live was accepted");
                    }
                    catch (final IllegalArgumentException expected)
                    {
                        check(expected.getMessage().contains("offset=" + offset), where + ": message " + expected);
                    }
                    check(before.equals(allocator.toString()), where + ": a refused free changed " + before + " to " + allocator);
                }
                case CLEAR ->
                {
                    allocator.clear();
                    live.clear();
                }
            }
            verify(allocator, live, where);
        }
        final SplittableRandom order = new SplittableRandom(testCase.seed());
        while (!live.isEmpty())
        {
            final long offset = SpaceAllocatorModelTest.byRank(live, order.nextLong(1L << 30));
            allocator.free(offset);
            live.remove(offset);
            verify(allocator, live, "final free of " + offset);
        }
        check(allocator.usedBytes() == 0 && allocator.liveBlocks() == 0, "after freeing all: " + allocator);
        allocator.clear();
        check(allocator.slabs() == 0 && allocator.largestFreeBlock() == capacity, "after clear: " + allocator);
    }

    private static void verify(final SlabAllocator allocator, final TreeMap<Long, Long> live, final String where)
    {
        long used = 0;
        for (final Map.Entry<Long, Long> block : live.entrySet())
        {
            check(allocator.blockSize(block.getKey()) == block.getValue(), where + ": blockSize of " + block);
            used += block.getValue();
        }
        check(allocator.usedBytes() == used, where + ": usedBytes=" + allocator.usedBytes() + " model=" + used);
        check(allocator.usedBytes() + allocator.freeBytes() == allocator.capacity(), where + ": used+free != capacity");
        check(allocator.liveBlocks() == live.size(), where + ": liveBlocks=" + allocator.liveBlocks() + " model=" + live.size());
    }

    private static void check(final boolean condition, final String message)
    {
        SpaceAllocatorModelTest.check(condition, message);
    }
}
