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
 *  |          zero padding up to Regions Offset (4096)            ...  64
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The file is exactly {@code regionsOffset + regionSize * regionCount} bytes long; regions are
 * laid out one after the other (see {@link FileRegionDescriptor}).
 */
public final class FileHeaderDescriptor
{
    /** "TCL3FILE" read as a little-endian long. */
    public static final long MAGIC = 0x454C_4946_334C_4354L;

    /** The format this code writes, and the newest it reads. */
    public static final int FORMAT_VERSION = 1;

    /** Where region 0 starts: one 4 KiB page, so regions are page-aligned on 4 KiB-page systems. */
    public static final int REGIONS_OFFSET = 4096;

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
