package dev.tiercache.redis;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;

import java.net.URI;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The URI forms L4 accepts, and the password kept out of every message. */
class RedisUriTest
{
    @Test
    void standalone_withUserPasswordAndDatabase()
    {
        final RedisUri uri = RedisUri.parse(URI.create("redis://alice:p%40ss@cache.local:6380/3"));
        assertFalse(uri.cluster());
        assertFalse(uri.tls());
        assertEquals(List.of(new HostAndPort("cache.local", 6380)), uri.nodes());
        assertEquals("alice", uri.user());
        assertEquals("p@ss", uri.password());
        assertEquals(3, uri.database());
        assertEquals("redis://alice:***@cache.local:6380/3", uri.toString());
    }

    @Test
    void passwordOnly_defaultPort_tls()
    {
        final RedisUri colon = RedisUri.parse(URI.create("rediss://:secret@h"));
        assertTrue(colon.tls());
        assertNull(colon.user());
        assertEquals("secret", colon.password());
        assertEquals(RedisUri.DEFAULT_PORT, colon.nodes().getFirst().getPort());
        assertEquals("secret", RedisUri.parse(URI.create("redis://secret@h:1")).password());
        assertEquals("rediss://:***@h:6379", colon.toString());
    }

    @Test
    void cluster_seeds()
    {
        final RedisUri uri = RedisUri.parse(URI.create("rediss-cluster://u:pw@10.0.0.5:7000,10.0.0.6:7001,h3:7002"));
        assertTrue(uri.cluster());
        assertTrue(uri.tls());
        assertEquals(List.of(new HostAndPort("10.0.0.5", 7000), new HostAndPort("10.0.0.6", 7001), new HostAndPort("h3", 7002)), uri.nodes());
        assertEquals("u", uri.user());
        assertFalse(uri.toString().contains("pw"));
    }

    @Test
    void badForms_areRefused_withoutThePassword()
    {
        for (final String bad : List.of("redis://:pw@h:0", "redis://:pw@h:x", "redis://:pw@a:1,b:2", "redis-cluster://:pw@a:1/2",
            "memcached://:pw@h:1", "redis://:pw@:1", "redis://:pw@h:1/x"))
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> RedisUri.parse(URI.create(bad)), bad);
            assertFalse(ex.getMessage().contains("pw@"), ex.getMessage());
            assertTrue(ex.getMessage().startsWith("remote.uri="), ex.getMessage());
        }
    }
}
