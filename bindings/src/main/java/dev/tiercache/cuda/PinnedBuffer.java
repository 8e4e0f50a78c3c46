package dev.tiercache.cuda;

import dev.tiercache.cuda.raw.cudart_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Page-locked host memory from {@code cudaHostAlloc}, seen as a {@link MemorySegment}.
 *
 * <p>The segment belongs to a shared arena whose close frees the memory with
 * {@code cudaFreeHost}: after {@link #close()} every access through the segment (or any slice of
 * it) throws {@link IllegalStateException} instead of touching freed memory.
 */
public final class PinnedBuffer extends NativeResource
{
    private final long address;
    private final Arena arena;
    private final MemorySegment segment;

    PinnedBuffer(final long address, final long byteSize)
    {
        this.address = address;
        this.arena = Arena.ofShared();
        this.segment = MemorySegment.ofAddress(address).reinterpret(byteSize, arena,
            ignored -> CudaRuntime.check(cudart_h.cudaFreeHost(MemorySegment.ofAddress(address)),
                "cudaFreeHost(0x" + Long.toHexString(address) + ")"));
    }

    /**
     * The memory, valid until {@link #close()}.
     *
     * @return the whole buffer as a segment.
     */
    public MemorySegment segment()
    {
        checkOpen();
        return segment;
    }

    /**
     * The size.
     *
     * @return bytes.
     */
    public long byteSize()
    {
        return segment.byteSize();
    }

    @Override
    void release()
    {
        arena.close();
    }

    @Override
    public String toString()
    {
        return "PinnedBuffer[address=0x" + Long.toHexString(address) + ", byteSize=" + segment.byteSize() + "]";
    }
}
