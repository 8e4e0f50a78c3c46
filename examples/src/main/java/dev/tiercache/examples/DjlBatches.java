package dev.tiercache.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tiercache.dataset.DatasetCache;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Feeding cached uint8 image batches to DJL's {@link NDArray} without a copy of our own: the cache
 * gathers the batch's entries straight into one native buffer (the gather is the only copy, out of
 * L1, L2 or L3; there is no staging array on the heap), and that buffer is handed to the engine as
 * a direct {@link ByteBuffer} in native order. Whether the engine then wraps it or copies it into
 * its own memory is the engine's choice; an engine that wraps it reads the cache's gather buffer
 * itself, so the batch's memory must outlive the array: it lives in the {@link Arena} the caller
 * passes, closed after the array.
 *
 * <pre>{@code
 * try (NDManager manager = NDManager.newBaseManager(); Arena batchMemory = Arena.ofConfined())
 * {
 *     NDArray images = DjlBatches.uint8Batch(dataset, keys, 3, 224, 224, manager, batchMemory);
 *     NDArray input = images.toType(DataType.FLOAT32, false).div(255f);   // on the engine's device
 *     ...
 * }
 * }</pre>
 */
public final class DjlBatches
{
    private DjlBatches()
    {
    }

    /**
     * The batch as a direct buffer over cached bytes: {@code keys.length} uint8 CHW images, back
     * to back, in native order.
     *
     * @param dataset  the cache of decoded images, one {@code U8} part of shape {@code [c, h, w]} each.
     * @param keys     the batch.
     * @param c        channels.
     * @param h        height.
     * @param w        width.
     * @param memory   owns the batch's memory; close it after the last use of the buffer.
     * @return the buffer, positioned at 0, limit the batch's bytes.
     * @throws IllegalStateException naming the first key that is not cached.
     */
    public static ByteBuffer uint8Buffer(final DatasetCache dataset, final long[] keys, final int c, final int h, final int w,
        final Arena memory)
    {
        final long imageBytes = (long) c * h * w;
        final MemorySegment batch = memory.allocate(imageBytes * keys.length, 64);
        final long copied = dataset.getBatch(keys, batch, null);
        if (copied < 0)
        {
            throw new IllegalStateException("key " + keys[DatasetCache.missedIndex(copied)] + " of the batch is not cached");
        }
        if (copied != batch.byteSize())
        {
            throw new IllegalStateException("the batch holds " + copied + " bytes, not " + keys.length + " images of " + c + "x" + h + "x" + w);
        }
        return batch.asByteBuffer().order(ByteOrder.nativeOrder());
    }

    /**
     * The batch as a DJL array of shape {@code [n, c, h, w]}, type {@code UINT8}, over the cached
     * bytes.
     *
     * @param dataset the cache of decoded images.
     * @param keys    the batch.
     * @param c       channels.
     * @param h       height.
     * @param w       width.
     * @param manager the engine's manager.
     * @param memory  owns the batch's memory; close it after the array.
     * @return the array.
     */
    public static NDArray uint8Batch(final DatasetCache dataset, final long[] keys, final int c, final int h, final int w,
        final NDManager manager, final Arena memory)
    {
        return manager.create(uint8Buffer(dataset, keys, c, h, w, memory), new Shape(keys.length, c, h, w), DataType.UINT8);
    }
}
