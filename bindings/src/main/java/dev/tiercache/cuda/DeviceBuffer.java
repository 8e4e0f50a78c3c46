package dev.tiercache.cuda;

import java.lang.foreign.MemorySegment;

/**
 * Device memory from {@code cudaMalloc}, freed by {@link #close()}.
 *
 * <p>The device address is a {@code long}, never a {@link MemorySegment}: device memory cannot be
 * read or written from the host, and a segment would invite exactly that mistake. All copies check
 * their ranges against the buffer before the native call.
 */
public final class DeviceBuffer extends NativeResource
{
    private final CudaRuntime runtime;
    private final long address;
    private final long byteSize;

    DeviceBuffer(final CudaRuntime runtime, final long address, final long byteSize)
    {
        this.runtime = runtime;
        this.address = address;
        this.byteSize = byteSize;
    }

    /**
     * The device address of the first byte.
     *
     * @return the address, to pass to kernels or other CUDA libraries.
     */
    public long address()
    {
        checkOpen();
        return address;
    }

    /**
     * The size.
     *
     * @return bytes.
     */
    public long byteSize()
    {
        return byteSize;
    }

    /**
     * Copies host bytes into this buffer and waits.
     *
     * @param src       native host segment; all of it is copied.
     * @param dstOffset where in this buffer.
     */
    public void copyFromHost(final MemorySegment src, final long dstOffset)
    {
        CudaRuntime.checkNative(src, "src");
        checkRange(dstOffset, src.byteSize());
        runtime.copy(address + dstOffset, src.address(), src.byteSize(), MemcpyKind.HOST_TO_DEVICE);
    }

    /**
     * Copies bytes of this buffer into host memory and waits.
     *
     * @param srcOffset where in this buffer.
     * @param dst       native host segment; filled completely.
     */
    public void copyToHost(final long srcOffset, final MemorySegment dst)
    {
        CudaRuntime.checkNative(dst, "dst");
        checkRange(srcOffset, dst.byteSize());
        runtime.copy(dst.address(), address + srcOffset, dst.byteSize(), MemcpyKind.DEVICE_TO_HOST);
    }

    /**
     * Queues a copy of host bytes into this buffer. {@code src} must stay unchanged and alive
     * until the stream reaches the copy (pinned memory makes it truly asynchronous).
     *
     * @param src       native host segment; all of it is copied.
     * @param dstOffset where in this buffer.
     * @param stream    the stream.
     */
    public void copyFromHostAsync(final MemorySegment src, final long dstOffset, final CudaStream stream)
    {
        CudaRuntime.checkNative(src, "src");
        checkRange(dstOffset, src.byteSize());
        runtime.copyAsync(address + dstOffset, src.address(), src.byteSize(), MemcpyKind.HOST_TO_DEVICE, stream);
    }

    /**
     * Queues a copy of bytes of this buffer into host memory; read {@code dst} only after the
     * stream (or an event recorded after this) has completed.
     *
     * @param srcOffset where in this buffer.
     * @param dst       native host segment; filled completely.
     * @param stream    the stream.
     */
    public void copyToHostAsync(final long srcOffset, final MemorySegment dst, final CudaStream stream)
    {
        CudaRuntime.checkNative(dst, "dst");
        checkRange(srcOffset, dst.byteSize());
        runtime.copyAsync(dst.address(), address + srcOffset, dst.byteSize(), MemcpyKind.DEVICE_TO_HOST, stream);
    }

    /**
     * Copies between two device buffers and waits.
     *
     * @param srcOffset where in this buffer.
     * @param dst       the destination buffer (may be this one, ranges must not overlap).
     * @param dstOffset where in {@code dst}.
     * @param bytes     count.
     */
    public void copyToDevice(final long srcOffset, final DeviceBuffer dst, final long dstOffset, final long bytes)
    {
        checkRange(srcOffset, bytes);
        dst.checkRange(dstOffset, bytes);
        runtime.copy(dst.address() + dstOffset, address + srcOffset, bytes, MemcpyKind.DEVICE_TO_DEVICE);
    }

    /**
     * Queues a copy between two device buffers.
     *
     * @param srcOffset where in this buffer.
     * @param dst       the destination buffer.
     * @param dstOffset where in {@code dst}.
     * @param bytes     count.
     * @param stream    the stream.
     */
    public void copyToDeviceAsync(
        final long srcOffset, final DeviceBuffer dst, final long dstOffset, final long bytes, final CudaStream stream)
    {
        checkRange(srcOffset, bytes);
        dst.checkRange(dstOffset, bytes);
        runtime.copyAsync(dst.address() + dstOffset, address + srcOffset, bytes, MemcpyKind.DEVICE_TO_DEVICE, stream);
    }

    /**
     * Queues a fill of a range with one byte value ({@code cudaMemsetAsync}).
     *
     * @param offset where in this buffer.
     * @param bytes  count.
     * @param value  the byte value (low 8 bits used).
     * @param stream the stream.
     */
    public void fillAsync(final long offset, final long bytes, final int value, final CudaStream stream)
    {
        checkRange(offset, bytes);
        if (bytes == 0)
        {
            return;
        }
        CudaRuntime.check(
            dev.tiercache.cuda.raw.cudart_h.cudaMemsetAsync(MemorySegment.ofAddress(address + offset), value, bytes, stream.handle()),
            "cudaMemsetAsync(bytes=" + bytes + ", value=" + value + ")");
    }

    /**
     * Throws unless {@code [offset, offset + bytes)} lies inside this open buffer.
     *
     * @param offset first byte.
     * @param bytes  count.
     */
    void checkRange(final long offset, final long bytes)
    {
        checkOpen();
        if (offset < 0 || bytes < 0 || offset > byteSize - bytes)
        {
            throw new IndexOutOfBoundsException(
                "offset=" + offset + " bytes=" + bytes + " is outside DeviceBuffer of byteSize=" + byteSize);
        }
    }

    @Override
    void release()
    {
        CudaRuntime.check(dev.tiercache.cuda.raw.cudart_h.cudaFree(MemorySegment.ofAddress(address)),
            "cudaFree(" + Long.toHexString(address) + ")");
    }

    @Override
    public String toString()
    {
        return "DeviceBuffer[address=0x" + Long.toHexString(address) + ", byteSize=" + byteSize + "]";
    }
}
