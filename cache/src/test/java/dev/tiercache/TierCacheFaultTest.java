package dev.tiercache;

import dev.tiercache.cuda.CudaError;
import dev.tiercache.cuda.sim.SimulatedCuda;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

import static dev.tiercache.TierCacheRegressionTest.value;
import static dev.tiercache.TierCacheRegressionTest.verify;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * CUDA failures injected at every point a move touches the device: the copy itself
 * ({@code cudaMemcpyAsync}), the event that marks its end ({@code cudaEventRecord}) and the wait
 * on it ({@code cudaEventSynchronize}), during the mover's promotion to L1, during the demotion out
 * of L1 that makes room, and during {@code getOnDevice} from L2 and from L3. After each, every
 * level's books must agree with the entries present (what a failed move reserved is given back),
 * every entry still present reads its own bytes, and closing frees every native resource.
 */
@org.junit.jupiter.api.extension.ExtendWith(dev.tiercache.testing.SimulatedMx250.class)
class TierCacheFaultTest
{
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long LENGTH = 64 * KIB;
    private static final int KEYS = 40;

    @TempDir
    Path dir;

    private SimulatedCuda sim;

    /** After the extension installed and reset the simulated device. */
    @org.junit.jupiter.api.BeforeEach
    void device()
    {
        sim = SimulatedCuda.current();
    }



    private TierCache open()
    {
        // L1 holds 16 entries, L2 64; the rest go to L3; the mover idles between tests' steps
        return TierCache.builder().deviceBytes(1 * MIB).hostBytes(4 * MIB).file(dir.resolve("l3.tc"), 16 * MIB)
            .fileRegionBytes(1 * MIB).maxEntries(1024).build();
    }

    private static void fill(final TierCache cache)
    {
        for (int key = 0; key < KEYS; key++)
        {
            cache.put(key, value(key, 1, LENGTH));
        }
    }

    /** Brings keys [0, 16) to L1, so that the next getOnDevice must demote one. */
    private static void fillDevice(final TierCache cache)
    {
        for (int key = 0; key < 16; key++)
        {
            cache.getOnDevice(key).close();
        }
    }

    /**
     * Waits until the books agree (moves in flight hold reservations for a moment); a leak never
     * agrees, and the last difference is the failure message.
     */
    static void assertBooksAgree(final TierCache cache)
    {
        String differs = cache.accountingMismatch();
        for (int i = 0; i < 200 && !differs.isEmpty(); i++)
        {
            LockSupport.parkNanos(10_000_000L);
            differs = cache.accountingMismatch();
        }
        assertEquals("", differs, "what the levels hold against the entries present");
    }

    private static void assertEveryEntryReadsItsOwnBytes(final TierCache cache)
    {
        for (int key = 0; key < KEYS; key++)
        {
            try (EntryHandle handle = cache.get(key))
            {
                if (handle != null)
                {
                    final MemorySegment out = Arena.ofAuto().allocate(handle.byteSize(), 64);
                    handle.copyTo(0, out);
                    assertNull(verify(key, 1, LENGTH, out));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} fails during getOnDevice with a demotion")
    @CsvSource({"cudaMemcpyAsync", "cudaEventRecord", "cudaEventSynchronize"})
    void failedCopiesDuringGetOnDevice_giveBackWhatTheyReserved(final String function)
    {
        try (TierCache cache = open())
        {
            fill(cache);
            fillDevice(cache);
            assertBooksAgree(cache);
            for (int round = 0; round < 10; round++)
            {
                final long key = 16 + round;
                // the n-th call falls on the demotion's copy out of L1 or on the promotion's copy in
                sim.failNthCall(function, 1 + round % 2, CudaError.UNKNOWN.code());
                try (EntryHandle handle = cache.getOnDevice(key))
                {
                    assertEquals(Tier.DEVICE, handle.tier());
                }
                catch (final IllegalStateException ex)
                {
                    assertTrue(ex.getMessage().contains("key=" + key), ex.getMessage());
                    assertTrue(ex.getMessage().contains("cudaErrorUnknown"), ex.getMessage());
                }
                sim.clearFaults();
                assertBooksAgree(cache);
            }
            assertEveryEntryReadsItsOwnBytes(cache);
            assertBooksAgree(cache);
        }
    }

    @ParameterizedTest(name = "{0} fails during getOnDevice of an L3 entry")
    @CsvSource({"cudaMemcpyAsync", "cudaEventRecord", "cudaEventSynchronize"})
    void failedCopiesFromL3_giveBackTheirStaging(final String function)
    {
        try (TierCache cache = open())
        {
            fill(cache);
            for (int key = KEYS; key < 100; key++)
            {
                cache.put(key, value(key, 1, LENGTH));
            }
            for (int round = 0; round < 10; round++)
            {
                sim.failNthCall(function, 1, CudaError.UNKNOWN.code());
                final long key = round;
                final IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> cache.getOnDevice(key).close());
                assertTrue(thrown.getMessage().contains("key=" + key) && thrown.getMessage().contains("cudaErrorUnknown"),
                    thrown.getMessage());
                assertBooksAgree(cache);
            }
            assertEveryEntryReadsItsOwnBytes(cache);
        }
    }

    @ParameterizedTest(name = "{0} fails during the mover's promotion")
    @CsvSource({"cudaMemcpyAsync", "cudaEventRecord", "cudaEventSynchronize"})
    void failedMoverPromotions_giveBackWhatTheyReserved(final String function)
    {
        try (TierCache cache = open())
        {
            fill(cache);
            fillDevice(cache);
            for (int round = 0; round < 10; round++)
            {
                sim.failNthCall(function, 1, CudaError.UNKNOWN.code());
                final long key = 16 + round;
                for (int i = 0; i < 8; i++)
                {
                    // hits queue a promotion for the mover, which demotes an L1 victim first
                    cache.get(key).close();
                }
                LockSupport.parkNanos(20_000_000L);
                assertBooksAgree(cache);
            }
            sim.clearFaults();
            assertEveryEntryReadsItsOwnBytes(cache);
            assertBooksAgree(cache);
        }
    }

    @Test
    void aFailedCopyOutOfL1_namesTheKeyAndTheError_andClosingTheHandleDoesNotThrow()
    {
        try (TierCache cache = open())
        {
            cache.put(1L, value(1, 1, LENGTH));
            final EntryHandle handle = cache.getOnDevice(1L);
            sim.failNthCall("cudaMemcpyAsync", 1, CudaError.UNKNOWN.code());
            final MemorySegment out = Arena.ofAuto().allocate(LENGTH, 64);
            final IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> handle.copyTo(0, out));
            assertTrue(thrown.getMessage().contains("key=1") && thrown.getMessage().contains("cudaErrorUnknown"), thrown.getMessage());
            sim.failNthCall("cudaEventSynchronize", 1, CudaError.UNKNOWN.code());
            assertThrows(IllegalStateException.class, () -> handle.readAsFloat(0, Arena.ofAuto().allocate(LENGTH * 4), 1f, 0f));
            assertDoesNotThrow(handle::close);
            assertDoesNotThrow(handle::close);
            sim.clearFaults();
            try (EntryHandle again = cache.get(1L))
            {
                again.copyTo(0, out);
                assertNull(verify(1, 1, LENGTH, out));
            }
            assertBooksAgree(cache);
        }
    }

    @Test
    void aFailingFirstCopyToL1_saysWhatFailed_notThatEntriesAreLeased()
    {
        try (TierCache cache = open())
        {
            cache.put(1L, value(1, 1, LENGTH));
            sim.failNthCall("cudaMemcpyAsync", 1, CudaError.UNKNOWN.code());
            final IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> cache.getOnDevice(1L));
            if (thrown.getMessage().contains("leased"))
            {
                fail("blames leases for a failed copy: " + thrown.getMessage());
            }
            assertTrue(thrown.getMessage().contains("key=1") && thrown.getMessage().contains("cudaErrorUnknown"), thrown.getMessage());
            try (EntryHandle handle = cache.getOnDevice(1L))
            {
                assertEquals(Tier.DEVICE, handle.tier());
            }
            assertBooksAgree(cache);
        }
    }

    @Test
    void aCopyThatMayStillRun_keepsItsTargetOutOfUse_andNothingElseIsHarmed()
    {
        try (TierCache cache = open())
        {
            fill(cache);
            // the wait fails and so does every drain of the stream: the copy may still be running
            sim.failNthCall("cudaEventSynchronize", 1, CudaError.UNKNOWN.code());
            sim.failNextCalls("cudaStreamSynchronize", 2, CudaError.UNKNOWN.code());
            final IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> cache.getOnDevice(3L));
            assertTrue(thrown.getMessage().contains("may still be running") && thrown.getMessage().contains("key=3"), thrown.getMessage());
            sim.clearFaults();
            assertEquals(LENGTH, cache.quarantinedBytes());
            assertBooksAgree(cache);
            // the broken lane was replaced: every later copy works, on every lane
            for (int key = 0; key < 16; key++)
            {
                try (EntryHandle handle = cache.getOnDevice(key))
                {
                    final MemorySegment out = Arena.ofAuto().allocate(LENGTH, 64);
                    handle.copyTo(0, out);
                    assertNull(verify(key, 1, LENGTH, out));
                }
            }
            assertEveryEntryReadsItsOwnBytes(cache);
            assertBooksAgree(cache);
        }
    }

    @ParameterizedTest(name = "{0} fails during write-back at close")
    @CsvSource({"cudaMemcpyAsync", "cudaEventSynchronize"})
    void aFailedWriteBack_stillClosesEverything_thenSaysWhatWasLost(final String function)
    {
        final TierCache cache = open();
        fill(cache);
        fillDevice(cache);
        final int mover = moverThreads();
        sim.failNthCall(function, 1, CudaError.UNKNOWN.code());
        final IllegalStateException thrown = assertThrows(IllegalStateException.class, cache::close);
        assertTrue(thrown.getMessage().contains("1 entries (" + LENGTH + " bytes) could not be written back"), thrown.getMessage());
        assertTrue(thrown.getMessage().contains("cudaErrorUnknown") || thrown.getCause() == null, thrown.getMessage());
        // closed for good: puts refused, the mover stopped, device and pinned memory and streams freed
        assertThrows(IllegalStateException.class, () -> cache.put(1L, value(1, 2, LENGTH)));
        assertDoesNotThrow(cache::close);
        assertEquals(mover - 1, moverThreads(), "the mover thread ended");
        assertEquals("", sim.outstandingDescription(), "native resources left after a failed close");
        // the file lock is free: the next open finds every entry but the one lost
        try (TierCache again = open())
        {
            int found = 0;
            for (int key = 0; key < KEYS; key++)
            {
                found += again.contains(key) ? 1 : 0;
            }
            assertEquals(KEYS - 1, found);
            assertEveryEntryReadsItsOwnBytes(again);
        }
    }

    @Test
    void aFileShrunkUnderTheCache_turnsL3OffWithTheReason_inTheStatistics() throws Exception
    {
        final Path file = dir.resolve("l3.tc");
        try (TierCache cache = TierCache.builder().deviceBytes(0).hostBytes(256 << 10).file(file, 16 * MIB).fileRegionBytes(1 * MIB)
            .maxEntries(1024).persistOnClose(false).build())
        {
            for (int key = 0; key < KEYS; key++)
            {
                cache.put(key, value(key, 1, LENGTH));
            }
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE))
            {
                channel.truncate(4096);
            }
            for (int i = 0; i < 50 && cache.stats().level(Tier.FILE).enabled(); i++)
            {
                LockSupport.parkNanos(2_000_000L);
                for (int key = 0; key < KEYS; key++)
                {
                    try (EntryHandle handle = cache.get(key))
                    {
                        if (handle != null && handle.tier() == Tier.FILE)
                        {
                            final MemorySegment out = Arena.ofAuto().allocate(handle.byteSize(), 64);
                            handle.copyTo(0, out);
                            assertNull(verify(key, 1, LENGTH, out));
                        }
                    }
                }
            }
            final LevelStats l3 = cache.stats().level(Tier.FILE);
            assertTrue(!l3.enabled() && l3.disabledReason().startsWith("failed: "), l3.toString());
            assertTrue(l3.toString().contains("was truncated to length=4096"), l3.toString());
        }
    }

    private static int moverThreads()
    {
        int movers = 0;
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            movers += thread.isAlive() && thread.getName().equals("tiercache-mover") ? 1 : 0;
        }
        return movers;
    }
}
