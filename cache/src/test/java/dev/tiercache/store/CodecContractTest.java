package dev.tiercache.store;

import dev.tiercache.store.CodecTestData.Guarded;
import dev.tiercache.store.CodecTestData.Kind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static dev.tiercache.store.CodecTestData.SEED;
import static dev.tiercache.store.CodecTestData.replay;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outcomes of {@link Codec} other than success, for every codec: the sentinels, the block
 * limits and the broken contracts.
 */
class CodecContractTest
{
    private static final long[] SIZES = {1, 2, 15, 16, 17, 100, 4096, 65_537, 1 << 20};

    static List<Codec> codecs()
    {
        final List<Codec> codecs = new ArrayList<>(CodecRoundTripTest.lz4Codecs());
        codecs.add(Codecs.raw());
        return codecs;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    void compress_randomIntoOneByteLess_isIncompressible_andStaysInside(final Codec codec)
    {
        for (final long size : SIZES)
        {
            final long seed = SEED + size;
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment raw = CodecTestData.allocate(arena, Kind.RANDOM, size, seed);
                final Guarded dst = CodecTestData.guarded(arena, size - 1, (int)(size & 7));

                assertEquals(Codec.INCOMPRESSIBLE, codec.compress(raw, dst.inner()), codec + " size=" + size + " " + replay(seed));
                assertEquals(-1, dst.changedGuard(), codec + " size=" + size + " " + replay(seed));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    void compress_emptyIntoNothing_isIncompressible(final Codec codec)
    {
        final long expected = Codecs.RAW_ID == codec.id() ? 0 : Codec.INCOMPRESSIBLE;
        assertEquals(expected, codec.compress(MemorySegment.NULL, MemorySegment.NULL));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    void decompress_wrongExpectedLength_isCorrupt(final Codec codec)
    {
        final long size = 4097;
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment raw = CodecTestData.allocate(arena, Kind.TEXT, size, SEED);
            final MemorySegment compressed = arena.allocate(codec.maxCompressedLength(size));
            final long compressedLength = codec.compress(raw, compressed);
            final MemorySegment block = compressed.asSlice(0, compressedLength);
            for (final long expected : new long[] {0, 1, size - 1, size + 1, 2 * size})
            {
                final Guarded dst = CodecTestData.guarded(arena, expected, 3);
                assertEquals(Codec.CORRUPT, codec.decompress(block, dst.inner()), codec + " expected=" + expected);
                assertEquals(-1, dst.changedGuard(), codec + " expected=" + expected);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    void beyondTheBlockLimit_isIncompressibleOrCorrupt_withoutTouchingMemory(final Codec codec)
    {
        // Never dereferenced: the limits are checked before any access. Their address is far from
        // anything allocated, so they cannot overlap the small real segments.
        final MemorySegment huge = MemorySegment.ofAddress(1L << 12).reinterpret(Codecs.MAX_BLOCK_BYTES + 1);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment small = arena.allocate(64);
            if (Codecs.RAW_ID == codec.id())
            {
                assertEquals(Codec.INCOMPRESSIBLE, codec.compress(huge, small));
                assertEquals(Codec.CORRUPT, codec.decompress(small, huge));
            }
            else
            {
                assertEquals(Codec.INCOMPRESSIBLE, codec.compress(huge, small));
                assertEquals(Codec.CORRUPT, codec.decompress(small, huge));
                final MemorySegment hugeSource =
                    MemorySegment.ofAddress(1L << 12).reinterpret(codec.maxCompressedLength(Codecs.MAX_BLOCK_BYTES) + 1);
                assertEquals(Codec.CORRUPT, codec.decompress(hugeSource, small));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    void brokenContracts_throw(final Codec codec)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment segment = arena.allocate(1024);
            final MemorySegment readOnly = arena.allocate(2048).asReadOnly();

            assertThrows(IllegalArgumentException.class, () -> codec.compress(segment, readOnly));
            assertThrows(IllegalArgumentException.class, () -> codec.decompress(segment, readOnly));
            assertThrows(IllegalArgumentException.class, () -> codec.compress(segment.asSlice(0, 512), segment.asSlice(511)));
            assertThrows(IllegalArgumentException.class, () -> codec.decompress(segment.asSlice(0, 512), segment.asSlice(100, 8)));
            assertThrows(NullPointerException.class, () -> codec.compress(null, segment));
            assertThrows(IllegalArgumentException.class, () -> codec.maxCompressedLength(-1));
            if (Codecs.LZ4_ID == codec.id())
            {
                assertThrows(IllegalArgumentException.class, () -> codec.compress(MemorySegment.ofArray(new long[8]), segment));
            }
            assertEquals(-1, segment.asSlice(0, 512).mismatch(arena.allocate(512)), "nothing written");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    void closedArena_isRefusedByFfm(final Codec codec)
    {
        final Arena arena = Arena.ofConfined();
        final MemorySegment src = arena.allocate(100);
        try (Arena other = Arena.ofConfined())
        {
            final MemorySegment dst = other.allocate(codec.maxCompressedLength(100));
            arena.close();
            assertThrows(IllegalStateException.class, () -> codec.compress(src, dst));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    void maxCompressedLength_isLz4Bound(final Codec codec)
    {
        for (final long size : new long[] {0, 1, 255, 1 << 20, Codecs.MAX_BLOCK_BYTES, 1L << 40})
        {
            final long expected = Codecs.RAW_ID == codec.id() ? size : size + size / 255 + 16;
            assertEquals(expected, codec.maxCompressedLength(size), codec + " size=" + size);
        }
        assertFalse(codec.name().isBlank());
        assertTrue(Codecs.isKnown(codec.id()));
    }
}
