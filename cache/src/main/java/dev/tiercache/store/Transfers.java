package dev.tiercache.store;

import dev.tiercache.cuda.CudaEvent;
import dev.tiercache.cuda.CudaRuntime;
import dev.tiercache.cuda.CudaStream;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The one place where bytes move between the stores.
 *
 * <ul>
 *   <li>device and host: an asynchronous copy on this object's CUDA stream, then an event recorded
 *       after it; the call returns when the event completes. The caller is the mover (or a put
 *       making room), never a {@code get}.</li>
 *   <li>host and file: a segment copy (with the codec) inside {@link FileStore}.</li>
 *   <li>file to device: read and verify (and decompress) into a staging block of the pinned host
 *       arena, then host to device; a staging block that does not fit falls back to pageable
 *       memory, which the runtime copies through its own staging.</li>
 * </ul>
 *
 * <p>Concurrency: one transfer at a time ({@code synchronized}); the mover is the main user.
 */
public final class Transfers implements AutoCloseable
{
    private final CudaStream stream;
    private final CudaEvent done;
    private boolean closed;

    /**
     * Creates the stream and event for device copies.
     *
     * @param runtime a usable runtime, or {@code null} when there is no device level.
     */
    public Transfers(final CudaRuntime runtime)
    {
        if (runtime != null && runtime.isUsable())
        {
            this.stream = runtime.createStream(true);
            CudaEvent event = null;
            try
            {
                event = runtime.createEvent(false);
            }
            finally
            {
                if (event == null)
                {
                    stream.close();
                }
            }
            this.done = event;
        }
        else
        {
            this.stream = null;
            this.done = null;
        }
    }

    /**
     * Copies host bytes to a device block and waits for the copy.
     *
     * @param src       native host bytes.
     * @param dst       the device store.
     * @param dstOffset the block's offset.
     */
    public synchronized void hostToDevice(final MemorySegment src, final DeviceStore dst, final long dstOffset)
    {
        checkDevice();
        dst.arena().copyFromHostAsync(src, dstOffset, stream);
        await();
    }

    /**
     * Copies a device block to host memory and waits for the copy.
     *
     * @param src       the device store.
     * @param srcOffset the block's offset.
     * @param dst       native host memory, filled completely.
     */
    public synchronized void deviceToHost(final DeviceStore src, final long srcOffset, final MemorySegment dst)
    {
        checkDevice();
        src.arena().copyToHostAsync(srcOffset, dst, stream);
        await();
    }

    /**
     * Copies between host segments.
     *
     * @param src the bytes.
     * @param dst same length.
     */
    public void hostToHost(final MemorySegment src, final MemorySegment dst)
    {
        MemorySegment.copy(src, 0, dst, 0, src.byteSize());
    }

    /**
     * Reads a file entry (verified, decompressed) into a device block, staged through the pinned
     * host arena.
     *
     * @param file      the file store.
     * @param location  the entry.
     * @param rawLength its raw length.
     * @param staging   the host store whose pinned arena stages the bytes.
     * @param dst       the device store.
     * @param dstOffset the device block.
     * @return the raw length, or {@link FileStore#CORRUPT}.
     */
    public long fileToDevice(
        final FileStore file, final long location, final long rawLength, final HostStore staging, final DeviceStore dst, final long dstOffset)
    {
        final long block = staging.allocate(rawLength);
        if (block != SpaceAllocator.FULL)
        {
            try
            {
                final long read = file.read(location, staging.view(block, rawLength));
                if (read >= 0)
                {
                    hostToDevice(staging.view(block, rawLength), dst, dstOffset);
                }
                return read;
            }
            finally
            {
                staging.free(block);
            }
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment pageable = arena.allocate(rawLength, 64);
            final long read = file.read(location, pageable);
            if (read >= 0)
            {
                hostToDevice(pageable, dst, dstOffset);
            }
            return read;
        }
    }

    private void await()
    {
        done.record(stream);
        done.synchronize();
    }

    private void checkDevice()
    {
        if (closed)
        {
            throw new IllegalStateException("Transfers is closed");
        }
        if (stream == null)
        {
            throw new IllegalStateException("no CUDA runtime: device transfers are not available");
        }
    }

    @Override
    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            if (done != null)
            {
                done.close();
            }
            if (stream != null)
            {
                stream.close();
            }
        }
    }
}
