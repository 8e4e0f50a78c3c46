package dev.tiercache.redis;

import dev.tiercache.TierCacheConfig;
import dev.tiercache.EntryHandle;
import dev.tiercache.Part;
import dev.tiercache.RemoteSettings;
import dev.tiercache.RemoteStats;
import dev.tiercache.TensorSpec;
import dev.tiercache.TierCache;
import dev.tiercache.dataset.DatasetCache;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.tiercache.redis.L4Fixtures.MIB;
import static dev.tiercache.redis.L4Fixtures.assertEntry;
import static dev.tiercache.redis.L4Fixtures.cache;
import static dev.tiercache.redis.L4Fixtures.content;
import static dev.tiercache.redis.L4Fixtures.parts;
import static dev.tiercache.redis.L4Fixtures.settings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** L4 on one real Redis server: round trips, namespaces, TTL, verification, batches, limits, secrets. */
class RedisStandaloneTest
{
    private static RedisServers servers;
    private static RedisServers.Server server;

    @BeforeAll
    static void startServer() throws Exception
    {
        servers = new RedisServers();
        server = servers.start();
    }

    @AfterAll
    static void stopServer() throws Exception
    {
        if (servers != null)
        {
            servers.close();
        }
    }

    private static Jedis direct()
    {
        return new Jedis(new HostAndPort("127.0.0.1", server.port), DefaultJedisClientConfig.builder().build());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4096, 1 << 20, 64 << 20})
    void entryPutOnOneCache_isReadFromL4ByAnother_everyByteEqual(final int length)
    {
        final RemoteSettings remote = settings(server.uri(), "roundtrip-" + length).withQueueBytes(2L * length + MIB);
        try (TierCache writer = cache(remote); TierCache reader = cache(remote))
        {
            writer.put(7, parts(7, length));
            assertTrue(writer.flushRemote(Duration.ofSeconds(30)), "write-behind did not finish");
            assertEquals(1, writer.remoteStats().writes(), writer.remoteStats().toString());
            assertEntry(reader, 7, length);
            final RemoteStats stats = reader.remoteStats();
            assertEquals(1, stats.hits(), stats.toString());
            assertEquals(0, stats.corrupt());
            assertTrue(stats.bytesIn() > length);
            assertEntry(reader, 7, length); // now local: L4 is not asked again
            assertEquals(1, reader.remoteStats().lookups());
        }
    }

    @Test
    void multiPartEntry_keepsSpecsAndBytes()
    {
        final RemoteSettings remote = settings(server.uri(), "multipart");
        final byte[] frames = content(1, 3 * 4 * 5);
        final byte[] heat = content(2, 2 * 7 * 2);
        try (TierCache writer = cache(remote); TierCache reader = cache(remote))
        {
            writer.put(42, Part.of(TensorSpec.of(dev.tiercache.DType.U8, 3, 4, 5), frames),
                Part.of(TensorSpec.of(dev.tiercache.DType.F16, 2, 7), heat));
            writer.flushRemote(Duration.ofSeconds(10));
            try (EntryHandle handle = reader.get(42))
            {
                assertNotNull(handle);
                assertEquals(2, handle.partCount());
                assertEquals(TensorSpec.of(dev.tiercache.DType.U8, 3, 4, 5), handle.spec(0));
                assertEquals(TensorSpec.of(dev.tiercache.DType.F16, 2, 7), handle.spec(1));
                final byte[] a = new byte[frames.length];
                final byte[] b = new byte[heat.length];
                handle.copyTo(0, MemorySegment.ofArray(a));
                handle.copyTo(1, MemorySegment.ofArray(b));
                assertArrayEquals(frames, a);
                assertArrayEquals(heat, b);
            }
        }
    }

    @Test
    void stringAndByteKeys_roundTrip_andDoNotMeetLongKeys()
    {
        final RemoteSettings remote = settings(server.uri(), "keys");
        try (TierCache writer = cache(remote); TierCache reader = cache(remote))
        {
            writer.put("sample/00017.jpg", parts(17, 1000));
            writer.put(new byte[] {1, 2, 3}, parts(18, 2000));
            writer.flushRemote(Duration.ofSeconds(10));
            try (EntryHandle s = reader.get("sample/00017.jpg"); EntryHandle b = reader.get(new byte[] {1, 2, 3}))
            {
                assertNotNull(s);
                assertNotNull(b);
                assertEquals(1000, s.byteSize());
                assertEquals(2000, b.byteSize());
            }
            assertNull(reader.get(17L));
            assertNull(reader.get("sample/00017.jpg "));
        }
    }

    @Test
    void namespaces_neverShareEntries()
    {
        try (TierCache v1 = cache(settings(server.uri(), "dataset.v1")); TierCache v2 = cache(settings(server.uri(), "dataset.v2")))
        {
            v1.put(1, parts(1, 100));
            v1.flushRemote(Duration.ofSeconds(10));
            assertNull(v2.get(1));
            assertEquals(1, v2.remoteStats().lookups());
            assertEquals(0, v2.remoteStats().hits());
            try (Jedis jedis = direct())
            {
                assertNotNull(jedis.get("tc:dataset.v1:l1".getBytes(StandardCharsets.US_ASCII)));
                assertNull(jedis.get("tc:dataset.v2:l1".getBytes(StandardCharsets.US_ASCII)));
            }
        }
    }

    @Test
    void ttl_isSetOnTheValue_andAnExpiredValueIsAMiss() throws Exception
    {
        final RemoteSettings remote = settings(server.uri(), "ttl").withTtl(Duration.ofMillis(400));
        try (TierCache writer = cache(remote); TierCache reader = cache(remote))
        {
            writer.put(5, parts(5, 64));
            writer.flushRemote(Duration.ofSeconds(10));
            try (Jedis jedis = direct())
            {
                final long pttl = jedis.pttl("tc:ttl:l5".getBytes(StandardCharsets.US_ASCII));
                assertTrue(pttl > 0 && pttl <= 400, "pttl=" + pttl);
                while (jedis.exists("tc:ttl:l5".getBytes(StandardCharsets.US_ASCII)))
                {
                    Thread.sleep(50);
                }
            }
            assertNull(reader.get(5));
        }
    }

    @Test
    void corruptValues_areCountedMisses_neverReturned()
    {
        final RemoteSettings remote = settings(server.uri(), "corrupt");
        try (TierCache writer = cache(remote))
        {
            for (long key = 1; key <= 4; key++)
            {
                writer.put(key, parts(key, 5000));
            }
            writer.flushRemote(Duration.ofSeconds(10));
        }
        try (Jedis jedis = direct())
        {
            final byte[] k1 = "tc:corrupt:l1".getBytes(StandardCharsets.US_ASCII);
            final byte[] flipped = jedis.get(k1);
            flipped[flipped.length - 100] ^= 0x10; // one payload bit
            jedis.set(k1, flipped);
            final byte[] k2 = "tc:corrupt:l2".getBytes(StandardCharsets.US_ASCII);
            final byte[] cut = jedis.get(k2);
            jedis.set(k2, java.util.Arrays.copyOf(cut, cut.length - 1));
            jedis.set("tc:corrupt:l3".getBytes(StandardCharsets.US_ASCII), "not a tiercache value".getBytes(StandardCharsets.US_ASCII));
            // key 4's value moved under key 5: verified, but another key's
            jedis.set("tc:corrupt:l5".getBytes(StandardCharsets.US_ASCII), jedis.get("tc:corrupt:l4".getBytes(StandardCharsets.US_ASCII)));
        }
        try (TierCache reader = cache(remote))
        {
            assertNull(reader.get(1));
            assertNull(reader.get(2));
            assertNull(reader.get(3));
            assertNull(reader.get(5));
            assertEntry(reader, 4, 5000);
            final RemoteStats stats = reader.remoteStats();
            assertEquals(4, stats.corrupt(), stats.toString());
            assertEquals(1, stats.hits());
            assertEquals(5, stats.lookups());
        }
    }

    @Test
    void batch_fetchesLocalMissesInOnePipelinedRoundTrip_andLoadsOnlyWhatL4Lacks()
    {
        final RemoteSettings remote = settings(server.uri(), "batch");
        final long[] keys = new long[32];
        for (int i = 0; i < keys.length; i++)
        {
            keys[i] = 1000 + i;
        }
        try (TierCache writer = cache(remote))
        {
            for (int i = 0; i < 24; i++)
            {
                writer.put(keys[i], parts(keys[i], 4096));
            }
            writer.put(999, parts(999, 4096));
            writer.flushRemote(Duration.ofSeconds(10));
        }
        final AtomicInteger loads = new AtomicInteger();
        // the reader writes nothing behind (the loaded keys would be written pipelined): its round trips are its reads
        try (TierCache reader = cache(remote.withWriteBehind(false, false)); DatasetCache dataset = DatasetCache.builder(reader).build())
        {
            // a fresh reader knows no value size: its first batch asks for one key alone, then sizes the rest by it
            assertEquals(1, reader.fetchFromRemote(new long[] {999}, null));
            assertEquals(1, reader.remoteStats().roundTrips());
            final MemorySegment batch = MemorySegment.ofArray(new byte[32 * 4096]);
            final long copied = dataset.getBatch(keys, batch, null, key -> {
                loads.incrementAndGet();
                return parts(key, 4096);
            });
            assertEquals(32 * 4096, copied);
            for (int i = 0; i < keys.length; i++)
            {
                assertEquals(-1, MemorySegment.ofArray(content(keys[i], 4096)).mismatch(batch.asSlice(i * 4096L, 4096)), "key " + keys[i]);
            }
            final RemoteStats stats = reader.remoteStats();
            assertEquals(8, loads.get(), "only the keys L4 lacks are loaded");
            assertEquals(1 + 24, stats.hits(), stats.toString());
            assertEquals(1 + 32, stats.lookups(), "one lookup per key, none repeated for the loaded ones");
            assertEquals(0, stats.writes());
            assertEquals(1 + 1, stats.roundTrips(), "one round trip for the batch's reads");
        }
    }

    @Test
    void batchLargerThanOneRoundTripsBudget_arrivesWholeAndExact_inRoundTripsOfBoundedBytes()
    {
        final int length = 3 << 20;
        final int count = 24; // 72 MiB: 4.5 times the 16 MiB a read round trip carries
        final long budget = 16L << 20;
        final RemoteSettings remote = settings(server.uri(), "batch-bytes").withQueueBytes(2L * length + MIB).withTimeout(Duration.ofSeconds(5));
        final long[] keys = new long[count];
        try (TierCache writer = cache(remote))
        {
            for (int i = 0; i < count; i++)
            {
                keys[i] = 5000 + i;
                writer.put(keys[i], parts(keys[i], length));
                assertTrue(writer.flushRemote(Duration.ofSeconds(30)));
                writer.remove(keys[i]);
            }
            assertEquals(count, writer.remoteStats().writes(), writer.remoteStats().toString());
        }
        try (TierCache reader = cache(remote, 128 * MIB); DatasetCache dataset = DatasetCache.builder(reader).build())
        {
            final MemorySegment batch = MemorySegment.ofArray(new byte[count * length]);
            final long copied = dataset.getBatch(keys, batch, null, key -> {
                throw new AssertionError("key " + key + " is in L4: the loader must not run");
            });
            assertEquals((long)count * length, copied);
            for (int i = 0; i < count; i++)
            {
                assertEquals(-1, MemorySegment.ofArray(content(keys[i], length)).mismatch(batch.asSlice((long)i * length, length)), "key " + keys[i]);
            }
            final RemoteStats stats = reader.remoteStats();
            assertEquals(count, stats.hits(), stats.toString());
            assertEquals(0, stats.corrupt() + stats.errors(), stats.toString());
            // one key to learn the size, then 5 keys (15 MiB and their headers) per round trip
            assertEquals(1 + (count - 1 + 4) / 5, stats.roundTrips(), stats.toString());
            assertTrue(stats.maxReadRoundTripBytes() <= budget, "a round trip brought " + stats.maxReadRoundTripBytes() + " bytes");
            assertTrue(stats.maxReadRoundTripBytes() >= 5L * length, "round trips are filled: " + stats.maxReadRoundTripBytes());
        }
    }

    @Test
    void writeBehind_sendsWhatIsQueuedPipelined_inRoundTripsOfBoundedBytes() throws Exception
    {
        try (RedisServers own = new RedisServers())
        {
            final RedisServers.Server paused = own.start();
            final RemoteSettings remote = settings(paused.uri(), "write-pipeline").withTimeout(Duration.ofSeconds(10)).withQueueBytes(96 * MIB);
            try (TierCache writer = cache(remote); TierCache reader = cache(remote))
            {
                // the server stopped: the writer waits on its first exchange while the rest queues up
                paused.signal("STOP");
                try
                {
                    for (long key = 0; key < 200; key++)
                    {
                        writer.put(key, parts(key, 1000));
                    }
                }
                finally
                {
                    paused.signal("CONT");
                }
                assertTrue(writer.flushRemote(Duration.ofSeconds(30)));
                RemoteStats stats = writer.remoteStats();
                assertEquals(200, stats.writes(), stats.toString());
                assertTrue(stats.roundTrips() <= 2, "200 small values in at most two exchanges: " + stats);
                for (long key = 0; key < 200; key++)
                {
                    assertEntry(reader, key, 1000);
                }

                final int length = 3 << 20;
                final long before = writer.remoteStats().roundTrips();
                paused.signal("STOP");
                try
                {
                    for (long key = 1000; key < 1024; key++)
                    {
                        writer.put(key, parts(key, length));
                    }
                }
                finally
                {
                    paused.signal("CONT");
                }
                assertTrue(writer.flushRemote(Duration.ofSeconds(60)));
                stats = writer.remoteStats();
                assertEquals(200 + 24, stats.writes(), stats.toString());
                // 72 MiB queued: at most 5 values (15 MiB and their headers) per 16 MiB exchange
                final long trips = stats.roundTrips() - before;
                assertTrue(trips >= 5 && trips <= 6, "24 values of 3 MiB in " + trips + " exchanges: " + stats);
                for (long key = 1000; key < 1024; key++)
                {
                    assertEntry(reader, key, length);
                }
            }
        }
    }

    @Test
    void valueOverTheServersLimit_isSkippedAndCounted_andSmallerOnesStillGo() throws Exception
    {
        try (RedisServers own = new RedisServers())
        {
            final RedisServers.Server small = own.start("--proto-max-bulk-len", "1mb");
            final RemoteSettings remote = settings(small.uri(), "limits");
            try (TierCache writer = cache(remote); TierCache reader = cache(remote))
            {
                writer.put(1, parts(1, 2 << 20));
                writer.put(2, parts(2, 512 << 10));
                writer.flushRemote(Duration.ofSeconds(10));
                final RemoteStats stats = writer.remoteStats();
                assertEquals(1, stats.tooLarge(), stats.toString());
                assertEquals(1, stats.writes());
                assertTrue(stats.on());
                assertNull(reader.get(1));
                assertEntry(reader, 2, 512 << 10);
            }
        }
    }

    @Test
    void password_isUsed_andNeverShown() throws Exception
    {
        final String secret = "s3cr3t-Pa55-word";
        try (RedisServers own = new RedisServers())
        {
            final RedisServers.Server guarded = own.start("--requirepass", secret);
            final String uri = "redis://:" + secret + "@127.0.0.1:" + guarded.port;
            final RemoteSettings remote = settings(uri, "secret");
            assertFalse(remote.toString().contains(secret), remote.toString());
            try (TierCache writer = cache(remote); TierCache reader = cache(remote))
            {
                writer.put(1, parts(1, 100));
                writer.flushRemote(Duration.ofSeconds(10));
                assertEntry(reader, 1, 100);
                assertFalse(reader.stats().toString().contains(secret), reader.stats().toString());
                assertTrue(reader.stats().toString().contains("L4 (remote)"), reader.stats().toString());
            }
            final RemoteSettings wrong = settings("redis://:wrong-" + secret + "@127.0.0.1:" + guarded.port, "secret");
            try (TierCache denied = cache(wrong))
            {
                final RemoteStats stats = denied.remoteStats();
                assertFalse(stats.on());
                assertFalse(stats.toString().contains(secret), stats.toString());
                assertNull(denied.get(1));
            }
            final Path toml = Files.createTempFile("tiercache", ".toml");
            try
            {
                Files.writeString(toml, "[cache.remote]\nuri = \"" + uri + "\"\nnamespace = \"secret\"\ntimeout = \"300ms\"\n");
                final TierCacheConfig loaded = TierCache.builder().settingsFile(toml).config();
                assertEquals(uri, loaded.remote().uri());
                assertFalse(loaded.toString().contains(secret), loaded.toString());
                assertFalse(loaded.remoteUri().contains(secret), loaded.remoteUri());
                try (TierCache fromFile = TierCache.builder().settingsFile(toml).useGpu(false).hostBytes(64 * MIB).build())
                {
                    assertEntry(fromFile, 1, 100);
                    assertFalse(fromFile.config().toToml().contains(secret), fromFile.config().toToml());
                }
            }
            finally
            {
                Files.delete(toml);
            }
        }
    }
}
