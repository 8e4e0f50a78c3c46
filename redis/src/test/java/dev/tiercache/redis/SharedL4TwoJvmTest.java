package dev.tiercache.redis;

import dev.tiercache.TierCache;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.tiercache.redis.L4Fixtures.parts;
import static dev.tiercache.redis.L4Fixtures.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two JVMs sharing L4, as two training nodes do: the first loads (decodes) every entry, the second,
 * a separate process, gets every one from L4 and never calls its loader.
 */
class SharedL4TwoJvmTest
{
    private static final int KEYS = 200;
    private static final int LENGTH = 20_000;

    @Test
    void secondJvm_getsEveryEntryFromL4_withoutCallingItsLoader() throws Exception
    {
        try (RedisServers servers = new RedisServers())
        {
            final RedisServers.Server server = servers.start();
            final AtomicLong loads = new AtomicLong();
            try (TierCache first = L4Fixtures.cache(settings(server.uri(), "shared.v1")))
            {
                for (long key = 0; key < KEYS; key++)
                {
                    first.get(key, k -> {
                        loads.incrementAndGet();
                        return parts(k, LENGTH);
                    }).close();
                }
                assertTrue(first.flushRemote(Duration.ofSeconds(30)));
            }
            assertEquals(KEYS, loads.get(), "the first node decodes everything");

            final Path java = Path.of(ProcessHandle.current().info().command().orElseThrow());
            final Process second = new ProcessBuilder(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), SecondNode.class.getName(),
                server.uri(), "shared.v1", String.valueOf(KEYS), String.valueOf(LENGTH)))
                .redirectErrorStream(true).start();
            final String out = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(second.waitFor(60, TimeUnit.SECONDS), out);
            assertEquals(0, second.exitValue(), out);
            final String result = out.lines().filter(l -> l.startsWith("RESULT")).findFirst().orElseThrow(() -> new AssertionError(out));
            assertEquals("RESULT loads=0 wrong=0 l4hits=" + KEYS + " corrupt=0", result, out);
        }
    }
}
