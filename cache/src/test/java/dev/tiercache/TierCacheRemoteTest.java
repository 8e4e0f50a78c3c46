package dev.tiercache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The core's side of L4 over a store in memory: the queue bound, off and on, write-behind on L3 eviction. */
class TierCacheRemoteTest
{
    private static final long KIB = 1024;

    @TempDir
    Path dir;

    private static byte[] content(final long key, final int length)
    {
        final byte[] bytes = new byte[length];
        new SplittableRandom(key).nextBytes(bytes);
        return bytes;
    }

    private static Part[] parts(final long key, final int length)
    {
        return new Part[] {Part.of(TensorSpec.bytes(length), content(key, length))};
    }

    private static void await(final String what, final BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                fail("not within 20 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    private static void assertEntry(final TierCache cache, final long key, final int length)
    {
        try (EntryHandle handle = cache.get(key))
        {
            assertNotNull(handle, "key " + key);
            final byte[] read = new byte[length];
            handle.copyTo(0, MemorySegment.ofArray(read));
            assertEquals(-1, MemorySegment.ofArray(read).mismatch(MemorySegment.ofArray(content(key, length))), "key " + key);
        }
    }

    @Test
    void aSlowServer_neverHoldsUpAPut_theQueueIsBoundedInBytes_andWhatDoesNotFitIsDroppedAndCounted() throws Exception
    {
        final InMemoryRemoteStore store = new InMemoryRemoteStore();
        final CountDownLatch gate = new CountDownLatch(1);
        store.setGate = gate;
        final RemoteSettings settings = RemoteSettings.of("mem://q", "queue").withQueueBytes(10 * KIB);
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(4 << 20).remote(settings, store).build())
        {
            cache.put(1, parts(1, 4096));
            await("the first write in flight", () -> store.sets.get() == 1);
            for (long key = 2; key <= 5; key++)
            {
                cache.put(key, parts(key, 4096)); // returns at once although the server is stuck
            }
            final RemoteStats stuck = cache.remoteStats();
            assertEquals(3, stuck.dropped(), stuck.toString());
            assertTrue(stuck.queuedBytes() > 8 * KIB && stuck.queuedBytes() <= 10 * KIB, stuck.toString());
            gate.countDown();
            assertTrue(cache.flushRemote(Duration.ofSeconds(10)));
            assertEquals(2, cache.remoteStats().writes());
            assertEquals(0, cache.remoteStats().queuedBytes());
        }
        assertTrue(store.closed, "the cache owns the store it was given and closes it");
    }

    @Test
    void turningOffWithAWriteInFlight_dropsTheQueue_andCountsItsBytesRight() throws Exception
    {
        final InMemoryRemoteStore store = new InMemoryRemoteStore();
        final CountDownLatch gate = new CountDownLatch(1);
        store.setGate = gate;
        final RemoteSettings settings = RemoteSettings.of("mem://f", "flight");
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(4 << 20).remote(settings, store).build())
        {
            cache.put(1, parts(1, 4096));
            await("the first write in flight", () -> store.sets.get() == 1);
            cache.put(2, parts(2, 4096));
            cache.put(3, parts(3, 4096));
            store.down = true;
            assertNull(cache.get(99)); // finds the server gone: off, the queue dropped
            assertFalse(cache.remoteStats().on());
            gate.countDown();
            await("the write in flight ended", () -> cache.remoteStats().queuedBytes() == 0);
            assertTrue(cache.remoteStats().dropped() >= 2, cache.remoteStats().toString());
            store.down = false;
            await("back on", () -> cache.remoteStats().on());
            cache.put(4, parts(4, 4096));
            assertTrue(cache.flushRemote(Duration.ofSeconds(10)));
            assertEquals(0, cache.remoteStats().queuedBytes());
            assertNotNull(store.values.get("tc:flight:l4"));
        }
    }

    @Test
    void anUnreachableServer_turnsL4Off_readsStopAsking_andItComesBackOnItsOwn() throws Exception
    {
        final InMemoryRemoteStore store = new InMemoryRemoteStore();
        final RemoteSettings settings = RemoteSettings.of("mem://o", "onoff");
        try (TierCache writer = TierCache.builder().useGpu(false).hostBytes(4 << 20).remote(settings, store).build())
        {
            writer.put(1, parts(1, 100));
            writer.flushRemote(Duration.ofSeconds(10));
            try (TierCache reader = TierCache.builder().useGpu(false).hostBytes(4 << 20).remote(settings, store).build())
            {
                store.down = true;
                assertNull(reader.get(1));
                assertFalse(reader.remoteStats().on());
                assertTrue(reader.remoteStats().offReason().contains("mem: unreachable"), reader.remoteStats().offReason());
                final int asked = store.gets.get();
                assertNull(reader.get(1));
                assertEquals(asked, store.gets.get(), "L4 is off: not asked");
                store.down = false;
                await("L4 back on", () -> reader.remoteStats().on());
                assertEntry(reader, 1, 100);
                assertEquals(1, reader.remoteStats().turnedOff());
            }
        }
    }

    @Test
    void writeOnEviction_sendsWhatL3Drops_withItsBytes() throws Exception
    {
        final InMemoryRemoteStore store = new InMemoryRemoteStore();
        final RemoteSettings settings = RemoteSettings.of("mem://e", "evict").withWriteBehind(false, true);
        final int keys = 200;
        final int length = 16 * (int) KIB;
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(256 * KIB).file(dir.resolve("l3.tc"), 1 << 20)
            .fileRegionBytes(256 * KIB).compression(false).persistOnClose(false).remote(settings, store).build())
        {
            for (long key = 0; key < keys; key++)
            {
                cache.put(key, parts(key, length));
            }
            assertTrue(cache.flushRemote(Duration.ofSeconds(10)));
            assertTrue(cache.fileRegionsReclaimed() > 0);
            assertTrue(cache.remoteStats().writes() > keys / 2, cache.remoteStats().toString());
        }
        final InMemoryRemoteStore copy = new InMemoryRemoteStore();
        copy.values.putAll(store.values);
        try (TierCache reader = TierCache.builder().useGpu(false).hostBytes(4 << 20).remote(settings, copy).build())
        {
            int read = 0;
            for (final String key : copy.values.keySet())
            {
                assertEntry(reader, Long.parseLong(key.substring("tc:evict:l".length())), length);
                read++;
            }
            assertTrue(read > keys / 2);
            assertEquals(read, reader.remoteStats().hits());
            assertEquals(0, reader.remoteStats().corrupt());
        }
    }

    @Test
    void withoutL4_nothingChanges()
    {
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(1 << 20).build())
        {
            assertFalse(cache.hasRemote());
            assertNull(cache.remoteStats());
            assertNull(cache.stats().remote());
            assertTrue(cache.flushRemote(Duration.ZERO));
            final boolean[] absent = new boolean[2];
            cache.put(1, parts(1, 10));
            assertEquals(0, cache.fetchFromRemote(new long[] {1, 2}, absent));
            assertFalse(absent[0]);
            assertTrue(absent[1]);
        }
    }
}
