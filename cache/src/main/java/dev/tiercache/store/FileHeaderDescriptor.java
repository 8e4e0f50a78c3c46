package dev.tiercache.store;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Layout of the header at the start of a {@link FileStore} file. All fields are little-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 Magic "TCL3FILE" (8 bytes)                    |  0
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                        Format Version                         |  8
 *  +---------------------------------------------------------------+
 *  |             Regions Offset (where region 0 starts)            | 12
 *  +---------------------------------------------------------------+
 *  |                      Region Size (bytes)                      | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                         Region Count                          | 24
 *  +---------------------------------------------------------------+
 *  |                      Flags (0, reserved)                      | 28
 *  +---------------------------------------------------------------+
 *  |                 Created (epoch milliseconds)                  | 32
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                      Reserved (20 bytes, 0)                  ...  40
 *  +---------------------------------------------------------------+
 *  |              CRC32C of bytes 0 to 59 (this header)            | 60
 *  +---------------------------------------------------------------+
 *  |                      zero padding                            ...  64
 *  +---------------------------------------------------------------+
 *  |        Owner PID (8 bytes, not checksummed, informative)      | 1024
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                      zero padding                            ...  1032
 *  +---------------------------------------------------------------+
 *  |          Mirror: bytes 0 to 63 again, byte for byte          ...  2048
 *  +---------------------------------------------------------------+
 *  |          zero padding up to Regions Offset (4096)            ...  2112
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The file is exactly {@code regionsOffset + regionSize * regionCount} bytes long; regions are
 * laid out one after the other (see {@link FileRegionDescriptor}).
 *
 * <p>The header is written twice, at {@link #PRIMARY_OFFSET} and {@link #MIRROR_OFFSET}, in
 * different 512-byte sectors of the first page; each copy carries its own CRC32C, and a reader
 * takes the first copy that verifies (see {@link #check}). Files written before the mirror existed
 * have zeros there: they still open from their primary copy, and code that predates the mirror
 * reads files that have one, since it only looks at the primary. So the format version stays 1.
 * The owner PID is written by the process that holds the file's lock, only so that a second
 * opener can say who holds it; it is outside both checksums and never trusted for anything else.
 */
public final class FileHeaderDescriptor
{
    /** "TCL3FILE" read as a little-endian long. */
    public static final long MAGIC = 0x454C_4946_334C_4354L;

    /** The format this code writes, and the newest it reads. */
    public static final int FORMAT_VERSION = 1;

    /** Where region 0 starts: one 4 KiB page, so regions are page-aligned on 4 KiB-page systems. */
    public static final int REGIONS_OFFSET = 4096;

    /** Where the primary copy of the header starts. */
    public static final int PRIMARY_OFFSET = 0;

    /** Where the mirror copy of the header starts: another sector of the first page. */
    public static final int MIRROR_OFFSET = 2048;

    /** Where the lock holder's process id sits (a little-endian long, outside the checksums). */
    public static final int OWNER_PID_OFFSET = 1024;

    /** {@link #check} result: the copy is a valid header. */
    public static final int VALID = 0;
    /** {@link #check} result: the copy is all zeros (never written, or a file from before the mirror). */
    public static final int ABSENT = 1;
    /** {@link #check} result: the magic is wrong. */
    public static final int BAD_MAGIC = 2;
    /** {@link #check} result: the checksum does not match. */
    public static final int BAD_CHECKSUM = 3;
    /** {@link #check} result: the copy lies past the end of the file. */
    public static final int MISSING = 4;

    /** Offset of the magic. */
    public static final int MAGIC_OFFSET = 0;
    /** Offset of the format version. */
    public static final int VERSION_OFFSET = 8;
    /** Offset of the regions offset. */
    public static final int REGIONS_OFFSET_OFFSET = 12;
    /** Offset of the region size. */
    public static final int REGION_SIZE_OFFSET = 16;
    /** Offset of the region count. */
    public static final int REGION_COUNT_OFFSET = 24;
    /** Offset of the flags. */
    public static final int FLAGS_OFFSET = 28;
    /** Offset of the creation time. */
    public static final int CREATED_MILLIS_OFFSET = 32;
    /** Offset of the header checksum. */
    public static final int CHECKSUM_OFFSET = 60;
    /** Bytes of the header proper, the checksum included. */
    public static final int LENGTH = 64;

    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private FileHeaderDescriptor()
    {
    }

    /**
     * The file length that a geometry needs.
     *
     * @param regionSize  bytes per region.
     * @param regionCount regions.
     * @return header page plus regions, in bytes.
     */
    public static long fileLength(final long regionSize, final int regionCount)
    {
        return Math.addExact(REGIONS_OFFSET, Math.multiplyExact(regionSize, (long)regionCount));
    }

    /**
     * Writes a complete header, checksum included, at the start of {@code file}.
     *
     * @param file          at least {@link #LENGTH} bytes.
     * @param regionSize    bytes per region.
     * @param regionCount   regions.
     * @param createdMillis creation time.
     */
    public static void write(final MemorySegment file, final long regionSize, final int regionCount, final long createdMillis)
    {
        file.asSlice(0, LENGTH).fill((byte)0);
        file.set(LONG, MAGIC_OFFSET, MAGIC);
        file.set(INT, VERSION_OFFSET, FORMAT_VERSION);
        file.set(INT, REGIONS_OFFSET_OFFSET, REGIONS_OFFSET);
        file.set(LONG, REGION_SIZE_OFFSET, regionSize);
        file.set(INT, REGION_COUNT_OFFSET, regionCount);
        file.set(LONG, CREATED_MILLIS_OFFSET, createdMillis);
        file.set(INT, CHECKSUM_OFFSET, computeChecksum(file));
        MemorySegment.copy(file, PRIMARY_OFFSET, file, MIRROR_OFFSET, LENGTH);
    }

    /**
     * Checks one copy of the header: magic and checksum (the fields themselves are checked by the
     * opener, once a copy verifies).
     *
     * @param page   the first bytes of the file, as many as exist (up to {@link #REGIONS_OFFSET}).
     * @param offset {@link #PRIMARY_OFFSET} or {@link #MIRROR_OFFSET}.
     * @return {@link #VALID}, {@link #ABSENT}, {@link #BAD_MAGIC}, {@link #BAD_CHECKSUM} or {@link #MISSING}.
     */
    public static int check(final MemorySegment page, final int offset)
    {
        if (page.byteSize() < offset + LENGTH)
        {
            return MISSING;
        }
        final MemorySegment copy = page.asSlice(offset, LENGTH);
        if (magic(copy) != MAGIC)
        {
            for (long i = 0; i < LENGTH; i += Long.BYTES)
            {
                if (copy.get(LONG, i) != 0)
                {
                    return BAD_MAGIC;
                }
            }
            return ABSENT;
        }
        return checksum(copy) == computeChecksum(copy) ? VALID : BAD_CHECKSUM;
    }

    /**
     * Says what a {@link #check} result means, with the stored values, for messages.
     *
     * @param page   the bytes {@link #check} looked at.
     * @param offset the copy's offset.
     * @param check  its result.
     * @return e.g. {@code "checksum stored=0x1 computed=0x2"}.
     */
    public static String describe(final MemorySegment page, final int offset, final int check)
    {
        return switch (check)
        {
            case VALID -> "valid";
            case ABSENT -> "all zeros";
            case MISSING -> "past the end of the file";
            case BAD_MAGIC -> "magic=0x" + Long.toHexString(magic(page.asSlice(offset, LENGTH))) +
                ", expected 0x" + Long.toHexString(MAGIC);
            default -> "checksum stored=0x" + Integer.toHexString(checksum(page.asSlice(offset, LENGTH))) +
                " computed=0x" + Integer.toHexString(computeChecksum(page.asSlice(offset, LENGTH)));
        };
    }

    /**
     * The checksum the header should carry.
     *
     * @param file at least {@link #LENGTH} bytes.
     * @return the CRC32C of bytes {@code [0, CHECKSUM_OFFSET)}.
     */
    public static int computeChecksum(final MemorySegment file)
    {
        return Crc32c.of(file, 0, CHECKSUM_OFFSET);
    }

    /**
     * The magic.
     *
     * @param file the header bytes.
     * @return the magic as stored.
     */
    public static long magic(final MemorySegment file)
    {
        return file.get(LONG, MAGIC_OFFSET);
    }

    /**
     * The format version.
     *
     * @param file the header bytes.
     * @return the version as stored.
     */
    public static int version(final MemorySegment file)
    {
        return file.get(INT, VERSION_OFFSET);
    }

    /**
     * Where region 0 starts.
     *
     * @param file the header bytes.
     * @return the offset as stored.
     */
    public static int regionsOffset(final MemorySegment file)
    {
        return file.get(INT, REGIONS_OFFSET_OFFSET);
    }

    /**
     * The region size.
     *
     * @param file the header bytes.
     * @return bytes per region, as stored.
     */
    public static long regionSize(final MemorySegment file)
    {
        return file.get(LONG, REGION_SIZE_OFFSET);
    }

    /**
     * The region count.
     *
     * @param file the header bytes.
     * @return regions, as stored.
     */
    public static int regionCount(final MemorySegment file)
    {
        return file.get(INT, REGION_COUNT_OFFSET);
    }

    /**
     * When the file was created.
     *
     * @param file the header bytes.
     * @return epoch milliseconds, as stored.
     */
    public static long createdMillis(final MemorySegment file)
    {
        return file.get(LONG, CREATED_MILLIS_OFFSET);
    }

    /**
     * The stored checksum.
     *
     * @param file the header bytes.
     * @return the checksum as stored.
     */
    public static int checksum(final MemorySegment file)
    {
        return file.get(INT, CHECKSUM_OFFSET);
    }
}
