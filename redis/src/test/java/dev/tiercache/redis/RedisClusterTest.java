package dev.tiercache.redis;

import dev.tiercache.EntryHandle;
import dev.tiercache.RemoteSettings;
import dev.tiercache.RemoteStats;
import dev.tiercache.TierCache;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.tiercache.redis.L4Fixtures.assertEntry;
import static dev.tiercache.redis.L4Fixtures.cache;
import static dev.tiercache.redis.L4Fixtures.content;
import static dev.tiercache.redis.L4Fixtures.parts;
import static dev.tiercache.redis.L4Fixtures.settings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** L4 on a 3-master Redis Cluster on loopback: keys over every master, and one master killed mid-run. */
class RedisClusterTest
{
    private static final int KEYS = 300;
    private static final int LENGTH = 3000;

    @Test
    void keysSpreadOverTheMasters_andAKilledMasterOnlyLosesItsOwnSlots() throws Exception
    {
        try (RedisServers servers = new RedisServers())
        {
            final List<RedisServers.Server> cluster = servers.startCluster();
            final RemoteSettings remote = settings(RedisServers.clusterUri(cluster), "cluster").withTimeout(Duration.ofMillis(500));
            try (TierCache writer = cache(remote))
            {
                for (long key = 0; key < KEYS; key++)
                {
                    writer.put(key, parts(key, LENGTH));
                }
                assertTrue(writer.flushRemote(Duration.ofSeconds(30)));
                assertEquals(KEYS, writer.remoteStats().writes(), writer.remoteStats().toString());
            }
            final Map<Integer, Integer> perMaster = new HashMap<>();
            for (final RedisServers.Server server : cluster)
            {
                final int keys = Integer.parseInt(server.cli("dbsize"));
                perMaster.put(server.port, keys);
                assertTrue(keys > KEYS / 10, "master " + server.port + " holds " + keys + " of " + KEYS + " keys");
            }
            assertEquals(KEYS, perMaster.values().stream().mapToInt(Integer::intValue).sum());

            // every key through single gets, then through a pipelined batch (one exchange per master)
            try (TierCache reader = cache(remote))
            {
                for (long key = 0; key < KEYS; key += 2)
                {
                    assertEntry(reader, key, LENGTH);
                }
                final long[] odd = new long[KEYS / 2];
                for (int i = 0; i < odd.length; i++)
                {
                    odd[i] = 2L * i + 1;
                }
                final long tripsBefore = reader.remoteStats().roundTrips();
                assertEquals(odd.length, reader.fetchFromRemote(odd, null));
                assertEquals(1, reader.remoteStats().roundTrips() - tripsBefore, "a batch is one call (pipelined per master)");
                for (final long key : odd)
                {
                    assertEntry(reader, key, LENGTH);
                }
                assertEquals(KEYS, reader.remoteStats().hits());
            }

            final RedisServers.Server victim = cluster.get(1);
            final String victimId = victim.cli("cluster", "myid");
            victim.kill();
            // the survivors see it fail (cluster-node-timeout 1 s) and keep serving their slots
            final long deadline = System.nanoTime() + 20_000_000_000L;
            while (!cluster.get(0).cli("cluster", "nodes").contains(victimId + " 127.0.0.1:" + victim.port + "@" + (victim.port + 10_000) + " master,fail"))
            {
                assertTrue(System.nanoTime() < deadline, cluster.get(0).cli("cluster", "nodes"));
                Thread.sleep(100);
            }
            final int survivorKeys = KEYS - perMaster.get(victim.port);
            try (TierCache late = cache(remote))
            {
                int found = 0;
                for (long key = 0; key < KEYS / 2; key++)
                {
                    try (EntryHandle handle = late.get(key))
                    {
                        if (handle != null)
                        {
                            final byte[] read = new byte[LENGTH];
                            handle.copyTo(0, MemorySegment.ofArray(read));
                            assertArrayEquals(content(key, LENGTH), read, "key " + key);
                            found++;
                        }
                    }
                }
                final long[] rest = new long[KEYS - KEYS / 2];
                for (int i = 0; i < rest.length; i++)
                {
                    rest[i] = KEYS / 2 + i;
                }
                final boolean[] absent = new boolean[rest.length];
                found += late.fetchFromRemote(rest, absent);
                assertTrue(late.remoteStats().on(), late.remoteStats().toString());
                for (int i = 0; i < rest.length; i++)
                {
                    if (!absent[i] && late.contains(rest[i]))
                    {
                        assertEntry(late, rest[i], LENGTH);
                    }
                }
                final RemoteStats stats = late.remoteStats();
                assertEquals(survivorKeys, found, stats.toString());
                assertEquals(0, stats.corrupt());
                assertTrue(stats.on(), "one master down does not turn the cluster's L4 off: " + stats);
                assertTrue(stats.errors() > 0, stats.toString());
            }
        }
    }
}
