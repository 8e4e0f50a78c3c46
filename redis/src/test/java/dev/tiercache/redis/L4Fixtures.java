package dev.tiercache.redis;

import dev.tiercache.EntryHandle;
import dev.tiercache.Part;
import dev.tiercache.RemoteSettings;
import dev.tiercache.TensorSpec;
import dev.tiercache.TierCache;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** What the L4 tests share: caches over one server, and entries whose every byte is checkable. */
public final class L4Fixtures
{
    static final long MIB = 1L << 20;

    private L4Fixtures()
    {
    }

    /**
     * A cache with L2 only and L4.
     *
     * @param remote L4.
     * @return the cache.
     */
    public static TierCache cache(final RemoteSettings remote)
    {
        return cache(remote, 256 * MIB);
    }

    static TierCache cache(final RemoteSettings remote, final long hostBytes)
    {
        return TierCache.builder().useGpu(false).hostBytes(hostBytes).maxEntries(4096).remote(remote).build();
    }

    /**
     * L4 settings for tests (a short timeout).
     *
     * @param uri       where.
     * @param namespace the namespace.
     * @return the settings.
     */
    public static RemoteSettings settings(final String uri, final String namespace)
    {
        return RemoteSettings.of(uri, namespace).withTimeout(Duration.ofMillis(300));
    }

    /** The bytes of key {@code key}, {@code length} long: a function of both, so a wrong byte is seen. */
    public static byte[] content(final long key, final int length)
    {
        final byte[] bytes = new byte[length];
        new SplittableRandom(key * 0x9E3779B97F4A7C15L + length).nextBytes(bytes);
        return bytes;
    }

    /**
     * One blob part of checkable bytes.
     *
     * @param key    the key.
     * @param length its length.
     * @return the parts.
     */
    public static Part[] parts(final long key, final int length)
    {
        return new Part[] {Part.of(TensorSpec.bytes(length), content(key, length))};
    }

    /** Reads a key and checks every byte; fails on a miss. */
    static void assertEntry(final TierCache cache, final long key, final int length)
    {
        try (EntryHandle handle = cache.get(key))
        {
            assertNotNull(handle, "key=" + key + " missed");
            assertEquals(length, handle.byteSize(), "key=" + key);
            final MemorySegment copy = MemorySegment.ofArray(new byte[length]);
            handle.copyTo(0, copy);
            final byte[] expected = content(key, length);
            final long mismatch = MemorySegment.ofArray(expected).mismatch(copy);
            assertEquals(-1, mismatch, "key=" + key + " differs at byte " + mismatch);
        }
    }
}
