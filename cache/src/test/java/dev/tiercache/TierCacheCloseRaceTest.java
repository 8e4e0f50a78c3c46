package dev.tiercache;

import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import dev.tiercache.testing.SimulatedMx250;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static dev.tiercache.TierCacheRegressionTest.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * What was removed stays removed across a close and a reopen, whatever was in flight when the
 * cache closed. A slot that {@code clear()} or {@code remove()} takes out while a move or a reader
 * holds it is freed by the last holder, and that free removes the key's L3 record; a close that
 * lost that free left the record live in the file, and the next open brought the removed key
 * back.
 */
@ExtendWith(SimulatedMx250.class)
class TierCacheCloseRaceTest
{
    private static final int KEYS = 12;

    @TempDir
    Path dir;

    /**
     * puts and gets that keep the mover promoting (L3 to L2 to L1, over a slowed link so its copies
     * are still running), then clear() and close() at once: no key may come back on reopen.
     * Before the fix a key came back within about ten rounds.
     */
    @Test
    void clearThenClose_withMovesInFlight_bringsNothingBack() throws Exception
    {
        final SimulatedCuda cuda = SimulatedCuda.current();
        final SimulatedDeviceProfile p = SimulatedDeviceProfile.MX250;
        cuda.reset(new SimulatedDeviceProfile(p.name() + "-slow-link", p.initError(), p.deviceCount(), p.computeMajor(), p.computeMinor(),
            p.totalBytes(), p.reservedBytes(), p.multiProcessorCount(), p.memoryClockKHz(), p.memoryBusWidthBits(), p.clockKHz(),
            p.asyncEngineCount(), p.linkBytesPerSecond() / 16, 50_000, p.runtimeVersion(), p.driverVersion(), p.pciBusId()));
        cuda.emulateLink(true);
        final long seed = Long.getLong("tiercache.seed", System.nanoTime());
        System.out.println("TierCacheCloseRaceTest seed=" + seed + " (replay with -Dtiercache.seed=" + seed + ")");
        final SplittableRandom random = new SplittableRandom(seed);
        final List<String> resurrected = new ArrayList<>();
        final int rounds = Integer.getInteger("tiercache.closeRaceRounds", 150);
        for (int round = 0; round < rounds && resurrected.isEmpty(); round++)
        {
            final Path file = dir.resolve("round-" + round + ".tc");
            try (Arena arena = Arena.ofConfined())
            {
                try (TierCache cache = open(file))
                {
                    for (int op = 0; op < 40; op++)
                    {
                        final int key = random.nextInt(KEYS);
                        final int kind = random.nextInt(10);
                        if (kind < 4)
                        {
                            final int size = random.nextInt(4) == 0 ? 12 + random.nextInt(100) : 20_000 + random.nextInt(130_000);
                            cache.put(key, arena.allocate(size).fill((byte) key));
                        }
                        else if (kind < 9)
                        {
                            final EntryHandle handle = cache.get(key);
                            if (handle != null)
                            {
                                handle.close();
                            }
                        }
                        else
                        {
                            Thread.sleep(0, random.nextInt(999_999));
                        }
                    }
                    cache.clear();
                }
                try (TierCache reopened = open(file))
                {
                    for (int key = 0; key < KEYS; key++)
                    {
                        try (EntryHandle handle = reopened.get(key))
                        {
                            if (handle != null)
                            {
                                resurrected.add("round " + round + " (seed " + seed + "): key " + key + " came back in " + handle.tier() +
                                    " with " + handle.byteSize() + " bytes");
                            }
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), resurrected);
    }

    /** A reader's handle open across remove() and close(): the removed key's L3 copy goes anyway. */
    @Test
    void aKeyRemovedWhileAHandleIsOpen_staysRemovedAfterCloseAndReopen()
    {
        final Path file = dir.resolve("held.tc");
        final TierCache cache = TierCache.builder().useGpu(false).hostBytes(1 << 20).file(file, 4 << 20).fileRegionBytes(1 << 20).build();
        cache.put(7L, value(7, 1, 4096));
        cache.put(8L, value(8, 1, 4096));
        cache.flush();
        final EntryHandle held = cache.get(7L);
        assertNotNull(held);
        assertEquals(true, cache.remove(7L));
        cache.close();
        held.close();
        try (TierCache reopened = TierCache.builder().useGpu(false).hostBytes(1 << 20).file(file, 4 << 20).fileRegionBytes(1 << 20).build())
        {
            assertNull(reopened.get(7L), "key 7 was removed before the close");
            try (EntryHandle kept = reopened.get(8L))
            {
                assertNotNull(kept, "key 8 was flushed and never removed");
            }
        }
    }

    private static TierCache open(final Path file)
    {
        return TierCache.builder().deviceBytes(393216).hostBytes(262144).file(file, 6 * 262144).fileRegionBytes(262144)
            .maxEntries(256).promoteToHostAfter(2).promoteToDeviceAfter(1).compression(true).hostPolicy("fifo").devicePolicy("default")
            .cleanupInterval(Duration.ofMillis(2)).build();
    }
}
