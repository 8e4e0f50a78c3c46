package dev.tiercache.policy;

import org.agrona.collections.Long2LongHashMap;

/**
 * What a heap array costs, for the structures that report their own heap ({@code heapBytes()}):
 * the array's header and its elements, rounded up to the 8-byte object alignment. The layout is
 * HotSpot's on a 64-bit JVM with compressed class pointers and compressed oops (the defaults below
 * 32 GiB of heap): a 16-byte array header (mark word, class pointer, length) and 4-byte
 * references. With compact object headers ({@code -XX:+UseCompactObjectHeaders}) a header takes
 * 4 bytes less, so there these figures are at most 8 bytes per array high. The fixed shells that
 * hold the arrays (a few dozen bytes each, a few hundred per cache) are not counted: what matters
 * is what scales with the entries.
 */
public final class HeapBytes
{
    /** Bytes of an array's header: mark word, compressed class pointer, length. */
    public static final int ARRAY_HEADER = 16;

    private static final int ALIGNMENT = 8;

    private HeapBytes()
    {
    }

    /**
     * A {@code long[]} (or an {@code AtomicLongArray}'s backing array).
     *
     * @param length its length.
     * @return bytes.
     */
    public static long longs(final int length)
    {
        return array(length, Long.BYTES);
    }

    /**
     * An {@code int[]}.
     *
     * @param length its length.
     * @return bytes.
     */
    public static long ints(final int length)
    {
        return array(length, Integer.BYTES);
    }

    /**
     * An array of references: 4 bytes each, the JVM's compressed pointers (the default below
     * 32 GiB of heap).
     *
     * @param length its length.
     * @return bytes.
     */
    public static long references(final int length)
    {
        return array(length, Integer.BYTES);
    }

    /**
     * A {@code boolean[]}.
     *
     * @param length its length.
     * @return bytes.
     */
    public static long booleans(final int length)
    {
        return array(length, 1);
    }

    /**
     * The entries of an Agrona {@link Long2LongHashMap}: one {@code long[]} of a key and a value
     * per bucket.
     *
     * @param map the map.
     * @return bytes.
     */
    public static long of(final Long2LongHashMap map)
    {
        return longs(map.capacity() * 2);
    }

    private static long array(final int length, final int elementBytes)
    {
        final long bytes = ARRAY_HEADER + (long)length * elementBytes;
        return (bytes + ALIGNMENT - 1) & -ALIGNMENT;
    }
}
