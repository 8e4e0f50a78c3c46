package dev.tiercache.store;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Model-based property test of {@link PagedBitSet}: random set/clear/get/nextSetBit/clearAll
 * sequences against a {@link TreeSet} of indices ({@code nextSetBit} is its {@code ceiling}), the
 * pages' summaries of non-empty words checked every 64 operations.
 * Lengths are short (one partial page), a few pages with a short last page, or up to
 * {@link PagedBitSet#MAX_LENGTH}; indices cluster around a few centres (word and page boundaries,
 * the ends of the set, bits already set), so that scans cross words, untouched pages and the last
 * page's end.
 *
 * <p>On a failure the seed and a shrunk operation list are printed; replay one case with
 * {@code -Dtiercache.seed=N}.
 */
class PagedBitSetModelTest
{
    static final long BASE_SEED = 0xB175_E7L;
    static final int CASES = 500;
    static final int MAX_OPS = 2_000;
    private static final long PAGE_BITS = 1L << 16;

    enum Kind
    {
        SET,
        CLEAR,
        GET,
        NEXT,
        CLEAR_ALL
    }

    record Op(Kind kind, long index)
    {
        @Override
        public String toString()
        {
            return kind + "(" + index + ")";
        }
    }

    record Case(long seed, long length, List<Op> ops)
    {
    }

    @Test
    void randomOperationSequencesAgreeWithTheModel()
    {
        SpaceAllocatorModelTest.forEachSeed("PagedBitSetModelTest", BASE_SEED, CASES, seed -> check(generate(seed)));
    }

    @Test
    void constructor_rejectsLengthOutOfRange()
    {
        for (final long length : new long[] {0, -1, PagedBitSet.MAX_LENGTH + 1})
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new PagedBitSet(length));
            assertTrue(ex.getMessage().contains("length=" + length), ex.getMessage());
        }
    }

    @Test
    void indicesOutsideTheSet_areRefusedOrNotSet()
    {
        final PagedBitSet bits = new PagedBitSet(100);

        assertThrows(IndexOutOfBoundsException.class, () -> bits.set(100));
        assertThrows(IndexOutOfBoundsException.class, () -> bits.set(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> bits.clear(100));
        assertThrows(IndexOutOfBoundsException.class, () -> bits.nextSetBit(101));
        assertFalse(bits.get(-1));
        assertFalse(bits.get(100));
        assertEquals(-1, bits.nextSetBit(100));
        assertEquals(0, bits.pagesAllocated());
    }

    @Test
    void pagesAreAllocatedOnlyWhereABitIsSet()
    {
        final PagedBitSet bits = new PagedBitSet(PagedBitSet.MAX_LENGTH);
        bits.set(PagedBitSet.MAX_LENGTH - 1);
        bits.set(3 * PAGE_BITS + 5);
        bits.clear(7 * PAGE_BITS);

        assertEquals(2, bits.pagesAllocated());
        assertEquals(3 * PAGE_BITS + 5, bits.nextSetBit(0));
        assertEquals(PagedBitSet.MAX_LENGTH - 1, bits.nextSetBit(3 * PAGE_BITS + 6));
        bits.clearAll();
        assertEquals(-1, bits.nextSetBit(0));
        assertEquals(2, bits.pagesAllocated());
        assertNull(bits.checkConsistency());
    }

    static Case generate(final long seed)
    {
        final SplittableRandom rng = new SplittableRandom(seed);
        final long length = switch (rng.nextInt(4))
        {
            case 0 -> 1 + rng.nextLong(200);
            case 1 -> PAGE_BITS * (1 + rng.nextLong(4)) + rng.nextLong(-64, 65);
            case 2 -> 1 + rng.nextLong(PAGE_BITS * 6);
            default -> PagedBitSet.MAX_LENGTH - rng.nextLong(1 << 20);
        };
        final long[] centres = {0, length - 1, length / 2, PAGE_BITS, PAGE_BITS * 2, rng.nextLong(length), 64, length & -64};
        final int count = 1 + rng.nextInt(MAX_OPS);
        final List<Op> ops = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            final long centre = centres[rng.nextInt(centres.length)];
            final long spread = rng.nextBoolean() ? 70 : 3 * PAGE_BITS;
            final long index = Math.floorMod(centre + rng.nextLong(-spread, spread + 1), length);
            final int roll = rng.nextInt(1000);
            final Kind kind = roll < 400 ? Kind.SET : roll < 650 ? Kind.CLEAR : roll < 800 ? Kind.GET : roll < 997 ? Kind.NEXT :
                Kind.CLEAR_ALL;
            ops.add(new Op(kind, kind == Kind.NEXT && rng.nextInt(20) == 0 ? length : index));
        }
        return new Case(seed, length, ops);
    }

    private static void check(final Case original)
    {
        if (failureOf(original) != null)
        {
            SpaceAllocatorModelTest.failShrunk(original.seed(), "length=" + original.length(), original.ops(),
                ops -> failureOf(new Case(original.seed(), original.length(), ops)));
        }
    }

    private static Throwable failureOf(final Case testCase)
    {
        return SpaceAllocatorModelTest.failureOf(() -> run(testCase));
    }

    private static void run(final Case testCase)
    {
        final PagedBitSet bits = new PagedBitSet(testCase.length());
        final TreeSet<Long> model = new TreeSet<>();
        int step = 0;
        for (final Op op : testCase.ops())
        {
            final String where = "op " + step++ + " " + op;
            switch (op.kind())
            {
                case SET ->
                {
                    bits.set(op.index());
                    model.add(op.index());
                }
                case CLEAR ->
                {
                    bits.clear(op.index());
                    model.remove(op.index());
                }
                case GET -> SpaceAllocatorModelTest.check(bits.get(op.index()) == model.contains(op.index()),
                    where + ": get " + bits.get(op.index()) + ", model " + model.contains(op.index()));
                case NEXT ->
                {
                    final Long expected = model.ceiling(op.index());
                    final long next = bits.nextSetBit(op.index());
                    SpaceAllocatorModelTest.check(next == (expected == null ? -1 : expected),
                        where + ": next " + next + ", model " + expected);
                }
                case CLEAR_ALL ->
                {
                    bits.clearAll();
                    model.clear();
                }
            }
            if (step % 64 == 0 || step < 40)
            {
                final String inconsistency = bits.checkConsistency();
                SpaceAllocatorModelTest.check(inconsistency == null, where + ": " + inconsistency);
            }
        }
        // every set bit, walked by nextSetBit; a scan that does not move forward fails rather than loops
        long walked = 0;
        for (long i = bits.nextSetBit(0); i >= 0; )
        {
            SpaceAllocatorModelTest.check(model.contains(i) && walked < model.size(), "at the end: bit " + i +
                " is set, model has not, or the walk came back (" + walked + " walked)");
            walked++;
            final long next = i + 1 == testCase.length() ? -1 : bits.nextSetBit(i + 1);
            SpaceAllocatorModelTest.check(next == -1 || next > i, "at the end: nextSetBit(" + (i + 1) + ")=" + next);
            i = next;
        }
        SpaceAllocatorModelTest.check(walked == model.size(), "at the end: " + walked + " bits set, model " + model.size());
        final String inconsistency = bits.checkConsistency();
        SpaceAllocatorModelTest.check(inconsistency == null, "at the end: " + inconsistency);
    }
}
