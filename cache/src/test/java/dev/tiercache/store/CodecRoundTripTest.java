package dev.tiercache.store;

import dev.tiercache.lz4.Lz4Library;
import dev.tiercache.store.CodecTestData.Guarded;
import dev.tiercache.store.CodecTestData.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.tiercache.store.CodecTestData.SEED;
import static dev.tiercache.store.CodecTestData.replay;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every codec restores what it and its LZ4 sibling wrote, byte for byte, at every size and
 * alignment, and writes nothing outside the destination.
 */
class CodecRoundTripTest
{
    private static final long[] SIZES = {
        0, 1, 2, 3, 4, 5, 7, 8, 11, 12, 13, 15, 16, 17, 19, 31, 32, 63, 64, 65, 127, 255, 256, 257, 1000,
        4095, 4096, 4097, 65_535, 65_536, 65_537, (1 << 20) + 3, 8 << 20};

    private static final int[] OFFSETS = {0, 1, 3, 5, 7};

    private static final List<Codec> LZ4_CODECS = lz4CodecsHere();

    /**
     * The LZ4 codecs this machine has: lz4-java always, liblz4 when found.
     */
    static List<Codec> lz4Codecs()
    {
        return LZ4_CODECS;
    }

    private static List<Codec> lz4CodecsHere()
    {
        final List<Codec> codecs = new ArrayList<>();
        codecs.add(Codecs.javaLz4());
        Codecs.nativeLz4().ifPresentOrElse(
            codecs::add,
            () -> System.out.println("liblz4 not used, native codec untested: " + Lz4Library.reason()));
        return List.copyOf(codecs);
    }

    static Stream<Arguments> pairs()
    {
        final List<Arguments> pairs = new ArrayList<>();
        pairs.add(Arguments.of(Codecs.raw(), Codecs.raw()));
        for (final Codec encoder : lz4Codecs())
        {
            for (final Codec decoder : lz4Codecs())
            {
                pairs.add(Arguments.of(encoder, decoder));
            }
        }
        return pairs.stream();
    }

    static Stream<Arguments> pairsKindsAndSizes()
    {
        return pairs().flatMap(pair -> Stream.of(Kind.values()).flatMap(kind ->
            java.util.Arrays.stream(SIZES).mapToObj(size -> Arguments.of(pair.get()[0], pair.get()[1], kind, size))));
    }

    @ParameterizedTest(name = "{0} -> {1}, {2}, {3} B")
    @MethodSource("pairsKindsAndSizes")
    void roundTrip_restoresEveryByte_andTouchesNothingElse(
        final Codec encoder, final Codec decoder, final Kind kind, final long size)
    {
        final long seed = SEED ^ (size * 31 + kind.ordinal());
        final SplittableRandom random = new SplittableRandom(seed);
        final int srcOffset = OFFSETS[random.nextInt(OFFSETS.length)];
        final int compressedOffset = OFFSETS[random.nextInt(OFFSETS.length)];
        final int restoredOffset = OFFSETS[random.nextInt(OFFSETS.length)];
        final String where = encoder + " -> " + decoder + " " + kind + " size=" + size + " " + replay(seed);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment raw = arena.allocate(size + srcOffset).asSlice(srcOffset, size);
            CodecTestData.fill(raw, kind, seed);

            final Guarded compressed = CodecTestData.guarded(arena, encoder.maxCompressedLength(size), compressedOffset);
            final long compressedLength = encoder.compress(raw, compressed.inner());
            assertTrue(compressedLength >= 0 && compressedLength <= encoder.maxCompressedLength(size),
                where + " compressedLength=" + compressedLength);
            assertEquals(-1, compressed.changedGuard(), where);

            final Guarded restored = CodecTestData.guarded(arena, size, restoredOffset);
            assertEquals(size, decoder.decompress(compressed.inner().asSlice(0, compressedLength), restored.inner()), where);
            assertEquals(-1, raw.mismatch(restored.inner()), where);
            assertEquals(-1, restored.changedGuard(), where);
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("pairs")
    void roundTrip_onHeapSegments_matchesNative(final Codec encoder, final Codec decoder)
    {
        final long seed = SEED;
        final byte[] raw = new byte[100_003];
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment nativeRaw = CodecTestData.allocate(arena, Kind.TEXT, raw.length, seed);
            MemorySegment.copy(nativeRaw, ValueLayout.JAVA_BYTE, 0, raw, 0, raw.length);
        }
        final byte[] compressed = new byte[(int)encoder.maxCompressedLength(raw.length) + 2];
        final MemorySegment compressedView = MemorySegment.ofArray(compressed).asSlice(1, compressed.length - 2);
        final long compressedLength = encoder.compress(MemorySegment.ofArray(raw), compressedView);
        assertTrue(compressedLength > 0, replay(seed));

        final byte[] restored = new byte[raw.length];
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment nativeCompressed = arena.allocate(compressedLength);
            MemorySegment.copy(compressedView, 0, nativeCompressed, 0, compressedLength);
            assertEquals(raw.length, decoder.decompress(nativeCompressed, MemorySegment.ofArray(restored)), replay(seed));
        }
        assertEquals(-1, MemorySegment.ofArray(raw).mismatch(MemorySegment.ofArray(restored)), replay(seed));
    }

    @Test
    void lz4Codecs_shrinkSparseHeatmapsTenfold_andImagesALittle()
    {
        final long size = 1 << 20;
        for (final Codec codec : lz4Codecs())
        {
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment sparse = CodecTestData.allocate(arena, Kind.SPARSE, size, SEED);
                final MemorySegment image = CodecTestData.allocate(arena, Kind.IMAGE, size, SEED);
                final MemorySegment dst = arena.allocate(codec.maxCompressedLength(size));

                final double sparseRatio = (double)size / codec.compress(sparse, dst);
                final double imageRatio = (double)size / codec.compress(image, dst);

                System.out.printf("%s ratios: sparse %.2f, image %.3f%n", codec, sparseRatio, imageRatio);
                assertTrue(sparseRatio > 10, codec + " sparseRatio=" + sparseRatio + " " + replay(SEED));
                assertTrue(imageRatio > 1.02 && imageRatio < 1.3, codec + " imageRatio=" + imageRatio + " " + replay(SEED));
            }
        }
    }
}
