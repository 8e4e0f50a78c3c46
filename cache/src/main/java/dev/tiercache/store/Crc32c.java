package dev.tiercache.store;

import java.lang.foreign.MemorySegment;
import java.util.zip.CRC32C;

/**
 * CRC32C over a range of a segment, as the file format's checksums use it.
 */
final class Crc32c
{
    private Crc32c()
    {
    }

    /**
     * The CRC32C of {@code [offset, offset + length)} of {@code segment}. Allocates a checksum and a
     * buffer view (both small and usually removed by escape analysis); the JDK's implementation uses
     * the CPU's CRC32C instructions where there are some.
     *
     * @param segment native or heap memory.
     * @param offset  first byte.
     * @param length  bytes, at most {@link Integer#MAX_VALUE}.
     * @return the checksum's low 32 bits.
     */
    static int of(final MemorySegment segment, final long offset, final long length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(segment.asSlice(offset, length).asByteBuffer());
        return (int)crc.getValue();
    }
}
