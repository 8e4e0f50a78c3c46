package dev.tiercache.store;

import dev.tiercache.lz4.Lz4Library;
import dev.tiercache.lz4.lz4_h;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CodecsTest
{
    @Test
    void lz4_isNativeExactlyWhenLibraryIsAvailable()
    {
        assertEquals(Lz4Library.isAvailable(), Codecs.nativeLz4().isPresent(), Lz4Library.reason());
        assertSame(Codecs.nativeLz4().orElse(Codecs.javaLz4()), Codecs.lz4());
        Codecs.nativeLz4().ifPresent(codec -> assertInstanceOf(NativeLz4Codec.class, codec));
        assertInstanceOf(JavaLz4Codec.class, Codecs.javaLz4());
        System.out.println("LZ4 codec: " + Codecs.lz4() + " (" + Lz4Library.reason() + ")");
    }

    @Test
    void byId_answersTheWrittenIds()
    {
        assertSame(Codecs.raw(), Codecs.byId(Codecs.RAW_ID));
        assertSame(Codecs.lz4(), Codecs.byId(Codecs.LZ4_ID));
        assertEquals(Codecs.RAW_ID, Codecs.raw().id());
        assertEquals(Codecs.LZ4_ID, Codecs.javaLz4().id());
        Codecs.nativeLz4().ifPresent(codec -> assertEquals(Codecs.LZ4_ID, codec.id()));
        assertTrue(Codecs.isKnown(0) && Codecs.isKnown(1));
        assertFalse(Codecs.isKnown(2) || Codecs.isKnown(-1));
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Codecs.byId(7));
        assertEquals("unknown codec id=7", ex.getMessage());
    }

    @Test
    void blockLimit_isLiblz4s()
    {
        assertEquals(lz4_h.LZ4_MAX_INPUT_SIZE(), Codecs.MAX_BLOCK_BYTES);
        if (Lz4Library.isAvailable())
        {
            for (final int size : new int[] {0, 1, 254, 255, 256, 1 << 20, lz4_h.LZ4_MAX_INPUT_SIZE()})
            {
                assertEquals(lz4_h.LZ4_compressBound(size), Codecs.lz4().maxCompressedLength(size), "size=" + size);
            }
        }
    }
}
