package dev.tiercache.store;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Model-based property test of {@link OffsetMap}: random put/remove/get/clear sequences against a
 * {@link HashMap}, the table's own consistency (every key where a lookup finds it) checked after
 * every operation. Keys come from small ranges, so that runs of occupied cells, wrap-around at the
 * table's end and the shifts of a removal are common, and the tables grow several times. Half the
 * cases use a key range that packs key and value into one cell, half one that does not; the
 * maximum load is 0.5, 0.75 or 0.9.
 *
 * <p>On a failure the seed and a shrunk operation list are printed; replay one case with
 * {@code -Dtiercache.seed=N}.
 */
class OffsetMapModelTest
{
    static final long BASE_SEED = 0x0FF5_E7_3A9L;
    static final int CASES = 400;
    static final int MAX_OPS = 3_000;

    enum Kind
    {
        PUT,
        REMOVE,
        GET,
        CLEAR
    }

    record Op(Kind kind, long key, long value)
    {
        @Override
        public String toString()
        {
            return kind + "(" + key + (kind == Kind.PUT ? "=" + value : "") + ")";
        }
    }

    record Case(long seed, long maxKey, long maxValue, float maxLoad, List<Op> ops)
    {
    }

    @Test
    void randomOperationSequencesAgreeWithTheModel()
    {
        SpaceAllocatorModelTest.forEachSeed("OffsetMapModelTest", BASE_SEED, CASES, seed -> check(generate(seed)));
    }

    @Test
    void packsWhenKeyAndValueFitOneLong()
    {
        assertTrue(new OffsetMap((1L << 32) - 1, (1L << 31) - 1, 0.75f).isPacked());
        assertTrue(new OffsetMap((1L << 21) - 1, 1L << 21, 0.75f).isPacked());
        assertFalse(new OffsetMap(1L << 40, Integer.MAX_VALUE, 0.75f).isPacked());
        assertFalse(new OffsetMap(1L << 62, 1L << 62, 0.75f).isPacked());
    }

    @Test
    void extremeKeysAndValuesRoundTrip()
    {
        for (final OffsetMap map : new OffsetMap[] {new OffsetMap(1L << 62, 1L << 62, 0.5f), new OffsetMap((1L << 32) - 1, (1L << 31) - 1, 0.5f)})
        {
            final long maxKey = map.isPacked() ? (1L << 32) - 1 : 1L << 62;
            final long maxValue = map.isPacked() ? (1L << 31) - 1 : 1L << 62;
            map.put(0, 0);
            map.put(maxKey, maxValue);
            assertEquals(0, map.get(0));
            assertEquals(maxValue, map.get(maxKey));
            assertEquals(OffsetMap.MISSING, map.get(-1));
            assertEquals(OffsetMap.MISSING, map.get(maxKey + 1));
            assertEquals(OffsetMap.MISSING, map.remove(-1));
            assertThrows(IllegalArgumentException.class, () -> map.put(maxKey + 1, 0));
            assertThrows(IllegalArgumentException.class, () -> map.put(0, maxValue + 1));
            assertThrows(IllegalArgumentException.class, () -> map.put(0, -1));
            assertEquals(maxValue, map.remove(maxKey));
            assertEquals(0, map.remove(0));
            assertEquals(0, map.size());
        }
    }

    @Test
    void rejectsLoadOutOfRange()
    {
        for (final float load : new float[] {0.2f, 0.95f, Float.NaN})
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new OffsetMap(100, 100, load));
            assertTrue(ex.getMessage().contains("maxLoad=" + load), ex.getMessage());
        }
    }

    @Test
    void growsByHalfAndStaysBetweenHalfAndThreeQuartersFull()
    {
        final OffsetMap map = new OffsetMap((1L << 30) - 1, 1L << 30, 0.75f);
        int cells = map.cells();
        for (int key = 0; key < 1_000_000; key++)
        {
            map.put(key, key + 1);
            if (map.cells() != cells)
            {
                assertEquals(cells + cells / 2, map.cells(), "growth by half");
                cells = map.cells();
            }
            assertTrue(map.size() <= map.cells() * 3L / 4, "at most three quarters full");
        }
        assertTrue(map.size() * 2L >= map.cells(), "at least half full after growing: " + map);
        assertEquals(null, map.checkConsistency());
    }

    static Case generate(final long seed)
    {
        final SplittableRandom rng = new SplittableRandom(seed);
        final boolean packed = rng.nextBoolean();
        final long maxKey = packed ? (1L << (1 + rng.nextInt(31))) - 1 : (1L << 40) + rng.nextLong(1L << 40);
        final long maxValue = packed ? Integer.MAX_VALUE : 1L << 62;
        final float maxLoad = new float[] {0.5f, 0.75f, 0.9f}[rng.nextInt(3)];
        // a key range a few times the entries held: long probe runs, many collisions
        final long range = Math.min(maxKey + 1, 8 + rng.nextInt(2_000));
        final long base = rng.nextBoolean() ? 0 : maxKey + 1 - range;
        final int count = 1 + rng.nextInt(MAX_OPS);
        final List<Op> ops = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            final int roll = rng.nextInt(1000);
            final long key = base + rng.nextLong(range);
            if (roll < 500)
            {
                ops.add(new Op(Kind.PUT, key, rng.nextBoolean() ? rng.nextLong(maxValue + 1) : rng.nextInt(4)));
            }
            else if (roll < 850)
            {
                ops.add(new Op(Kind.REMOVE, key, 0));
            }
            else if (roll < 998)
            {
                ops.add(new Op(Kind.GET, key, 0));
            }
            else
            {
                ops.add(new Op(Kind.CLEAR, 0, 0));
            }
        }
        return new Case(seed, maxKey, maxValue, maxLoad, ops);
    }

    private static void check(final Case original)
    {
        if (failureOf(original) != null)
        {
            SpaceAllocatorModelTest.failShrunk(original.seed(), "maxKey=" + original.maxKey() + " maxLoad=" + original.maxLoad(), original.ops(),
                ops -> failureOf(new Case(original.seed(), original.maxKey(), original.maxValue(), original.maxLoad(), ops)));
        }
    }

    private static Throwable failureOf(final Case testCase)
    {
        return SpaceAllocatorModelTest.failureOf(() -> run(testCase));
    }

    private static void run(final Case testCase)
    {
        final OffsetMap map = new OffsetMap(testCase.maxKey(), testCase.maxValue(), testCase.maxLoad());
        final Map<Long, Long> model = new HashMap<>();
        int step = 0;
        for (final Op op : testCase.ops())
        {
            final String where = "op " + step++ + " " + op;
            switch (op.kind())
            {
                case PUT ->
                {
                    map.put(op.key(), op.value());
                    model.put(op.key(), op.value());
                }
                case REMOVE ->
                {
                    final Long expected = model.remove(op.key());
                    final long removed = map.remove(op.key());
                    SpaceAllocatorModelTest.check(removed == (expected == null ? OffsetMap.MISSING : expected),
                        where + ": removed " + removed + ", model " + expected);
                }
                case GET ->
                {
                    final Long expected = model.get(op.key());
                    final long got = map.get(op.key());
                    SpaceAllocatorModelTest.check(got == (expected == null ? OffsetMap.MISSING : expected),
                        where + ": got " + got + ", model " + expected);
                }
                case CLEAR ->
                {
                    map.clear();
                    model.clear();
                }
            }
            SpaceAllocatorModelTest.check(map.size() == model.size(), where + ": size " + map.size() + ", model " + model.size());
            if (step % 16 == 0 || op.kind() == Kind.REMOVE && step < 200)
            {
                final String inconsistency = map.checkConsistency();
                SpaceAllocatorModelTest.check(inconsistency == null, where + ": " + inconsistency);
            }
        }
        for (final Map.Entry<Long, Long> entry : model.entrySet())
        {
            SpaceAllocatorModelTest.check(map.get(entry.getKey()) == entry.getValue(), "at the end: " + entry + " reads " +
                map.get(entry.getKey()));
        }
        final String inconsistency = map.checkConsistency();
        SpaceAllocatorModelTest.check(inconsistency == null, "at the end: " + inconsistency);
    }
}
