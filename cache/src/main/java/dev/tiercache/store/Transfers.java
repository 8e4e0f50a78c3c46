package dev.tiercache.store;

import dev.tiercache.cuda.CudaEvent;
import dev.tiercache.cuda.CudaException;
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
 *
 * <h2>Failures</h2>
 * A copy that fails after it was queued (its event not recorded, the wait on it failing) may still
 * be running: freeing its destination then would let the device write into memory that holds
 * another entry by the time the copy lands. So a failed transfer drains its stream before it
 * returns, and the caller may free or reuse both ends. When even the drain fails, the lane is
 * replaced by a new one and the transfer throws {@link CopyInFlightException}: its destination must
 * be quarantined (never reused) until its store closes.
 */
public final class Transfers implements AutoCloseable
{
    /** Streams (and events) in the pool. */
    public static final int LANES = 4;

    private final ArrayBlockingQueue<Lane> lanes = new ArrayBlockingQueue<>(LANES);
    private final CudaRuntime runtime;
    private final boolean deviceTransfers;
    private volatile boolean closed;
    /** Lanes that exist (in the queue or in use); a lane that cannot be replaced lowers it. */
    private volatile int liveLanes;
    private final java.util.IdentityHashMap<ArenaStore, long[]> quarantinedBlocks = new java.util.IdentityHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong quarantinedBytes = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Makes the lanes, or none without a usable runtime (then only host and file transfers work).
     *
     * @param runtime the CUDA runtime, or null.
     */
    public Transfers(final CudaRuntime runtime)
    {
        this.runtime = runtime;
        this.deviceTransfers = runtime != null && runtime.isUsable();
        if (deviceTransfers)
        {
            try
            {
                for (int i = 0; i < LANES; i++)
                {
                    lanes.add(newLane(runtime));
                    liveLanes++;
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
        boolean drained = false;
        try
        {
            dst.arena().copyFromHostAsync(src, dstOffset, lane.stream);
            lane.await();
            drained = true;
        }
        catch (final CudaException ex)
        {
            drained = lane.drain();
            throw drained ? ex : new CopyInFlightException(ex);
        }
        finally
        {
            giveBack(lane, drained);
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
        boolean drained = false;
        try
        {
            src.arena().copyToHostAsync(srcOffset, dst, lane.stream);
            lane.await();
            drained = true;
        }
        catch (final CudaException ex)
        {
            drained = lane.drain();
            throw drained ? ex : new CopyInFlightException(ex);
        }
        finally
        {
            giveBack(lane, drained);
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
            // a copy still in flight only reads its source: the staging block may be freed
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
        if (liveLanes == 0)
        {
            throw new IllegalStateException("every CUDA stream of the transfer pool failed and none could be made again");
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

    private void giveBack(final Lane lane, final boolean drained)
    {
        Lane back = lane;
        if (!drained && lane.broken)
        {
            // its stream may still run the failed copy: destroying it lets that finish, unseen
            lane.closeQuietly();
            try
            {
                back = closed ? null : newLane(runtime);
            }
            catch (final RuntimeException ex)
            {
                back = null;
            }
            if (back == null)
            {
                liveLanes--;
                return;
            }
        }
        lanes.add(back);
        if (closed)
        {
            closeLanes();
        }
    }

    private static Lane newLane(final CudaRuntime runtime)
    {
        final CudaStream stream = runtime.createStream(true);
        try
        {
            return new Lane(stream, runtime.createEvent(false));
        }
        catch (final RuntimeException ex)
        {
            stream.close();
            throw ex;
        }
    }

    /**
     * Keeps a block out of use until its store closes: a copy that could not be drained may still
     * write into it.
     *
     * @param store  the block's store.
     * @param offset the block (not freed, ever).
     */
    public void quarantine(final ArenaStore store, final long offset)
    {
        final long bytes = store.blockSize(offset);
        quarantinedBytes.addAndGet(bytes);
        synchronized (quarantinedBlocks)
        {
            final long[] kept = quarantinedBlocks.computeIfAbsent(store, s -> new long[2]);
            kept[0]++;
            kept[1] += bytes;
        }
    }

    /**
     * The blocks of one store kept out of use.
     *
     * @param store the store.
     * @return {blocks, bytes}.
     */
    public long[] quarantinedIn(final ArenaStore store)
    {
        synchronized (quarantinedBlocks)
        {
            final long[] kept = quarantinedBlocks.get(store);
            return kept == null ? new long[2] : kept.clone();
        }
    }

    /**
     * Bytes of blocks and buffers kept out of use because a failed copy may still write into them.
     *
     * @return quarantined bytes.
     */
    public long quarantinedBytes()
    {
        return quarantinedBytes.get();
    }

    /**
     * Records memory outside the stores that a failed copy may still write into, and which is
     * therefore never freed.
     *
     * @param bytes its size.
     */
    public void quarantined(final long bytes)
    {
        quarantinedBytes.addAndGet(bytes);
    }

    /**
     * A transfer failed and its stream could not be drained: the copy may still be running, so its
     * destination must not be freed or reused.
     */
    public static final class CopyInFlightException extends IllegalStateException
    {
        private static final long serialVersionUID = 1L;

        CopyInFlightException(final CudaException cause)
        {
            super(cause.getMessage() + "; its stream could not be drained, so the copy may still be running", cause);
        }

        /**
         * The CUDA failure.
         *
         * @return the cause.
         */
        public CudaException cudaFailure()
        {
            return (CudaException) getCause();
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
    private static final class Lane
    {
        final CudaStream stream;
        final CudaEvent done;
        boolean broken;

        Lane(final CudaStream stream, final CudaEvent done)
        {
            this.stream = stream;
            this.done = done;
        }

        void await()
        {
            done.record(stream);
            done.synchronize();
        }

        /**
         * After a failure: waits for whatever the stream still runs, trying twice.
         *
         * @return true when the stream is idle, false when the lane is broken.
         */
        boolean drain()
        {
            for (int attempt = 0; attempt < 2; attempt++)
            {
                try
                {
                    stream.synchronize();
                    return true;
                }
                catch (final CudaException ex)
                {
                    // try once more: an error of the call itself is not the stream's
                }
            }
            broken = true;
            return false;
        }

        void closeQuietly()
        {
            try
            {
                close();
            }
            catch (final RuntimeException ex)
            {
                // the runtime is failing: nothing more to do for this lane
            }
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
