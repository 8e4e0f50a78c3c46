package dev.tiercache.cuda;

import dev.tiercache.cuda.raw.cudart_h;

import java.lang.foreign.MemorySegment;

/**
 * A CUDA stream: work queued on it runs in order, asynchronously to the host.
 * {@link #close()} destroys it ({@code cudaStreamDestroy}); work already queued still completes.
 */
public final class CudaStream extends NativeResource
{
    private final MemorySegment handle;

    CudaStream(final MemorySegment handle)
    {
        this.handle = handle;
    }

    /**
     * The {@code cudaStream_t}.
     *
     * @return the handle.
     */
    public MemorySegment handle()
    {
        checkOpen();
        return handle;
    }

    /**
     * Waits until all work queued so far has completed ({@code cudaStreamSynchronize}).
     */
    public void synchronize()
    {
        CudaRuntime.check(cudart_h.cudaStreamSynchronize(handle()), "cudaStreamSynchronize()");
    }

    @Override
    void release()
    {
        CudaRuntime.check(cudart_h.cudaStreamDestroy(handle), "cudaStreamDestroy()");
    }

    @Override
    public String toString()
    {
        return "CudaStream[0x" + Long.toHexString(handle.address()) + "]";
    }
}
