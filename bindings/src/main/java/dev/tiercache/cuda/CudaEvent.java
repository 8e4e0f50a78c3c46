package dev.tiercache.cuda;

import dev.tiercache.cuda.raw.cudart_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A CUDA event: a marker recorded on a stream that completes when the stream reaches it. The
 * mover records one after each asynchronous copy and polls {@link #isComplete()} so that no caller
 * thread ever blocks on a transfer.
 */
public final class CudaEvent extends NativeResource
{
    private final MemorySegment handle;

    CudaEvent(final MemorySegment handle)
    {
        this.handle = handle;
    }

    /**
     * The {@code cudaEvent_t}.
     *
     * @return the handle.
     */
    public MemorySegment handle()
    {
        checkOpen();
        return handle;
    }

    /**
     * Records the event at the current end of a stream's queue ({@code cudaEventRecord}).
     *
     * @param stream the stream, or {@code null} for the legacy default stream.
     */
    public void record(final CudaStream stream)
    {
        final MemorySegment streamHandle = stream == null ? MemorySegment.NULL : stream.handle();
        CudaRuntime.check(cudart_h.cudaEventRecord(handle(), streamHandle), "cudaEventRecord()");
    }

    /**
     * Waits until the event has completed ({@code cudaEventSynchronize}).
     */
    public void synchronize()
    {
        CudaRuntime.check(cudart_h.cudaEventSynchronize(handle()), "cudaEventSynchronize()");
    }

    /**
     * Whether the work before the event has completed ({@code cudaEventQuery}); never blocks.
     *
     * @return true when complete (or never recorded), false while work is in flight.
     */
    public boolean isComplete()
    {
        final int rc = cudart_h.cudaEventQuery(handle());
        if (rc == CudaError.NOT_READY.code())
        {
            return false;
        }
        CudaRuntime.check(rc, "cudaEventQuery()");
        return true;
    }

    /**
     * Milliseconds between an earlier event and this one ({@code cudaEventElapsedTime}); both
     * must have completed and have been created with timing.
     *
     * @param start the earlier event.
     * @return elapsed milliseconds, with about half a microsecond of resolution.
     */
    public float elapsedMillisSince(final CudaEvent start)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment out = arena.allocate(ValueLayout.JAVA_FLOAT);
            CudaRuntime.check(cudart_h.cudaEventElapsedTime(out, start.handle(), handle()), "cudaEventElapsedTime()");
            return out.get(ValueLayout.JAVA_FLOAT, 0);
        }
    }

    @Override
    void release()
    {
        CudaRuntime.check(cudart_h.cudaEventDestroy(handle), "cudaEventDestroy()");
    }

    @Override
    public String toString()
    {
        return "CudaEvent[0x" + Long.toHexString(handle.address()) + "]";
    }
}
