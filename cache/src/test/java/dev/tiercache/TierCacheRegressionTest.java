package dev.tiercache;

import dev.tiercache.cuda.CudaLibrary;
import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Regression tests for six defects of the core, each reproduced through the public API (plus the
 * package-private test counters and test-side writes to the L3 file). Every value is derived from
 * its key and a version ({@link #value}), so a read that returns another key's bytes, or a stale
 * version, is caught by {@link #verify} whatever level served it.
 *
 * <p>Defects guarded, one section each below:
 * <ol>
 *   <li>a promotion whose room-making reclaims the L3 region of the entry being promoted returns the
 *       freed slot, and the read serves whatever was written at that offset since;</li>
 *   <li>a corrupt L3 entry read at the promotion threshold is removed twice and {@code get} throws;</li>
 *   <li>{@code getOnDevice} racing the mover's copy leaks {@code FLAG_MOVING}: the entry is never
 *       evicted or demoted again;</li>
 *   <li>the mover commits an L2 to L1 move only when it holds the only lease, so an entry that is
 *       being read never reaches L1;</li>
 *   <li>{@link EntryHandle#segment} views outlive the handle's lease;</li>
 *   <li>{@code contains} ignores the TTL, and a {@code put} that throws has already dropped the old
 *       value.</li>
 * </ol>
 */
class TierCacheRegressionTest
{
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long POLL_NANOS = 3_000_000_000L;
    /** The first bytes of a value: key, version, length. */
    private static final int HEADER = 24;

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

    /**
     * A value that names its key, version and length in its first 24 bytes and is filled from a
     * generator seeded by key and version, so any read can be checked on its own.
     */
    static MemorySegment value(final long key, final long version, final long length)
    {
        final MemorySegment segment = Arena.ofAuto().allocate(length, 64);
        segment.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, key);
        segment.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, version);
        segment.set(ValueLayout.JAVA_LONG_UNALIGNED, 16, length);
        final SplittableRandom random = new SplittableRandom(key * 1_000_003 + version);
        for (long i = HEADER; i < length; i++)
        {
            segment.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
        }
        return segment;
    }

    /**
     * Checks a read against the value put for {@code key} at {@code version}.
     *
     * @return null when it is that value, else what it is instead.
     */
    static String verify(final long key, final long version, final long length, final MemorySegment read)
    {
        if (read.byteSize() != length)
        {
            return "key " + key + ": read " + read.byteSize() + " bytes, put " + length;
        }
        final long readKey = read.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        final long readVersion = read.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
        if (readKey != key || readVersion != version)
        {
            return "key " + key + " v" + version + ": read the bytes of key " + readKey + " v" + readVersion;
        }
        final long mismatch = read.mismatch(value(key, version, length));
        return mismatch == -1 ? null : "key " + key + " v" + version + ": bytes differ from offset " + mismatch;
    }

    private static MemorySegment copyOut(final EntryHandle handle)
    {
        final MemorySegment out = Arena.ofAuto().allocate(Math.max(1, handle.byteSize()), 64).asSlice(0, handle.byteSize());
        handle.copyTo(0, out);
        return out;
    }

    private static void pause(final long millis)
    {
        LockSupport.parkNanos(millis * 1_000_000L);
    }

    // ------------------------------------------------------------------------------------------
    // 1. a promotion that reclaims its own L3 region
    // ------------------------------------------------------------------------------------------

    /**
     * Three L3 regions of 256 KiB (two 100 KiB entries each), an L2 of two or three entries, LRU,
     * no compression: every read of an L3 entry at the promotion threshold demotes an L2 victim
     * into L3, and that append reclaims the oldest region, which is the region of the entry being
     * read whenever it was the oldest.
     */
    private TierCache.Builder reclaimingOwnRegion(final long hostBytes, final int promoteToHostAfter)
    {
        return TierCache.builder().useGpu(false).hostBytes(hostBytes).hostPolicy("lru")
            .file(dir.resolve("l3.tc"), 3 * 256 * KIB).fileRegionBytes(256 * KIB).compression(false)
            .promoteToHostAfter(promoteToHostAfter).persistOnClose(false).maxEntries(256);
    }

    private static final long RECLAIM_ENTRY_BYTES = 100 * KIB;
    private static final int RECLAIM_KEYS = 10;

    /**
     * Defect 1: {@code get} returned another key's bytes. {@code locate} promotes an L3 hit at the
     * threshold; making room in L2 demotes a victim into L3; that append reclaims the region of the
     * entry being promoted, which leaves the index; {@code locate} still returned the freed slot and
     * {@code readFromFile} read the victim just written at the same file offset (seen: {@code get(0)}
     * answering tier FILE with key 6's payload). Where nothing had been written at the freed
     * offset yet (the 200 KiB L2), the read found no entry there, counted it as corrupt and removed
     * the freed slot a second time: {@code IllegalStateException: slot=… is free}. Every hit must
     * be the bytes put for its key; a dropped entry is a miss.
     */
    @ParameterizedTest(name = "hostBytes={0} promoteToHostAfter={1}")
    @CsvSource({"204800, 1", "262144, 1", "307200, 1", "262144, 2"})
    void get_afterPromotionReclaimsItsOwnRegion_neverReturnsAnotherKeysBytes(final long hostBytes, final int promoteToHostAfter)
    {
        try (TierCache cache = reclaimingOwnRegion(hostBytes, promoteToHostAfter).build())
        {
            for (long key = 0; key < RECLAIM_KEYS; key++)
            {
                cache.put(key, value(key, 1, RECLAIM_ENTRY_BYTES));
            }
            final List<String> wrong = new ArrayList<>();
            for (int pass = 0; pass < 3; pass++)
            {
                for (long key = 0; key < RECLAIM_KEYS; key++)
                {
                    try (EntryHandle handle = cache.get(key))
                    {
                        if (handle != null)
                        {
                            final String problem = verify(key, 1, RECLAIM_ENTRY_BYTES, handle.segment(0));
                            if (problem != null)
                            {
                                wrong.add("pass " + pass + " " + handle.tier() + " " + problem);
                            }
                        }
                    }
                }
            }
            assertTrue(wrong.isEmpty(), () -> "hits with the wrong bytes (" + cache.fileRegionsReclaimed() + " regions reclaimed): " + wrong);
        }
    }

    /**
     * Defect 1 through {@code getInto}: its L3 path read the freed slot's location straight into
     * the caller's memory, copying the victim written there.
     */
    @ParameterizedTest(name = "hostBytes={0} promoteToHostAfter={1}")
    @CsvSource({"204800, 1", "262144, 1", "307200, 1", "262144, 2"})
    void getInto_afterPromotionReclaimsItsOwnRegion_neverCopiesAnotherKeysBytes(final long hostBytes, final int promoteToHostAfter)
    {
        try (TierCache cache = reclaimingOwnRegion(hostBytes, promoteToHostAfter).build();
             Arena arena = Arena.ofConfined())
        {
            for (long key = 0; key < RECLAIM_KEYS; key++)
            {
                cache.put(key, value(key, 1, RECLAIM_ENTRY_BYTES));
            }
            final MemorySegment out = arena.allocate(RECLAIM_ENTRY_BYTES, 64);
            final List<String> wrong = new ArrayList<>();
            for (int pass = 0; pass < 3; pass++)
            {
                for (long key = 0; key < RECLAIM_KEYS; key++)
                {
                    out.fill((byte) 0);
                    final long copied = cache.getInto(key, out);
                    if (copied != TierCache.MISS)
                    {
                        final String problem = verify(key, 1, RECLAIM_ENTRY_BYTES, out.asSlice(0, copied));
                        if (problem != null)
                        {
                            wrong.add("pass " + pass + " " + problem);
                        }
                    }
                }
            }
            assertTrue(wrong.isEmpty(), () -> "getInto copied the wrong bytes: " + wrong);
        }
    }

    /**
     * Defect 1 through {@code get(key, handle)}: the reused handle was armed on the freed slot.
     */
    @ParameterizedTest(name = "hostBytes={0} promoteToHostAfter={1}")
    @CsvSource({"204800, 1", "262144, 1", "307200, 1", "262144, 2"})
    void getWithHandle_afterPromotionReclaimsItsOwnRegion_neverArmsAnotherKeysBytes(final long hostBytes, final int promoteToHostAfter)
    {
        try (TierCache cache = reclaimingOwnRegion(hostBytes, promoteToHostAfter).build())
        {
            for (long key = 0; key < RECLAIM_KEYS; key++)
            {
                cache.put(key, value(key, 1, RECLAIM_ENTRY_BYTES));
            }
            final EntryHandle handle = new EntryHandle();
            final List<String> wrong = new ArrayList<>();
            for (int pass = 0; pass < 3; pass++)
            {
                for (long key = 0; key < RECLAIM_KEYS; key++)
                {
                    if (cache.get(key, handle))
                    {
                        try (handle)
                        {
                            final String problem = verify(key, 1, RECLAIM_ENTRY_BYTES, handle.segment(0));
                            if (problem != null)
                            {
                                wrong.add("pass " + pass + " " + handle.tier() + " " + problem);
                            }
                        }
                    }
                }
            }
            assertTrue(wrong.isEmpty(), () -> "the reused handle was armed on the wrong bytes: " + wrong);
        }
    }

    // ------------------------------------------------------------------------------------------
    // 2. a corrupt L3 entry at the promotion threshold
    // ------------------------------------------------------------------------------------------

    private static final long CORRUPT_ENTRY_BYTES = 100 * KIB;

    /**
     * L2 of one 100 KiB entry: putting key 2 demotes key 1 into L3, raw (no compression), so its
     * payload lies in the file as put.
     */
    private TierCache buildWithKeyOneInFile(final int promoteToHostAfter)
    {
        final TierCache cache = TierCache.builder().useGpu(false).hostBytes(150 * KIB).hostPolicy("lru")
            .file(dir.resolve("corrupt.tc"), 4 * 256 * KIB).fileRegionBytes(256 * KIB).compression(false)
            .promoteToHostAfter(promoteToHostAfter).persistOnClose(false).maxEntries(256).build();
        cache.put(1L, value(1, 1, CORRUPT_ENTRY_BYTES));
        cache.put(2L, value(2, 1, CORRUPT_ENTRY_BYTES));
        return cache;
    }

    /**
     * Flips a byte in the middle of key 1's payload in the L3 file, found by its bytes; the
     * cache's mapping shares the page cache, so the cache sees the change.
     */
    private void corruptKeyOnePayload(final Path file) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(file);
        final MemorySegment needle = value(1, 1, CORRUPT_ENTRY_BYTES).asSlice(0, 256);
        final MemorySegment haystack = MemorySegment.ofArray(bytes);
        long found = -1;
        for (long at = 0; at + needle.byteSize() <= bytes.length && found < 0; at += 8)
        {
            if (haystack.asSlice(at, needle.byteSize()).mismatch(needle) == -1)
            {
                found = at;
            }
        }
        assertTrue(found >= 0, "key 1's payload is not in " + file);
        final long target = found + CORRUPT_ENTRY_BYTES / 2;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.wrap(new byte[] {(byte) ~bytes[(int) target]}), target);
        }
    }

    /**
     * Defect 2: a corrupt L3 entry read at the promotion threshold made {@code get} throw
     * {@code IllegalStateException: slot=… is free}: the promotion dropped the slot, then the read
     * of the slot it still returned found the entry corrupt again and removed it a second time. A
     * corrupt entry must be a counted miss, never an exception.
     */
    @ParameterizedTest(name = "promoteToHostAfter={0}")
    @ValueSource(ints = {1, 2})
    void get_ofCorruptFileEntryAtPromotionThreshold_isACountedMiss(final int promoteToHostAfter) throws IOException
    {
        try (TierCache cache = buildWithKeyOneInFile(promoteToHostAfter))
        {
            for (int i = 1; i < promoteToHostAfter; i++)
            {
                try (EntryHandle handle = cache.get(1L))
                {
                    assertEquals(Tier.FILE, handle.tier());
                    assertNull(verify(1, 1, CORRUPT_ENTRY_BYTES, handle.segment(0)));
                }
            }
            corruptKeyOnePayload(dir.resolve("corrupt.tc"));
            final EntryHandle handle = cache.get(1L);
            if (handle != null)
            {
                handle.close();
                fail("a corrupt entry was returned as a hit in " + handle);
            }
            assertEquals(1, cache.stats().level(Tier.FILE).corruptSkipped(), () -> cache.stats().toString());
            assertFalse(cache.contains(1L));
            try (EntryHandle other = cache.get(2L))
            {
                assertNotNull(other);
                assertNull(verify(2, 1, CORRUPT_ENTRY_BYTES, copyOut(other)));
            }
        }
    }

    /**
     * Defect 2 through {@code getInto}: its L3 path hit the same double removal.
     */
    @ParameterizedTest(name = "promoteToHostAfter={0}")
    @ValueSource(ints = {1, 2})
    void getInto_ofCorruptFileEntryAtPromotionThreshold_isACountedMiss(final int promoteToHostAfter) throws IOException
    {
        try (TierCache cache = buildWithKeyOneInFile(promoteToHostAfter);
             Arena arena = Arena.ofConfined())
        {
            final MemorySegment out = arena.allocate(CORRUPT_ENTRY_BYTES, 64);
            for (int i = 1; i < promoteToHostAfter; i++)
            {
                assertEquals(CORRUPT_ENTRY_BYTES, cache.getInto(1L, out));
            }
            corruptKeyOnePayload(dir.resolve("corrupt.tc"));
            assertEquals(TierCache.MISS, cache.getInto(1L, out));
            assertEquals(1, cache.stats().level(Tier.FILE).corruptSkipped(), () -> cache.stats().toString());
            assertFalse(cache.contains(1L));
        }
    }

    /**
     * Defect 2 through {@code get(key, handle)}: a corrupt entry is {@code false}, and the handle
     * stays closed and reusable.
     */
    @ParameterizedTest(name = "promoteToHostAfter={0}")
    @ValueSource(ints = {1, 2})
    void getWithHandle_ofCorruptFileEntryAtPromotionThreshold_isACountedMiss(final int promoteToHostAfter) throws IOException
    {
        try (TierCache cache = buildWithKeyOneInFile(promoteToHostAfter))
        {
            final EntryHandle handle = new EntryHandle();
            for (int i = 1; i < promoteToHostAfter; i++)
            {
                assertTrue(cache.get(1L, handle));
                handle.close();
            }
            corruptKeyOnePayload(dir.resolve("corrupt.tc"));
            assertFalse(cache.get(1L, handle));
            assertFalse(handle.isOpen());
            assertEquals(1, cache.stats().level(Tier.FILE).corruptSkipped(), () -> cache.stats().toString());
            assertTrue(cache.get(2L, handle));
            try (handle)
            {
                assertNull(verify(2, 1, CORRUPT_ENTRY_BYTES, copyOut(handle)));
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // 3. getOnDevice racing the mover leaks FLAG_MOVING
    // ------------------------------------------------------------------------------------------

    private static final long RACED_BYTES = 1 * MIB;

    /**
     * The mx250 with a link of 100 MB/s, so a 1 MiB copy takes about 10 ms: the window in which
     * {@code getOnDevice} overtakes the mover's copy is wide enough to hit every time.
     */
    private static SimulatedDeviceProfile slowLink()
    {
        final SimulatedDeviceProfile p = SimulatedDeviceProfile.MX250;
        return new SimulatedDeviceProfile(p.name(), p.initError(), p.deviceCount(), p.computeMajor(), p.computeMinor(), p.totalBytes(),
            p.reservedBytes(), p.multiProcessorCount(), p.memoryClockKHz(), p.memoryBusWidthBits(), p.clockKHz(), p.asyncEngineCount(),
            1.0e8, p.linkLatencyNanos(), p.runtimeVersion(), p.driverVersion(), p.pciBusId());
    }

    /**
     * Makes key {@code key} (in L2) due for L1, waits until the mover has started its copy (the
     * simulator counts the {@code cudaMemcpyAsync}), and then brings the key to L1 with
     * {@code getOnDevice} while that copy is still on the link. The mover then finds the entry
     * moved and gives its target back.
     */
    private void raceGetOnDeviceWithTheMover(final TierCache cache, final long key, final long length)
    {
        final long copiesBefore = sim.callCount("cudaMemcpyAsync");
        try (EntryHandle handle = cache.get(key))
        {
            assertEquals(Tier.HOST, handle.tier());
        }
        final long deadline = System.nanoTime() + POLL_NANOS;
        while (sim.callCount("cudaMemcpyAsync") == copiesBefore && System.nanoTime() - deadline < 0)
        {
            Thread.onSpinWait();
        }
        assertTrue(sim.callCount("cudaMemcpyAsync") > copiesBefore, "the mover never started promoting key " + key);
        try (EntryHandle handle = cache.getOnDevice(key))
        {
            assertEquals(Tier.DEVICE, handle.tier());
            assertNull(verify(key, 1, length, copyOut(handle)));
        }
    }

    /**
     * Defect 3: {@code FLAG_MOVING} leaked when {@code getOnDevice} moved an entry while the mover
     * was copying it: the mover clears the flag only when it finds the entry where it left it, so
     * the entry stayed flagged in L1 for good and eviction skipped it. Here L1 (2.5 MiB) holds the
     * raced 1 MiB entry; bringing a 2 MiB entry to L1 must evict it, with no handle open. On the
     * defect this failed with "L1 has no room for key=…: every resident entry is leased".
     */
    @Test
    void getOnDevice_afterRacingTheMoversCopy_canStillEvictTheRacedEntry()
    {
        sim.reset(slowLink());
        sim.emulateLink(true);
        try (TierCache cache = TierCache.builder().deviceBytes(2 * MIB + 512 * KIB).hostBytes(8 * MIB).devicePolicy("lru")
            .hostPolicy("lru").promoteToDeviceAfter(1).maxEntries(256).build())
        {
            assertTrue(cache.hasDevice());
            cache.put(1L, value(1, 1, RACED_BYTES));
            cache.put(2L, value(2, 1, 2 * MIB));
            raceGetOnDeviceWithTheMover(cache, 1L, RACED_BYTES);
            final EntryHandle big = cache.getOnDevice(2L);
            try (big)
            {
                assertEquals(Tier.DEVICE, big.tier());
                assertNull(verify(2, 1, 2 * MIB, copyOut(big)));
            }
            try (EntryHandle raced = cache.get(1L))
            {
                assertNotNull(raced, "the raced entry was evicted one level down, not dropped");
                assertEquals(Tier.HOST, raced.tier());
                assertNull(verify(1, 1, RACED_BYTES, raced.segment(0)));
            }
        }
    }

    /**
     * Defect 3, the idle symptom: an entry left flagged by the race was never demoted again, so it
     * held L1 however long it sat unused. With idle demotion after 300 ms the raced entry must
     * leave L1 (it is polled through the statistics, which count no access).
     */
    @Test
    void idleDemotion_afterGetOnDeviceRacedTheMover_stillDemotesTheEntry()
    {
        sim.reset(slowLink());
        sim.emulateLink(true);
        try (TierCache cache = TierCache.builder().deviceBytes(4 * MIB).hostBytes(8 * MIB).devicePolicy("lru").hostPolicy("lru")
            .promoteToDeviceAfter(1).demoteAfterIdle(java.time.Duration.ofMillis(300)).cleanupInterval(java.time.Duration.ofMillis(5)).maxEntries(256).build())
        {
            cache.put(1L, value(1, 1, RACED_BYTES));
            raceGetOnDeviceWithTheMover(cache, 1L, RACED_BYTES);
            final long deadline = System.nanoTime() + POLL_NANOS;
            while (cache.stats().level(Tier.DEVICE).entries() > 0 && System.nanoTime() - deadline < 0)
            {
                pause(10);
            }
            assertEquals(0, cache.stats().level(Tier.DEVICE).entries(), () -> "the idle entry stayed in L1: " + cache.stats());
        }
    }

    // ------------------------------------------------------------------------------------------
    // 4. hot entries are never promoted
    // ------------------------------------------------------------------------------------------

    private static final long HOT_BYTES = 64 * KIB;

    private static TierCache.Builder hotEntryCache()
    {
        return TierCache.builder().deviceBytes(4 * MIB).hostBytes(4 * MIB).devicePolicy("lru").hostPolicy("lru")
            .promoteToDeviceAfter(2).maxEntries(256);
    }

    /**
     * Polls {@code get(key)} until it answers from L1, each answer verified.
     *
     * @return the last tier seen.
     */
    private static Tier pollUntilOnDevice(final TierCache cache, final long key, final long length)
    {
        Tier tier = null;
        final long deadline = System.nanoTime() + POLL_NANOS;
        while (tier != Tier.DEVICE && System.nanoTime() - deadline < 0)
        {
            try (EntryHandle handle = cache.get(key))
            {
                assertNotNull(handle);
                tier = handle.tier();
                assertNull(verify(key, 1, length, copyOut(handle)));
            }
            pause(2);
        }
        return tier;
    }

    /**
     * Defect 4: the mover committed an L2 to L1 move only when its own lease was the only one, so
     * an entry with a reader's handle open lost every race and was never promoted. With one lease
     * held open throughout, the entry must reach L1, and the open lease must keep reading its
     * bytes, unchanged, from where it took them.
     */
    @Test
    void promotion_ofAnEntryWithAnOpenLease_reachesDeviceAndTheLeaseStaysReadable()
    {
        try (TierCache cache = hotEntryCache().build())
        {
            cache.put(7L, value(7, 1, HOT_BYTES));
            try (EntryHandle held = cache.get(7L))
            {
                assertEquals(Tier.HOST, held.tier());
                final MemorySegment view = held.segment(0);
                assertEquals(Tier.DEVICE, pollUntilOnDevice(cache, 7L, HOT_BYTES),
                    () -> "never promoted while a lease was open; moves aborted=" + cache.movesAborted() + " " + cache.stats());
                assertEquals(Tier.HOST, held.tier());
                assertNull(verify(7, 1, HOT_BYTES, view));
                assertNull(verify(7, 1, HOT_BYTES, copyOut(held)));
            }
            try (EntryHandle after = cache.get(7L))
            {
                assertEquals(Tier.DEVICE, after.tier());
                assertNull(verify(7, 1, HOT_BYTES, copyOut(after)));
            }
        }
    }

    /**
     * Defect 4 with a reader thread that always holds a lease: it takes the next handle before it
     * closes the previous one, verifying each, as a data loader's prefetch does. The entry must
     * still reach L1, and no reader ever sees other bytes.
     */
    @Test
    void promotion_ofAnEntryReadContinuouslyByAnotherThread_reachesDevice() throws InterruptedException
    {
        try (TierCache cache = hotEntryCache().build())
        {
            cache.put(7L, value(7, 1, HOT_BYTES));
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicReference<String> readerProblem = new AtomicReference<>();
            // the reader's first lease is taken here, so no access can make the key due before a lease is open
            final EntryHandle first = cache.get(7L);
            final Thread reader = new Thread(() ->
            {
                EntryHandle previous = first;
                try
                {
                    while (!stop.get() && readerProblem.get() == null)
                    {
                        final EntryHandle next = cache.get(7L);
                        final String problem = next == null ? "key 7 missed" : verify(7, 1, HOT_BYTES, copyOut(next));
                        if (problem != null)
                        {
                            readerProblem.set(problem);
                        }
                        previous.close();
                        previous = next;
                    }
                }
                catch (final RuntimeException ex)
                {
                    readerProblem.set(ex.toString());
                }
                finally
                {
                    if (previous != null)
                    {
                        previous.close();
                    }
                }
            }, "hot-reader");
            reader.start();
            final Tier tier;
            try
            {
                tier = pollUntilOnDevice(cache, 7L, HOT_BYTES);
            }
            finally
            {
                stop.set(true);
                reader.join(10_000);
            }
            assertFalse(reader.isAlive(), "the reader did not stop");
            assertNull(readerProblem.get());
            assertEquals(Tier.DEVICE, tier, () -> "never promoted while being read; moves aborted=" + cache.movesAborted() + " " + cache.stats());
        }
    }

    // ------------------------------------------------------------------------------------------
    // 5. views outlive their lease
    // ------------------------------------------------------------------------------------------

    /**
     * Defect 5, L2 hit: {@code segment(part)} was a slice of L2's arena, so it still read after
     * {@code close()}, whatever the space held by then. A view must die with its lease.
     */
    @Test
    void segment_ofAnL2Hit_afterClose_throws()
    {
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(4 * MIB).maxEntries(256).build())
        {
            cache.put(3L, value(3, 1, 64 * KIB));
            final MemorySegment view;
            try (EntryHandle handle = cache.get(3L))
            {
                assertEquals(Tier.HOST, handle.tier());
                view = handle.segment(0);
                assertNull(verify(3, 1, 64 * KIB, view));
            }
            assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    /**
     * Defect 5, L3 hit: the read of an L3 entry lands in a staging block of L2's arena when there
     * is room, and the view of that block outlived the handle, which freed the block. Entries above
     * L2's largest entry stay in L3, and L2 is empty, so the staging block is used.
     */
    @Test
    void segment_ofAnL3Hit_afterClose_throws()
    {
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(4 * MIB).maxEntryBytes(Tier.HOST, 32 * KIB)
            .file(dir.resolve("views.tc"), 4 * MIB).fileRegionBytes(1 * MIB).persistOnClose(false).maxEntries(256).build())
        {
            assertEquals(Tier.FILE, cache.put(4L, value(4, 1, 64 * KIB)));
            final MemorySegment view;
            try (EntryHandle handle = cache.get(4L))
            {
                assertEquals(Tier.FILE, handle.tier());
                view = handle.segment(0);
                assertNull(verify(4, 1, 64 * KIB, view));
            }
            assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    /**
     * Defect 5, reused handle: a view taken from a handle armed by {@code get(key, handle)} must
     * die when the handle closes, and must not come back to life, or read the next key's bytes,
     * when the handle is armed again.
     */
    @Test
    void segment_ofAReusedHandle_afterCloseAndRearm_throws()
    {
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(4 * MIB).maxEntries(256).build())
        {
            cache.put(5L, value(5, 1, 64 * KIB));
            cache.put(6L, value(6, 1, 64 * KIB));
            final EntryHandle handle = new EntryHandle();
            assertTrue(cache.get(5L, handle));
            final MemorySegment view = handle.segment(0);
            assertNull(verify(5, 1, 64 * KIB, view));
            handle.close();
            assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_BYTE, 0));
            assertTrue(cache.get(6L, handle));
            try (handle)
            {
                assertNull(verify(6, 1, 64 * KIB, handle.segment(0)));
                assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_BYTE, 0));
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // 6. contains and TTL; a failed put
    // ------------------------------------------------------------------------------------------

    /**
     * Defect 6a: {@code contains} ignored the TTL and answered true for an expired entry until the
     * mover's cleanup dropped it (here never: the cleanup interval is an hour), while {@code get}
     * already missed it. An expired entry is not cached.
     */
    @Test
    void contains_afterTtlExpired_isFalse_forLongAndStringKeys()
    {
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(4 * MIB).ttl(java.time.Duration.ofMillis(20))
            .cleanupInterval(java.time.Duration.ofHours(1)).maxEntries(256).build())
        {
            cache.put(1L, value(1, 1, 4 * KIB));
            cache.put("one", Part.blob(value(1, 2, 4 * KIB)));
            pause(100);
            assertFalse(cache.contains(1L), "long key past its TTL");
            assertFalse(cache.contains("one"), "String key past its TTL");
            assertNull(cache.get(1L));
            assertNull(cache.get("one"));
        }
    }

    /**
     * Defect 6b: {@code put} removed the old entry of its key before it looked for room, so a put
     * that then threw for want of room had already lost the old value. Here L2 (1 MiB) is full of
     * leased entries, and the new value (512 KiB) is larger than an L3 region takes (or there is no
     * L3): the put must fail and leave the old value intact and readable.
     */
    @ParameterizedTest(name = "withFile={0}")
    @ValueSource(booleans = {false, true})
    void put_thatFindsNoRoom_leavesTheOldValueReadable(final boolean withFile)
    {
        final TierCache.Builder builder = TierCache.builder().useGpu(false).hostBytes(1 * MIB).hostPolicy("lru").maxEntries(256);
        if (withFile)
        {
            builder.file(dir.resolve("put.tc"), 1 * MIB).fileRegionBytes(256 * KIB).persistOnClose(false);
        }
        try (TierCache cache = builder.build())
        {
            final long oldBytes = 240 * KIB;
            assertEquals(Tier.HOST, cache.put(0L, value(0, 1, oldBytes)));
            final List<EntryHandle> held = new ArrayList<>();
            try
            {
                for (long key = 1; key <= 3; key++)
                {
                    assertEquals(Tier.HOST, cache.put(key, value(key, 1, oldBytes)));
                    held.add(cache.get(key));
                }
                assertThrows(RuntimeException.class, () -> cache.put(0L, value(0, 2, 512 * KIB)));
                try (EntryHandle old = cache.get(0L))
                {
                    assertNotNull(old, "the failed put dropped the old value");
                    assertNull(verify(0, 1, oldBytes, old.segment(0)));
                }
                final MemorySegment out = Arena.ofAuto().allocate(oldBytes);
                assertEquals(oldBytes, cache.getInto(0L, out));
                assertNull(verify(0, 1, oldBytes, out));
                for (long key = 1; key <= 3; key++)
                {
                    assertNull(verify(key, 1, oldBytes, held.get((int) key - 1).segment(0)));
                }
            }
            finally
            {
                held.forEach(EntryHandle::close);
            }
        }
    }
}
