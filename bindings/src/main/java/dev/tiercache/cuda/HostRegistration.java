package dev.tiercache.cuda;

import dev.tiercache.cuda.raw.cudart_h;

import java.lang.foreign.MemorySegment;

/**
 * A host range page-locked with {@code cudaHostRegister}; {@link #close()} unregisters it. The
 * segment itself stays owned by whoever allocated it and must outlive the registration.
 */
public final class HostRegistration extends NativeResource
{
    private final MemorySegment segment;

    HostRegistration(final MemorySegment segment)
    {
        this.segment = segment;
    }

    /**
     * The registered range.
     *
     * @return the segment given at registration.
     */
    public MemorySegment segment()
    {
        checkOpen();
        return segment;
    }

    @Override
    void release()
    {
        CudaRuntime.check(cudart_h.cudaHostUnregister(segment), "cudaHostUnregister(size=" + segment.byteSize() + ")");
    }

    @Override
    public String toString()
    {
        return "HostRegistration[address=0x" + Long.toHexString(segment.address()) + ", byteSize=" + segment.byteSize() + "]";
    }
}
