package dev.tiercache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Entries under {@code long} keys share one meta record per shape: the record carries no key, is
 * counted by the slots that point at it, goes with its last, and leaves the process (the L3
 * header) with its key put back.
 */
class MetaRecordSharingTest
{
    private static final TensorSpec SMALL = TensorSpec.of(DType.U8, 3, 16, 16);
    private static final TensorSpec OTHER = TensorSpec.of(DType.F32, 12);

    @TempDir
    Path dir;

    @Test
    void entriesOfOneShape_shareOneRecord_andTheLastToGoFreesIt()
    {
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(4 << 20).maxEntries(4096).build();
             Arena arena = Arena.ofConfined())
        {
            for (long key = 0; key < 1000; key++)
            {
                cache.put(key, new Part(SMALL, value(arena, key, SMALL.byteSize())));
            }
            assertArrayEquals(new long[] {1, 1, 1000}, cache.metaRecordCounts(), "one record for 1000 entries of one shape");
            for (long key = 1000; key < 1100; key++)
            {
                cache.put(key, new Part(OTHER, value(arena, key, OTHER.byteSize())));
            }
            cache.put("named", new Part(SMALL, value(arena, 7, SMALL.byteSize())));
            assertArrayEquals(new long[] {3, 2, 1100}, cache.metaRecordCounts(), "two shapes shared, the String key's own record");
            // a replacing put of another shape moves the key to the other record
            cache.put(5L, new Part(OTHER, value(arena, 5, OTHER.byteSize())));
            assertArrayEquals(new long[] {3, 2, 1100}, cache.metaRecordCounts());
            assertEquals("", cache.accountingMismatch());
            for (long key = 0; key < 1000; key++)
            {
                assertTrue(cache.remove(key), "key " + key);
            }
            assertArrayEquals(new long[] {2, 1, 100}, cache.metaRecordCounts(), "the first shape's record went with its last entry");
            for (long key = 1000; key < 1100; key++)
            {
                assertEntry(cache, key, OTHER);
            }
            cache.clear();
            assertArrayEquals(new long[] {0, 0, 0}, cache.metaRecordCounts());
        }
    }

    /**
     * Thousands of shapes: the intern table grows, and removes in a random order shift its cells;
     * every record must stay findable (a put of a shape still present adds no record) and the last
     * remove of each must free it.
     */
    @Test
    void manyShapes_growTheInternTable_andRandomRemovesKeepEveryRecordFindable()
    {
        final long seed = Long.getLong("tiercache.seed", System.nanoTime());
        System.out.println("MetaRecordSharingTest seed=" + seed + " (replay with -Dtiercache.seed=" + seed + ")");
        final SplittableRandom random = new SplittableRandom(seed);
        final int keys = 6000;
        final int shapes = 2500;
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(64 << 20).maxEntries(2 * keys).build();
             Arena arena = Arena.ofConfined())
        {
            final int[] shapeOf = new int[keys];
            final int[] users = new int[shapes];
            for (int key = 0; key < keys; key++)
            {
                shapeOf[key] = random.nextInt(shapes);
                users[shapeOf[key]]++;
                final TensorSpec spec = TensorSpec.of(DType.U8, 1 + shapeOf[key]);
                cache.put((long) key, new Part(spec, value(arena, key, spec.byteSize())));
            }
            final long distinct = java.util.Arrays.stream(users).filter(u -> u > 0).count();
            assertArrayEquals(new long[] {distinct, distinct, keys}, cache.metaRecordCounts(), "seed " + seed);
            final int[] order = random.ints(0, keys).distinct().limit(keys).toArray();
            long present = distinct;
            for (int i = 0; i < order.length; i++)
            {
                final int key = order[i];
                assertTrue(cache.remove((long) key), "key " + key + ", seed " + seed);
                if (--users[shapeOf[key]] == 0)
                {
                    present--;
                }
                if (i % 20 == 0 && i + 1 < order.length)
                {
                    // a put of a shape still in use must find its record, whatever cells moved
                    final int other = order[i + 1 + random.nextInt(order.length - i - 1)];
                    final TensorSpec spec = TensorSpec.of(DType.U8, 1 + shapeOf[other]);
                    cache.put((long) keys + i, new Part(spec, value(arena, keys + i, spec.byteSize())));
                    assertEquals(present, cache.metaRecordCounts()[1], "after " + (i + 1) + " removes, seed " + seed);
                    assertTrue(cache.remove((long) keys + i));
                }
                if (i % 1000 == 0)
                {
                    assertEquals("", cache.accountingMismatch(), "seed " + seed);
                }
            }
            assertArrayEquals(new long[] {0, 0, 0}, cache.metaRecordCounts(), "seed " + seed);
        }
    }

    @Test
    void aHandleOpenAcrossTheLastRemove_keepsTheRecordUntilItCloses()
    {
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(1 << 20).build();
             Arena arena = Arena.ofConfined())
        {
            cache.put(1L, new Part(SMALL, value(arena, 1, SMALL.byteSize())));
            final EntryHandle held = cache.get(1L);
            assertNotNull(held);
            assertTrue(cache.remove(1L));
            // the slot is retired but pinned: its count holds the record
            cache.put(2L, new Part(SMALL, value(arena, 2, SMALL.byteSize())));
            assertEquals(SMALL, held.spec(0));
            assertEquals(1, cache.metaRecordCounts()[0]);
            held.close();
            assertArrayEquals(new long[] {1, 1, 1}, cache.metaRecordCounts());
            assertEntry(cache, 2L, SMALL);
        }
    }

    @Test
    void movesBetweenLevels_passTheRecordOn_andARestartSharesItAgain()
    {
        final Path file = dir.resolve("shared.tc");
        final int keys = 600;
        // L2 holds about a tenth of the entries: the rest go to L3, and reads bring them back up
        try (TierCache cache = open(file); Arena arena = Arena.ofConfined())
        {
            for (long key = 0; key < keys; key++)
            {
                cache.put(key, new Part(SMALL, value(arena, key, SMALL.byteSize())));
            }
            final SplittableRandom random = new SplittableRandom(11);
            for (int i = 0; i < 5000; i++)
            {
                final long key = random.nextInt(keys);
                assertEntry(cache, key, SMALL);
            }
            assertTrue(cache.stats().level(Tier.FILE).entries() > 0, "some entries are in L3");
            assertEquals("", cache.accountingMismatch());
            assertEquals(1, cache.metaRecordCounts()[1]);
            cache.put("named", new Part(OTHER, value(arena, 99, OTHER.byteSize())));
            cache.flush();
        }
        try (TierCache reopened = open(file))
        {
            for (long key = 0; key < keys; key++)
            {
                assertEntry(reopened, key, SMALL);
            }
            try (EntryHandle named = reopened.get("named"))
            {
                assertNotNull(named, "the String key came back");
                assertEquals(OTHER, named.spec(0));
            }
            assertArrayEquals(new long[] {2, 1, keys}, reopened.metaRecordCounts(), "recovered entries share one record again");
            assertEquals("", reopened.accountingMismatch());
            assertNull(reopened.get((long) keys));
        }
    }

    private TierCache open(final Path file)
    {
        return TierCache.builder().useGpu(false).hostBytes(64 << 10).file(file, 8 << 20).fileRegionBytes(1 << 20).maxEntries(2048)
            .promoteToHostAfter(1).build();
    }

    private static MemorySegment value(final Arena arena, final long key, final long length)
    {
        final MemorySegment bytes = arena.allocate(length);
        for (long i = 0; i < length; i++)
        {
            bytes.set(ValueLayout.JAVA_BYTE, i, (byte) (key * 31 + i));
        }
        return bytes;
    }

    private static void assertEntry(final TierCache cache, final long key, final TensorSpec spec)
    {
        try (EntryHandle handle = cache.get(key))
        {
            assertNotNull(handle, "key " + key);
            assertEquals(spec, handle.spec(0), "key " + key);
            final MemorySegment bytes = handle.segment(0);
            for (long i = 0; i < spec.byteSize(); i++)
            {
                assertEquals((byte) (key * 31 + i), bytes.get(ValueLayout.JAVA_BYTE, i), "key " + key + " byte " + i);
            }
        }
    }
}
