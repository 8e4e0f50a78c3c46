package dev.tiercache.store;

import java.lang.foreign.MemorySegment;

import static dev.tiercache.store.FileHeaderDescriptor.INT;
import static dev.tiercache.store.FileHeaderDescriptor.LONG;

/**
 * Layout of the header at the start of each fixed-size region of a {@link FileStore} file. All
 * fields are little-endian; entries ({@link EntryHeaderDescriptor}) follow from offset
 * {@link #LENGTH} up to the write limit.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        Magic "TCRG"                           |  0
 *  +---------------------------------------------------------------+
 *  |                 State (1 ACTIVE, 2 SEALED)                    |  4
 *  +---------------------------------------------------------------+
 *  |        Region Sequence (generation; 1, 2, ... per file)       |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |        Write Limit (offset in the region of the next entry)   | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                     Reserved (36 bytes, 0)                   ...  24
 *  +---------------------------------------------------------------+
 *  |              CRC32C of bytes 0 to 59 (this header)            | 60
 *  +---------------------------------------------------------------+
 *  |                 entries, each 8-byte aligned                 ...  64
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The header is written whole ({@link #write}) when a region starts a generation, and updated
 * in place ({@link #update}) as entries are appended and when the region is sealed, in an order
 * that a kill cannot turn into the loss of the region.
 *
 * <p>A region whose 64 header bytes are all zero has never been used. Every region use gets a new
 * sequence, which each of its entries repeats: bytes left behind by an older generation of the
 * same region never pass for live entries.
 */
public final class FileRegionDescriptor
{
    /** "TCRG" read as a little-endian int. */
    public static final int MAGIC = 0x4752_4354;

    /** State of the region that takes appends. */
    public static final int STATE_ACTIVE = 1;
    /** State of a full region, waiting to be reclaimed. */
    public static final int STATE_SEALED = 2;

    /** Offset of the magic. */
    public static final int MAGIC_OFFSET = 0;
    /** Offset of the state. */
    public static final int STATE_OFFSET = 4;
    /** Offset of the region sequence. */
    public static final int SEQUENCE_OFFSET = 8;
    /** Offset of the write limit. */
    public static final int WRITE_LIMIT_OFFSET = 16;
    /** Offset of the header checksum. */
    public static final int CHECKSUM_OFFSET = 60;
    /** Bytes of the region header; the first entry starts here. */
    public static final int LENGTH = 64;

    /** {@link #check} result: a valid header. */
    public static final int VALID = 0;
    /** {@link #check} result: all zero, the region was never used. */
    public static final int UNUSED = 1;
    /** {@link #check} result: the magic is wrong. */
    public static final int BAD_MAGIC = -1;
    /** {@link #check} result: the checksum does not match. */
    public static final int BAD_CHECKSUM = -2;
    /** {@link #check} result: state, sequence or write limit out of range. */
    public static final int BAD_FIELDS = -3;

    private FileRegionDescriptor()
    {
    }

    /**
     * Writes a complete region header, checksum included.
     *
     * @param file       the mapped file.
     * @param base       file offset of the region.
     * @param state      {@link #STATE_ACTIVE} or {@link #STATE_SEALED}.
     * @param sequence   the region's generation.
     * @param writeLimit offset in the region where the next entry goes.
     */
    public static void write(final MemorySegment file, final long base, final int state, final long sequence, final long writeLimit)
    {
        file.asSlice(base, LENGTH).fill((byte)0);
        file.set(INT, base + MAGIC_OFFSET, MAGIC);
        file.set(INT, base + STATE_OFFSET, state);
        file.set(LONG, base + SEQUENCE_OFFSET, sequence);
        file.set(LONG, base + WRITE_LIMIT_OFFSET, writeLimit);
        file.set(INT, base + CHECKSUM_OFFSET, Crc32c.of(file, base, CHECKSUM_OFFSET));
    }

    /**
     * Changes the state or the write limit of a region whose header is in place (same generation):
     * an append moving the write limit on, or the seal. Unlike {@link #write}, it leaves the magic,
     * the sequence and the reserved bytes alone and stores only what changes, each field in one
     * aligned store, the checksum last. A process killed in the middle leaves the old header whole
     * or the new one, or a header that differs from the old one in exactly one field and still
     * carries the old checksum: {@link #isTornUpdate} recognises that one at recovery, so a kill
     * while a header is updated never costs the region's entries.
     *
     * @param file       the mapped file.
     * @param base       file offset of the region.
     * @param state      {@link #STATE_ACTIVE} or {@link #STATE_SEALED}.
     * @param writeLimit offset in the region where the next entry goes.
     */
    public static void update(final MemorySegment file, final long base, final int state, final long writeLimit)
    {
        if (state(file, base) != state)
        {
            file.set(INT, base + STATE_OFFSET, state);
        }
        if (writeLimit(file, base) != writeLimit)
        {
            file.set(LONG, base + WRITE_LIMIT_OFFSET, writeLimit);
        }
        file.set(INT, base + CHECKSUM_OFFSET, Crc32c.of(file, base, CHECKSUM_OFFSET));
    }

    /**
     * Whether a header that fails its checksum is one {@link #update} left half done: the magic is
     * right, every field is in range, and the stored checksum is the one of the header before the
     * update, which differed in one field only: a state of {@link #STATE_ACTIVE} for a seal, or a
     * write limit of {@code previousLimit} (where the last entry starts) for an append. A random
     * corruption passes this only by a checksum collision.
     *
     * @param file          the mapped file.
     * @param base          file offset of the region.
     * @param regionSize    bytes per region.
     * @param previousLimit where the region's last entry starts, or {@code -1} when it has none.
     * @return true when the header is a torn update whose fields can be trusted.
     */
    public static boolean isTornUpdate(final MemorySegment file, final long base, final long regionSize, final long previousLimit)
    {
        final int state = state(file, base);
        final long writeLimit = writeLimit(file, base);
        if (file.get(INT, base + MAGIC_OFFSET) != MAGIC || (state != STATE_ACTIVE && state != STATE_SEALED) || sequence(file, base) <= 0 ||
            writeLimit < LENGTH || writeLimit > regionSize || (writeLimit & 7) != 0)
        {
            return false;
        }
        final int stored = file.get(INT, base + CHECKSUM_OFFSET);
        final MemorySegment copy = MemorySegment.ofArray(new byte[LENGTH]);
        MemorySegment.copy(file, base, copy, 0, LENGTH);
        if (state == STATE_SEALED)
        {
            copy.set(INT, STATE_OFFSET, STATE_ACTIVE);
            if (Crc32c.of(copy, 0, CHECKSUM_OFFSET) == stored)
            {
                return true;
            }
            copy.set(INT, STATE_OFFSET, state);
        }
        if (previousLimit >= LENGTH && previousLimit < writeLimit)
        {
            copy.set(LONG, WRITE_LIMIT_OFFSET, previousLimit);
            return Crc32c.of(copy, 0, CHECKSUM_OFFSET) == stored;
        }
        return false;
    }

    /**
     * Validates the header of the region at {@code base}.
     *
     * @param file       the mapped file.
     * @param base       file offset of the region.
     * @param regionSize bytes per region.
     * @return {@link #VALID}, {@link #UNUSED}, or a negative reason.
     */
    public static int check(final MemorySegment file, final long base, final long regionSize)
    {
        final int magic = file.get(INT, base + MAGIC_OFFSET);
        if (magic != MAGIC)
        {
            return magic == 0 && isZero(file, base) ? UNUSED : BAD_MAGIC;
        }
        if (file.get(INT, base + CHECKSUM_OFFSET) != Crc32c.of(file, base, CHECKSUM_OFFSET))
        {
            return BAD_CHECKSUM;
        }
        final int state = state(file, base);
        final long writeLimit = writeLimit(file, base);
        if ((state != STATE_ACTIVE && state != STATE_SEALED) || sequence(file, base) <= 0 ||
            writeLimit < LENGTH || writeLimit > regionSize || (writeLimit & 7) != 0)
        {
            return BAD_FIELDS;
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
            case UNUSED -> "unused";
            case BAD_MAGIC -> "bad region magic";
            case BAD_CHECKSUM -> "region header checksum mismatch";
            case BAD_FIELDS -> "region header fields out of range";
            default -> "unknown check result " + check;
        };
    }

    /**
     * The state.
     *
     * @param file the mapped file.
     * @param base file offset of the region.
     * @return the state as stored.
     */
    public static int state(final MemorySegment file, final long base)
    {
        return file.get(INT, base + STATE_OFFSET);
    }

    /**
     * The region sequence.
     *
     * @param file the mapped file.
     * @param base file offset of the region.
     * @return the sequence as stored.
     */
    public static long sequence(final MemorySegment file, final long base)
    {
        return file.get(LONG, base + SEQUENCE_OFFSET);
    }

    /**
     * The write limit.
     *
     * @param file the mapped file.
     * @param base file offset of the region.
     * @return the offset in the region where the next entry goes, as stored.
     */
    public static long writeLimit(final MemorySegment file, final long base)
    {
        return file.get(LONG, base + WRITE_LIMIT_OFFSET);
    }

    private static boolean isZero(final MemorySegment file, final long base)
    {
        for (int i = 0; i < LENGTH; i += Long.BYTES)
        {
            if (file.get(LONG, base + i) != 0)
            {
                return false;
            }
        }
        return true;
    }
}
