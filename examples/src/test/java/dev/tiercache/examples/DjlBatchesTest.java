package dev.tiercache.examples;

import dev.tiercache.DType;
import dev.tiercache.Part;
import dev.tiercache.TensorSpec;
import dev.tiercache.TierCache;
import dev.tiercache.dataset.DatasetCache;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiercache side of the DJL example: the buffer handed to the engine is direct, native, the
 * batch's exact size, and holds each image's bytes in order. (No DJL engine is on the build's class
 * path, so the array itself is not made here.)
 */
class DjlBatchesTest
{
    @Test
    void theBatchBuffer_isDirect_andHoldsTheImagesInOrder()
    {
        try (TierCache cache = TierCache.builder().hostBytes(8L << 20).maxEntries(64).build();
             DatasetCache dataset = DatasetCache.builder(cache).build();
             Arena arena = Arena.ofConfined())
        {
            final int c = 3;
            final int h = 8;
            final int w = 8;
            for (long key = 0; key < 4; key++)
            {
                final MemorySegment image = arena.allocate(c * h * w);
                image.fill((byte) (10 + key));
                cache.put(key, new Part(TensorSpec.of(DType.U8, c, h, w), image));
            }
            final ByteBuffer batch = DjlBatches.uint8Buffer(dataset, new long[] {2, 0, 3}, c, h, w, arena);
            assertTrue(batch.isDirect());
            assertEquals(3 * c * h * w, batch.remaining());
            assertEquals(12, batch.get(0));
            assertEquals(10, batch.get(c * h * w));
            assertEquals(13, batch.get(2 * c * h * w + 5));
            final IllegalStateException missing = assertThrows(IllegalStateException.class,
                () -> DjlBatches.uint8Buffer(dataset, new long[] {1, 9}, c, h, w, arena));
            assertTrue(missing.getMessage().contains("key 9"), missing.getMessage());
        }
    }
}
