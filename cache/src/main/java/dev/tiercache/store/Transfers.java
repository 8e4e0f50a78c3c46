package dev.tiercache.store;

import dev.tiercache.cuda.CudaEvent;
import dev.tiercache.cuda.CudaRuntime;
import dev.tiercache.cuda.CudaStream;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * The one place where bytes move between the stores.
 *
 * <ul>
 *   <li>device and host: an asynchronous copy on a CUDA stream of this object's pool, then an
 *       event recorded after it; the call returns when the event completes.</li>
 *   <li>host and file: a segment copy (with the codec) inside {@link FileStore}.</li>
 *   <li>file to device: read and verify (and decompress) into a staging block of the pinned host
 *       arena, then host to device; a staging block that does not fit falls back to pageable
 *       memory, which the runtime copies through its own staging.</li>
 * </ul>
 *
 * <h2>Concurrency</h2>
 * A pool of {@value #LANES} lanes, each a non-blocking stream with its own event. A transfer takes
 * a free lane from a queue (waiting on the queue, never on a monitor, when all are busy), issues
 * its copy, waits for the lane's event and gives the lane back, so readers copying out of L1 and
 * the mover copying into it run side by side instead of queueing on one stream. Closing waits
 * for no transfer: a lane given back after {@link #close()} is destroyed by the thread giving it
 * back.
 */
public final class Transfers implements AutoCloseable
{
    /** Streams (and events) in the pool. */
    public static final int LANES = 4;

    private final ArrayBlockingQueue<Lane> lanes = new ArrayBlockingQueue<>(LANES);
    private final boolean deviceTransfers;
    private volatile boolean closed;

    /**
     * Makes the lanes, or none without a usable runtime (then only host and file transfers work).
     *
     * @param runtime the CUDA runtime, or null.
     */
    public Transfers(final CudaRuntime runtime)
    {
        this.deviceTransfers = runtime != null && runtime.isUsable();
        if (deviceTransfers)
        {
            try
            {
                for (int i = 0; i < LANES; i++)
                {
                    final CudaStream stream = runtime.createStream(true);
                    try
                    {
                        lanes.add(new Lane(stream, runtime.createEvent(false)));
                    }
                    catch (final RuntimeException ex)
                    {
                        stream.close();
                        throw ex;
                    }
                }
            }
            catch (final RuntimeException ex)
            {
                close();
                throw ex;
            }
        }
    }

    /**
     * Copies host memory into a device block and waits for it.
     *
     * @param src       host bytes.
     * @param dst       the device store.
     * @param dstOffset the block's offset.
     */
    public void hostToDevice(final MemorySegment src, final DeviceStore dst, final long dstOffset)
    {
        final Lane lane = takeLane();
        try
        {
            dst.arena().copyFromHostAsync(src, dstOffset, lane.stream);
            lane.await();
        }
        finally
        {
            giveBack(lane);
        }
    }

    /**
     * Copies a device block into host memory and waits for it.
     *
     * @param src       the device store.
     * @param srcOffset the block's offset.
     * @param dst       host memory of the block's length.
     */
    public void deviceToHost(final DeviceStore src, final long srcOffset, final MemorySegment dst)
    {
        final Lane lane = takeLane();
        try
        {
            src.arena().copyToHostAsync(srcOffset, dst, lane.stream);
            lane.await();
        }
        finally
        {
            giveBack(lane);
        }
    }

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
        final FileStore file, final long location, final long sequence, final long rawLength, final HostStore staging, final DeviceStore dst,
        final long dstOffset)
    {
        final long block = staging.allocate(rawLength);
        if (block != SpaceAllocator.FULL)
        {
            try
            {
                final long read = file.read(location, sequence, staging.view(block, rawLength));
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
            final long read = file.read(location, sequence, pageable);
            if (read >= 0)
            {
                hostToDevice(pageable, dst, dstOffset);
            }
            return read;
        }
    }

    private Lane takeLane()
    {
        if (closed)
        {
            throw new IllegalStateException("Transfers is closed");
        }
        if (!deviceTransfers)
        {
            throw new IllegalStateException("no CUDA runtime: device transfers are not available");
        }
        try
        {
            return lanes.take();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a CUDA stream", ex);
        }
    }

    private void giveBack(final Lane lane)
    {
        lanes.add(lane);
        if (closed)
        {
            closeLanes();
        }
    }

    private void closeLanes()
    {
        Lane lane;
        while ((lane = lanes.poll()) != null)
        {
            lane.close();
        }
    }

    /**
     * Destroys the lanes; lanes in use are destroyed when they are given back. Idempotent.
     */
    @Override
    public void close()
    {
        closed = true;
        closeLanes();
    }

    /** A stream and the event that marks the end of its last copy. */
    private record Lane(CudaStream stream, CudaEvent done)
    {
        void await()
        {
            done.record(stream);
            done.synchronize();
        }

        void close()
        {
            try
            {
                done.close();
            }
            finally
            {
                stream.close();
            }
        }
    }
}
