package dev.tiercache;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

import static dev.tiercache.TierCacheRegressionTest.value;

/**
 * A cache in a child JVM that a test kills with SIGKILL: it does one scenario's work, prints
 * {@code READY}, and waits for a line on its input (which never comes: the parent kills it).
 * Every value is self-verifying (bytes derived from key and version, see
 * {@link TierCacheRegressionTest#value}), so the parent can tell a wrong byte from a lost entry.
 */
public final class TierCacheCrashChild
{
    static final long ENTRY = 4096;

    private TierCacheCrashChild()
    {
    }

    /** The configuration the child and the parent's reopen share (L3's geometry must match). */
    static TierCache.Builder config(final Path file)
    {
        return TierCache.builder().deviceBytes(256 << 10).hostBytes(1 << 20).file(file, 16 << 20).fileRegionBytes(1 << 20)
            .maxEntries(4096).persistOnClose(false);
    }

    public static void main(final String[] args) throws Exception
    {
        final String scenario = args[0];
        final Path file = Path.of(args[1]);
        final TierCache cache = config(file).build();
        switch (scenario)
        {
            case "hot" ->
            {
                final int n = Integer.parseInt(args[2]);
                for (int key = 0; key < n; key++)
                {
                    cache.put(key, value(key, 1, ENTRY));
                }
                cache.flush();
                // read the oldest 40 %, which the later puts pushed down to L3: they are promoted
                // back to L2 (and some on to L1), and the rest go down in their place
                for (int round = 0; round < 4; round++)
                {
                    for (int key = 0; key < n * 2 / 5; key++)
                    {
                        cache.promoteToHost(key);
                        cache.get(key).close();
                    }
                }
                int promoted = 0;
                for (int key = 0; key < n * 2 / 5; key++)
                {
                    try (EntryHandle handle = cache.get(key))
                    {
                        promoted += handle.tier() != Tier.FILE ? 1 : 0;
                    }
                }
                System.out.println("PROMOTED " + promoted);
                LockSupport.parkNanos(200_000_000L);
            }
            case "replace" ->
            {
                cache.put(1L, value(1, 1, ENTRY));
                cache.flush();
                cache.put(1L, value(1, 2, ENTRY));
            }
            case "replace-flushed" ->
            {
                cache.put(1L, value(1, 1, ENTRY));
                cache.flush();
                cache.put(1L, value(1, 2, ENTRY));
                cache.flush();
            }
            case "remove-flushed" ->
            {
                cache.put(1L, value(1, 1, ENTRY));
                cache.flush();
                cache.remove(1L);
                cache.flush();
            }
            default -> throw new IllegalArgumentException("scenario=" + scenario);
        }
        final CacheStats stats = cache.stats();
        System.out.println("READY " + stats.level(Tier.DEVICE).entries() + " " + stats.level(Tier.HOST).entries() + " " +
            stats.level(Tier.FILE).entries());
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        cache.close();
    }

    /** Whether a segment holds key's value at version. */
    static boolean holds(final long key, final long version, final MemorySegment read)
    {
        return TierCacheRegressionTest.verify(key, version, ENTRY, read) == null;
    }
}
