package dev.tiercache.store;

import java.lang.foreign.MemorySegment;

/**
 * A block codec between two memory segments: what the file store uses to compress an entry's
 * bytes on the way into L3 and to restore them on the way out.
 *
 * <p>Both directions write straight into the destination segment; no intermediate array is made.
 * Expected outcomes are return values: a destination too small to hold the compressed form is
 * {@link #INCOMPRESSIBLE} (the caller then stores the bytes raw), and input that is not a valid
 * block for the expected length is {@link #CORRUPT}. Neither ever reads or writes outside the two
 * segments, whatever the input bytes are.
 *
 * <p>Implementations are stateless and safe to call from any number of threads.
 */
public interface Codec
{
    /** {@link #compress} result: the compressed form does not fit the destination. */
    long INCOMPRESSIBLE = -1;

    /** {@link #decompress} result: the source is not a valid block of the destination's length. */
    long CORRUPT = -2;

    /**
     * The identifier written into each entry header; stable across releases.
     *
     * @return the codec's id ({@code 0} raw, {@code 1} LZ4 block).
     */
    int id();

    /**
     * A short name for logs and reports, e.g. {@code "lz4-native"}.
     *
     * @return the codec's name.
     */
    String name();

    /**
     * The largest compressed size of {@code rawLength} bytes.
     *
     * @param rawLength bytes to compress.
     * @return an upper bound of the compressed length.
     */
    long maxCompressedLength(long rawLength);

    /**
     * Compresses all of {@code src} into the start of {@code dst}.
     *
     * @param src the raw bytes.
     * @param dst where the compressed bytes go.
     * @return the compressed length, or {@link #INCOMPRESSIBLE} when it does not fit {@code dst}.
     */
    long compress(MemorySegment src, MemorySegment dst);

    /**
     * Decompresses all of {@code src}, which must restore exactly {@code dst.byteSize()} bytes.
     *
     * @param src the compressed bytes.
     * @param dst where the raw bytes go; its size is the expected raw length.
     * @return the raw length written, or {@link #CORRUPT} when {@code src} is not a valid block
     *         of that length.
     */
    long decompress(MemorySegment src, MemorySegment dst);
}
