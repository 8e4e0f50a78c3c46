package dev.tiercache.dataset;

import dev.tiercache.DType;
import dev.tiercache.Part;
import dev.tiercache.TensorSpec;
import dev.tiercache.Tier;
import dev.tiercache.TierCache;
import dev.tiercache.cuda.sim.SimulatedCuda;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The epoch plan on shuffled epochs with the dataset in L3 and L1 + L2 at 20 % of it, on the
 * simulated mx250: entries raised ahead of the reads, demoted by their next use, every byte right.
 * The reads wait for the plan thread to be idle between batches, so the counts do not depend on
 * the machine's speed (the benchmark measures the race).
 */
@org.junit.jupiter.api.extension.ExtendWith(dev.tiercache.testing.SimulatedMx250.class)
class DatasetCachePlanTest
{
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final int ENTRY_BYTES = (int)(64 * KIB);
    private static final int ENTRIES = 200;
    private static final int BATCH = 4;
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    @TempDir
    Path dir;

    private SimulatedCuda sim;

    /** After the extension installed and reset the simulated device. */
    @BeforeEach
    void device()
    {
        sim = SimulatedCuda.current();
    }

    /** 20 % of the dataset in L1 + L2: all of it in L2 without a GPU level, split 1:1 with one. */
    private TierCache.Builder twentyPercent(final boolean gpu)
    {
        final long upper = ENTRIES * (long)ENTRY_BYTES / 5;
        final TierCache.Builder builder = TierCache.builder().file(dir.resolve("l3.tc"), 64 * MIB).fileRegionBytes(2 * MIB)
            .maxEntries(4 * ENTRIES).persistOnClose(false).useGpu(gpu);
        return gpu ? builder.deviceBytes(upper / 2).hostBytes(upper / 2) : builder.hostBytes(upper);
    }

    static byte expected(final long key, final long i)
    {
        return (byte)(key * 131 + i * 7 + (i >>> 9));
    }

    static Part[] entry(final long key)
    {
        final MemorySegment bytes = Arena.ofAuto().allocate(ENTRY_BYTES);
        for (long i = 0; i < ENTRY_BYTES; i++)
        {
            bytes.set(ValueLayout.JAVA_BYTE, i, expected(key, i));
        }
        return new Part[] {new Part(TensorSpec.of(DType.U8, ENTRY_BYTES), bytes)};
    }

    private static void fill(final TierCache cache)
    {
        for (long key = 0; key < ENTRIES; key++)
        {
            cache.put(key, entry(key));
        }
    }

    private static long[] shuffled(final SplittableRandom random)
    {
        final long[] order = new long[ENTRIES];
        for (int i = 0; i < ENTRIES; i++)
        {
            order[i] = i;
        }
        for (int i = ENTRIES - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final long swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }

    private static void checkBatch(final long[] keys, final MemorySegment batch)
    {
        for (int k = 0; k < keys.length; k++)
        {
            final long at = (long)k * ENTRY_BYTES;
            for (long i = 0; i < ENTRY_BYTES; i += 251)
            {
                if (batch.get(ValueLayout.JAVA_BYTE, at + i) != expected(keys[k], i))
                {
                    throw new AssertionError("key " + keys[k] + " byte " + i + ": wrong value");
                }
            }
        }
    }

    /**
     * Reads {@code epochs} shuffled epochs in batches; with {@code plan}, each epoch's order is
     * queued one epoch ahead and every batch waits for the plan to be idle first.
     */
    private static BatchStats runEpochs(final DatasetCache dataset, final int epochs, final boolean plan, final long seed)
        throws InterruptedException
    {
        final SplittableRandom random = new SplittableRandom(seed);
        long[] next = shuffled(random);
        if (plan)
        {
            dataset.epoch(next);
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment batch = arena.allocate((long)BATCH * ENTRY_BYTES, 64);
            for (int e = 0; e < epochs; e++)
            {
                final long[] order = next;
                next = shuffled(random);
                if (plan)
                {
                    dataset.epoch(next);
                }
                for (int b = 0; b < ENTRIES; b += BATCH)
                {
                    if (plan)
                    {
                        assertTrue(dataset.awaitPlan(WAIT_NANOS), "the plan thread did not settle");
                    }
                    final long[] keys = Arrays.copyOfRange(order, b, b + BATCH);
                    assertEquals((long)BATCH * ENTRY_BYTES, dataset.getBatch(keys, batch, null), "seed " + seed);
                    checkBatch(keys, batch);
                }
            }
        }
        return dataset.batchStats();
    }

    @Test
    void plannedEpochs_withTheDatasetInL3_neverWaitOnL3_andBeatTheDefaultPolicy() throws Exception
    {
        final long seed = 0x5eed_0001L;
        final BatchStats planned;
        final PlanStats planStats;
        try (TierCache cache = twentyPercent(false).build(); DatasetCache dataset = DatasetCache.builder(cache).lookAheadBytes(512 * KIB).build())
        {
            fill(cache);
            planned = runEpochs(dataset, 4, true, seed);
            planStats = dataset.planStats();
        }
        final BatchStats unplanned;
        try (TierCache cache = twentyPercent(false).build(); DatasetCache dataset = DatasetCache.builder(cache).build())
        {
            fill(cache);
            unplanned = runEpochs(dataset, 4, false, seed);
        }
        System.out.println("seed " + seed + ": planned " + planned + "; " + planStats + "; unplanned " + unplanned);
        assertEquals(4L * ENTRIES, planned.reads());
        assertEquals(0, planned.fileReads(), "reads that waited on L3 with the plan: " + planned + "; " + planStats);
        assertTrue(unplanned.fileReads() > ENTRIES, "the default policy must wait on L3 here, or this test shows nothing: " + unplanned);
        assertTrue(planned.hostReads() + planned.deviceReads() >= unplanned.hostReads() + unplanned.deviceReads());
        assertEquals(4L * ENTRIES, planStats.position());
        assertTrue(planStats.raisedToHost() > 0 && planStats.demoted() > 0, planStats.toString());
    }

    @Test
    void plannedEpochs_withAGpuLevel_raiseToL1_andEveryByteIsRight() throws Exception
    {
        final long seed = 0x5eed_0002L;
        try (TierCache cache = twentyPercent(true).build(); DatasetCache dataset = DatasetCache.builder(cache).lookAheadBytes(256 * KIB).build())
        {
            assertTrue(cache.hasDevice(), "the simulated device must be on");
            fill(cache);
            final BatchStats stats = runEpochs(dataset, 3, true, seed);
            final PlanStats plan = dataset.planStats();
            System.out.println("seed " + seed + ": " + stats + "; " + plan);
            assertEquals(0, stats.fileReads(), stats + "; " + plan);
            assertTrue(plan.raisedToDevice() > 0, plan.toString());
            assertTrue(stats.deviceReads() > 0, stats.toString());
        }
    }

    @Test
    void theWindow_isInL2BeforeItsReads_acrossTheEpochBoundary() throws Exception
    {
        final SplittableRandom random = new SplittableRandom(7);
        final long[] first = shuffled(random);
        final long[] second = shuffled(random);
        final long window = 16 * ENTRY_BYTES;
        try (TierCache cache = twentyPercent(false).build(); DatasetCache dataset = DatasetCache.builder(cache).lookAheadBytes(window).build())
        {
            fill(cache);
            dataset.epoch(first);
            dataset.epoch(second);
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment batch = arena.allocate(ENTRY_BYTES, 64);
                for (int i = 0; i < ENTRIES; i++)
                {
                    assertTrue(dataset.awaitPlan(WAIT_NANOS));
                    for (int ahead = i; ahead < Math.min(ENTRIES, i + 16); ahead++)
                    {
                        assertEquals(Tier.HOST, cache.tierOf(first[ahead]), "position " + ahead + " (key " + first[ahead] + ") at read " + i);
                    }
                    dataset.getBatch(new long[] {first[i]}, batch, null);
                }
                assertTrue(dataset.awaitPlan(WAIT_NANOS));
            }
            // at the end of the first epoch, L2 holds the second epoch's window
            for (int ahead = 0; ahead < 16; ahead++)
            {
                assertEquals(Tier.HOST, cache.tierOf(second[ahead]), "position " + ahead + " of the next epoch");
            }
            final PlanStats stats = dataset.planStats();
            assertTrue(stats.demoted() > 0 && stats.raisedToHost() > 0, stats.toString());
        }
    }

    /**
     * The window's bound in bytes holds exactly, with entries of mixed sizes: at every read, the
     * entries in L2 that are still to be read (L2 emptied first, so only the plan put them there)
     * add up to at most the look-ahead, and the window does fill up to it; every byte read is right.
     */
    @Test
    void theWindow_neverHoldsMoreThanItsBytes_withEntriesOfMixedSizes() throws Exception
    {
        final long seed = 0x5eed_0003L;
        final SplittableRandom random = new SplittableRandom(seed);
        final long window = 300 * KIB;
        final int[] size = new int[ENTRIES];
        int largest = 0;
        for (int key = 0; key < ENTRIES; key++)
        {
            size[key] = (int)(8 * KIB) + random.nextInt((int)(112 * KIB));
            largest = Math.max(largest, size[key]);
        }
        final long[] order = shuffled(random);
        try (TierCache cache = twentyPercent(false).build(); DatasetCache dataset = DatasetCache.builder(cache).lookAheadBytes(window).build();
             Arena arena = Arena.ofConfined())
        {
            for (int key = 0; key < ENTRIES; key++)
            {
                final MemorySegment bytes = arena.allocate(size[key]);
                for (int i = 0; i < size[key]; i++)
                {
                    bytes.set(ValueLayout.JAVA_BYTE, i, expected(key, i));
                }
                cache.put(key, new Part(TensorSpec.of(DType.U8, size[key]), bytes));
            }
            for (int key = 0; key < ENTRIES; key++)
            {
                while (cache.tierOf(key) != Tier.FILE)
                {
                    assertTrue(cache.demote(key) != null, "key " + key + " vanished");
                }
            }
            dataset.epoch(order);
            final MemorySegment batch = arena.allocate(largest, 64);
            long fullest = 0;
            for (int i = 0; i < ENTRIES; i++)
            {
                assertTrue(dataset.awaitPlan(WAIT_NANOS), "the plan thread did not settle");
                long ahead = 0;
                int entries = 0;
                for (int p = i; p < ENTRIES; p++)
                {
                    if (cache.tierOf(order[p]) == Tier.HOST)
                    {
                        ahead += size[(int)order[p]];
                        entries++;
                    }
                }
                final PlanStats plan = dataset.planStats();
                assertTrue(ahead <= window || entries == 1, "read " + i + ": " + entries + " entries of " + ahead + " bytes in L2 ahead of the " +
                    "reads, over the look-ahead of " + window + " bytes; seed " + seed + "; " + plan);
                assertTrue(plan.windowBytes() <= window, "read " + i + ": " + plan);
                fullest = Math.max(fullest, ahead);
                final long key = order[i];
                assertEquals(size[(int)key], dataset.getBatch(new long[] {key}, batch, null), "key " + key);
                for (int b = 0; b < size[(int)key]; b += 97)
                {
                    if (batch.get(ValueLayout.JAVA_BYTE, b) != expected(key, b))
                    {
                        throw new AssertionError("key " + key + " byte " + b + ": wrong value; seed " + seed);
                    }
                }
            }
            final BatchStats stats = dataset.batchStats();
            System.out.println("seed " + seed + ": fullest window " + fullest + " of " + window + " bytes; " + stats + "; " + dataset.planStats());
            assertTrue(fullest > window - largest, "the window never filled (" + fullest + " of " + window + " bytes): this test shows nothing");
            // with mixed sizes L2's free space comes in pieces, and the cache's own room-making (a
            // promotion that finds no piece large enough, the mover's trim) can still put a window
            // entry back in L3 after the plan checked it: such a read waits, and is counted
            assertTrue(stats.fileReads() <= ENTRIES / 20, stats.toString());
        }
    }

    @Test
    void anEpochFromAnIterator_isRaisedAsItIsPulled() throws Exception
    {
        final long[] order = shuffled(new SplittableRandom(11));
        try (TierCache cache = twentyPercent(false).build(); DatasetCache dataset = DatasetCache.builder(cache).lookAheadBytes(256 * KIB).build())
        {
            fill(cache);
            dataset.epoch(Arrays.stream(order).iterator());
            assertThrows(IllegalStateException.class, () -> dataset.epoch(order), "an iterator not read to its end must stay the last epoch");
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment batch = arena.allocate((long)BATCH * ENTRY_BYTES, 64);
                for (int b = 0; b < ENTRIES; b += BATCH)
                {
                    assertTrue(dataset.awaitPlan(WAIT_NANOS));
                    final long[] keys = Arrays.copyOfRange(order, b, b + BATCH);
                    dataset.getBatch(keys, batch, null);
                    checkBatch(keys, batch);
                }
            }
            // the plan meets the residents only as it pulls the order: until then L2's own policy picks
            // the victims of its promotions, and may pick an entry of the window
            assertTrue(dataset.batchStats().fileReads() <= ENTRIES / 20, dataset.batchStats() + "; " + dataset.planStats());
            assertEquals(ENTRIES, dataset.planStats().position());
        }
    }

    @Test
    void readsOutsideThePlan_areCounted_andBreakNothing() throws Exception
    {
        final long[] order = shuffled(new SplittableRandom(13));
        try (TierCache cache = twentyPercent(false).build(); DatasetCache dataset = DatasetCache.builder(cache).lookAheadBytes(256 * KIB).build())
        {
            fill(cache);
            dataset.epoch(order);
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment batch = arena.allocate(ENTRY_BYTES, 64);
                assertTrue(dataset.awaitPlan(WAIT_NANOS));
                // the window's third key first: the position jumps past it
                dataset.getBatch(new long[] {order[2]}, batch, null);
                checkBatch(new long[] {order[2]}, batch);
                // a key far outside the window, and one read already: counted, the position stays
                dataset.getBatch(new long[] {order[ENTRIES - 1]}, batch, null);
                checkBatch(new long[] {order[ENTRIES - 1]}, batch);
                dataset.getBatch(new long[] {order[0]}, batch, null);
                checkBatch(new long[] {order[0]}, batch);
                assertEquals(-1, dataset.getBatch(new long[] {ENTRIES + 5}, batch, null));
            }
            final PlanStats stats = dataset.planStats();
            assertEquals(3, stats.position(), stats.toString());
            assertEquals(4, stats.outOfOrder(), stats.toString());
        }
    }

    @Test
    void aConsumerThatDropsTheLastPartialBatch_movesOnToTheNextEpoch() throws Exception
    {
        final SplittableRandom random = new SplittableRandom(23);
        final long[][] orders = {shuffled(random), shuffled(random), shuffled(random)};
        // the window covers the 4 unread entries of an epoch and the next batch of 7
        try (TierCache cache = twentyPercent(false).build(); DatasetCache dataset = DatasetCache.builder(cache).lookAheadBytes(12 * ENTRY_BYTES).build();
             Arena arena = Arena.ofConfined())
        {
            fill(cache);
            for (final long[] order : orders)
            {
                dataset.epoch(order);
            }
            final int batch = 7;
            final MemorySegment out = arena.allocate((long)batch * ENTRY_BYTES, 64);
            for (final long[] order : orders)
            {
                for (int b = 0; b + batch <= ENTRIES; b += batch)
                {
                    assertTrue(dataset.awaitPlan(WAIT_NANOS));
                    final long[] keys = Arrays.copyOfRange(order, b, b + batch);
                    dataset.getBatch(keys, out, null);
                    checkBatch(keys, out);
                }
            }
            final PlanStats stats = dataset.planStats();
            // 200 = 28 batches of 7 and 4 left over, in each epoch
            assertEquals(2, stats.outOfOrder(), stats.toString());
            assertEquals(2L * ENTRIES + 196, stats.position(), stats.toString());
            assertEquals(0, dataset.batchStats().fileReads(), dataset.batchStats() + "; " + stats);
        }
    }

    @Test
    void twoLoaderThreads_readingAlternateBatchesOfThePlan_getTheirBytesRight() throws Exception
    {
        final SplittableRandom random = new SplittableRandom(17);
        final long[][] orders = {shuffled(random), shuffled(random), shuffled(random)};
        try (TierCache cache = twentyPercent(false).build(); DatasetCache dataset = DatasetCache.builder(cache).lookAheadBytes(512 * KIB).build();
             ExecutorService loaders = Executors.newFixedThreadPool(2))
        {
            fill(cache);
            for (final long[] order : orders)
            {
                dataset.epoch(order);
            }
            final Future<?>[] done = new Future<?>[2];
            for (int t = 0; t < 2; t++)
            {
                final int thread = t;
                done[t] = loaders.submit(() ->
                {
                    try (Arena arena = Arena.ofConfined())
                    {
                        final MemorySegment batch = arena.allocate((long)BATCH * ENTRY_BYTES, 64);
                        for (final long[] order : orders)
                        {
                            for (int b = thread * BATCH; b < ENTRIES; b += 2 * BATCH)
                            {
                                final long[] keys = Arrays.copyOfRange(order, b, b + BATCH);
                                assertEquals((long)BATCH * ENTRY_BYTES, dataset.getBatch(keys, batch, null));
                                checkBatch(keys, batch);
                            }
                        }
                    }
                    return null;
                });
            }
            for (final Future<?> future : done)
            {
                future.get(60, TimeUnit.SECONDS);
            }
            assertEquals(3L * ENTRIES, dataset.batchStats().reads());
            assertTrue(dataset.planStats().position() > 2L * ENTRIES, dataset.planStats().toString());
        }
    }

    @Test
    @Timeout(60)
    void aCacheClosedUnderThePlan_stopsItsThread_andClosingTwiceIsSafe() throws Exception
    {
        final TierCache cache = twentyPercent(false).build();
        final DatasetCache dataset = DatasetCache.builder(cache).lookAheadBytes(256 * KIB).build();
        fill(cache);
        dataset.epoch(shuffled(new SplittableRandom(19)));
        cache.close();
        assertTrue(dataset.awaitPlan(WAIT_NANOS), "the plan thread must settle once the cache is closed");
        dataset.close();
        dataset.close();
        assertEquals(0, dataset.planStats().position(), "a closed DatasetCache has no plan");
    }

    @Test
    void lookAhead_mustBePositive_namingTheValue()
    {
        try (TierCache cache = twentyPercent(false).build())
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> DatasetCache.builder(cache).lookAheadBytes(0).build());
            assertTrue(ex.getMessage().contains("lookAheadBytes=0"), ex.getMessage());
        }
    }
}
