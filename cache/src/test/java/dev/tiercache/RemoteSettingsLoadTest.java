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
        final TierCacheConfig fromFile = TierCache.builder().settingsFile(toml)
            .environment(Map.of("CACHE_REMOTE_TIMEOUT", "1s", "CACHE_REMOTE_WRITE_ON_EVICTION", "true")).config();
        final RemoteSettings remote = fromFile.remote();
        assertEquals("redis-cluster://u:topsecret@10.0.0.5:7000,10.0.0.6:7000", remote.uri());
        assertEquals("imagenet-train.v3", remote.namespace());
        assertEquals(Duration.ofHours(2), remote.ttl());
        assertEquals(16L << 20, remote.queueBytes());
        assertEquals(Duration.ofSeconds(1), remote.timeout());
        assertTrue(remote.writeOnPut());
        assertTrue(remote.writeOnEviction());
        assertEquals("redis-cluster://u:***@10.0.0.5:7000,10.0.0.6:7000", fromFile.remoteUri());
        assertEquals("imagenet-train.v3", fromFile.remoteNamespace());
        assertEquals(Duration.ofHours(2), fromFile.remoteTtl());
        assertEquals(16L << 20, fromFile.remoteQueueBytes());
        assertEquals(Duration.ofSeconds(1), fromFile.remoteTimeout());
        assertTrue(fromFile.remoteWriteOnPut());
        assertTrue(fromFile.remoteWriteOnEviction());
        assertFalse(remote.toString().contains("topsecret"), remote.toString());
        assertFalse(fromFile.toToml().contains("topsecret"), fromFile.toToml());
        assertTrue(fromFile.toToml().contains("uri = \"redis-cluster://u:***@10.0.0.5:7000,10.0.0.6:7000\""), fromFile.toToml());
        assertEquals("environment CACHE_REMOTE_TIMEOUT", fromFile.sourceOf("cache.remote.timeout"));
        assertEquals("default", fromFile.sourceOf("cache.remote.write_on_put"));
    }

    @Test
    void builderSetters_setL4_andRemoteSetsAllSeven()
    {
        final TierCacheConfig set = TierCache.builder().remoteUri("redis://:pw@h:6379").remoteNamespace("ds.v1")
            .remoteTtl(Duration.ofMinutes(5)).remoteQueueBytes(1 << 20).remoteTimeout(Duration.ofMillis(40))
            .remoteWriteOnPut(false).remoteWriteOnEviction(true).config();
        final RemoteSettings expected = new RemoteSettings("redis://:pw@h:6379", "ds.v1", Duration.ofMinutes(5), 1 << 20,
            Duration.ofMillis(40), false, true);
        assertEquals(expected, set.remote());
        assertEquals("builder remoteTimeout", set.sourceOf("cache.remote.timeout"));
        assertEquals(expected, TierCache.builder().remote(expected).config().remote());
        assertEquals("builder remote", TierCache.builder().remote(expected).config().sourceOf("cache.remote.uri"));
        assertEquals(RemoteSettings.of("redis://h:1", "n"), TierCache.builder().remoteUri("redis://h:1").remoteNamespace("n").config().remote(),
            "the configuration's defaults are RemoteSettings.of's");
    }

    @Test
    void tlsCaFile_fromBuilderFileAndEnvironment_andRemoteCarriesIt() throws Exception
    {
        final Path ca = Files.writeString(dir.resolve("ca.pem"), "not read by the configuration\n");
        final TierCacheConfig set = TierCache.builder().remoteUri("rediss://h:6380").remoteNamespace("n").remoteTlsCaFile(ca).config();
        assertEquals(ca, set.remoteTlsCaFile());
        assertEquals(ca, set.remote().tlsCaFile());
        assertEquals("builder remoteTlsCaFile", set.sourceOf("cache.remote.tls_ca_file"));
        final RemoteSettings withCa = RemoteSettings.of("rediss://h:6380", "n").withTlsCaFile(ca);
        assertEquals(withCa, TierCache.builder().remote(withCa).config().remote());
        assertNull(TierCache.builder().remoteTlsCaFile(ca).remote(RemoteSettings.of("rediss://h:6380", "n")).config().remoteTlsCaFile(),
            "remote(settings) without a CA file drops the builder's");
        final Path toml = dir.resolve("tls.toml");
        Files.writeString(toml, "[cache.remote]\nuri = \"rediss://h:6380\"\nnamespace = \"n\"\ntls_ca_file = \"" + ca + "\"\n");
        final TierCacheConfig fromFile = TierCache.builder().settingsFile(toml).config();
        assertEquals(ca, fromFile.remoteTlsCaFile());
        assertEquals(fromFile.remote(), TierCache.builder().settingsFile(writeToml(fromFile.toToml())).config().remote(), "toToml loads back");
        final TierCacheConfig fromEnvironment = TierCache.builder().environment(Map.of("CACHE_REMOTE_URI", "rediss://h:6380",
            "CACHE_REMOTE_NAMESPACE", "n", "CACHE_REMOTE_TLS_CA_FILE", ca.toString())).config();
        assertEquals(ca, fromEnvironment.remoteTlsCaFile());
        assertNull(TierCache.builder().remoteUri("rediss://h:6380").remoteNamespace("n").config().remoteTlsCaFile());
    }

    @Test
    void withoutAUri_thereIsNoL4() throws Exception
    {
        final TierCacheConfig none = TierCache.builder().config();
        assertNull(none.remote());
        assertNull(none.remoteUri());
        assertEquals(TierCacheConfig.REMOTE_QUEUE_BYTES_DEFAULT, none.remoteQueueBytes());
        assertFalse(none.toToml().contains("cache.remote"), "no [cache.remote] table without L4: " + none.toToml());
    }

    @Test
    void aUriWithoutANamespace_orABadOne_isAnErrorThatNamesTheKey_andHidesThePassword()
    {
        final SettingsException missing = assertThrows(SettingsException.class,
            () -> TierCache.builder().environment(Map.of("CACHE_REMOTE_URI", "redis://:hunter2@cache:6379")).config());
        assertTrue(missing.getMessage().contains("cache.remote.namespace"), missing.getMessage());
        assertFalse(missing.getMessage().contains("hunter2"), missing.getMessage());
        final SettingsException bad = assertThrows(SettingsException.class,
            () -> TierCache.builder().environment(Map.of("CACHE_REMOTE_URI", "redis://:hunter2@cache:6379", "CACHE_REMOTE_NAMESPACE", "a b")).config());
        assertTrue(bad.getMessage().startsWith("cache.remote.namespace = a b: "), bad.getMessage());
        assertFalse(bad.getMessage().contains("hunter2"), bad.getMessage());
        final SettingsException noScheme = assertThrows(SettingsException.class,
            () -> TierCache.builder().remoteUri("u:hunter2@cache:6379").remoteNamespace("n").config());
        assertTrue(noScheme.getMessage().startsWith("cache.remote.uri = "), noScheme.getMessage());
        assertFalse(noScheme.getMessage().contains("hunter2"), noScheme.getMessage());
        final SettingsException notAUri = assertThrows(SettingsException.class,
            () -> TierCache.builder().remoteUri("redis://:hunter2@ca che:6379").remoteNamespace("n").config());
        assertTrue(notAUri.getMessage().startsWith("cache.remote.uri = redis://:***@ca che:6379: "), notAUri.getMessage());
        assertFalse(notAUri.getMessage().contains("hunter2"), notAUri.getMessage());
        final SettingsException subMilli = assertThrows(SettingsException.class,
            () -> TierCache.builder().remoteUri("redis://h:1").remoteNamespace("n").remoteTtl(Duration.ofNanos(500_000)).config());
        assertTrue(subMilli.getMessage().startsWith("cache.remote.ttl = 500 us: must be 0 (off) or at least 1 ms"), subMilli.getMessage());
        assertFalse(bad.getMessage().contains("hunter2"), bad.getMessage());
        final SettingsException unknown = assertThrows(SettingsException.class,
            () -> TierCache.builder().settingsFile(writeToml("[cache.remote]\nuri = \"redis://h:1\"\nnamespace = \"n\"\nqueue = 5\n")).config());
        assertTrue(unknown.getMessage().contains("cache.remote.queue"), unknown.getMessage());
        final SettingsException unquoted = assertThrows(SettingsException.class,
            () -> TierCache.builder().settingsFile(writeToml("[cache.remote]\nuri = redis://:hunter2@cache:6379\n")).config());
        assertTrue(unquoted.getMessage().contains("redis://:***@cache:6379"), unquoted.getMessage());
        assertFalse(unquoted.getMessage().contains("hunter2"), unquoted.getMessage());
    }

    private Path writeToml(final String text) throws java.io.IOException
    {
        final Path toml = dir.resolve("bad.toml");
        Files.writeString(toml, text);
        return toml;
    }
}
