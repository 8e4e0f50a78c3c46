package dev.tiercache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

import static dev.tiercache.TierCacheRegressionTest.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The mover is a daemon that parks when there is nothing to do: an idle cache does not poll, and a
 * reader's access wakes it.
 */
@org.junit.jupiter.api.extension.ExtendWith(dev.tiercache.testing.SimulatedMx250.class)
class TierCacheMoverTest
{
    @TempDir
    Path dir;


    private static Thread mover()
    {
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (thread.getName().equals("tiercache-mover") && thread.isAlive())
            {
                return thread;
            }
        }
        throw new AssertionError("no mover thread");
    }

    @Test
    void theMoverIsADaemon_andAnIdleCacheParksInsteadOfPolling()
    {
        try (TierCache cache = TierCache.builder().hostBytes(4 << 20).maxEntries(256).build())
        {
            cache.put(1L, value(1, 1, 4096));
            final Thread mover = mover();
            assertTrue(mover.isDaemon(), "a forgotten close() must not keep the JVM alive");
            LockSupport.parkNanos(1_500_000_000L);
            final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            final long cpuBefore = threads.isThreadCpuTimeSupported() ? threads.getThreadCpuTime(mover.threadId()) : -1;
            final long parksBefore = cache.moverParks();
            final long started = System.nanoTime();
            LockSupport.parkNanos(2_000_000_000L);
            final long elapsed = System.nanoTime() - started;
            final long parks = cache.moverParks() - parksBefore;
            final long cpu = cpuBefore < 0 ? -1 : threads.getThreadCpuTime(mover.threadId()) - cpuBefore;
            System.out.printf("idle mover: %d parks in %.0f ms, %.2f ms of CPU per second%n", parks, elapsed / 1e6,
                cpu < 0 ? Double.NaN : cpu / 1e6 / (elapsed / 1e9));
            // polling every millisecond would be about a thousand wake-ups; the bounded park about five a second
            final long bound = elapsed / MoverIdle.MAX_PARK_NANOS + 5;
            assertTrue(parks <= bound, "the idle mover woke " + parks + " times in " + elapsed / 1_000_000 + " ms, more than " + bound);
        }
    }

    @Test
    void aReaderWakesTheParkedMover_whichPromotesAHotL3Entry()
    {
        try (TierCache cache = TierCache.builder().deviceBytes(0).hostBytes(1 << 20).file(dir.resolve("l3.tc"), 16 << 20)
            .fileRegionBytes(1 << 20).maxEntries(1024).build())
        {
            for (int key = 0; key < 400; key++)
            {
                cache.put(key, value(key, 1, 4096));
            }
            int inFile = -1;
            for (int key = 0; key < 400 && inFile < 0; key++)
            {
                try (EntryHandle handle = cache.get(key))
                {
                    inFile = handle.tier() == Tier.FILE ? key : -1;
                }
            }
            assertTrue(inFile >= 0, "some entry must be in L3");
            LockSupport.parkNanos(300_000_000L); // the mover parks
            Tier tier = Tier.FILE;
            for (int i = 0; i < 2000 && tier == Tier.FILE; i++)
            {
                try (EntryHandle handle = cache.get(inFile))
                {
                    tier = handle.tier();
                }
                LockSupport.parkNanos(1_000_000L);
            }
            assertEquals(Tier.HOST, tier, "a hot L3 entry is promoted by the woken mover");
        }
    }
}
