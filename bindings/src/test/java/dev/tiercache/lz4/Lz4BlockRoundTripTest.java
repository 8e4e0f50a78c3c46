package dev.tiercache.lz4;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The raw bindings against the real liblz4: every bound function, called through its downcall.
 */
class Lz4BlockRoundTripTest
{
    private static final long SEED = Long.getLong("tiercache.seed", System.nanoTime());

    @BeforeAll
    static void requireLibrary()
    {
        assumeTrue(Lz4Library.isAvailable(), "liblz4 is not used here, skipping: " + Lz4Library.reason());
    }

    @Test
    void compressBound_matchesTheFormula()
    {
        assertEquals(16, lz4_h.LZ4_compressBound(0));
        assertEquals(1_048_576 + 1_048_576 / 255 + 16, lz4_h.LZ4_compressBound(1_048_576));
        assertEquals(0, lz4_h.LZ4_compressBound(lz4_h.LZ4_MAX_INPUT_SIZE() + 1));
    }

    @Test
    void randomData_roundTrips()
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        final byte[] raw = new byte[1 << 20];
        random.nextBytes(raw);

        final int compressed = roundTrip(raw);
        assertTrue(compressed > raw.length, "seed=" + SEED + " compressed=" + compressed);
    }

    @Test
    void sparseData_roundTripsToAFraction()
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        final byte[] raw = new byte[1 << 20];
        for (int i = 0; i < 64; i++)
        {
            raw[random.nextInt(raw.length)] = (byte)random.nextInt(1, 256);
        }

        final int compressed = roundTrip(raw);
        assertTrue(compressed < raw.length / 50, "seed=" + SEED + " compressed=" + compressed);
    }

    private static int roundTrip(final byte[] raw)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment src = arena.allocate(raw.length);
            MemorySegment.copy(raw, 0, src, ValueLayout.JAVA_BYTE, 0, raw.length);
            final MemorySegment compressed = arena.allocate(lz4_h.LZ4_compressBound(raw.length));
            final int compressedLength = lz4_h.LZ4_compress_default(src, compressed, raw.length, (int)compressed.byteSize());
            assertTrue(compressedLength > 0, "seed=" + SEED + " compressedLength=" + compressedLength);

            final MemorySegment restored = arena.allocate(raw.length);
            assertEquals(raw.length, lz4_h.LZ4_decompress_safe(compressed, restored, compressedLength, raw.length), "seed=" + SEED);
            assertEquals(-1, src.mismatch(restored), "seed=" + SEED);

            assertTrue(lz4_h.LZ4_decompress_safe(compressed, restored, compressedLength - 1, raw.length) < 0, "seed=" + SEED);
            return compressedLength;
        }
    }
}
