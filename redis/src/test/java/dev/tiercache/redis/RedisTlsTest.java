package dev.tiercache.redis;

import dev.tiercache.RemoteSettings;
import dev.tiercache.RemoteStats;
import dev.tiercache.SettingsException;
import dev.tiercache.TierCache;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.tiercache.redis.L4Fixtures.MIB;
import static dev.tiercache.redis.L4Fixtures.assertEntry;
import static dev.tiercache.redis.L4Fixtures.cache;
import static dev.tiercache.redis.L4Fixtures.parts;
import static dev.tiercache.redis.L4Fixtures.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * L4 over {@code rediss://} against a real TLS-only Redis, with certificates made by openssl for
 * the test: trusted round trips, an untrusted or misnamed server refused with a reason that says
 * so, passwords and ACL users over TLS, and client certificates.
 */
class RedisTlsTest
{
    private static final String SECRET = "tls-Pa55-w0rd";
    private static final String ALICE_SECRET = "alice-tls-pw";

    @TempDir
    static Path dir;
    private static TestCertificates certs;
    private static RedisServers servers;
    /** TLS only, no client certificate asked, a password for the default user and an ACL user alice. */
    private static RedisServers.Server server;

    @BeforeAll
    static void startServer() throws Exception
    {
        TestCertificates.requireOpenssl();
        servers = new RedisServers();
        certs = TestCertificates.make(Files.createDirectories(dir.resolve("certs")));
        server = servers.startTls(certs.serverCert(), certs.serverKey(), certs.ca(), "--tls-auth-clients", "no", "--requirepass", SECRET,
            "--user", "alice", "on", ">" + ALICE_SECRET, "~tc:*", "+@all");
    }

    @AfterAll
    static void stopServer() throws Exception
    {
        if (servers != null)
        {
            servers.close();
        }
    }

    private static String uri(final RedisServers.Server target, final String credentials)
    {
        return "rediss://" + credentials + "@127.0.0.1:" + target.port;
    }

    @Test
    void trustedCa_entriesRoundTripOverTls_everyByteEqual()
    {
        final RemoteSettings remote = settings(uri(server, ":" + SECRET), "tls-roundtrip").withTlsCaFile(certs.ca()).withQueueBytes(64 * MIB);
        try (TierCache writer = cache(remote); TierCache reader = cache(remote))
        {
            assertTrue(writer.remoteStats().on(), writer.remoteStats().toString());
            final int[] lengths = {1, 4096, 1 << 20, 8 << 20};
            for (int i = 0; i < lengths.length; i++)
            {
                writer.put(i, parts(i, lengths[i]));
            }
            assertTrue(writer.flushRemote(Duration.ofSeconds(30)));
            assertEquals(lengths.length, writer.remoteStats().writes(), writer.remoteStats().toString());
            for (int i = 0; i < lengths.length; i++)
            {
                assertEntry(reader, i, lengths[i]);
            }
            final RemoteStats stats = reader.remoteStats();
            assertEquals(lengths.length, stats.hits(), stats.toString());
            assertEquals(0, stats.corrupt() + stats.errors(), stats.toString());
            assertFalse(reader.stats().toString().contains(SECRET), reader.stats().toString());
        }
    }

    @Test
    void thePortSpeaksOnlyTls_aPlainClientGetsNothing()
    {
        try (TierCache plain = cache(settings("redis://:" + SECRET + "@127.0.0.1:" + server.port, "tls-roundtrip")))
        {
            assertFalse(plain.remoteStats().on(), plain.remoteStats().toString());
            assertNull(plain.get(0));
            assertFalse(plain.remoteStats().toString().contains(SECRET), plain.remoteStats().toString());
        }
    }

    @Test
    void untrustedCa_turnsL4OffWithATlsReason_noSecret_andTheCacheAboveWorks()
    {
        // a CA that did not sign the server's certificate, and the JVM's own trust store
        for (final RemoteSettings remote : new RemoteSettings[] {
            settings(uri(server, ":" + SECRET), "tls-untrusted").withTlsCaFile(certs.otherCa()),
            settings(uri(server, ":" + SECRET), "tls-untrusted")})
        {
            try (TierCache cache = cache(remote))
            {
                final RemoteStats stats = cache.remoteStats();
                assertFalse(stats.on(), stats.toString());
                assertTrue(stats.offReason().contains("TLS") && stats.offReason().contains("certificate is not trusted"), stats.offReason());
                assertFalse(stats.toString().contains(SECRET), stats.toString());
                assertFalse(cache.stats().toString().contains(SECRET), cache.stats().toString());
                cache.put(5, parts(5, 10_000));
                assertEntry(cache, 5, 10_000);
                assertNull(cache.get(6));
            }
        }
    }

    @Test
    void aCertificateForAnotherHost_isRefused_theHostNameIsVerified() throws Exception
    {
        final RedisServers.Server misnamed = servers.startTls(certs.otherHostCert(), certs.otherHostKey(), certs.ca(), "--tls-auth-clients", "no");
        try (TierCache cache = cache(settings("rediss://127.0.0.1:" + misnamed.port, "tls-host").withTlsCaFile(certs.ca())))
        {
            final RemoteStats stats = cache.remoteStats();
            assertFalse(stats.on(), stats.toString());
            assertTrue(stats.offReason().contains("TLS") && stats.offReason().contains("does not name the host"), stats.offReason());
        }
        finally
        {
            misnamed.kill();
        }
    }

    @Test
    void aclUserAndPassword_overTls_rightOnesWork_wrongOnesAreRefusedWithoutShowingThem()
    {
        final RemoteSettings alice = settings(uri(server, "alice:" + ALICE_SECRET), "tls-acl").withTlsCaFile(certs.ca());
        try (TierCache writer = cache(alice); TierCache reader = cache(settings(uri(server, ":" + SECRET), "tls-acl").withTlsCaFile(certs.ca())))
        {
            writer.put(1, parts(1, 5000));
            assertTrue(writer.flushRemote(Duration.ofSeconds(10)));
            assertEquals(1, writer.remoteStats().writes(), writer.remoteStats().toString());
            assertEntry(reader, 1, 5000);
        }
        for (final String wrong : new String[] {"alice:wrong-" + ALICE_SECRET, ":wrong-" + SECRET, "bob:" + ALICE_SECRET})
        {
            try (TierCache denied = cache(settings(uri(server, wrong), "tls-acl").withTlsCaFile(certs.ca())))
            {
                final RemoteStats stats = denied.remoteStats();
                assertFalse(stats.on(), wrong + ": " + stats);
                assertFalse(stats.offReason().contains("TLS"), "the handshake worked, the password did not: " + stats.offReason());
                assertFalse(stats.toString().contains(ALICE_SECRET) || stats.toString().contains(SECRET), stats.toString());
                assertNull(denied.get(1));
            }
        }
    }

    @Test
    void aServerThatAsksForAClientCertificate_getsTheOneOfJavaxNetSslKeyStore() throws Exception
    {
        final RedisServers.Server mutual = servers.startTls(certs.serverCert(), certs.serverKey(), certs.ca(), "--tls-auth-clients", "yes");
        final RemoteSettings remote = settings("rediss://127.0.0.1:" + mutual.port, "tls-mutual").withTlsCaFile(certs.ca());
        try
        {
            try (TierCache without = cache(remote))
            {
                assertFalse(without.remoteStats().on(), "no client certificate: " + without.remoteStats());
            }
            System.setProperty("javax.net.ssl.keyStore", certs.clientKeyStore().toString());
            System.setProperty("javax.net.ssl.keyStorePassword", TestCertificates.CLIENT_STORE_PASSWORD);
            System.setProperty("javax.net.ssl.keyStoreType", "PKCS12");
            try (TierCache writer = cache(remote); TierCache reader = cache(remote))
            {
                assertTrue(writer.remoteStats().on(), writer.remoteStats().toString());
                writer.put(3, parts(3, 70_000));
                assertTrue(writer.flushRemote(Duration.ofSeconds(10)));
                assertEntry(reader, 3, 70_000);
                assertFalse(reader.remoteStats().toString().contains(TestCertificates.CLIENT_STORE_PASSWORD));
            }
        }
        finally
        {
            System.clearProperty("javax.net.ssl.keyStore");
            System.clearProperty("javax.net.ssl.keyStorePassword");
            System.clearProperty("javax.net.ssl.keyStoreType");
            mutual.kill();
        }
    }

    @Test
    void aTlsCluster_spreadsKeysOverItsMasters_andServesSinglesAndBatches() throws Exception
    {
        try (RedisServers own = new RedisServers())
        {
            final List<RedisServers.Server> cluster = own.startCluster(certs);
            final String uri = RedisServers.clusterUri(cluster).replace("redis-cluster://", "rediss-cluster://");
            final RemoteSettings remote = settings(uri, "tls-cluster").withTlsCaFile(certs.ca()).withTimeout(Duration.ofSeconds(2));
            final int keys = 60;
            try (TierCache writer = cache(remote))
            {
                assertTrue(writer.remoteStats().on(), writer.remoteStats().toString());
                for (long key = 0; key < keys; key++)
                {
                    writer.put(key, parts(key, 20_000));
                }
                assertTrue(writer.flushRemote(Duration.ofSeconds(30)));
                assertEquals(keys, writer.remoteStats().writes(), writer.remoteStats().toString());
            }
            int total = 0;
            for (final RedisServers.Server server : cluster)
            {
                final int held = Integer.parseInt(server.cli("dbsize"));
                assertTrue(held > 0, "master " + server.port + " holds none of the keys");
                total += held;
            }
            assertEquals(keys, total);
            try (TierCache reader = cache(remote))
            {
                assertEntry(reader, 0, 20_000);
                final long[] rest = new long[keys - 1];
                for (int i = 0; i < rest.length; i++)
                {
                    rest[i] = i + 1;
                }
                assertEquals(rest.length, reader.fetchFromRemote(rest, null));
                for (final long key : rest)
                {
                    assertEntry(reader, key, 20_000);
                }
                final RemoteStats stats = reader.remoteStats();
                assertEquals(keys, stats.hits(), stats.toString());
                assertEquals(0, stats.errors() + stats.corrupt(), stats.toString());
            }
        }
    }

    @Test
    void theCaFile_comesFromTomlAndEnvironment_andIsCheckedWhenTheCacheIsBuilt() throws Exception
    {
        final Path toml = dir.resolve("tls.toml");
        Files.writeString(toml, "[cache.remote]\nuri = \"" + uri(server, ":" + SECRET) + "\"\nnamespace = \"tls-file\"\ntimeout = \"2s\"\n" +
            "tls_ca_file = \"" + certs.ca() + "\"\n");
        try (TierCache fromFile = TierCache.builder().settingsFile(toml).useGpu(false).hostBytes(64 * MIB).build())
        {
            assertEquals(certs.ca(), fromFile.config().remoteTlsCaFile());
            assertTrue(fromFile.remoteStats().on(), fromFile.remoteStats().toString());
            assertTrue(fromFile.config().toToml().contains("tls_ca_file = \"" + certs.ca() + "\""), fromFile.config().toToml());
            assertFalse(fromFile.config().toToml().contains(SECRET));
        }
        try (TierCache fromEnvironment = TierCache.builder().useGpu(false).hostBytes(64 * MIB).environment(Map.of(
            "CACHE_REMOTE_URI", uri(server, ":" + SECRET), "CACHE_REMOTE_NAMESPACE", "tls-env", "CACHE_REMOTE_TIMEOUT", "2s",
            "CACHE_REMOTE_TLS_CA_FILE", certs.ca().toString())).build())
        {
            assertTrue(fromEnvironment.remoteStats().on(), fromEnvironment.remoteStats().toString());
            assertEquals("environment CACHE_REMOTE_TLS_CA_FILE", fromEnvironment.config().sourceOf("cache.remote.tls_ca_file"));
        }
        // a CA file on a URI without TLS, and a file that holds no certificate: the build says so
        final IllegalArgumentException plain = assertThrows(IllegalArgumentException.class,
            () -> cache(settings("redis://:" + SECRET + "@127.0.0.1:" + server.port, "tls-file").withTlsCaFile(certs.ca())));
        assertTrue(plain.getMessage().contains("tls_ca_file") && plain.getMessage().contains("does not use TLS"), plain.getMessage());
        assertFalse(plain.getMessage().contains(SECRET), plain.getMessage());
        final Path notPem = Files.writeString(dir.resolve("not-a-ca.pem"), "hello\n");
        final IllegalArgumentException garbage = assertThrows(IllegalArgumentException.class,
            () -> cache(settings(uri(server, ":" + SECRET), "tls-file").withTlsCaFile(notPem)));
        assertTrue(garbage.getMessage().startsWith("remote.tls_ca_file=" + notPem + ": "), garbage.getMessage());
        final SettingsException missing = assertThrows(SettingsException.class, () -> TierCache.builder().useGpu(false)
            .remoteUri(uri(server, ":" + SECRET)).remoteNamespace("n").remoteTlsCaFile(dir.resolve("absent.pem")).build());
        assertTrue(missing.getMessage().startsWith("cache.remote.tls_ca_file = " + dir.resolve("absent.pem") + ": must be a readable file"),
            missing.getMessage());
    }
}
