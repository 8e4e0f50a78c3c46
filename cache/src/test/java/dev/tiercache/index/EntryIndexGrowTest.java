package dev.tiercache.index;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The key table grows under lock-free readers: while one writer inserts and removes thousands of
 * keys (the table growing from two cells to its largest), reader threads look up keys that stay
 * present throughout and must find each one, answered by its own slot, or be told to retry, never
 * a miss; keys never inserted must never be reported found. And the memory grows with the
 * entries: a large capacity uses the slots handed out, not all of them.
 */
class EntryIndexGrowTest
{
    private static final int ANCHORS = 64;
    private static final long ABSENT_BASE = 1L << 40;

    @Test
    void lockFreeLookups_acrossGrows_neverMissAPresentKey() throws InterruptedException
    {
        final long seed = new SplittableRandom().nextLong();
        System.out.println("EntryIndexGrowTest seed=" + seed);
        final SplittableRandom random = new SplittableRandom(seed);
        long lookups = 0;
        long retries = 0;
        for (int round = 0; round < 12; round++)
        {
            try (EntryIndex index = new EntryIndex(1 << 15, 2))
            {
                final long[] anchorSlots = new long[ANCHORS];
                for (int a = 0; a < ANCHORS; a++)
                {
                    anchorSlots[a] = index.insert(anchorHash(round, a));
                }
                final AtomicBoolean stop = new AtomicBoolean();
                final AtomicReference<String> failure = new AtomicReference<>();
                final AtomicLong found = new AtomicLong();
                final AtomicLong retried = new AtomicLong();
                final CountDownLatch started = new CountDownLatch(2);
                final int thisRound = round;
                final Thread[] readers = new Thread[2];
                for (int r = 0; r < readers.length; r++)
                {
                    final long readerSeed = random.nextLong();
                    readers[r] = new Thread(() ->
                    {
                        final SplittableRandom pick = new SplittableRandom(readerSeed);
                        started.countDown();
                        while (!stop.get() && failure.get() == null)
                        {
                            final int a = pick.nextInt(ANCHORS);
                            final int slot = index.findConcurrent(anchorHash(thisRound, a));
                            if (slot == EntryIndex.RETRY)
                            {
                                retried.incrementAndGet();
                            }
                            else if (slot != anchorSlots[a])
                            {
                                failure.compareAndSet(null, "round " + thisRound + ": present anchor " + a + " answered " + slot +
                                    " instead of slot " + anchorSlots[a] + " (table " + index.tableLength() + " cells)");
                            }
                            else
                            {
                                found.incrementAndGet();
                            }
                            final int absent = index.findConcurrent(ABSENT_BASE + pick.nextInt(1 << 20));
                            if (absent >= 0)
                            {
                                failure.compareAndSet(null, "round " + thisRound + ": a key never inserted was found in slot " + absent);
                            }
                        }
                    }, "index-reader-" + r);
                    readers[r].start();
                }
                started.await();
                final int live = 1000 + random.nextInt(20_000);
                final long base = 1_000_000L * (round + 1);
                for (int k = 0; k < live; k++)
                {
                    index.insert(base + k);
                }
                assertTrue(3L * index.tableLength() >= 4L * index.size(), "load factor above 3/4: " + index.size() + " in " + index.tableLength());
                for (int k = 0; k < live; k += 1 + random.nextInt(3))
                {
                    index.remove(index.find(base + k));
                }
                stop.set(true);
                for (final Thread reader : readers)
                {
                    reader.join();
                }
                assertNull(failure.get(), failure.get() + " (seed=" + seed + ")");
                for (int a = 0; a < ANCHORS; a++)
                {
                    assertEquals(anchorSlots[a], index.find(anchorHash(round, a)), "anchor " + a + " after the round (seed=" + seed + ")");
                }
                lookups += found.get();
                retries += retried.get();
            }
        }
        System.out.println("lookups answered " + lookups + ", retried " + retries);
        assertTrue(lookups > 0, "the readers never got an answer");
    }

    @Test
    void aGrow_isAStructuralChange_thatLockFreeMissesSee()
    {
        try (EntryIndex index = new EntryIndex(64, 2))
        {
            index.insert(1);
            assertEquals(2, index.tableLength());
            final long before = index.tableVersion();
            index.insert(2);
            assertEquals(16, index.tableLength(), "the second key would fill a two-cell table past 3/4: it grows to a line of 16");
            assertEquals(before + 4, index.tableVersion(), "a grow steps the version twice, like the link after it");
            assertEquals(0, index.tableVersion() & 1, "the version is even again");
            final long quiet = index.tableVersion();
            assertEquals(EntryIndex.NOT_FOUND, index.findConcurrent(3));
            assertEquals(quiet, index.tableVersion(), "a lookup changes nothing");
            assertEquals(1, index.keyHash(index.find(1)));
            assertEquals(2, index.keyHash(index.find(2)));
        }
    }

    @Test
    void memoryInUse_followsTheSlotsHandedOut_notTheCapacity()
    {
        try (EntryIndex index = new EntryIndex(1 << 20))
        {
            final long empty = index.nativeBytes();
            assertTrue(index.reservedBytes() >= (1L << 20) * IndexSlotDescriptor.SLOT_LENGTH, "the slot array is reserved whole");
            assertTrue(empty <= 64 * 1024, "an empty index of 2^20 slots uses " + empty + " bytes");
            for (long k = 0; k < 10_000; k++)
            {
                index.insert(k);
            }
            final long used = index.nativeBytes();
            assertEquals(10_000L * IndexSlotDescriptor.SLOT_LENGTH + index.tableLength() * EntryIndex.CELL_LENGTH, used);
            // 1024 grown by half, to a multiple of 16, while 10 000 keys would pass 3/4: 1536, 2304, 3456, 5184, 7776, 11 664, 17 504
            assertEquals(17_504, index.tableLength(), "10 000 keys at a load in [1/2, 3/4]");
        }
    }

    private static long anchorHash(final int round, final int anchor)
    {
        return (long)round << 32 | anchor;
    }
}
