package dev.tiercache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static dev.tiercache.TierCacheRegressionTest.value;
import static dev.tiercache.TierCacheRegressionTest.verify;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The write side's reserve, copy, commit: a put's copy into L2, its L3 encoding and a demotion's
 * copy run with the writer lock left. Each test stops a writer in the middle of such a copy (the
 * package-private hook runs on the writer's thread once it has left the lock) and does there what
 * the old design would have blocked or broken: another put and a remove must complete, a remove of
 * the victim being copied must leave nothing behind, and a close must wait for the copy and then
 * release everything. None of this measures time: a writer that still held the lock would make the
 * other thread's operation never finish, which the join below reports.
 */
class TierCacheWritePathTest
{
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    /** How long the other thread may take for one operation; only a held lock makes it this long. */
    private static final long JOIN_SECONDS = 20;

    @TempDir
    Path dir;

    private TierCache.Builder cache(final long hostBytes)
    {
        return TierCache.builder().useGpu(false).hostBytes(hostBytes).hostPolicy("lru")
            .file(dir.resolve("l3.tc"), 16 * MIB).fileRegionBytes(4 * MIB).compression(true)
            .persistOnClose(false).maxEntries(256);
    }

    /**
     * Runs {@code action} on another thread and waits for it.
     *
     * @return the failure it threw, or null; a timeout is reported as a failure.
     */
    private static Throwable onAnotherThread(final Runnable action)
    {
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread thread = new Thread(() ->
        {
            try
            {
                action.run();
            }
            catch (final Throwable ex)
            {
                failure.set(ex);
            }
        }, "other-writer");
        thread.start();
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(JOIN_SECONDS));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return ex;
        }
        return thread.isAlive() ? new AssertionError("the other writer did not finish: the first one holds the lock during its copy") :
            failure.get();
    }

    private static String read(final TierCache cache, final long key, final long version, final long length)
    {
        try (EntryHandle handle = cache.get(key))
        {
            if (handle == null)
            {
                return "key " + key + " missing";
            }
            final MemorySegment out = Arena.ofAuto().allocate(length, 64);
            handle.copyTo(0, out);
            return verify(key, version, length, out);
        }
    }

    /**
     * A put stopped in its copy (into L2 for the small entry, the L3 encoding for the one larger
     * than L2) leaves the lock to others: a second put and a remove complete meanwhile, and both
     * puts are read back intact.
     */
    @ParameterizedTest(name = "entry={0} bytes")
    @CsvSource({"65536", "1572864"})
    void aPutStoppedInItsCopy_letsAnotherPutAndARemoveComplete(final long length)
    {
        try (TierCache cache = cache(MIB).build())
        {
            cache.put(99, value(99, 1, 4 * KIB));
            final AtomicBoolean armed = new AtomicBoolean(true);
            final AtomicReference<Throwable> other = new AtomicReference<>();
            cache.outsideLockHook(() ->
            {
                if (armed.getAndSet(false))
                {
                    other.set(onAnotherThread(() ->
                    {
                        cache.put(2, value(2, 1, 8 * KIB));
                        assertTrue(cache.remove(99));
                    }));
                }
            });
            cache.put(1, value(1, 1, length));
            cache.outsideLockHook(null);
            assertFalse(armed.get(), "the put never left the lock");
            assertNull(other.get(), () -> "the other writer failed: " + other.get());
            assertNull(read(cache, 1, 1, length));
            assertNull(read(cache, 2, 1, 8 * KIB));
            assertFalse(cache.contains(99));
            assertEquals(0, cache.writersOutside());
        }
    }

    /**
     * A demotion stopped while it encodes its victim for L3, and the victim removed meanwhile: the
     * demotion finds its slot gone, drops its L3 copy, and the victim's L2 space is freed by the
     * demotion's own unpin. After a clear, every level is empty: nothing reserved was kept.
     */
    @Test
    void aVictimRemovedWhileItsDemotionCopies_leavesNothingBehind()
    {
        final long length = 96 * KIB;
        try (TierCache cache = cache(256 * KIB).build())
        {
            cache.put(1, value(1, 1, length));
            cache.put(2, value(2, 1, length));
            final AtomicBoolean armed = new AtomicBoolean(true);
            final AtomicReference<Throwable> other = new AtomicReference<>();
            cache.outsideLockHook(() ->
            {
                if (armed.getAndSet(false))
                {
                    // the first copy of put(3) is the demotion of L2's LRU victim, key 1
                    other.set(onAnotherThread(() -> assertTrue(cache.remove(1))));
                }
            });
            assertEquals(Tier.HOST, cache.put(3, value(3, 1, length)));
            cache.outsideLockHook(null);
            assertNull(other.get(), () -> "the remove failed: " + other.get());
            assertFalse(cache.contains(1), "a removed key came back through its demotion");
            assertNull(read(cache, 2, 1, length));
            assertNull(read(cache, 3, 1, length));
            final CacheStats before = cache.stats();
            assertEquals(2, before.level(Tier.HOST).entries() + before.level(Tier.FILE).entries(), before::toString);
            cache.clear();
            final CacheStats after = cache.stats();
            assertEquals(0, cache.size());
            assertEquals(0, after.level(Tier.HOST).entries(), after::toString);
            assertEquals(0, after.level(Tier.HOST).usedBytes(), () -> "L2 keeps bytes after clear: " + after);
            assertEquals(0, after.level(Tier.FILE).entries(), after::toString);
            // L3's used bytes count removed entries until their region is reclaimed: count live ones
            assertEquals(0, cache.fileLiveEntries(), "L3 keeps a live entry after clear (the abandoned demotion's copy?)");
        }
    }

    /**
     * Back-pressure: L2 holds one entry, and its only resident is being demoted (its L3 encoding
     * stopped with the lock left). A second put that needs L2 finds no victim to evict; it must
     * wait for the demotion in flight (parked on the lock's condition) rather than give up on L2
     * at once. Once the demotion ends, both puts complete and every value reads back intact.
     */
    @Test
    void aPutIntoALevelWhoseResidentsAreAllBeingDemoted_waitsForTheDemotion()
    {
        final long length = 96 * KIB;
        try (TierCache cache = cache(128 * KIB).build())
        {
            assertEquals(Tier.HOST, cache.put(1, value(1, 1, length)));
            final AtomicBoolean armed = new AtomicBoolean(true);
            final AtomicReference<Thread.State> seen = new AtomicReference<>();
            final AtomicReference<Throwable> secondFailure = new AtomicReference<>();
            final AtomicReference<Tier> secondLanded = new AtomicReference<>();
            final Thread second = new Thread(() ->
            {
                try
                {
                    secondLanded.set(cache.put(3, value(3, 1, length)));
                }
                catch (final Throwable ex)
                {
                    secondFailure.set(ex);
                }
            }, "second-writer");
            cache.outsideLockHook(() ->
            {
                if (Thread.currentThread() != second && armed.getAndSet(false))
                {
                    // put(2) is demoting key 1 now: start put(3) and see what it does meanwhile
                    second.start();
                    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(JOIN_SECONDS);
                    while (second.getState() != Thread.State.TIMED_WAITING && second.isAlive() && System.nanoTime() - deadline < 0)
                    {
                        Thread.onSpinWait();
                    }
                    seen.set(second.getState());
                }
            });
            cache.put(2, value(2, 1, length));
            try
            {
                second.join(TimeUnit.SECONDS.toMillis(JOIN_SECONDS));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            cache.outsideLockHook(null);
            assertEquals(Thread.State.TIMED_WAITING, seen.get(),
                "the second put did not wait for the demotion in flight (TERMINATED: it gave up on L2 at once)");
            assertFalse(second.isAlive(), "the second put never finished");
            assertNull(secondFailure.get(), () -> "the second put failed: " + secondFailure.get());
            assertTrue(secondLanded.get() == Tier.HOST || secondLanded.get() == Tier.FILE, String.valueOf(secondLanded.get()));
            for (long key = 1; key <= 3; key++)
            {
                assertNull(read(cache, key, 1, length));
            }
            assertEquals(0, cache.writersOutside());
        }
    }

    /**
     * A close arriving while a put copies waits for the copy; the put then fails with the cache's
     * name and "closed", gives back what it reserved, and the close completes.
     */
    @Test
    void closeDuringAPutsCopy_waitsForIt_andThePutFailsCleanly() throws Exception
    {
        final TierCache cache = cache(MIB).build();
        final AtomicBoolean armed = new AtomicBoolean(true);
        final AtomicReference<Throwable> closeFailure = new AtomicReference<>();
        final AtomicBoolean closeReturnedEarly = new AtomicBoolean();
        final Thread closer = new Thread(() ->
        {
            try
            {
                cache.close();
            }
            catch (final Throwable ex)
            {
                closeFailure.set(ex);
            }
        }, "closer");
        cache.outsideLockHook(() ->
        {
            if (armed.getAndSet(false))
            {
                closer.start();
                // the closer waits for this writer; it parks (WAITING) and must not return
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(JOIN_SECONDS);
                while (closer.getState() != Thread.State.WAITING && closer.isAlive() && System.nanoTime() - deadline < 0)
                {
                    Thread.onSpinWait();
                }
                closeReturnedEarly.set(!closer.isAlive());
            }
        });
        final IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> cache.put(1, value(1, 1, 64 * KIB)));
        closer.join(TimeUnit.SECONDS.toMillis(JOIN_SECONDS));
        assertFalse(closeReturnedEarly.get(), "close returned while a writer was still copying into L2");
        assertFalse(closer.isAlive(), "close never returned");
        assertNull(closeFailure.get());
        assertTrue(thrown.getMessage().contains("closed"), thrown.getMessage());
        assertThrows(IllegalStateException.class, () -> cache.put(2, value(2, 1, KIB)));
    }
}
