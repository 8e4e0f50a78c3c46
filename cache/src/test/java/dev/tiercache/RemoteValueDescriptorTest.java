package dev.tiercache;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Property: every entry encoded for L4 verifies and decodes to its specs and bytes, and every
 * single-bit flip, truncation or extension of its value, or a read under another key, is refused.
 * Seeded; a failure prints the seed and the smallest failing entry found by halving its parts.
 */
class RemoteValueDescriptorTest
{
    private static final int CASES = 400;
    private static final DType[] TYPES = DType.values();

    private record Case(int keyKind, byte[] key, Part[] parts)
    {
        MemorySegment keySegment()
        {
            return MemorySegment.ofArray(key);
        }

        String describe()
        {
            final StringBuilder out = new StringBuilder("keyKind=" + keyKind + " key=" + key.length + "B parts=");
            for (final Part part : parts)
            {
                out.append(part.spec()).append(' ');
            }
            return out.toString();
        }
    }

    private static Case generate(final SplittableRandom random, final int maxElements)
    {
        final int keyKind = random.nextInt(3);
        final byte[] key = keyKind == EntryMetaDescriptor.KEY_KIND_LONG ? new byte[Long.BYTES] : new byte[1 + random.nextInt(40)];
        random.nextBytes(key);
        final Part[] parts = new Part[1 + random.nextInt(4)];
        for (int i = 0; i < parts.length; i++)
        {
            final DType type = TYPES[random.nextInt(TYPES.length)];
            final int rank = 1 + random.nextInt(3);
            final long[] shape = new long[rank];
            long elements = 1;
            for (int d = 0; d < rank; d++)
            {
                shape[d] = 1 + random.nextInt(Math.max(1, (int) Math.cbrt(maxElements)));
                elements *= shape[d];
            }
            final byte[] bytes = new byte[(int) (elements * type.byteSize())];
            random.nextBytes(bytes);
            parts[i] = Part.of(TensorSpec.of(type, shape), bytes);
        }
        return new Case(keyKind, key, parts);
    }

    /** What is wrong with the case, or null. */
    private static String check(final Case c, final SplittableRandom random)
    {
        final byte[] value = RemoteValueDescriptor.encode(c.keyKind, c.keySegment(), c.parts);
        if (value.length != RemoteValueDescriptor.encodedLength(c.keySegment(), c.parts))
        {
            return "encodedLength=" + RemoteValueDescriptor.encodedLength(c.keySegment(), c.parts) + " != " + value.length;
        }
        final String bad = RemoteValueDescriptor.verify(value, c.keyKind, c.keySegment());
        if (bad != null)
        {
            return "a good value refused: " + bad;
        }
        final Part[] decoded = RemoteValueDescriptor.parts(value);
        if (decoded.length != c.parts.length)
        {
            return decoded.length + " parts decoded";
        }
        for (int i = 0; i < decoded.length; i++)
        {
            if (!decoded[i].spec().equals(c.parts[i].spec()) || decoded[i].bytes().mismatch(c.parts[i].bytes()) != -1)
            {
                return "part " + i + " decoded differently";
            }
        }
        final int bit = random.nextInt(value.length * 8);
        final byte[] flipped = value.clone();
        flipped[bit / 8] ^= (byte) (1 << (bit % 8));
        if (refusedOrThrows(flipped, c) == null)
        {
            return "bit " + bit + " flipped and accepted";
        }
        if (refusedOrThrows(java.util.Arrays.copyOf(value, random.nextInt(value.length)), c) == null)
        {
            return "a truncated value accepted";
        }
        if (refusedOrThrows(java.util.Arrays.copyOf(value, value.length + 1 + random.nextInt(8)), c) == null)
        {
            return "an extended value accepted";
        }
        final byte[] otherKey = c.key.clone();
        otherKey[random.nextInt(otherKey.length)] ^= 1;
        if (RemoteValueDescriptor.verify(value, c.keyKind, MemorySegment.ofArray(otherKey)) == null)
        {
            return "accepted under another key";
        }
        return null;
    }

    private static String refusedOrThrows(final byte[] value, final Case c)
    {
        try
        {
            return RemoteValueDescriptor.verify(value, c.keyKind, c.keySegment());
        }
        catch (final RuntimeException ex)
        {
            return "threw " + ex; // refused all the same: RemoteLevel counts a throw as corrupt
        }
    }

    @Test
    void everyEntryRoundTrips_andEveryDamageIsRefused()
    {
        final long seed = Long.getLong("tiercache.seed", System.nanoTime());
        System.out.println("RemoteValueDescriptorTest seed=" + seed + " (rerun with -Dtiercache.seed=" + seed + ")");
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < CASES; i++)
        {
            final long caseSeed = random.nextLong();
            final String problem = check(generate(new SplittableRandom(caseSeed), 4096), new SplittableRandom(caseSeed + 1));
            if (problem != null)
            {
                int elements = 4096;
                Case smallest = generate(new SplittableRandom(caseSeed), elements);
                String smallestProblem = problem;
                while (elements > 1)
                {
                    elements /= 2;
                    final Case smaller = generate(new SplittableRandom(caseSeed), elements);
                    final String again = check(smaller, new SplittableRandom(caseSeed + 1));
                    if (again == null)
                    {
                        break;
                    }
                    smallest = smaller;
                    smallestProblem = again;
                }
                fail("seed=" + seed + " case " + i + ": " + smallestProblem + "; smallest: " + smallest.describe());
            }
        }
    }

    @Test
    void remoteKeys_areNamespacedAndKeepTheKindApart()
    {
        final MemorySegment bytes = MemorySegment.ofArray("17".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("tc:ds.v1:l17".getBytes(StandardCharsets.US_ASCII), keyOf(EntryMetaDescriptor.KEY_KIND_LONG, RemoteLevel.longKeyBytes(17)));
        assertArrayEquals("tc:ds.v1:s17".getBytes(StandardCharsets.US_ASCII), keyOf(EntryMetaDescriptor.KEY_KIND_STRING, bytes));
        assertArrayEquals("tc:ds.v1:b17".getBytes(StandardCharsets.US_ASCII), keyOf(EntryMetaDescriptor.KEY_KIND_BYTES, bytes));
    }

    private static byte[] keyOf(final int kind, final MemorySegment key)
    {
        try (InMemoryRemoteStore store = new InMemoryRemoteStore())
        {
            final RemoteSettings settings = RemoteSettings.of("mem://test", "ds.v1");
            try (RemoteLevel level = RemoteLevel.open("t", settings, store))
            {
                return level.remoteKey(kind, key);
            }
        }
    }

    @Test
    void settings_checkTheirValues_andHideThePassword()
    {
        final RemoteSettings settings = RemoteSettings.of("redis://alice:pa55word@cache:6379/2", "imagenet.v3");
        assertEquals("redis://alice:***@cache:6379/2", RemoteSettings.redact(settings.uri()));
        assertEquals("redis://:***@cache:6379", RemoteSettings.redact("redis://:pa55word@cache:6379"));
        assertEquals("redis://***@cache:6379", RemoteSettings.redact("redis://token@cache:6379"));
        assertEquals("redis-cluster://u:***@h1:1,h2:2", RemoteSettings.redact("redis-cluster://u:pw@h1:1,h2:2"));
        assertNull(RemoteSettings.redact(null));
        assertEquals(-1, settings.toString().indexOf("pa55word"), settings.toString());
        final IllegalArgumentException badNamespace = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> RemoteSettings.of("redis://h:1", "a:b"));
        assertNotNull(badNamespace.getMessage());
        assertEquals(true, badNamespace.getMessage().contains("\"a:b\""), badNamespace.getMessage());
        final IllegalArgumentException badUri = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> RemoteSettings.of("redis://u:secret@h:1 x", "ns"));
        assertEquals(-1, badUri.getMessage().indexOf("secret"), badUri.getMessage());
    }
}
