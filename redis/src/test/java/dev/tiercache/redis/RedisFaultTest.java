package dev.tiercache.redis;

import dev.tiercache.EntryHandle;
import dev.tiercache.RemoteSettings;
import dev.tiercache.RemoteStats;
import dev.tiercache.TierCache;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static dev.tiercache.redis.L4Fixtures.assertEntry;
import static dev.tiercache.redis.L4Fixtures.cache;
import static dev.tiercache.redis.L4Fixtures.content;
import static dev.tiercache.redis.L4Fixtures.parts;
import static dev.tiercache.redis.L4Fixtures.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** L4 when its server dies, stops, comes back, and under load: off with a reason, never in the way. */
class RedisFaultTest
{
    private static void await(final String what, final BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                fail("not within 20 s: " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void serverKilled_turnsL4OffWithAReason_readsMissWithoutAsking_andARestartBringsItBack() throws Exception
    {
        try (RedisServers servers = new RedisServers())
        {
            final RedisServers.Server server = servers.start();
            final RemoteSettings remote = settings(server.uri(), "killed");
            try (TierCache writer = cache(remote); TierCache reader = cache(remote))
            {
                writer.put(1, parts(1, 1000));
                writer.flushRemote(Duration.ofSeconds(10));
                server.kill();
                assertNull(reader.get(1), "the server is gone: a miss");
                final RemoteStats off = reader.remoteStats();
                assertFalse(off.on(), off.toString());
                assertTrue(off.offReason() != null && off.offReason().contains(String.valueOf(server.port)), off.offReason());
                assertEquals(1, off.turnedOff());
                final long asked = off.roundTrips();
                for (long key = 2; key < 50; key++)
                {
                    assertNull(reader.get(key));
                    writer.put(key, parts(key, 100)); // dropped, never waited for
                }
                assertEquals(asked, reader.remoteStats().roundTrips(), "while off, reads do not call the server");
                // the writer thread finds the server gone on its own time, then drops what waits
                await("the writer's queued writes dropped", () -> writer.remoteStats().dropped() > 0 && !writer.remoteStats().on());
                assertEntry(writer, 2, 100); // the levels above work as ever

                server.start(); // same port, empty: a restart that lost its data
                await("L4 back on", () -> reader.remoteStats().on() && writer.remoteStats().on());
                writer.put(100, parts(100, 777));
                writer.flushRemote(Duration.ofSeconds(10));
                assertEntry(reader, 100, 777);
                assertEquals(1, reader.remoteStats().hits());
            }
        }
    }

    @Test
    void serverStopped_callsEndAtTheTimeout_L4TurnsOff_andComesBackWhenTheServerRuns() throws Exception
    {
        try (RedisServers servers = new RedisServers())
        {
            final RedisServers.Server server = servers.start();
            final RemoteSettings remote = settings(server.uri(), "stopped").withTimeout(Duration.ofMillis(200));
            try (TierCache writer = cache(remote); TierCache reader = cache(remote))
            {
                writer.put(1, parts(1, 1000));
                writer.flushRemote(Duration.ofSeconds(10));
                server.signal("STOP");
                try
                {
                    assertNull(reader.get(1), "a stopped server: a miss once the call times out");
                    final RemoteStats off = reader.remoteStats();
                    assertFalse(off.on(), off.toString());
                    assertTrue(off.offReason().toLowerCase(java.util.Locale.ROOT).contains("time"), off.offReason());
                    writer.put(2, parts(2, 100));
                    await("the writer's L4 off too", () -> !writer.remoteStats().on());
                }
                finally
                {
                    server.signal("CONT");
                }
                await("L4 back on", () -> reader.remoteStats().on() && writer.remoteStats().on());
                assertEntry(reader, 1, 1000);
            }
        }
    }

    @Test
    void serverDownAtStart_cacheOpensWithL4Off_andTakesItWhenTheServerComes() throws Exception
    {
        try (RedisServers servers = new RedisServers())
        {
            final RedisServers.Server server = servers.start();
            server.kill();
            try (TierCache cache = cache(settings(server.uri(), "late")))
            {
                assertFalse(cache.remoteStats().on());
                assertTrue(cache.remoteStats().offReason().startsWith("cannot connect"), cache.remoteStats().offReason());
                cache.put(1, parts(1, 10));
                server.start();
                await("L4 on", () -> cache.remoteStats().on());
            }
        }
    }

    @Test
    void eightThreads_readAndWriteThroughL4_everyByteRight_andCloseLeavesNoThreadOrConnection() throws Exception
    {
        try (RedisServers servers = new RedisServers())
        {
            final RedisServers.Server server = servers.start();
            final RemoteSettings remote = settings(server.uri(), "load").withTimeout(Duration.ofSeconds(2));
            final int before = connectedClients(server);
            final List<String> threadsBefore = l4Threads();
            final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            try (TierCache writer = cache(remote); TierCache reader = cache(remote, 8L << 20))
            {
                final int keys = 400;
                for (long key = 0; key < keys; key++)
                {
                    writer.put(key, parts(key, lengthOf(key)));
                }
                assertTrue(writer.flushRemote(Duration.ofSeconds(30)));
                final CountDownLatch start = new CountDownLatch(1);
                final List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < 8; t++)
                {
                    final long seed = 1234 + t;
                    threads.add(Thread.ofPlatform().start(() -> {
                        final SplittableRandom random = new SplittableRandom(seed);
                        try
                        {
                            start.await();
                            for (int op = 0; op < 1500; op++)
                            {
                                final long key = random.nextInt(keys);
                                if (random.nextInt(10) == 0)
                                {
                                    reader.put(key, parts(key, lengthOf(key))); // same key, same bytes: immutable
                                    continue;
                                }
                                try (EntryHandle handle = reader.get(key))
                                {
                                    if (handle == null)
                                    {
                                        throw new AssertionError("seed=" + seed + " op=" + op + ": key=" + key + " missed");
                                    }
                                    final byte[] read = new byte[(int) handle.byteSize()];
                                    handle.copyTo(0, MemorySegment.ofArray(read));
                                    if (!java.util.Arrays.equals(content(key, lengthOf(key)), read))
                                    {
                                        throw new AssertionError("seed=" + seed + " op=" + op + ": key=" + key + " returned wrong bytes");
                                    }
                                }
                            }
                        }
                        catch (final Throwable ex)
                        {
                            failures.add(ex);
                        }
                    }));
                }
                start.countDown();
                for (final Thread thread : threads)
                {
                    thread.join();
                }
                assertTrue(failures.isEmpty(), () -> failures.size() + " failures, first: " + failures.peek());
                final RemoteStats stats = reader.remoteStats();
                assertTrue(stats.hits() > keys / 2, stats.toString()); // L2 of 8 MiB holds a fraction: L4 serves the rest
                assertEquals(0, stats.corrupt());
                assertEquals(0, stats.errors(), stats.toString());
            }
            assertEquals(threadsBefore, l4Threads(), "L4 threads left after close");
            final int after = connectedClients(server);
            assertEquals(before, after, "connections left open after close");
        }
    }

    private static int lengthOf(final long key)
    {
        return 1000 + (int) (key * 7919 % 60_000);
    }

    private static List<String> l4Threads()
    {
        final List<String> names = new ArrayList<>();
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (thread.getName().endsWith("-l4") || thread.getName().contains("commons-pool") || thread.getName().contains("jedis"))
            {
                names.add(thread.getName());
            }
        }
        names.sort(null);
        return names;
    }

    /** Clients connected to the server, not counting the redis-cli that asks. */
    private static int connectedClients(final RedisServers.Server server) throws Exception
    {
        for (final String line : server.cli("info", "clients").split("\n"))
        {
            if (line.startsWith("connected_clients:"))
            {
                return Integer.parseInt(line.substring("connected_clients:".length()).trim()) - 1;
            }
        }
        throw new IllegalStateException("no connected_clients in INFO");
    }
}
