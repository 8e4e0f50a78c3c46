package dev.tiercache.store;

import dev.tiercache.lz4.Lz4Library;
import dev.tiercache.lz4.lz4_h;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * LZ4 block format through the system's liblz4: one downcall per block, straight between the
 * caller's segments.
 *
 * <h2>Why native</h2>
 * Restoring entries from L3 is on the read path of every L3 hit. Measured on the build machine
 * (1 MiB blocks, warmed, median of 9 rounds): liblz4 decodes image-like uint8 data (ratio 1.11) at
 * 4.6 GB/s, against 1.5 GB/s for lz4-java's safe instance on the same blocks (0.7 GB/s on the
 * denser blocks lz4-java itself writes), and sparse heatmap-like floats (ratio 39) at 35 GB/s
 * against 15 GB/s; it compresses 3 to 4 times faster. The block format is the one
 * {@link JavaLz4Codec} writes, so either codec reads what the other stored.
 *
 * <h2>Memory safety</h2>
 * {@code LZ4_compress_default} never writes past the capacity it is given, and
 * {@code LZ4_decompress_safe} never reads past the compressed size nor writes past the capacity,
 * whatever the input; both are passed exactly the segments' lengths. FFM keeps both segments'
 * scopes alive for the call and checks their owner thread. A read-only {@code dst} is refused
 * before the call, since C would fault writing to it.
 *
 * <h2>Heap segments</h2>
 * A downcall takes only native segments unless linked {@code critical(true)}, which pins the heap
 * by keeping the thread from reaching a safepoint for the whole call: seconds of stalled garbage
 * collection for a large block. Copying through a native buffer needs one buffer per thread,
 * owned by nobody in particular. So a heap segment (on either side) is handed to the pure-Java
 * codec: same format, same outcomes, slower. The stores only pass native segments (arenas and
 * mapped files), which take the fast path.
 *
 * <h2>Why not critical</h2>
 * {@code Linker.Option.critical(false)} skips the thread-state transition, a few nanoseconds per
 * call. Measured on the same data: no difference at 64 KiB and 1 MiB (4.7 vs 4.7 GB/s image-like,
 * 35 vs 35 GB/s sparse), 2 to 4 % at 4 KiB, up to 15 % only at 512 B. Entries worth compressing
 * are far larger, and a critical call delays every safepoint, so garbage collection, for its whole
 * length (a large compress takes seconds). Not used.
 *
 * <h2>Limits</h2>
 * LZ4 sizes are C ints: a block holds at most {@link Codecs#MAX_BLOCK_BYTES} raw bytes. Larger
 * sources are {@link #INCOMPRESSIBLE}; larger expected raw lengths are {@link #CORRUPT}.
 *
 * <p>Allocates nothing on native segments.
 */
public final class NativeLz4Codec implements Codec
{
    private final JavaLz4Codec heapFallback;

    /**
     * Only {@link Codecs} makes one, and only after {@link Lz4Library#isAvailable()}: {@link lz4_h}
     * resolves its symbols when first used.
     */
    NativeLz4Codec(final JavaLz4Codec heapFallback)
    {
        if (!Lz4Library.isAvailable())
        {
            throw new IllegalStateException("liblz4 is not available: " + Lz4Library.reason());
        }
        this.heapFallback = heapFallback;
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
     * @return {@code "lz4-native"}.
     */
    @Override
    public String name()
    {
        return "lz4-native";
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
        if (!src.isNative() || !dst.isNative())
        {
            return heapFallback.compress(src, dst);
        }
        final long srcLength = src.byteSize();
        if (srcLength > Codecs.MAX_BLOCK_BYTES)
        {
            return INCOMPRESSIBLE;
        }
        final int capacity = (int)Math.min(dst.byteSize(), Codecs.lz4CompressBound(srcLength));
        final int written = compressBlock(src, dst, (int)srcLength, capacity);
        return written > 0 ? written : INCOMPRESSIBLE;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public long decompress(final MemorySegment src, final MemorySegment dst)
    {
        Codecs.checkSegments(src, dst);
        if (!src.isNative() || !dst.isNative())
        {
            return heapFallback.decompress(src, dst);
        }
        final long rawLength = dst.byteSize();
        final long srcLength = src.byteSize();
        if (rawLength > Codecs.MAX_BLOCK_BYTES || srcLength > Codecs.lz4CompressBound(Codecs.MAX_BLOCK_BYTES))
        {
            return CORRUPT;
        }
        final int restored = decompressBlock(src, dst, (int)srcLength, (int)rawLength);
        return restored == rawLength ? rawLength : CORRUPT;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String toString()
    {
        return name() + " " + Lz4Library.versionString();
    }

    /**
     * Through the handle rather than {@link lz4_h}'s wrapper, which turns every exception into an
     * {@link AssertionError}: FFM's own refusals (a closed arena, a segment owned by another
     * thread) are the caller's to see as they are.
     */
    private static int compressBlock(final MemorySegment src, final MemorySegment dst, final int srcSize, final int dstCapacity)
    {
        try
        {
            return (int)Downcalls.COMPRESS.invokeExact(src, dst, srcSize, dstCapacity);
        }
        catch (final RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("LZ4_compress_default threw", ex);
        }
    }

    private static int decompressBlock(final MemorySegment src, final MemorySegment dst, final int srcSize, final int dstCapacity)
    {
        try
        {
            return (int)Downcalls.DECOMPRESS.invokeExact(src, dst, srcSize, dstCapacity);
        }
        catch (final RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("LZ4_decompress_safe threw", ex);
        }
    }

    /**
     * Resolves liblz4's symbols on first use, which the constructor's check makes safe.
     */
    private static final class Downcalls
    {
        static final MethodHandle COMPRESS = lz4_h.LZ4_compress_default$handle();
        static final MethodHandle DECOMPRESS = lz4_h.LZ4_decompress_safe$handle();
    }
}
