package dev.tiercache;

import dev.tiercache.cuda.CudaLibrary;
import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Threads hammering one cache with mixed operations for a bounded time, every read verified byte
 * for byte. Each value carries its key, a version and a length in its first 24 bytes and is filled
 * from a generator seeded by those, so any read can be checked on its own: it must be the value of
 * the key it was read under, intact, whatever level it came from.
 */
class TierCacheConcurrencyTest
{
    private static final long KIB = 1024;
    private static final int THREADS = 4;
    private static final int KEYS = 48;
    private static final long RUN_NANOS = Long.getLong("tiercache.stress.millis", 3_000) * 1_000_000L;

    @TempDir
    Path dir;

    @BeforeEach
    void setUp()
    {
        CudaLibrary.location();
        SimulatedCuda.current().reset(SimulatedDeviceProfile.MX250);
    }

    @AfterEach
    void noLeaks()
    {
        assertEquals("", SimulatedCuda.current().outstandingDescription());
    }

    static MemorySegment value(final long key, final long version, final int length)
    {
        final MemorySegment segment = Arena.ofAuto().allocate(length);
        segment.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, key);
        segment.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, version);
        segment.set(ValueLayout.JAVA_LONG_UNALIGNED, 16, length);
        final SplittableRandom random = new SplittableRandom(key * 31 + version);
        for (long i = 24; i < length; i++)
        {
            segment.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
        }
        return segment;
    }

    static String verify(final long key, final MemorySegment read)
    {
        if (read.byteSize() < 24)
        {
            return "key " + key + ": " + read.byteSize() + " bytes is shorter than a header";
        }
        final long storedKey = read.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        final long version = read.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
        final long length = read.get(ValueLayout.JAVA_LONG_UNALIGNED, 16);
        if (storedKey != key || length != read.byteSize())
        {
            return "key " + key + ": read a value of key " + storedKey + " length " + length + " in " + read.byteSize() + " bytes";
        }
        final long mismatch = value(key, version, (int) length).mismatch(read);
        return mismatch == -1 ? null : "key " + key + " version " + version + ": byte " + mismatch + " differs";
    }

    @Test
    void mixedOperationsFromManyThreads_neverReadWrongBytes() throws InterruptedException
    {
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final AtomicLong reads = new AtomicLong();
        final AtomicLong verifiedHits = new AtomicLong();
        final long seed = Long.getLong("tiercache.seed", System.nanoTime());
        System.out.println("seed=" + seed);
        try (TierCache cache = TierCache.builder()
            .deviceBytes(512 * KIB)
            .hostBytes(1024 * KIB)
            .file(dir.resolve("stress.tc"), 8 * 1024 * KIB)
            .fileRegionBytes(512 * KIB)
            .maxEntries(1024)
            .promoteToDeviceAfter(2)
            .cleanupInterval(java.time.Duration.ofMillis(1))
            .build())
        {
            runThreads("stress-", seed, failures, (t, random, versionBase) ->
            {
                long version = versionBase;
                final long deadline = System.nanoTime() + RUN_NANOS;
                final MemorySegment into = Arena.ofAuto().allocate(256 * KIB);
                while (System.nanoTime() < deadline && failures.isEmpty())
                {
                    final long key = random.nextInt(KEYS);
                    final int roll = random.nextInt(100);
                    if (roll < 30)
                    {
                        final int length = 24 + (random.nextInt(4) == 0 ? random.nextInt((int) (200 * KIB)) : random.nextInt(4096));
                        cache.put(key, value(key, version++, length));
                    }
                    else if (roll < 70)
                    {
                        try (EntryHandle handle = cache.get(key))
                        {
                            reads.incrementAndGet();
                            if (handle != null)
                            {
                                final MemorySegment copy = Arena.ofAuto().allocate(handle.byteSize());
                                handle.copyTo(0, copy);
                                final String problem = verify(key, copy);
                                if (problem != null)
                                {
                                    failures.add("get from " + handle.tier() + ": " + problem);
                                }
                                verifiedHits.incrementAndGet();
                            }
                        }
                    }
                    else if (roll < 85)
                    {
                        final long n = cache.getInto(key, into);
                        reads.incrementAndGet();
                        if (n != TierCache.MISS)
                        {
                            final String problem = verify(key, into.asSlice(0, n));
                            if (problem != null)
                            {
                                failures.add("getInto: " + problem);
                            }
                            verifiedHits.incrementAndGet();
                        }
                    }
                    else if (roll < 92)
                    {
                        try (EntryHandle handle = cache.getOnDevice(key))
                        {
                            if (handle != null)
                            {
                                final MemorySegment copy = Arena.ofAuto().allocate(handle.byteSize());
                                handle.copyTo(0, copy);
                                final String problem = verify(key, copy);
                                if (problem != null)
                                {
                                    failures.add("getOnDevice: " + problem);
                                }
                            }
                        }
                        catch (final IllegalStateException | IllegalArgumentException noRoom)
                        {
                            // every L1 resident leased or the entry larger than L1: an answer, not a failure
                        }
                    }
                    else
                    {
                        cache.remove(key);
                    }
                }
            });
            System.out.println(cache.stats());
            System.out.println("reads=" + reads + " verified hits=" + verifiedHits);
            assertTrue(failures.isEmpty(), "seed=" + seed + ": " + failures.stream().limit(5).toList());
            assertTrue(verifiedHits.get() > 100, "too few hits to mean anything: " + verifiedHits);
        }
    }

    /**
     * Readers hold leases (handles and views) across the writers' replacements and removals and
     * the mover's promotions, and read them again after a pause: the bytes under a lease must not
     * change. Afterwards, with every lease closed, a {@code clear()} must leave L1 and L2 empty:
     * a retired slot whose last pin a reader dropped, or a move's reservation, that were never
     * freed would show as used bytes here.
     */
    @Test
    void leasedBytesSurviveConcurrentMoves_andClearLeavesNothingBehind() throws InterruptedException
    {
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final AtomicLong rechecked = new AtomicLong();
        final long seed = Long.getLong("tiercache.seed", System.nanoTime());
        System.out.println("seed=" + seed);
        try (TierCache cache = TierCache.builder()
            .deviceBytes(256 * KIB)
            .hostBytes(512 * KIB)
            .file(dir.resolve("leases.tc"), 4 * 1024 * KIB)
            .fileRegionBytes(256 * KIB)
            .maxEntries(256)
            .promoteToDeviceAfter(1)
            .promoteToHostAfter(1)
            .cleanupInterval(java.time.Duration.ofMillis(1))
            .build())
        {
            runThreads("lease-", seed, failures, (t, random, versionBase) ->
            {
                final boolean writer = t == 0;
                long version = versionBase;
                final long deadline = System.nanoTime() + RUN_NANOS / 2;
                while (System.nanoTime() < deadline && failures.isEmpty())
                {
                    final long key = random.nextInt(16);
                    if (writer)
                    {
                        if (random.nextInt(10) == 0)
                        {
                            cache.remove(key);
                        }
                        else
                        {
                            cache.put(key, value(key, version++, 24 + random.nextInt((int) (48 * KIB))));
                        }
                        continue;
                    }
                    try (EntryHandle handle = random.nextBoolean() ? cache.get(key) : getOnDeviceOrNull(cache, key))
                    {
                        if (handle == null)
                        {
                            continue;
                        }
                        final MemorySegment first = Arena.ofAuto().allocate(handle.byteSize());
                        handle.copyTo(0, first);
                        final MemorySegment view = handle.tier() == Tier.DEVICE ? null : handle.segment(0);
                        Thread.sleep(0, random.nextInt(500_000));
                        final MemorySegment again = Arena.ofAuto().allocate(handle.byteSize());
                        handle.copyTo(0, again);
                        final String problem = verify(key, first);
                        if (problem != null || first.mismatch(again) != -1 || (view != null && view.mismatch(first) != -1))
                        {
                            failures.add("lease on key " + key + " in " + handle.tier() + ": " +
                                (problem != null ? problem : "its bytes changed while it was open"));
                        }
                        rechecked.incrementAndGet();
                    }
                }
            });
            assertTrue(failures.isEmpty(), "seed=" + seed + ": " + failures.stream().limit(5).toList());
            assertTrue(rechecked.get() > 100, "too few leases to mean anything: " + rechecked);
            // a move still in flight gives its reservation back when it finds its entry gone
            CacheStats stats = cache.stats();
            for (int wait = 0; wait < 200; wait++)
            {
                cache.clear();
                stats = cache.stats();
                if (stats.level(Tier.DEVICE).usedBytes() == 0 && stats.level(Tier.HOST).usedBytes() == 0)
                {
                    break;
                }
                Thread.sleep(10);
            }
            System.out.println("leases rechecked=" + rechecked + "\n" + stats);
            assertEquals(0, cache.size());
            assertEquals(0, stats.level(Tier.DEVICE).usedBytes(), "L1 bytes left after clear: " + stats);
            assertEquals(0, stats.level(Tier.HOST).usedBytes(), "L2 bytes left after clear: " + stats);
        }
    }

    /** One stress thread's work; a throw is recorded as a failure. */
    @FunctionalInterface
    interface Worker
    {
        void run(int thread, SplittableRandom random, long versionBase) throws Exception;
    }

    /**
     * Starts {@link #THREADS} threads at once, each with its own seeded generator and version range,
     * and waits for them; whatever one throws becomes a failure naming the thread.
     */
    private static void runThreads(final String prefix, final long seed, final Queue<String> failures, final Worker worker)
        throws InterruptedException
    {
        final CountDownLatch start = new CountDownLatch(1);
        final List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++)
        {
            final int thread = t;
            threads.add(Thread.ofPlatform().name(prefix + t).start(() ->
            {
                try
                {
                    start.await();
                    worker.run(thread, new SplittableRandom(seed + thread), (long) thread << 40);
                }
                catch (final Throwable ex)
                {
                    failures.add(Thread.currentThread().getName() + ": " + ex);
                }
            }));
        }
        start.countDown();
        for (final Thread thread : threads)
        {
            thread.join();
        }
    }

    private static EntryHandle getOnDeviceOrNull(final TierCache cache, final long key)
    {
        try
        {
            return cache.getOnDevice(key);
        }
        catch (final IllegalStateException | IllegalArgumentException noRoom)
        {
            return null;
        }
    }
}
