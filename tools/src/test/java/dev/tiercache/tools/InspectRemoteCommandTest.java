package dev.tiercache.tools;

import dev.tiercache.TierCache;
import dev.tiercache.redis.L4Fixtures;
import dev.tiercache.redis.RedisServers;
import dev.tiercache.redis.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tiercache inspect --remote URI --namespace NS} against a real Redis server. */
class InspectRemoteCommandTest
{
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int execute(final String... args)
    {
        final CommandLine commandLine = new CommandLine(new TiercacheCommand());
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        return commandLine.execute(args);
    }

    @Test
    void inspectRemote_countsTheNamespacesEntriesAndBytes_only() throws Exception
    {
        try (RedisServers servers = new RedisServers())
        {
            final RedisServers.Server server = servers.start("--requirepass", "hunter2-secret");
            final String uri = "redis://:hunter2-secret@127.0.0.1:" + server.port;
            try (TierCache cache = L4Fixtures.cache(L4Fixtures.settings(uri, "inspect.v1"));
                 TierCache other = L4Fixtures.cache(L4Fixtures.settings(uri, "inspect.v2")))
            {
                for (long key = 0; key < 25; key++)
                {
                    cache.put(key, L4Fixtures.parts(key, 1000));
                }
                other.put(1, L4Fixtures.parts(1, 1000));
                cache.flushRemote(Duration.ofSeconds(10));
                other.flushRemote(Duration.ofSeconds(10));
                final long written = cache.remoteStats().bytesOut();
                assertEquals(0, execute("inspect", "--remote", uri, "--namespace", "inspect.v1"), err.toString());
                final String text = out.toString();
                assertTrue(text.contains("entries      25"), text);
                assertTrue(text.contains(InspectCommand.bytes(written)), text + " expected " + InspectCommand.bytes(written));
                assertFalse(text.contains("hunter2") || err.toString().contains("hunter2"), text + err);
            }
            server.kill();
            assertEquals(InspectCommand.EXIT_REMOTE_FAILED, execute("inspect", "--remote", uri, "--namespace", "inspect.v1"));
            assertFalse(err.toString().contains("hunter2"), err.toString());
            assertEquals(InspectCommand.EXIT_UNREADABLE, execute("inspect", "--remote", uri, "--namespace", "bad namespace"));
        }
    }

    @Test
    void inspectRemote_overTls_trustsTheCaFileItIsGiven(@TempDir final Path dir) throws Exception
    {
        final TestCertificates certs = TestCertificates.make(dir);
        try (RedisServers servers = new RedisServers())
        {
            final RedisServers.Server server = servers.startTls(certs.serverCert(), certs.serverKey(), certs.ca(), "--tls-auth-clients", "no");
            final String uri = "rediss://127.0.0.1:" + server.port;
            try (TierCache cache = L4Fixtures.cache(L4Fixtures.settings(uri, "inspect.tls").withTlsCaFile(certs.ca())))
            {
                for (long key = 0; key < 7; key++)
                {
                    cache.put(key, L4Fixtures.parts(key, 500));
                }
                assertTrue(cache.flushRemote(Duration.ofSeconds(10)));
            }
            assertEquals(0, execute("inspect", "--remote", uri, "--namespace", "inspect.tls", "--tls-ca-file", certs.ca().toString()),
                err.toString());
            assertTrue(out.toString().contains("entries      7"), out.toString());
            assertEquals(InspectCommand.EXIT_REMOTE_FAILED, execute("inspect", "--remote", uri, "--namespace", "inspect.tls",
                "--tls-ca-file", certs.otherCa().toString()));
            assertTrue(err.toString().contains("TLS: the server's certificate is not trusted"), err.toString());
        }
    }
}
