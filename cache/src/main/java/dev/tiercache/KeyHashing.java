package dev.tiercache;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * 64-bit hashes of keys. A {@code long} key is its own hash (the index mixes it); a String or
 * byte[] key is hashed over its bytes. Equal hashes of different keys are expected now and then:
 * the full key is stored with every entry and compared on each hit, so a collision is a miss.
 */
final class KeyHashing
{
    private static final long M1 = 0x9E3779B97F4A7C15L;
    private static final long M2 = 0xBF58476D1CE4E5B9L;
    private static final long M3 = 0x94D049BB133111EBL;

    private KeyHashing()
    {
    }

    static long hash(final MemorySegment bytes)
    {
        final long n = bytes.byteSize();
        long h = M1 ^ n;
        long i = 0;
        for (; i + 8 <= n; i += 8)
        {
            h = Long.rotateLeft(h ^ (bytes.get(ValueLayout.JAVA_LONG_UNALIGNED, i) * M2), 31) * M1;
        }
        long tail = 0;
        for (int shift = 0; i < n; i++, shift += 8)
        {
            tail |= (bytes.get(ValueLayout.JAVA_BYTE, i) & 0xFFL) << shift;
        }
        h = Long.rotateLeft(h ^ (tail * M2), 31) * M1;
        h ^= h >>> 30;
        h *= M2;
        h ^= h >>> 27;
        h *= M3;
        return h ^ (h >>> 31);
    }
}
