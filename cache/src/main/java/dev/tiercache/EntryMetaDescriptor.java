package dev.tiercache;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The layout of an entry's meta record: its full key and its part specs. Meta records live in one
 * host arena whatever level the entry's bytes are in, so a key comparison or a spec read never
 * touches the device or the file; the same bytes are written into the L3 entry header (as its
 * opaque meta) so a restart can rebuild the index.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |         keyKind (int)         |        keyLength (int)        |  0
 *  +-------------------------------+-------------------------------+
 *  |        partCount (int)        |         reserved (int)        |  8
 *  +-------------------------------+-------------------------------+
 *  |                     payloadLength (long)                      | 16
 *  +===============================================================+
 *  |  part 0: dtype (int) | rank (int) | offset (long) | dims[8]   | 24 .. 104
 *  +---------------------------------------------------------------+
 *  |  part 1 ...                                                   |
 *  +---------------------------------------------------------------+
 *  |  key bytes (keyLength), then zero padding to 8 bytes          |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Each part's bytes start at its {@code offset} in the payload, aligned to
 * {@link #PART_ALIGNMENT}, so a float part is always naturally aligned in every level.
 */
final class EntryMetaDescriptor
{
    static final int KEY_KIND_LONG = 0;
    static final int KEY_KIND_STRING = 1;
    static final int KEY_KIND_BYTES = 2;

    static final int KEY_KIND_OFFSET = 0;
    static final int KEY_LENGTH_OFFSET = 4;
    static final int PART_COUNT_OFFSET = 8;
    static final int PAYLOAD_LENGTH_OFFSET = 16;
    static final int PARTS_OFFSET = 24;

    static final int PART_DTYPE_OFFSET = 0;
    static final int PART_RANK_OFFSET = 4;
    static final int PART_PAYLOAD_OFFSET = 8;
    static final int PART_DIMS_OFFSET = 16;
    static final int PART_LENGTH = PART_DIMS_OFFSET + TensorSpec.MAX_RANK * Long.BYTES;

    static final int PART_ALIGNMENT = 64;
    static final int MAX_PARTS = 64;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private EntryMetaDescriptor()
    {
    }

    static long metaLength(final int partCount, final int keyLength)
    {
        return align(PARTS_OFFSET + (long) PART_LENGTH * partCount + keyLength, 8);
    }

    static long keyOffset(final int partCount)
    {
        return PARTS_OFFSET + (long) PART_LENGTH * partCount;
    }

    static long align(final long value, final long alignment)
    {
        return (value + alignment - 1) & -alignment;
    }

    /**
     * Writes a meta record and returns the payload length the parts need.
     */
    static long write(final MemorySegment meta, final int keyKind, final MemorySegment key, final Part[] parts)
    {
        meta.set(INT, KEY_KIND_OFFSET, keyKind);
        meta.set(INT, KEY_LENGTH_OFFSET, (int) key.byteSize());
        meta.set(INT, PART_COUNT_OFFSET, parts.length);
        meta.set(INT, PART_COUNT_OFFSET + 4, 0);
        long payload = 0;
        for (int i = 0; i < parts.length; i++)
        {
            final TensorSpec spec = parts[i].spec();
            final long base = PARTS_OFFSET + (long) PART_LENGTH * i;
            meta.set(INT, base + PART_DTYPE_OFFSET, spec.dtype().code());
            meta.set(INT, base + PART_RANK_OFFSET, spec.rank());
            meta.set(LONG, base + PART_PAYLOAD_OFFSET, payload);
            for (int d = 0; d < TensorSpec.MAX_RANK; d++)
            {
                meta.set(LONG, base + PART_DIMS_OFFSET + (long) d * Long.BYTES, d < spec.rank() ? spec.dim(d) : 0);
            }
            payload = i + 1 < parts.length ? align(payload + spec.byteSize(), PART_ALIGNMENT) : payload + spec.byteSize();
        }
        meta.set(LONG, PAYLOAD_LENGTH_OFFSET, payload);
        final long keyOffset = keyOffset(parts.length);
        MemorySegment.copy(key, 0, meta, keyOffset, key.byteSize());
        final long end = metaLength(parts.length, (int) key.byteSize());
        meta.asSlice(keyOffset + key.byteSize(), end - keyOffset - key.byteSize()).fill((byte) 0);
        return payload;
    }

    static int keyKind(final MemorySegment meta)
    {
        return keyKind(meta, 0);
    }

    static int keyKind(final MemorySegment memory, final long base)
    {
        return memory.get(INT, base + KEY_KIND_OFFSET);
    }

    static int keyLength(final MemorySegment meta)
    {
        return meta.get(INT, KEY_LENGTH_OFFSET);
    }

    static int partCount(final MemorySegment meta)
    {
        return partCount(meta, 0);
    }

    static int partCount(final MemorySegment memory, final long base)
    {
        return memory.get(INT, base + PART_COUNT_OFFSET);
    }

    static long payloadLength(final MemorySegment meta)
    {
        return meta.get(LONG, PAYLOAD_LENGTH_OFFSET);
    }

    static long partOffset(final MemorySegment meta, final int part)
    {
        return partOffset(meta, 0, part);
    }

    static long partOffset(final MemorySegment memory, final long base, final int part)
    {
        return memory.get(LONG, base + PARTS_OFFSET + (long) PART_LENGTH * part + PART_PAYLOAD_OFFSET);
    }

    static TensorSpec spec(final MemorySegment meta, final int part)
    {
        return spec(meta, 0, part);
    }

    static TensorSpec spec(final MemorySegment memory, final long recordBase, final int part)
    {
        final long base = recordBase + PARTS_OFFSET + (long) PART_LENGTH * part;
        final int rank = memory.get(INT, base + PART_RANK_OFFSET);
        final long[] shape = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            shape[d] = memory.get(LONG, base + PART_DIMS_OFFSET + (long) d * Long.BYTES);
        }
        return TensorSpec.of(DType.fromCode(memory.get(INT, base + PART_DTYPE_OFFSET)), shape);
    }

    static long partLength(final MemorySegment meta, final int part)
    {
        return partLength(meta, 0, part);
    }

    static long partLength(final MemorySegment memory, final long recordBase, final int part)
    {
        final long base = recordBase + PARTS_OFFSET + (long) PART_LENGTH * part;
        final int rank = memory.get(INT, base + PART_RANK_OFFSET);
        long elements = 1;
        for (int d = 0; d < rank; d++)
        {
            elements *= memory.get(LONG, base + PART_DIMS_OFFSET + (long) d * Long.BYTES);
        }
        return elements * DType.fromCode(memory.get(INT, base + PART_DTYPE_OFFSET)).byteSize();
    }

    static MemorySegment key(final MemorySegment meta)
    {
        return meta.asSlice(keyOffset(partCount(meta)), keyLength(meta));
    }

    /**
     * Checks a record read back from a file before it is trusted.
     *
     * @return null when valid, else what is wrong.
     */
    static String validate(final MemorySegment meta, final long rawLength)
    {
        if (meta.byteSize() < PARTS_OFFSET)
        {
            return "meta of " + meta.byteSize() + " bytes is shorter than its header";
        }
        final int parts = partCount(meta);
        final int keyLength = keyLength(meta);
        if (parts < 1 || parts > MAX_PARTS || keyLength < 0 || metaLength(parts, keyLength) > meta.byteSize())
        {
            return "meta says " + parts + " parts and a " + keyLength + "-byte key in " + meta.byteSize() + " bytes";
        }
        if (payloadLength(meta) != rawLength)
        {
            return "meta payloadLength=" + payloadLength(meta) + " != rawLength=" + rawLength;
        }
        return null;
    }
}
