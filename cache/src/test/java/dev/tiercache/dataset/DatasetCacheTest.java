package dev.tiercache.dataset;

import dev.tiercache.DType;
import dev.tiercache.EntryHandle;
import dev.tiercache.Part;
import dev.tiercache.TensorSpec;
import dev.tiercache.Tier;
import dev.tiercache.TierCache;
import dev.tiercache.cuda.CudaLibrary;
import dev.tiercache.cuda.CudaRuntime;
import dev.tiercache.cuda.DeviceBuffer;
import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Preload, batch gather, prefetch and the periodic statistics on the simulated mx250 (the surefire
 * configuration selects it).
 */
class DatasetCacheTest
{
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long ENTRY_BYTES = 256 * KIB;

    @TempDir
    Path dir;

    private SimulatedCuda sim;

    @BeforeEach
    void setUp()
    {
        CudaLibrary.location();
        sim = SimulatedCuda.current();
        sim.reset(SimulatedDeviceProfile.MX250);
    }

    @AfterEach
    void noLeaks()
    {
        final String outstanding = sim.outstandingDescription();
        sim.reset(SimulatedDeviceProfile.MX250);
        assertEquals("", outstanding, "native resources left after close");
    }

    private TierCache.Builder small()
    {
        return TierCache.builder().deviceBytes(4 * MIB).hostBytes(4 * MIB).file(dir.resolve("l3.tc"), 32 * MIB)
            .fileRegionBytes(2 * MIB).maxEntries(1024).persistOnClose(false);
    }

    /** Entry {@code key}'s bytes: a pattern that differs per key and per position. */
    static byte expected(final long key, final long i)
    {
        return (byte)(key * 131 + i * 7 + (i >>> 9));
    }

    static Part[] image(final long key)
    {
        final MemorySegment bytes = Arena.ofAuto().allocate(ENTRY_BYTES);
        for (long i = 0; i < ENTRY_BYTES; i++)
        {
            bytes.set(ValueLayout.JAVA_BYTE, i, expected(key, i));
        }
        return new Part[] {new Part(TensorSpec.of(DType.U8, 1, 512, 512), bytes)};
    }

    private static long[] keys(final int count)
    {
        return LongStream.range(0, count).toArray();
    }

    private static void assertEntry(final long key, final MemorySegment batch, final long at)
    {
        for (long i = 0; i < ENTRY_BYTES; i += 997)
        {
            assertEquals(expected(key, i), batch.get(ValueLayout.JAVA_BYTE, at + i), "key " + key + " byte " + i);
        }
        assertEquals(expected(key, ENTRY_BYTES - 1), batch.get(ValueLayout.JAVA_BYTE, at + ENTRY_BYTES - 1));
    }

    @Test
    void preload_stopsAtTheRoomOfL1AndL2_withoutError_andPushesNothingDown()
    {
        final List<String> lines = new ArrayList<>();
        try (TierCache cache = small().build();
             DatasetCache dataset = DatasetCache.builder(cache).progress(new RecordingListener(lines)).build())
        {
            final PreloadSummary summary = dataset.preload(keys(64), DatasetCacheTest::image);
            assertEquals(PreloadSummary.Stop.CAPACITY, summary.stop(), summary.toString());
            // 90 % of 4 MiB holds 14 entries of 256 KiB in each of L1 and L2
            assertEquals(14, summary.deviceEntries(), summary.toString());
            assertEquals(14, summary.hostEntries(), summary.toString());
            assertEquals(0, summary.fileEntries());
            assertEquals(28, summary.loaded());
            assertEquals(28, summary.stoppedAt());
            assertEquals(28 * ENTRY_BYTES, summary.loadedBytes());
            assertTrue(summary.detail().contains("stopped at key 28"), summary.detail());
            assertEquals(0, cache.stats().level(Tier.FILE).entries(), cache.stats().toString());
            assertEquals(0, cache.stats().level(Tier.DEVICE).evictions() + cache.stats().level(Tier.HOST).evictions());
            assertEquals(28, cache.size());
            assertEquals(29, lines.size(), "one progress line per entry and one at the end");
            assertTrue(lines.getLast().startsWith("done 28/64"), lines.getLast());

            final PreloadSummary again = dataset.preload(keys(28), DatasetCacheTest::image);
            assertTrue(again.complete());
            assertEquals(28, again.alreadyCached());
            assertEquals(0, again.loaded());
        }
    }

    @Test
    void preload_stopsAtAByteLimit()
    {
        try (TierCache cache = small().build();
             DatasetCache dataset = DatasetCache.builder(cache).build())
        {
            final PreloadSummary summary = dataset.preload(keys(64), DatasetCacheTest::image, MIB + 1);
            assertEquals(PreloadSummary.Stop.BYTE_LIMIT, summary.stop());
            assertEquals(4, summary.loaded());
            assertEquals(4, cache.size());
        }
    }

    @Test
    void preload_withoutAGpuLevel_fillsL2Only()
    {
        try (TierCache cache = small().useGpu(false).build();
             DatasetCache dataset = DatasetCache.builder(cache).fillFraction(0.5).build())
        {
            final PreloadSummary summary = dataset.preload(keys(64), DatasetCacheTest::image);
            assertEquals(PreloadSummary.Stop.CAPACITY, summary.stop());
            assertEquals(0, summary.deviceEntries());
            assertEquals(8, summary.hostEntries());
            assertTrue(summary.detail().contains("L1 off"), summary.detail());
        }
    }

    @Test
    void preload_withSpill_goesOnIntoL3()
    {
        try (TierCache cache = small().build();
             DatasetCache dataset = DatasetCache.builder(cache).build())
        {
            final PreloadSummary summary = dataset.preload(keys(64), DatasetCacheTest::image, Long.MAX_VALUE, true);
            assertTrue(summary.complete(), summary.toString());
            assertEquals(64, summary.loaded());
            assertEquals(64, cache.size());
            assertTrue(cache.stats().level(Tier.FILE).entries() > 0, cache.stats().toString());
        }
    }

    /**
     * A spilling preload's later puts push its earlier entries down: the summary counts where they
     * are at its end, as the index and the statistics say, not where each was put.
     */
    @Test
    void preload_summary_countsWhereTheEntriesAreAtItsEnd()
    {
        // no timed duty of the mover during the test: nothing moves the entries after the preload but the test
        try (TierCache cache = small().cleanupInterval(java.time.Duration.ofHours(1)).build();
             DatasetCache dataset = DatasetCache.builder(cache).build())
        {
            final long[] keys = keys(64);
            final PreloadSummary summary = dataset.preload(keys, DatasetCacheTest::image, Long.MAX_VALUE, true);
            final int[] resident = residence(cache, keys);
            final String where = summary + " / " + cache.stats();
            assertEquals(64, summary.loaded(), where);
            assertTrue(summary.fileEntries() > 0, "L1 and L2 hold 32 of the 64 entries: the rest were pushed to L3; " + where);
            assertEquals(resident[Tier.DEVICE.ordinal()], summary.deviceEntries(), where);
            assertEquals(resident[Tier.HOST.ordinal()], summary.hostEntries(), where);
            assertEquals(resident[Tier.FILE.ordinal()], summary.fileEntries(), where);
            assertEquals(0, summary.evictedEntries(), where);
            for (final Tier tier : Tier.values())
            {
                assertEquals(resident[tier.ordinal()], cache.stats().level(tier).entries(), tier + ": the statistics agree; " + where);
            }
            assertTrue(summary.toString().contains("now in L1 " + summary.deviceEntries() + ", L2 " + summary.hostEntries() + ", L3 " +
                summary.fileEntries()), summary.toString());
        }
    }

    @Test
    void preload_summary_countsTheEntriesItsOwnPutsPushedOut()
    {
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(4 * MIB).maxEntries(1024).persistOnClose(false)
                .cleanupInterval(java.time.Duration.ofHours(1)).build();
             DatasetCache dataset = DatasetCache.builder(cache).build())
        {
            final long[] keys = keys(32);
            final PreloadSummary summary = dataset.preload(keys, DatasetCacheTest::image, Long.MAX_VALUE, true);
            final int[] resident = residence(cache, keys);
            final String where = summary + " / " + cache.stats();
            assertEquals(32, summary.loaded(), where);
            assertEquals(resident[Tier.HOST.ordinal()], summary.hostEntries(), where);
            assertEquals(32 - cache.size(), summary.evictedEntries(), where);
            assertTrue(summary.evictedEntries() > 0, "4 MiB of L2 and no L3 keep at most 16 of 32 entries of 256 KiB; " + where);
            assertEquals(summary.loaded(), summary.deviceEntries() + summary.hostEntries() + summary.fileEntries() + summary.evictedEntries(), where);
        }
    }

    /** How many of {@code keys} each level holds, by {@link TierCache#tierOf}. */
    private static int[] residence(final TierCache cache, final long[] keys)
    {
        final int[] resident = new int[Tier.values().length];
        for (final long key : keys)
        {
            final Tier tier = cache.tierOf(key);
            if (tier != null)
            {
                resident[tier.ordinal()]++;
            }
        }
        return resident;
    }

    @Test
    void getBatch_gathersEntriesFromEveryLevel_inTheOrderOfTheKeys()
    {
        try (TierCache cache = small().build();
             DatasetCache dataset = DatasetCache.builder(cache).build();
             Arena arena = Arena.ofConfined())
        {
            dataset.preload(keys(40), DatasetCacheTest::image, Long.MAX_VALUE, true);
            final long[] batch = {39, 0, 17, 3, 25, 1, 38, 14};
            final MemorySegment destination = arena.allocate(batch.length * ENTRY_BYTES);
            final long[] offsets = new long[batch.length];
            final List<Tier> tiers = new ArrayList<>();
            for (final long key : batch)
            {
                try (EntryHandle handle = cache.get(key))
                {
                    tiers.add(handle.tier());
                }
            }
            assertTrue(tiers.contains(Tier.DEVICE) && tiers.contains(Tier.HOST) && tiers.contains(Tier.FILE), tiers.toString());

            assertEquals(batch.length * ENTRY_BYTES, dataset.getBatch(batch, destination, offsets));
            for (int i = 0; i < batch.length; i++)
            {
                assertEquals(i * ENTRY_BYTES, offsets[i]);
                assertEntry(batch[i], destination, offsets[i]);
            }

            final long missed = dataset.getBatch(new long[] {1, 2, 999, 3}, destination, null);
            assertTrue(DatasetCache.isMiss(missed));
            assertEquals(2, DatasetCache.missedIndex(missed));
            assertEquals(4 * ENTRY_BYTES, dataset.getBatch(new long[] {1, 2, 999, 3}, destination, offsets, DatasetCacheTest::image));
            assertEntry(999, destination, 2 * ENTRY_BYTES);
            assertTrue(cache.contains(999));

            final IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> dataset.getBatch(batch, destination.asSlice(0, 3 * ENTRY_BYTES), null));
            assertTrue(small.getMessage().contains("key 3 needs " + ENTRY_BYTES + " bytes at offset " + 3 * ENTRY_BYTES), small.getMessage());
        }
    }

    @Test
    void getBatchAsFloat_normalisesEveryEntry()
    {
        try (TierCache cache = small().build();
             DatasetCache dataset = DatasetCache.builder(cache).build();
             Arena arena = Arena.ofConfined())
        {
            dataset.preload(keys(30), DatasetCacheTest::image, Long.MAX_VALUE, true);
            final long[] batch = {29, 0, 15};
            final MemorySegment floats = arena.allocate(batch.length * ENTRY_BYTES * Float.BYTES);
            assertEquals(floats.byteSize(), dataset.getBatchAsFloat(batch, floats, 1f / 255f, -0.5f, null));
            for (int b = 0; b < batch.length; b++)
            {
                for (long i = 0; i < ENTRY_BYTES; i += 4099)
                {
                    final float want = (expected(batch[b], i) & 0xFF) / 255f - 0.5f;
                    assertEquals(want, floats.getAtIndex(ValueLayout.JAVA_FLOAT, b * ENTRY_BYTES + i), 1e-6f);
                }
            }
        }
    }

    @Test
    void getBatchOnDevice_copiesL1EntriesDeviceToDevice_andTheOthersFromHost()
    {
        try (TierCache cache = small().build();
             DatasetCache dataset = DatasetCache.builder(cache).build();
             Arena arena = Arena.ofConfined())
        {
            dataset.preload(keys(40), DatasetCacheTest::image, Long.MAX_VALUE, true);
            final long[] batch = {0, 20, 39, 5};
            final long[] offsets = new long[batch.length];
            final MemorySegment back = arena.allocate(batch.length * ENTRY_BYTES);
            try (DeviceBuffer device = CudaRuntime.open().allocateDevice(batch.length * ENTRY_BYTES))
            {
                assertEquals(back.byteSize(), dataset.getBatchOnDevice(batch, device, offsets, null));
                device.copyToHost(0, back);
            }
            for (int i = 0; i < batch.length; i++)
            {
                assertEntry(batch[i], back, offsets[i]);
            }
        }
        try (TierCache cache = small().useGpu(false).build();
             DatasetCache dataset = DatasetCache.builder(cache).build())
        {
            assertThrows(IllegalStateException.class, () -> dataset.getBatchOnDevice(new long[] {1}, null, null, null));
        }
    }

    @Test
    void prefetch_toDevice_makesTheNextGetAnL1Hit() throws ExecutionException, InterruptedException, TimeoutException
    {
        try (TierCache cache = small().build();
             DatasetCache dataset = DatasetCache.builder(cache).build())
        {
            final long[] next = {100, 101, 102};
            for (final long key : next)
            {
                assertEquals(Tier.HOST, cache.put(key, image(key)));
            }
            final PrefetchResult result = dataset.prefetch(new long[] {100, 101, 102, 7}, Tier.DEVICE).get(10, TimeUnit.SECONDS);
            assertEquals(new PrefetchResult(Tier.DEVICE, 4, 3, 1, 0), result);
            for (final long key : next)
            {
                try (EntryHandle handle = cache.get(key))
                {
                    assertEquals(Tier.DEVICE, handle.tier(), "key " + key);
                }
            }
        }
    }

    @Test
    void prefetch_raisesFileEntriesIntoL2() throws ExecutionException, InterruptedException, TimeoutException
    {
        final Path file = dir.resolve("warm.tc");
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(4 * MIB).file(file, 32 * MIB).fileRegionBytes(2 * MIB).build())
        {
            for (long key = 0; key < 6; key++)
            {
                cache.put(key, image(key));
            }
        }
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(4 * MIB).file(file, 32 * MIB).fileRegionBytes(2 * MIB)
                 .persistOnClose(false).build();
             DatasetCache dataset = DatasetCache.builder(cache).build())
        {
            assertEquals(6, cache.stats().level(Tier.FILE).entries(), "reopened: everything is in L3");
            final PrefetchResult result = dataset.prefetch(new long[] {4, 5}).get(10, TimeUnit.SECONDS);
            assertEquals(new PrefetchResult(Tier.HOST, 2, 2, 0, 0), result);
            for (final long key : new long[] {4, 5})
            {
                try (EntryHandle handle = cache.get(key))
                {
                    assertEquals(Tier.HOST, handle.tier(), "key " + key);
                }
            }
            try (EntryHandle handle = cache.get(3))
            {
                assertEquals(Tier.FILE, handle.tier(), "not prefetched");
            }
            assertThrows(IllegalArgumentException.class, () -> dataset.prefetch(new long[] {1}, Tier.DEVICE));
        }
    }

    @Test
    void prefetch_byDefault_raisesFileEntriesIntoL2_andLeavesL1AsItWas() throws ExecutionException, InterruptedException, TimeoutException
    {
        final Path file = dir.resolve("warm.tc");
        try (TierCache cache = small().file(file, 32 * MIB).persistOnClose(true).build())
        {
            for (long key = 0; key < 12; key++)
            {
                cache.put(key, image(key));
            }
        }
        try (TierCache cache = small().file(file, 32 * MIB).build();
             DatasetCache dataset = DatasetCache.builder(cache).build())
        {
            assertEquals(12, cache.stats().level(Tier.FILE).entries(), "reopened: everything is in L3");
            for (long key = 0; key < 4; key++)
            {
                cache.getOnDevice(key).close();
            }
            final long[] all = keys(12);
            final List<Long> inL1 = keysIn(cache, all, Tier.DEVICE);
            assertEquals(List.of(0L, 1L, 2L, 3L), inL1);

            final PrefetchResult result = dataset.prefetch(new long[] {6, 7, 8, 9, 0, 1, 40}).get(10, TimeUnit.SECONDS);
            assertEquals(inL1, keysIn(cache, all, Tier.DEVICE), "L1's residents are the same");
            assertEquals(List.of(6L, 7L, 8L, 9L), keysIn(cache, all, Tier.HOST), "the L3 entries asked for are in L2");
            assertEquals(List.of(4L, 5L, 10L, 11L), keysIn(cache, all, Tier.FILE), "the others stay in L3");
            assertEquals(new PrefetchResult(Tier.HOST, 7, 6, 1, 0), result, "at L2 or above: the four raised and the two in L1");
        }
    }

    private static List<Long> keysIn(final TierCache cache, final long[] keys, final Tier tier)
    {
        final List<Long> in = new ArrayList<>();
        for (final long key : keys)
        {
            if (cache.tierOf(key) == tier)
            {
                in.add(key);
            }
        }
        return in;
    }

    @Test
    void statistics_arePrintedEveryNBatches()
    {
        final StringWriter text = new StringWriter();
        try (TierCache cache = small().build();
             DatasetCache dataset = DatasetCache.builder(cache).statsEvery(new PrintWriter(text), 2, 0).build();
             Arena arena = Arena.ofConfined())
        {
            dataset.preload(keys(4), DatasetCacheTest::image);
            final MemorySegment destination = arena.allocate(ENTRY_BYTES);
            for (long key = 0; key < 5; key++)
            {
                dataset.getBatch(new long[] {key % 4}, destination, null);
            }
            assertEquals(5, dataset.statsReporter().batches());
        }
        final String printed = text.toString();
        assertTrue(printed.contains("[stats] batch 2,"), printed);
        assertTrue(printed.contains("[stats] batch 4,"), printed);
        assertFalse(printed.contains("[stats] batch 5,"), printed);
        assertTrue(printed.contains("L1 (device) - Usage: "), printed);
        assertTrue(printed.contains("L3 (file) - Usage: "), printed);
    }

    @Test
    void progressBar_rendersRateAndEta()
    {
        final String line = ProgressBar.line("preload", 50, 200, 50 * MIB, 2_000_000_000L);
        assertEquals("preload [######------------------]  50/200  25% 25.0 items/s 25.0 MiB/s ETA 0:06", line);
        final StringWriter text = new StringWriter();
        final ProgressBar bar = new ProgressBar(new PrintWriter(text), false);
        for (int done = 1; done <= 20; done++)
        {
            bar.onProgress("load", done, 20, done, 1_000_000L * done);
        }
        bar.onDone("load", 20, 20, 20, 20_000_000L, "complete");
        final String[] lines = text.toString().split("\n");
        assertEquals(12, lines.length, text.toString());
        assertEquals("load: complete", lines[11]);
    }

    @Test
    void options_areValidated()
    {
        try (TierCache cache = small().build())
        {
            assertThrows(IllegalArgumentException.class, () -> DatasetCache.builder(cache).fillFraction(0).build());
            assertThrows(IllegalArgumentException.class, () -> DatasetCache.builder(cache).fillFraction(1.5).build());
            try (DatasetCache dataset = DatasetCache.builder(cache).build())
            {
                assertThrows(IllegalArgumentException.class, () -> dataset.preload(keys(1), DatasetCacheTest::image, -1));
                assertThrows(IllegalArgumentException.class, () -> DatasetCache.missedIndex(5));
                assertNotNull(dataset.cache());
            }
        }
    }

    /** Records each callback as a line. */
    private record RecordingListener(List<String> lines) implements ProgressListener
    {
        @Override
        public void onProgress(final String task, final long done, final long total, final long bytes, final long elapsedNanos)
        {
            lines.add("progress " + done + "/" + total);
        }

        @Override
        public void onDone(final String task, final long done, final long total, final long bytes, final long elapsedNanos, final String outcome)
        {
            lines.add("done " + done + "/" + total + ": " + outcome);
        }
    }
}
