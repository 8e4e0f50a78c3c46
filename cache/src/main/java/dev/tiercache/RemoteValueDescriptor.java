package dev.tiercache;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.zip.CRC32C;

/**
 * The layout of a value in L4: the entry's meta record (its key and part specs, as
 * {@link EntryMetaDescriptor} lays it out) and its payload, under one CRC32C. A reader trusts a
 * value only when the magic, the version, the lengths, the checksum, the meta record and the key
 * all check out; anything else is a counted miss.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |          magic (int)          |         version (int)         |  0
 *  +-------------------------------+-------------------------------+
 *  |        metaLength (int)       |  crc32c of bytes 16.. (int)   |  8
 *  +-------------------------------+-------------------------------+
 *  |                     payloadLength (long)                      | 16
 *  +===============================================================+
 *  |  meta record (metaLength bytes, {@link EntryMetaDescriptor})  | 24
 *  +---------------------------------------------------------------+
 *  |  payload (payloadLength bytes; parts at the meta's offsets)   |
 *  +---------------------------------------------------------------+
 * </pre>
 * Integers are little-endian, as everywhere in tiercache.
 */
final class RemoteValueDescriptor
{
    static final int MAGIC = 0x3443_5454; // "TTC4" read little-endian
    static final int VERSION = 1;
    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 4;
    static final int META_LENGTH_OFFSET = 8;
    static final int CRC_OFFSET = 12;
    static final int PAYLOAD_LENGTH_OFFSET = 16;
    static final int HEADER_LENGTH = 24;
    static final int CHECKED_FROM = PAYLOAD_LENGTH_OFFSET;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private RemoteValueDescriptor()
    {
    }

    /**
     * Encodes an entry from its meta record and its payload.
     *
     * @return the value; at most {@link Integer#MAX_VALUE} - 8 bytes.
     * @throws IllegalArgumentException when the entry is too large for one array.
     */
    static byte[] encode(final MemorySegment meta, final MemorySegment payload)
    {
        final long total = HEADER_LENGTH + meta.byteSize() + payload.byteSize();
        if (total > Integer.MAX_VALUE - 8)
        {
            throw new IllegalArgumentException("entry of " + total + " bytes: more than one L4 value holds (" + (Integer.MAX_VALUE - 8) + ")");
        }
        final byte[] value = new byte[(int) total];
        final MemorySegment out = MemorySegment.ofArray(value);
        out.set(INT, MAGIC_OFFSET, MAGIC);
        out.set(INT, VERSION_OFFSET, VERSION);
        out.set(INT, META_LENGTH_OFFSET, (int) meta.byteSize());
        out.set(LONG, PAYLOAD_LENGTH_OFFSET, payload.byteSize());
        MemorySegment.copy(meta, 0, out, HEADER_LENGTH, meta.byteSize());
        MemorySegment.copy(payload, 0, out, HEADER_LENGTH + meta.byteSize(), payload.byteSize());
        out.set(INT, CRC_OFFSET, crc(value));
        return value;
    }

    /**
     * Encodes an entry from the parts a put was given.
     */
    static byte[] encode(final int keyKind, final MemorySegment key, final Part[] parts)
    {
        final long metaLength = EntryMetaDescriptor.metaLength(parts.length, (int) key.byteSize());
        final MemorySegment meta = MemorySegment.ofArray(new byte[(int) metaLength]);
        final long payloadLength = EntryMetaDescriptor.write(meta, keyKind, key, parts);
        final long total = HEADER_LENGTH + metaLength + payloadLength;
        if (total > Integer.MAX_VALUE - 8)
        {
            throw new IllegalArgumentException("entry of " + total + " bytes: more than one L4 value holds (" + (Integer.MAX_VALUE - 8) + ")");
        }
        final byte[] value = new byte[(int) total];
        final MemorySegment out = MemorySegment.ofArray(value);
        out.set(INT, MAGIC_OFFSET, MAGIC);
        out.set(INT, VERSION_OFFSET, VERSION);
        out.set(INT, META_LENGTH_OFFSET, (int) metaLength);
        out.set(LONG, PAYLOAD_LENGTH_OFFSET, payloadLength);
        MemorySegment.copy(meta, 0, out, HEADER_LENGTH, metaLength);
        final long payloadBase = HEADER_LENGTH + metaLength;
        for (int i = 0; i < parts.length; i++)
        {
            final long at = EntryMetaDescriptor.partOffset(meta, i);
            MemorySegment.copy(parts[i].bytes(), 0, out, payloadBase + at, parts[i].bytes().byteSize());
        }
        out.set(INT, CRC_OFFSET, crc(value));
        return value;
    }

    static long encodedLength(final MemorySegment key, final Part[] parts)
    {
        long payload = 0;
        for (int i = 0; i < parts.length; i++)
        {
            final long size = parts[i].spec().byteSize();
            payload = i + 1 < parts.length ? EntryMetaDescriptor.align(payload + size, EntryMetaDescriptor.PART_ALIGNMENT) : payload + size;
        }
        return HEADER_LENGTH + EntryMetaDescriptor.metaLength(parts.length, (int) key.byteSize()) + payload;
    }

    /**
     * Checks a value read back for a key.
     *
     * @return null when it may be trusted, else what is wrong.
     */
    static String verify(final byte[] value, final int keyKind, final MemorySegment key)
    {
        if (value.length < HEADER_LENGTH)
        {
            return "value of " + value.length + " bytes is shorter than its " + HEADER_LENGTH + "-byte header";
        }
        final MemorySegment in = MemorySegment.ofArray(value);
        if (in.get(INT, MAGIC_OFFSET) != MAGIC || in.get(INT, VERSION_OFFSET) != VERSION)
        {
            return "magic=" + Integer.toHexString(in.get(INT, MAGIC_OFFSET)) + " version=" + in.get(INT, VERSION_OFFSET) +
                ": not a tiercache value of version " + VERSION;
        }
        final long metaLength = in.get(INT, META_LENGTH_OFFSET);
        final long payloadLength = in.get(LONG, PAYLOAD_LENGTH_OFFSET);
        if (metaLength < 0 || payloadLength < 0 || HEADER_LENGTH + metaLength + payloadLength != value.length)
        {
            return "header says meta=" + metaLength + " payload=" + payloadLength + " bytes, the value has " + value.length;
        }
        final int stored = in.get(INT, CRC_OFFSET);
        final int actual = crc(value);
        if (stored != actual)
        {
            return "crc32c=" + Integer.toHexString(actual) + " != stored " + Integer.toHexString(stored);
        }
        final MemorySegment meta = in.asSlice(HEADER_LENGTH, metaLength);
        final String invalid = EntryMetaDescriptor.validate(meta, payloadLength);
        if (invalid != null)
        {
            return invalid;
        }
        for (int i = 0, n = EntryMetaDescriptor.partCount(meta); i < n; i++)
        {
            final long end = EntryMetaDescriptor.partOffset(meta, i) + EntryMetaDescriptor.spec(meta, i).byteSize();
            if (EntryMetaDescriptor.partOffset(meta, i) < 0 || end > payloadLength)
            {
                return "part " + i + " ends at " + end + ", past the payload's " + payloadLength + " bytes";
            }
        }
        if (EntryMetaDescriptor.keyKind(meta) != keyKind || EntryMetaDescriptor.key(meta).mismatch(key) != -1)
        {
            return "the value is another key's";
        }
        return null;
    }

    /**
     * The parts of a verified value, as views of it.
     */
    static Part[] parts(final byte[] value)
    {
        final MemorySegment in = MemorySegment.ofArray(value);
        final long metaLength = in.get(INT, META_LENGTH_OFFSET);
        final MemorySegment meta = in.asSlice(HEADER_LENGTH, metaLength);
        final Part[] parts = new Part[EntryMetaDescriptor.partCount(meta)];
        for (int i = 0; i < parts.length; i++)
        {
            final TensorSpec spec = EntryMetaDescriptor.spec(meta, i);
            parts[i] = new Part(spec, in.asSlice(HEADER_LENGTH + metaLength + EntryMetaDescriptor.partOffset(meta, i), spec.byteSize()));
        }
        return parts;
    }

    private static int crc(final byte[] value)
    {
        final CRC32C crc = new CRC32C();
        crc.update(value, CHECKED_FROM, value.length - CHECKED_FROM);
        return (int) crc.getValue();
    }
}
