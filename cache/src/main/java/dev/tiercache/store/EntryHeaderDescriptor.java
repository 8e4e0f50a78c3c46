package dev.tiercache.store;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.tiercache.store.FileHeaderDescriptor.INT;
import static dev.tiercache.store.FileHeaderDescriptor.LONG;

/**
 * Layout of one entry in a {@link FileStore} region. All fields are little-endian; an entry starts
 * 8-byte aligned, and its location is the file offset of its header.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        Magic "TCEN"                           |  0
 *  +-------------------------------+---------------+---------------+
 *  |   Flags (bit 0: REMOVED)      |   Codec Id    |   Reserved    |  4
 *  +-------------------------------+---------------+---------------+
 *  |                          Key Length                           |  8
 *  +---------------------------------------------------------------+
 *  |                          Meta Length                          | 12
 *  +---------------------------------------------------------------+
 *  |                  Raw Length (bytes restored)                  | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                  Stored Length (bytes on disk)                | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |              Sequence (per file, 1, 2, ... newest wins)       | 32
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                           Key Hash                            | 40
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |             Region Sequence (the region's generation)         | 48
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |    CRC32C of the payload: key, meta, padding, stored bytes    | 56
 *  +---------------------------------------------------------------+
 *  |              CRC32C of bytes 0 to 59 (this header)            | 60
 *  +---------------------------------------------------------------+
 *  |                     Key bytes (Key Length)                   ...  64
 *  +---------------------------------------------------------------+
 *  |                    Meta bytes (Meta Length)                  ...
 *  +---------------------------------------------------------------+
 *  |          zero padding to the next multiple of 8 bytes        ...
 *  +---------------------------------------------------------------+
 *  |   Stored bytes (Stored Length): raw, or compressed by Codec  ...  storedOffset
 *  +---------------------------------------------------------------+
 *  |          padding to the next multiple of 8 bytes             ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The header checksum makes a torn or overwritten header detectable before any length in it is
 * trusted; the payload checksum does the same for the bytes. Removing an entry sets
 * {@link #FLAG_REMOVED} and rewrites the header checksum; a torn removal fails the checksum, so the
 * entry is skipped rather than brought back. Stored bytes start 8-byte aligned so a raw entry can
 * be read in place as longs, floats or halves.
 */
public final class EntryHeaderDescriptor
{
    /** "TCEN" read as a little-endian int. */
    public static final int MAGIC = 0x4E45_4354;

    /** Flag: the entry was removed and must not be recovered. */
    public static final short FLAG_REMOVED = 1;

    /** Codec id of an entry stored raw. */
    public static final int RAW_CODEC_ID = 0;

    /** Offset of the magic. */
    public static final int MAGIC_OFFSET = 0;
    /** Offset of the flags. */
    public static final int FLAGS_OFFSET = 4;
    /** Offset of the codec id. */
    public static final int CODEC_ID_OFFSET = 6;
    /** Offset of the key length. */
    public static final int KEY_LENGTH_OFFSET = 8;
    /** Offset of the meta length. */
    public static final int META_LENGTH_OFFSET = 12;
    /** Offset of the raw length. */
    public static final int RAW_LENGTH_OFFSET = 16;
    /** Offset of the stored length. */
    public static final int STORED_LENGTH_OFFSET = 24;
    /** Offset of the entry sequence. */
    public static final int SEQUENCE_OFFSET = 32;
    /** Offset of the key hash. */
    public static final int KEY_HASH_OFFSET = 40;
    /** Offset of the region sequence. */
    public static final int REGION_SEQUENCE_OFFSET = 48;
    /** Offset of the payload checksum. */
    public static final int PAYLOAD_CHECKSUM_OFFSET = 56;
    /** Offset of the header checksum. */
    public static final int HEADER_CHECKSUM_OFFSET = 60;
    /** Bytes of the header; the key starts here. */
    public static final int LENGTH = 64;

    /** Entries start at multiples of this. */
    public static final int ALIGNMENT = 8;

    /** {@link #check} result: a valid header. */
    public static final int VALID = 0;
    /** {@link #check} result: the magic is wrong. */
    public static final int BAD_MAGIC = -1;
    /** {@link #check} result: the header checksum does not match. */
    public static final int BAD_HEADER_CHECKSUM = -2;
    /** {@link #check} result: lengths negative, inconsistent or past the limit. */
    public static final int BAD_LENGTHS = -3;

    /**
     * The largest raw length a compressed entry may claim: one codec block
     * ({@link Codecs#MAX_BLOCK_BYTES}). A header that verifies but claims more was not written by
     * this library, and its length would be trusted by whoever sizes a buffer for the read.
     */
    public static final long MAX_COMPRESSED_RAW_LENGTH = Codecs.MAX_BLOCK_BYTES;

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private EntryHeaderDescriptor()
    {
    }

    /**
     * Where the stored bytes start, relative to the entry.
     *
     * @param keyLength  key bytes.
     * @param metaLength meta bytes.
     * @return the 8-byte aligned offset after header, key and meta.
     */
    public static long storedOffset(final long keyLength, final long metaLength)
    {
        return align(LENGTH + keyLength + metaLength);
    }

    /**
     * The whole entry's length, padding included: the distance to the next entry.
     *
     * @param keyLength    key bytes.
     * @param metaLength   meta bytes.
     * @param storedLength stored bytes.
     * @return the 8-byte aligned entry length.
     */
    public static long entryLength(final long keyLength, final long metaLength, final long storedLength)
    {
        return align(storedOffset(keyLength, metaLength) + storedLength);
    }

    /**
     * Rounds up to {@link #ALIGNMENT}.
     *
     * @param length bytes.
     * @return the next multiple of 8 at or above {@code length}.
     */
    public static long align(final long length)
    {
        return (length + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /**
     * Writes a complete header, header checksum included. The payload must already be in place.
     *
     * @param file            the mapped file.
     * @param offset          the entry's location.
     * @param codecId         {@link #RAW_CODEC_ID} or the codec's id (0 to 255).
     * @param keyLength       key bytes.
     * @param metaLength      meta bytes.
     * @param rawLength       bytes restored on read.
     * @param storedLength    bytes stored.
     * @param sequence        the entry's sequence.
     * @param keyHash         the key's hash.
     * @param regionSequence  the generation of the region it is written in.
     * @param payloadChecksum the CRC32C of the payload.
     */
    public static void write(
        final MemorySegment file,
        final long offset,
        final int codecId,
        final int keyLength,
        final int metaLength,
        final long rawLength,
        final long storedLength,
        final long sequence,
        final long keyHash,
        final long regionSequence,
        final int payloadChecksum)
    {
        file.set(INT, offset + MAGIC_OFFSET, MAGIC);
        file.set(SHORT, offset + FLAGS_OFFSET, (short)0);
        file.set(ValueLayout.JAVA_BYTE, offset + CODEC_ID_OFFSET, (byte)codecId);
        file.set(ValueLayout.JAVA_BYTE, offset + CODEC_ID_OFFSET + 1, (byte)0);
        file.set(INT, offset + KEY_LENGTH_OFFSET, keyLength);
        file.set(INT, offset + META_LENGTH_OFFSET, metaLength);
        file.set(LONG, offset + RAW_LENGTH_OFFSET, rawLength);
        file.set(LONG, offset + STORED_LENGTH_OFFSET, storedLength);
        file.set(LONG, offset + SEQUENCE_OFFSET, sequence);
        file.set(LONG, offset + KEY_HASH_OFFSET, keyHash);
        file.set(LONG, offset + REGION_SEQUENCE_OFFSET, regionSequence);
        file.set(INT, offset + PAYLOAD_CHECKSUM_OFFSET, payloadChecksum);
        file.set(INT, offset + HEADER_CHECKSUM_OFFSET, computeHeaderChecksum(file, offset));
    }

    /**
     * Sets {@link #FLAG_REMOVED} and rewrites the header checksum.
     *
     * @param file   the mapped file.
     * @param offset the entry's location.
     */
    public static void markRemoved(final MemorySegment file, final long offset)
    {
        file.set(SHORT, offset + FLAGS_OFFSET, (short)(flags(file, offset) | FLAG_REMOVED));
        file.set(INT, offset + HEADER_CHECKSUM_OFFSET, computeHeaderChecksum(file, offset));
    }

    /**
     * Validates the header at {@code offset}: magic, header checksum, and lengths that fit
     * before {@code limit}. The payload is not read.
     *
     * @param file   the mapped file.
     * @param offset the entry's location.
     * @param limit  file offset the entry must end at or before (the region's write limit).
     * @return {@link #VALID} or a negative reason.
     */
    public static int check(final MemorySegment file, final long offset, final long limit)
    {
        if (offset + LENGTH > limit)
        {
            return BAD_LENGTHS;
        }
        if (file.get(INT, offset + MAGIC_OFFSET) != MAGIC)
        {
            return BAD_MAGIC;
        }
        if (file.get(INT, offset + HEADER_CHECKSUM_OFFSET) != computeHeaderChecksum(file, offset))
        {
            return BAD_HEADER_CHECKSUM;
        }
        final int keyLength = keyLength(file, offset);
        final int metaLength = metaLength(file, offset);
        final long rawLength = rawLength(file, offset);
        final long storedLength = storedLength(file, offset);
        if (keyLength < 0 || metaLength < 0 || rawLength < 0 || storedLength < 0 ||
            (codecId(file, offset) == RAW_CODEC_ID ? rawLength != storedLength : rawLength > MAX_COMPRESSED_RAW_LENGTH) ||
            storedLength > limit - offset ||
            entryLength(keyLength, metaLength, storedLength) > limit - offset)
        {
            return BAD_LENGTHS;
        }
        return VALID;
    }

    /**
     * Words for a negative {@link #check} result.
     *
     * @param check the result.
     * @return a short reason.
     */
    public static String reason(final int check)
    {
        return switch (check)
        {
            case VALID -> "valid";
            case BAD_MAGIC -> "bad entry magic";
            case BAD_HEADER_CHECKSUM -> "entry header checksum mismatch";
            case BAD_LENGTHS -> "entry lengths out of range";
            default -> "unknown check result " + check;
        };
    }

    /**
     * The checksum the header should carry.
     *
     * @param file   the mapped file.
     * @param offset the entry's location.
     * @return the CRC32C of the header's bytes {@code [0, HEADER_CHECKSUM_OFFSET)}.
     */
    public static int computeHeaderChecksum(final MemorySegment file, final long offset)
    {
        return Crc32c.of(file, offset, HEADER_CHECKSUM_OFFSET);
    }

    /**
     * The checksum the payload should carry; call only on a {@link #check}ed header.
     *
     * @param file   the mapped file.
     * @param offset the entry's location.
     * @return the CRC32C of key, meta, padding and stored bytes.
     */
    public static int computePayloadChecksum(final MemorySegment file, final long offset)
    {
        final long end = storedOffset(keyLength(file, offset), metaLength(file, offset)) + storedLength(file, offset);
        return Crc32c.of(file, offset + LENGTH, end - LENGTH);
    }

    /**
     * The flags.
     *
     * @param file   the mapped file.
     * @param offset the entry's location.
     * @return the flags as stored.
     */
    public static short flags(final MemorySegment file, final long offset)
    {
        return file.get(SHORT, offset + FLAGS_OFFSET);
    }

    /**
     * Whether {@link #FLAG_REMOVED} is set.
     *
     * @param file   the mapped file.
     * @param offset the entry's location.
     * @return true for a removed entry.
     */
    public static boolean isRemoved(final MemorySegment file, final long offset)
    {
        return (flags(file, offset) & FLAG_REMOVED) != 0;
    }

    /**
     * The codec id.
     *
     * @param file   the mapped file.
     * @param offset the entry's location.
     * @return 0 to 255.
     */
    public static int codecId(final MemorySegment file, final long offset)
    {
        return Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, offset + CODEC_ID_OFFSET));
    }

    /**
     * The key length.
     *
     * @param file   the mapped file.
     * @param offset the entry's location.
     * @return key bytes, as stored.
     */
    public static int keyLength(final MemorySegment file, final long offset)
    {
        return file.get(INT, offset + KEY_LENGTH_OFFSET);
    }

    /**
     * The meta length.
     *
     * @param file   the mapped file.
     * @param offset the entry's location.
     * @return meta bytes, as stored.
     */
    public static int metaLength(final MemorySegment file, final long offset)
    {
        return file.get(INT, offset + META_LENGTH_OFFSET);
    }

    /**
     * The raw length.
     *
     * @param file   the mapped file.
     * @param offset the entry's location.
     * @return bytes restored on read, as stored.
     */
    public static long rawLength(final MemorySegment file, final long offset)
    {
        return file.get(LONG, offset + RAW_LENGTH_OFFSET);
    }

    /**
     * The stored length.
     *
     * @param file   the mapped file.
     * @param offset the entry's location.
     * @return bytes on disk, as stored.
     */
    public static long storedLength(final MemorySegment file, final long offset)
    {
        return file.get(LONG, offset + STORED_LENGTH_OFFSET);
    }

    /**
     * The entry sequence.
     *
     * @param file   the mapped file.
     * @param offset the entry's location.
     * @return the sequence, as stored.
     */
    public static long sequence(final MemorySegment file, final long offset)
    {
        return file.get(LONG, offset + SEQUENCE_OFFSET);
    }

    /**
     * The key hash.
     *
     * @param file   the mapped file.
     * @param offset the entry's location.
     * @return the hash, as stored.
     */
    public static long keyHash(final MemorySegment file, final long offset)
    {
        return file.get(LONG, offset + KEY_HASH_OFFSET);
    }

    /**
     * The region sequence the entry was written under.
     *
     * @param file   the mapped file.
     * @param offset the entry's location.
     * @return the region's generation, as stored.
     */
    public static long regionSequence(final MemorySegment file, final long offset)
    {
        return file.get(LONG, offset + REGION_SEQUENCE_OFFSET);
    }

    /**
     * The payload checksum.
     *
     * @param file   the mapped file.
     * @param offset the entry's location.
     * @return the checksum, as stored.
     */
    public static int payloadChecksum(final MemorySegment file, final long offset)
    {
        return file.get(INT, offset + PAYLOAD_CHECKSUM_OFFSET);
    }
}
