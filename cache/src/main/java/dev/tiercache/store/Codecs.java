package dev.tiercache.store;

import dev.tiercache.lz4.Lz4Library;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.Optional;

/**
 * The codecs by id, and the choice of the LZ4 implementation.
 *
 * <p>Ids are written into entry headers and never change meaning: {@value #RAW_ID} is
 * {@link RawCodec}, {@value #LZ4_ID} is the LZ4 block format, written and read by either
 * {@link NativeLz4Codec} (when liblz4 is found, see {@link Lz4Library}) or {@link JavaLz4Codec}.
 * All codecs are stateless singletons, safe for any number of threads.
 *
 * <p>All codecs refuse, with {@link IllegalArgumentException}, the same broken contracts: a
 * read-only destination, and source and destination that overlap.
 */
public final class Codecs
{
    /** Id of {@link RawCodec}. */
    public static final int RAW_ID = 0;

    /** Id of the LZ4 block format, whichever implementation writes it. */
    public static final int LZ4_ID = 1;

    /**
     * The most raw bytes one LZ4 block holds ({@code LZ4_MAX_INPUT_SIZE}, 0x7E000000): LZ4 sizes
     * are C ints.
     */
    public static final long MAX_BLOCK_BYTES = 0x7E00_0000L;

    private static final RawCodec RAW = new RawCodec();
    private static final JavaLz4Codec JAVA_LZ4 = new JavaLz4Codec();
    private static final Optional<Codec> NATIVE_LZ4 =
        Lz4Library.isAvailable() ? Optional.of(new NativeLz4Codec(JAVA_LZ4)) : Optional.empty();
    private static final Codec LZ4 = NATIVE_LZ4.orElse(JAVA_LZ4);

    private Codecs()
    {
    }

    /**
     * The identity codec.
     *
     * @return the {@link RawCodec}.
     */
    public static Codec raw()
    {
        return RAW;
    }

    /**
     * The fastest LZ4 codec here: liblz4 when it was found, else lz4-java.
     *
     * @return {@link #nativeLz4()} when present, else {@link #javaLz4()}.
     */
    public static Codec lz4()
    {
        return LZ4;
    }

    /**
     * The liblz4 codec, when the library was found; {@link Lz4Library#reason()} says why not.
     *
     * @return the {@link NativeLz4Codec}, or empty.
     */
    public static Optional<Codec> nativeLz4()
    {
        return NATIVE_LZ4;
    }

    /**
     * The pure-Java LZ4 codec, always present.
     *
     * @return the {@link JavaLz4Codec}.
     */
    public static Codec javaLz4()
    {
        return JAVA_LZ4;
    }

    /**
     * Whether {@link #byId(int)} knows an id, e.g. one read from a header written by a newer
     * release.
     *
     * @param id a codec id.
     * @return {@code true} for {@link #RAW_ID} and {@link #LZ4_ID}.
     */
    public static boolean isKnown(final int id)
    {
        return RAW_ID == id || LZ4_ID == id;
    }

    /**
     * The codec that reads entries written with an id; for {@link #LZ4_ID}, {@link #lz4()}.
     *
     * @param id a codec id for which {@link #isKnown(int)} is {@code true}.
     * @return the codec.
     * @throws IllegalArgumentException for an unknown id.
     */
    public static Codec byId(final int id)
    {
        return switch (id)
        {
            case RAW_ID -> RAW;
            case LZ4_ID -> LZ4;
            default -> throw new IllegalArgumentException("unknown codec id=" + id);
        };
    }

    /**
     * LZ4's {@code LZ4_COMPRESSBOUND}, computed in {@code long} so it has no upper limit.
     */
    static long lz4CompressBound(final long rawLength)
    {
        checkRawLength(rawLength);
        return rawLength + rawLength / 255 + 16;
    }

    static void checkRawLength(final long rawLength)
    {
        if (rawLength < 0)
        {
            throw new IllegalArgumentException("rawLength=" + rawLength + " < 0");
        }
    }

    static void checkSegments(final MemorySegment src, final MemorySegment dst)
    {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        if (dst.isReadOnly())
        {
            throw new IllegalArgumentException("dst is read-only: " + dst);
        }
        if (src.asOverlappingSlice(dst).isPresent())
        {
            throw new IllegalArgumentException("src=" + src + " overlaps dst=" + dst);
        }
    }
}
