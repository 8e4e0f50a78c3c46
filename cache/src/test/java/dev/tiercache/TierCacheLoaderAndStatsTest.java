package dev.tiercache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.tiercache.TierCacheRegressionTest.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code get(key, loader)} for every key kind: single flight (on the full key, so keys whose hashes
 * collide load separately), loaders that throw or return null, and one count per lookup; and the
 * identities the statistics keep on any workload.
 */
@org.junit.jupiter.api.extension.ExtendWith(dev.tiercache.testing.SimulatedMx250.class)
class TierCacheLoaderAndStatsTest
{
    @TempDir
    Path dir;


    private TierCache open()
    {
        return TierCache.builder().deviceBytes(256 << 10).hostBytes(1 << 20).file(dir.resolve("l3.tc"), 16 << 20)
            .fileRegionBytes(1 << 20).maxEntries(2048).build();
    }

    /**
     * {@code usedBytes} answers what the snapshot says, level by level, as entries come and go;
     * {@code adviseWillNeed} is given for an entry in L3 only.
     */
    @Test
    void usedBytes_isTheSnapshotsFigure_andAdviseWillNeed_takesOnlyL3Entries()
    {
        try (TierCache cache = open())
        {
            for (final Tier tier : Tier.values())
            {
                assertEquals(cache.stats().level(tier).usedBytes(), cache.usedBytes(tier), tier.label());
            }
            for (int key = 0; key < 120; key++)
            {
                cache.put(key, value(key, 1, 16 << 10));
                if (key % 17 == 0)
                {
                    cache.remove(key / 2);
                }
                for (final Tier tier : Tier.values())
                {
                    assertEquals(cache.stats().level(tier).usedBytes(), cache.usedBytes(tier), tier.label() + " after key " + key);
                }
            }
            int inFile = 0;
            for (int key = 0; key < 120; key++)
            {
                final Tier tier = cache.tierOf(key);
                assertEquals(tier == Tier.FILE, cache.adviseWillNeed(key), "key " + key + " in " + tier);
                inFile += tier == Tier.FILE ? 1 : 0;
            }
            assertTrue(inFile > 0, "some entries must be in L3, or this shows nothing");
            assertFalse(cache.adviseWillNeed(10_000), "a missing key");
            assertThrows(NullPointerException.class, () -> cache.usedBytes(null));
        }
    }

    /** The key kinds of TierCache's API, each with its loader get. */
    enum KeyKind
    {
        LONG
        {
            @Override
            EntryHandle get(final TierCache cache, final long i, final Body body)
            {
                return cache.get(i, key -> body.load());
            }

            @Override
            String described(final long i)
            {
                return "key=" + i;
            }
        },
        STRING
        {
            @Override
            EntryHandle get(final TierCache cache, final long i, final Body body)
            {
                return cache.get("sample-" + i, key -> body.load());
            }

            @Override
            String described(final long i)
            {
                return "key=\"sample-" + i + "\"";
            }
        },
        BYTES
        {
            @Override
            EntryHandle get(final TierCache cache, final long i, final Body body)
            {
                return cache.get(("sample-" + i).getBytes(StandardCharsets.UTF_8), key -> body.load());
            }

            @Override
            String described(final long i)
            {
                return "key=" + ("sample-" + i).length() + " bytes";
            }
        };

        /** A loader's body, whatever the key's kind. */
        @FunctionalInterface
        interface Body
        {
            Part[] load() throws Exception;
        }

        abstract EntryHandle get(TierCache cache, long i, Body body);

        /** How a load error names the key. */
        abstract String described(long i);
    }

    @ParameterizedTest
    @EnumSource(KeyKind.class)
    void fourThreadsMissingOneKey_loadItOnce(final KeyKind kind) throws Exception
    {
        try (TierCache cache = open())
        {
            final AtomicInteger loads = new AtomicInteger();
            final CountDownLatch release = new CountDownLatch(1);
            final KeyKind.Body slow = () ->
            {
                loads.incrementAndGet();
                release.await(10, TimeUnit.SECONDS);
                return new Part[] {Part.blob(value(7, 1, 4096))};
            };
            final ExecutorService pool = Executors.newFixedThreadPool(4);
            try
            {
                final List<Future<Boolean>> results = new ArrayList<>();
                for (int i = 0; i < 4; i++)
                {
                    results.add(pool.submit(() ->
                    {
                        try (EntryHandle handle = kind.get(cache, 7, slow))
                        {
                            return handle != null && holds(handle, value(7, 1, 4096));
                        }
                    }));
                }
                // wait until the other three are parked on the first one's load
                for (int i = 0; i < 500 && loads.get() == 0; i++)
                {
                    Thread.sleep(10);
                }
                Thread.sleep(200);
                release.countDown();
                for (final Future<Boolean> result : results)
                {
                    assertTrue(result.get(30, TimeUnit.SECONDS));
                }
            }
            finally
            {
                pool.shutdownNow();
            }
            assertEquals(1, loads.get(), kind + ": four threads missing one key load it once");
            assertEquals(4, cache.stats().accesses(), kind + ": one count per lookup; " + cache.stats());
            assertEquals(0, cache.stats().hits(), kind + ": the three that waited missed too; " + cache.stats());
        }
    }

    @ParameterizedTest
    @EnumSource(KeyKind.class)
    void aCheckedLoaderException_isWrapped_andANullLoadIsAMiss(final KeyKind kind)
    {
        try (TierCache cache = open())
        {
            final IOException io = new IOException("disk gone");
            final TierCache.LoadException thrown = assertThrows(TierCache.LoadException.class, () -> kind.get(cache, 1, () ->
            {
                throw io;
            }));
            assertSame(io, thrown.getCause());
            assertTrue(thrown.getMessage().startsWith(kind.described(1)), thrown.getMessage());
            final IllegalArgumentException unchecked = new IllegalArgumentException("bad sample");
            assertSame(unchecked, assertThrows(IllegalArgumentException.class, () -> kind.get(cache, 1, () ->
            {
                throw unchecked;
            })));
            assertNull(kind.get(cache, 2, () -> null));
            assertEquals(0, cache.size(), "a null load caches nothing");
            try (EntryHandle loaded = kind.get(cache, 3, () -> new Part[] {Part.blob(value(3, 1, 100))}))
            {
                assertNotNull(loaded);
                assertTrue(holds(loaded, value(3, 1, 100)));
            }
            assertEquals(1, cache.size());
        }
    }

    @ParameterizedTest
    @EnumSource(KeyKind.class)
    void eightLookupsThroughALoader_countEightAccesses(final KeyKind kind)
    {
        try (TierCache cache = open())
        {
            final AtomicInteger loads = new AtomicInteger();
            for (int i = 0; i < 8; i++)
            {
                final long key = i % 4;
                kind.get(cache, key, () ->
                {
                    loads.incrementAndGet();
                    return new Part[] {Part.blob(value(key, 1, 4096))};
                }).close(); // 4 loads (misses), then 4 hits
            }
            final CacheStats stats = cache.stats();
            assertEquals(4, loads.get());
            assertEquals(8, stats.accesses(), kind + ": " + stats);
            assertEquals(4, stats.hits(), kind + ": " + stats);
            assertEquals(8, stats.level(Tier.DEVICE).accesses(), kind + ": " + stats);
        }
    }

    /**
     * Keys of another kind, or of the same kind, whose hashes equal {@code "sample-7"}'s: a String
     * and the byte[] of its UTF-8 bytes; the long key that is that hash; a byte[] and a String
     * built to collide with it.
     */
    static List<Arguments> collidingKeys()
    {
        final byte[] bytes = "sample-7".getBytes(StandardCharsets.UTF_8);
        final long hash = KeyHashing.hash(MemorySegment.ofArray(bytes));
        final byte[] base = "sample-collide-1".getBytes(StandardCharsets.UTF_8);
        final byte[] twin = collidingTwin(base);
        final String text = new String(base, StandardCharsets.US_ASCII);
        final String textTwin = new String(twin, StandardCharsets.US_ASCII);
        final Getter string = (c, l) -> c.get("sample-7", key -> l.load());
        final Getter sameBytes = (c, l) -> c.get(bytes, key -> l.load());
        final Getter longOfHash = (c, l) -> c.get(hash, key -> l.load());
        return List.of(
            Arguments.of("String, and byte[] of the same bytes", string, sameBytes),
            Arguments.of("String, and the long that is its hash", string, longOfHash),
            Arguments.of("byte[], and the long that is its hash", sameBytes, longOfHash),
            Arguments.of("two byte[] of one hash", (Getter)(c, l) -> c.get(base, key -> l.load()), (Getter)(c, l) -> c.get(twin, key -> l.load())),
            Arguments.of("two Strings of one hash", (Getter)(c, l) -> c.get(text, key -> l.load()), (Getter)(c, l) -> c.get(textTwin, key -> l.load())));
    }

    /** A get through a loader, of one key. */
    @FunctionalInterface
    interface Getter
    {
        EntryHandle get(TierCache cache, KeyKind.Body body);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("collidingKeys")
    void keysWhoseHashesCollide_loadSeparately_neitherWaitingForTheOther(final String pair, final Getter first, final Getter second)
        throws Exception
    {
        try (TierCache cache = open())
        {
            final CountDownLatch firstStarted = new CountDownLatch(1);
            final CountDownLatch releaseFirst = new CountDownLatch(1);
            final ExecutorService pool = Executors.newFixedThreadPool(2);
            try
            {
                final Future<Boolean> firstDone = pool.submit(() ->
                {
                    try (EntryHandle handle = first.get(cache, () ->
                    {
                        firstStarted.countDown();
                        releaseFirst.await(60, TimeUnit.SECONDS);
                        return new Part[] {Part.blob(value(1, 1, 2048))};
                    }))
                    {
                        return holds(handle, value(1, 1, 2048));
                    }
                });
                assertTrue(firstStarted.await(30, TimeUnit.SECONDS), "the first load started");
                // while the first key's load is held, the second key loads on its own: a single flight by hash would park it
                final Future<Boolean> secondDone = pool.submit(() ->
                {
                    try (EntryHandle handle = second.get(cache, () -> new Part[] {Part.blob(value(2, 1, 2048))}))
                    {
                        return holds(handle, value(2, 1, 2048));
                    }
                });
                assertTrue(secondDone.get(30, TimeUnit.SECONDS), pair + ": the second key gets its own value");
                releaseFirst.countDown();
                assertTrue(firstDone.get(30, TimeUnit.SECONDS), pair + ": the first key gets its own value");
            }
            finally
            {
                releaseFirst.countDown();
                pool.shutdownNow();
            }
            // the index holds one entry per hash (a colliding put replaces the other): a read is the key's own value or a load
            for (int round = 0; round < 3; round++)
            {
                try (EntryHandle again = first.get(cache, () -> new Part[] {Part.blob(value(1, 1, 2048))}))
                {
                    assertTrue(holds(again, value(1, 1, 2048)), pair + ": the first key never reads the second's bytes");
                }
                try (EntryHandle again = second.get(cache, () -> new Part[] {Part.blob(value(2, 1, 2048))}))
                {
                    assertTrue(holds(again, value(2, 1, 2048)), pair + ": the second key never reads the first's bytes");
                }
            }
        }
    }

    /**
     * A 16-byte ASCII key, other than {@code base} (16 ASCII bytes), with {@code base}'s hash: the
     * hash's first step is a bijection of the first word, so a second word can undo any change to it.
     */
    static byte[] collidingTwin(final byte[] base)
    {
        assertEquals(16, base.length);
        final long m1 = 0x9E3779B97F4A7C15L;
        final long m2 = 0xBF58476D1CE4E5B9L;
        long inverse = m2; // Newton's iteration for the inverse of an odd number modulo 2^64
        for (int i = 0; i < 6; i++)
        {
            inverse *= 2 - m2 * inverse;
        }
        final MemorySegment a = MemorySegment.ofArray(base);
        final long h0 = m1 ^ 16;
        final long a1 = Long.rotateLeft(h0 ^ (a.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) * m2), 31) * m1;
        final long aMixed = a1 ^ (a.get(ValueLayout.JAVA_LONG_UNALIGNED, 8) * m2);
        final byte[] twin = base.clone();
        final MemorySegment b = MemorySegment.ofArray(twin);
        for (long n = 0; ; n++)
        {
            final String first = String.format("tw%06d", n);
            MemorySegment.copy(MemorySegment.ofArray(first.getBytes(StandardCharsets.US_ASCII)), 0, b, 0, 8);
            final long b1 = Long.rotateLeft(h0 ^ (b.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) * m2), 31) * m1;
            final long second = (aMixed ^ b1) * inverse;
            b.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, second);
            if (printable(twin) && !java.util.Arrays.equals(twin, base))
            {
                assertEquals(KeyHashing.hash(a), KeyHashing.hash(b), "the twin's hash");
                return twin;
            }
        }
    }

    private static boolean printable(final byte[] bytes)
    {
        for (final byte b : bytes)
        {
            if (b < 0x20 || b > 0x7E)
            {
                return false;
            }
        }
        return true;
    }

    /** Whether an entry's single part holds exactly {@code expected}. */
    private static boolean holds(final EntryHandle handle, final MemorySegment expected)
    {
        if (handle == null || handle.byteSize() != expected.byteSize())
        {
            return false;
        }
        final MemorySegment copy = MemorySegment.ofArray(new byte[(int)expected.byteSize()]);
        handle.copyTo(0, copy);
        return copy.mismatch(expected) == -1;
    }

    @Test
    void theStatisticsAddUp_onARandomWorkload()
    {
        final long seed = Long.getLong("tiercache.seed", System.nanoTime());
        final SplittableRandom random = new SplittableRandom(seed);
        try (TierCache cache = open())
        {
            long lookups = 0;
            for (int op = 0; op < 5000; op++)
            {
                final long key = random.nextInt(600);
                switch (random.nextInt(4))
                {
                    case 0 -> cache.put(key, value(key, op, 1024 + random.nextInt(8192)));
                    case 1 ->
                    {
                        cache.remove(key);
                    }
                    default ->
                    {
                        lookups++;
                        final EntryHandle handle = cache.get(key);
                        if (handle != null)
                        {
                            handle.close();
                        }
                    }
                }
            }
            final CacheStats stats = cache.stats();
            final String where = "seed=" + seed + ": " + stats;
            assertEquals(lookups, stats.accesses(), where);
            assertEquals(stats.accesses(), stats.level(Tier.DEVICE).accesses(), "every lookup reaches L1; " + where);
            long hits = 0;
            final Tier[] tiers = Tier.values();
            for (int l = 0; l < tiers.length; l++)
            {
                final LevelStats level = stats.level(tiers[l]);
                hits += level.hits();
                final long below = l + 1 < tiers.length ? stats.level(tiers[l + 1]).accesses() : stats.accesses() - stats.hits();
                assertEquals(level.accesses(), level.hits() + below, tiers[l] + ": accesses = hits + what went on below; " + where);
            }
            assertEquals(stats.hits(), hits, "the cache's hits are the levels' hits; " + where);
        }
    }
}
