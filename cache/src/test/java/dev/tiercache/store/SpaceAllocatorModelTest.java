package dev.tiercache.store;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Model-based property test: random operation sequences run against {@link SpaceAllocator} and a
 * reference model of the live intervals ({@link TreeMap} offset to block size), checked after every
 * operation. Because free blocks are coalesced at once, the model's gaps are the allocator's free
 * blocks, so {@link SpaceAllocator#largestFreeBlock()} and the {@link SpaceAllocator#FULL} answer are
 * checked exactly. Cases of even seed keep live blocks as start marks, those of odd seed in the map
 * (as the meta arena's backing allocator does, and any space of 2<sup>32</sup> units or more).
 *
 * <p>On a failure the case seed and a shrunk operation list (delta debugging) are printed. Replay one
 * case with {@code -Dtiercache.seed=N}:
 * <pre>
 * ./mvnw -B -q -pl cache -am verify -Dtest=SpaceAllocatorModelTest -Dsurefire.failIfNoSpecifiedTests=false -Dtiercache.seed=N
 * </pre>
 */
class SpaceAllocatorModelTest
{
    static final String SEED_PROP_NAME = "tiercache.seed";
    static final long BASE_SEED = 0x7A11_0CA7_E5EEDL;
    static final int CASES = 1_500;
    static final int MAX_OPS = 400;

    enum Kind
    {
        ALLOCATE,
        FREE,
        FREE_NOT_LIVE,
        CLEAR
    }

    /**
     * One step. {@code argument} is the size for {@link Kind#ALLOCATE}, else a selector that picks a
     * live block by rank, so an operation stays meaningful when shrinking removes others.
     */
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
        forEachSeed("SpaceAllocatorModelTest", BASE_SEED, CASES, seed -> check(generate(seed)));
    }

    @Test
    void shrinkKeepsOnlyTheOperationsTheFailureNeeds()
    {
        final List<Integer> ops = new ArrayList<>();
        for (int i = 0; i < 40; i++)
        {
            ops.add(i);
        }
        final List<Integer> shrunk = shrink(ops, list -> list.contains(3) && list.contains(27));
        assertEquals(List.of(3, 27), shrunk);
    }

    /**
     * Half the cases draw sizes freely; the other half draw from a palette of two or three sizes in
     * one size class, so that many holes of nearly the right size pile up in one class list.
     */
    static Case generate(final long seed)
    {
        final SplittableRandom rng = new SplittableRandom(seed);
        final long alignment = 1L << rng.nextInt(13);
        final boolean palette = rng.nextBoolean();
        final long[] sizes = new long[2 + rng.nextInt(2)];
        final long base = alignment * (128 + rng.nextLong(512));
        for (int i = 0; i < sizes.length; i++)
        {
            sizes[i] = base + alignment * rng.nextLong(4) - rng.nextLong(alignment);
        }
        final long capacity;
        if (palette)
        {
            capacity = base * (20 + rng.nextLong(80)) + rng.nextLong(alignment);
        }
        else
        {
            capacity = switch (rng.nextInt(4))
            {
                case 0 -> 1L << 40;
                case 1 -> alignment * (1 + rng.nextLong(64));
                default -> 1 + rng.nextLong(1 << 20);
            };
        }
        final int count = 1 + rng.nextInt(MAX_OPS);
        final List<Op> ops = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            final int roll = rng.nextInt(100);
            if (roll < 55)
            {
                final long size = palette ? sizes[rng.nextInt(sizes.length)] : size(rng, capacity, alignment);
                ops.add(new Op(Kind.ALLOCATE, size));
            }
            else if (roll < 90)
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

    private static long size(final SplittableRandom rng, final long capacity, final long alignment)
    {
        final int roll = rng.nextInt(100);
        if (roll < 45)
        {
            return 1 + rng.nextLong(4 * alignment);
        }
        if (roll < 90)
        {
            final double log = rng.nextDouble() * Math.log(capacity);
            return Math.max(1, (long)Math.exp(log));
        }
        if (roll < 95)
        {
            return Math.max(1, capacity - rng.nextLong(Math.min(capacity, 2 * alignment)));
        }
        return capacity + 1 + rng.nextLong(1 << 20);
    }

    private static void check(final Case original)
    {
        if (failureOf(original) != null)
        {
            failShrunk(original.seed(), "capacity=" + original.capacity() + " alignment=" + original.alignment(), original.ops(),
                ops -> failureOf(withOps(original, ops)));
        }
    }

    private static Case withOps(final Case base, final List<Op> ops)
    {
        return new Case(base.seed(), base.capacity(), base.alignment(), ops);
    }

    private static Throwable failureOf(final Case testCase)
    {
        return failureOf(() -> run(testCase));
    }

    /**
     * The driver of a seeded model test: checks the one case the seed property names, or
     * {@code cases} cases drawn from {@code baseSeed}, which it prints.
     *
     * @param test     the test's name, for the printed seed.
     * @param baseSeed the seed the cases' seeds are drawn from.
     * @param cases    how many cases.
     * @param check    checks the case of one seed.
     */
    static void forEachSeed(final String test, final long baseSeed, final int cases, final java.util.function.LongConsumer check)
    {
        final String replay = System.getProperty(SEED_PROP_NAME);
        if (replay != null)
        {
            check.accept(Long.parseLong(replay.strip()));
            return;
        }
        System.out.println(test + " base seed=" + baseSeed);
        final SplittableRandom seeds = new SplittableRandom(baseSeed);
        for (int i = 0; i < cases; i++)
        {
            check.accept(seeds.nextLong());
        }
    }

    /**
     * Fails a model test's case: shrinks its operations to a shortest list that still fails, and
     * reports the seed, the case, the shrunk list, its failure and how to replay it.
     *
     * @param seed     the case's seed.
     * @param describe the case's parameters, for the message.
     * @param ops      the failing operations.
     * @param failure  the failure of a list of operations under the case's parameters, null for none.
     * @param <T>      the operation type.
     */
    static <T> void failShrunk(
        final long seed, final String describe, final List<T> ops, final java.util.function.Function<List<T>, Throwable> failure)
    {
        final List<T> shrunk = shrink(ops, candidate -> failure.apply(candidate) != null);
        final Throwable shrunkFailure = failure.apply(shrunk);
        final String message = "seed=" + seed + " " + describe + " ops=" + ops.size() + ", shrunk to " + shrunk.size() + ": " + shrunk +
            "\n  failure: " + shrunkFailure + "\n  replay: -D" + SEED_PROP_NAME + "=" + seed;
        System.err.println(message);
        fail(message, shrunkFailure);
    }

    /**
     * What a model test's run threw, or null: the check the shrinkers of the allocator model tests
     * repeat on every candidate list.
     */
    static Throwable failureOf(final Runnable run)
    {
        try
        {
            run.run();
            return null;
        }
        catch (final AssertionError | RuntimeException ex)
        {
            return ex;
        }
    }

    /**
     * Delta debugging: removes chunks of the list, then single elements, while the failure
     * persists; the result fails and loses its failure when any one element is removed.
     */
    static <T> List<T> shrink(final List<T> failing, final Predicate<List<T>> fails)
    {
        List<T> current = failing;
        int chunks = 2;
        while (current.size() >= 2)
        {
            final int chunkSize = (current.size() + chunks - 1) / chunks;
            boolean reduced = false;
            for (int start = 0; start < current.size(); start += chunkSize)
            {
                final List<T> complement = new ArrayList<>(current.subList(0, start));
                complement.addAll(current.subList(Math.min(current.size(), start + chunkSize), current.size()));
                if (fails.test(complement))
                {
                    current = complement;
                    chunks = Math.max(chunks - 1, 2);
                    reduced = true;
                    break;
                }
            }
            if (!reduced)
            {
                if (chunkSize == 1)
                {
                    break;
                }
                chunks = Math.min(chunks * 2, current.size());
            }
        }
        return current;
    }

    private static void run(final Case testCase)
    {
        final long capacity = testCase.capacity();
        final long alignment = testCase.alignment();
        // odd seeds keep live blocks in the map, even ones as start marks (where the space allows)
        final SpaceAllocator allocator = new SpaceAllocator(capacity, alignment, (testCase.seed() & 1) != 0);
        final TreeMap<Long, Long> live = new TreeMap<>();
        final List<Long> freedOffsets = new ArrayList<>();
        verify(allocator, live, "new");

        int step = 0;
        for (final Op op : testCase.ops())
        {
            final String where = "op " + step++ + " " + op;
            switch (op.kind())
            {
                case ALLOCATE ->
                {
                    final long size = op.argument();
                    final boolean fits = fits(live, capacity, alignment, size);
                    final long offset = allocator.allocate(size);
                    if (offset == SpaceAllocator.FULL)
                    {
                        check(!fits, where + ": FULL although a gap fits; " + allocator);
                    }
                    else
                    {
                        check(fits, where + ": offset=" + offset + " although no gap fits");
                        final long blockSize = allocator.blockSize(offset);
                        final long need = roundUp(size, alignment);
                        check(offset >= 0 && offset % alignment == 0, where + ": offset=" + offset + " not aligned");
                        check(blockSize >= size, where + ": blockSize=" + blockSize + " < size");
                        check(blockSize == need || (offset + blockSize == capacity && blockSize < need),
                            where + ": blockSize=" + blockSize + " for need=" + need);
                        check(offset + blockSize <= capacity, where + ": block ends past capacity");
                        final Map.Entry<Long, Long> before = live.floorEntry(offset);
                        check(before == null || before.getKey() + before.getValue() <= offset,
                            where + ": overlaps " + before);
                        final Long after = live.ceilingKey(offset);
                        check(after == null || offset + blockSize <= after, where + ": overlaps block at " + after);
                        live.put(offset, blockSize);
                    }
                }
                case FREE ->
                {
                    if (!live.isEmpty())
                    {
                        final long offset = byRank(live, op.argument());
                        allocator.free(offset);
                        live.remove(offset);
                        freedOffsets.add(offset);
                    }
                }
                case FREE_NOT_LIVE ->
                {
                    final long offset = notLiveOffset(live, freedOffsets, capacity, op.argument());
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
                    check(before.equals(allocator.toString()), where + ": rejected free changed " + before);
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
            final long offset = byRank(live, order.nextLong(1L << 30));
            allocator.free(offset);
            live.remove(offset);
            verify(allocator, live, "final free of " + offset);
        }
        check(allocator.largestFreeBlock() == capacity, "after freeing all: " + allocator);
        check(allocator.freeBytes() == capacity && allocator.liveBlocks() == 0, "after freeing all: " + allocator);
    }

    private static void verify(final SpaceAllocator allocator, final TreeMap<Long, Long> live, final String where)
    {
        final long capacity = allocator.capacity();
        long used = 0;
        long largestGap = 0;
        long end = 0;
        for (final Map.Entry<Long, Long> block : live.entrySet())
        {
            check(allocator.blockSize(block.getKey()) == block.getValue(), where + ": blockSize of " + block);
            used += block.getValue();
            largestGap = Math.max(largestGap, block.getKey() - end);
            end = block.getKey() + block.getValue();
        }
        largestGap = Math.max(largestGap, capacity - end);
        final long free = capacity - used;

        check(allocator.usedBytes() == used, where + ": usedBytes=" + allocator.usedBytes() + " model=" + used);
        check(allocator.freeBytes() == free, where + ": freeBytes=" + allocator.freeBytes() + " model=" + free);
        check(allocator.usedBytes() + allocator.freeBytes() == capacity, where + ": used+free != capacity");
        check(allocator.liveBlocks() == live.size(), where + ": liveBlocks=" + allocator.liveBlocks());
        check(allocator.largestFreeBlock() == largestGap,
            where + ": largestFreeBlock=" + allocator.largestFreeBlock() + " model=" + largestGap);
        final double fragmentation = free == 0 ? 0.0 : 1.0 - (double)largestGap / free;
        check(Math.abs(allocator.fragmentation() - fragmentation) < 1e-12,
            where + ": fragmentation=" + allocator.fragmentation() + " model=" + fragmentation);
        final String inconsistency = allocator.checkConsistency();
        check(inconsistency == null, where + ": " + inconsistency);
    }

    /** Whether some gap between live blocks can hold the request, by the allocator's contract. */
    private static boolean fits(
        final TreeMap<Long, Long> live, final long capacity, final long alignment, final long size)
    {
        final long need = roundUp(size, alignment);
        long start = 0;
        for (final Map.Entry<Long, Long> block : live.entrySet())
        {
            if (block.getKey() - start >= need)
            {
                return true;
            }
            start = block.getKey() + block.getValue();
        }
        return capacity - start >= Math.min(need, size);
    }

    static long notLiveOffset(
        final TreeMap<Long, Long> live, final List<Long> freedOffsets, final long capacity, final long selector)
    {
        final int choice = (int)(selector % 3);
        if (choice == 0 && !freedOffsets.isEmpty())
        {
            final long freed = freedOffsets.get((int)(selector % freedOffsets.size()));
            if (!live.containsKey(freed))
            {
                return freed;
            }
        }
        if (choice == 1 && !live.isEmpty())
        {
            final long offset = byRank(live, selector);
            if (live.get(offset) > 1)
            {
                return offset + 1;
            }
        }
        long offset = selector % (capacity + 2) - 1;
        while (live.containsKey(offset))
        {
            offset++;
        }
        return offset;
    }

    static long byRank(final TreeMap<Long, Long> live, final long selector)
    {
        final long rank = selector % live.size();
        long i = 0;
        for (final long offset : live.keySet())
        {
            if (i++ == rank)
            {
                return offset;
            }
        }
        throw new IllegalStateException("rank=" + rank + " size=" + live.size());
    }

    private static long roundUp(final long size, final long alignment)
    {
        return (size + alignment - 1) & -alignment;
    }

    static void check(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new AssertionError(message);
        }
    }
}
