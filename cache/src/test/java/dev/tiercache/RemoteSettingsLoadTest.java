package dev.tiercache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code [cache.remote]} from a file and the environment, like every other setting; secrets never shown. */
class RemoteSettingsLoadTest
{
    @TempDir
    Path dir;

    @Test
    void fileAndEnvironment_setL4_withDefaultsForWhatIsLeftOut() throws Exception
    {
        final Path toml = dir.resolve("tiercache.toml");
        Files.writeString(toml, """
            [cache.remote]
            uri = "redis-cluster://u:topsecret@10.0.0.5:7000,10.0.0.6:7000"
            namespace = "imagenet-train.v3"
            ttl = "2h"
            queue_size = "16MB"
            """);
        final CacheSettings fromFile = CacheSettings.load(toml, Map.of("CACHE_REMOTE_TIMEOUT", "1s", "CACHE_REMOTE_WRITE_ON_EVICTION", "true"), null);
        final RemoteSettings remote = fromFile.remote();
        assertEquals("redis-cluster://u:topsecret@10.0.0.5:7000,10.0.0.6:7000", remote.uri());
        assertEquals("imagenet-train.v3", remote.namespace());
        assertEquals(Duration.ofHours(2), remote.ttl());
        assertEquals(16L << 20, remote.queueBytes());
        assertEquals(Duration.ofSeconds(1), remote.timeout());
        assertTrue(remote.writeOnPut());
        assertTrue(remote.writeOnEviction());
        assertFalse(fromFile.toToml().contains("topsecret"), fromFile.toToml());
        assertTrue(fromFile.toToml().contains("uri = \"redis-cluster://u:***@10.0.0.5:7000,10.0.0.6:7000\""), fromFile.toToml());
        assertEquals("environment CACHE_REMOTE_TIMEOUT", fromFile.sourceOf("cache.remote.timeout"));
    }

    @Test
    void withoutAUri_thereIsNoL4() throws Exception
    {
        assertNull(CacheSettings.load(null, Map.of(), null).remote());
    }

    @Test
    void aUriWithoutANamespace_orABadOne_isAnErrorThatNamesTheKey_andHidesThePassword()
    {
        final SettingsException missing = assertThrows(SettingsException.class,
            () -> CacheSettings.load(null, Map.of("CACHE_REMOTE_URI", "redis://:hunter2@cache:6379"), null));
        assertTrue(missing.getMessage().contains("cache.remote.namespace"), missing.getMessage());
        assertFalse(missing.getMessage().contains("hunter2"), missing.getMessage());
        final SettingsException bad = assertThrows(SettingsException.class,
            () -> CacheSettings.load(null, Map.of("CACHE_REMOTE_URI", "redis://:hunter2@cache:6379", "CACHE_REMOTE_NAMESPACE", "a b"), null));
        assertTrue(bad.getMessage().contains("remote.namespace"), bad.getMessage());
        assertFalse(bad.getMessage().contains("hunter2"), bad.getMessage());
        final SettingsException unknown = assertThrows(SettingsException.class,
            () -> CacheSettings.load(writeToml("[cache.remote]\nuri = \"redis://h:1\"\nnamespace = \"n\"\nqueue = 5\n"), Map.of(), null));
        assertTrue(unknown.getMessage().contains("cache.remote.queue"), unknown.getMessage());
    }

    private Path writeToml(final String text) throws java.io.IOException
    {
        final Path toml = dir.resolve("bad.toml");
        Files.writeString(toml, text);
        return toml;
    }
}
