package dev.tiercache.store;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * LZ4 block format in pure Java: lz4-java's safe instance working on
 * {@link MemorySegment#asByteBuffer()} views of the caller's segments.
 *
 * <h2>Why this one exists</h2>
 * It is the fallback when liblz4 is absent and the cross-check of {@link NativeLz4Codec}: the two
 * write the same block format (they share {@link Codecs#LZ4_ID}), and each decodes the other's
 * output. Only lz4-java's safe instance is used: its JNI instance unpacks a native library into a
 * temporary folder at run time, and its unsafe instances no longer exist as such.
 *
 * <h2>Failure</h2>
 * lz4-java reports a too-small destination and malformed input with {@link LZ4Exception}; those
 * become {@link #INCOMPRESSIBLE} and {@link #CORRUPT}. Its safe decompressor checks every read
 * and write against the buffers' bounds, which are exactly the segments' bounds.
 *
 * <h2>Limits</h2>
 * Blocks hold at most {@link Codecs#MAX_BLOCK_BYTES} raw bytes (the limit liblz4 has, kept here
 * so both codecs accept the same inputs). Larger sources are {@link #INCOMPRESSIBLE}; larger
 * expected raw lengths are {@link #CORRUPT}.
 *
 * <p>Heap segments must wrap a {@code byte[]} (others have no {@link ByteBuffer} view):
 * {@link IllegalArgumentException} otherwise.
 *
 * <p>Allocates a few small {@link ByteBuffer} views per call and, on the two failure outcomes, an
 * exception; never a copy of the data.
 */
public final class JavaLz4Codec implements Codec
{
    private static final LZ4Compressor COMPRESSOR = LZ4Factory.safeInstance().fastCompressor();
    private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4Factory.safeInstance().safeDecompressor();

    JavaLz4Codec()
    {
    }

    /**
     * {@inheritDoc}
     *
     * @return {@link Codecs#LZ4_ID}.
     */
    @Override
    public int id()
    {
        return Codecs.LZ4_ID;
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code "lz4-java"}.
     */
    @Override
    public String name()
    {
        return "lz4-java";
    }

    /**
     * {@inheritDoc}
     *
     * @return LZ4's bound, {@code rawLength + rawLength / 255 + 16}.
     */
    @Override
    public long maxCompressedLength(final long rawLength)
    {
        return Codecs.lz4CompressBound(rawLength);
    }

    /**
     * {@inheritDoc}
     *
     * @return the compressed length, or {@link #INCOMPRESSIBLE} when it does not fit {@code dst} or
     *         {@code src} is longer than {@link Codecs#MAX_BLOCK_BYTES}.
     */
    @Override
    public long compress(final MemorySegment src, final MemorySegment dst)
    {
        Codecs.checkSegments(src, dst);
        final long srcLength = src.byteSize();
        if (srcLength > Codecs.MAX_BLOCK_BYTES)
        {
            return INCOMPRESSIBLE;
        }
        // A view is at most Integer.MAX_VALUE long, and more than the bound is never written anyway.
        final long capacity = Math.min(dst.byteSize(), Codecs.lz4CompressBound(srcLength));
        final ByteBuffer source = view(src);
        final ByteBuffer target = view(dst.asSlice(0, capacity));
        try
        {
            return COMPRESSOR.compress(source, 0, (int)srcLength, target, 0, (int)capacity);
        }
        catch (final LZ4Exception ex)
        {
            return INCOMPRESSIBLE;
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public long decompress(final MemorySegment src, final MemorySegment dst)
    {
        Codecs.checkSegments(src, dst);
        final long rawLength = dst.byteSize();
        final long srcLength = src.byteSize();
        if (rawLength > Codecs.MAX_BLOCK_BYTES || srcLength > Codecs.lz4CompressBound(Codecs.MAX_BLOCK_BYTES))
        {
            return CORRUPT;
        }
        try
        {
            final int restored = DECOMPRESSOR.decompress(view(src), 0, (int)srcLength, view(dst), 0, (int)rawLength);
            return restored == rawLength ? rawLength : CORRUPT;
        }
        catch (final LZ4Exception ex)
        {
            return CORRUPT;
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String toString()
    {
        return name();
    }

    /**
     * lz4-java reads and writes multi-byte words in native order; a view in any other order makes
     * it duplicate the buffer on every call.
     */
    private static ByteBuffer view(final MemorySegment segment)
    {
        try
        {
            return segment.asByteBuffer().order(ByteOrder.nativeOrder());
        }
        catch (final UnsupportedOperationException ex)
        {
            throw new IllegalArgumentException("no ByteBuffer view of " + segment + ": heap segments must wrap a byte[]", ex);
        }
    }
}
