package dev.tiercache.store;

import java.lang.foreign.MemorySegment;

/**
 * The identity codec: the stored bytes are the raw bytes. It gives entries stored without
 * compression the same code path as compressed ones.
 *
 * <p>Allocates nothing; one {@link MemorySegment#copy(MemorySegment, long, MemorySegment, long, long)}
 * per call.
 */
public final class RawCodec implements Codec
{
    RawCodec()
    {
    }

    /**
     * {@inheritDoc}
     *
     * @return {@link Codecs#RAW_ID}.
     */
    @Override
    public int id()
    {
        return Codecs.RAW_ID;
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code "raw"}.
     */
    @Override
    public String name()
    {
        return "raw";
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code rawLength} itself.
     */
    @Override
    public long maxCompressedLength(final long rawLength)
    {
        Codecs.checkRawLength(rawLength);
        return rawLength;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Copies {@code src} to the start of {@code dst}.
     */
    @Override
    public long compress(final MemorySegment src, final MemorySegment dst)
    {
        Codecs.checkSegments(src, dst);
        final long length = src.byteSize();
        if (length > dst.byteSize())
        {
            return INCOMPRESSIBLE;
        }
        MemorySegment.copy(src, 0, dst, 0, length);
        return length;
    }

    /**
     * {@inheritDoc}
     *
     * <p>A raw entry is valid exactly when its stored length is its raw length.
     */
    @Override
    public long decompress(final MemorySegment src, final MemorySegment dst)
    {
        Codecs.checkSegments(src, dst);
        final long length = dst.byteSize();
        if (src.byteSize() != length)
        {
            return CORRUPT;
        }
        MemorySegment.copy(src, 0, dst, 0, length);
        return length;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String toString()
    {
        return name();
    }
}
