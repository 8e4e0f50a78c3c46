package dev.tiercache.store;

/**
 * What the device and host stores share: one arena allocated once, sub-allocated by a
 * {@link SpaceAllocator} (or, for the meta arena's small records, a {@link SlabAllocator}) under
 * this object's monitor, and freed once on close.
 *
 * <p>Concurrency: {@link #allocate}, {@link #free} and the figures are guarded by the monitor; the
 * bytes of a block are read and written without it by whoever holds the block.
 */
public abstract class ArenaStore implements AutoCloseable
{
    private final BlockAllocator allocator;
    private final String name;
    private boolean closed;

    ArenaStore(final String name, final long capacityBytes, final long alignmentBytes)
    {
        this(name, new SpaceAllocator(capacityBytes, alignmentBytes));
    }

    ArenaStore(final String name, final BlockAllocator allocator)
    {
        this.name = name;
        this.allocator = allocator;
    }

    /**
     * Reserves a block.
     *
     * @param bytes at least 1.
     * @return its offset, or {@link SpaceAllocator#FULL} when no free block fits.
     */
    public final synchronized long allocate(final long bytes)
    {
        checkOpen();
        return allocator.allocate(bytes);
    }

    /**
     * Returns a block.
     *
     * @param offset from {@link #allocate}.
     */
    public final synchronized void free(final long offset)
    {
        checkOpen();
        allocator.free(offset);
    }

    /**
     * Bytes the arena holds.
     *
     * @return capacity.
     */
    public final long capacity()
    {
        return allocator.capacity();
    }

    /**
     * Bytes allocated now, alignment included.
     *
     * @return used bytes.
     */
    public final synchronized long usedBytes()
    {
        return allocator.usedBytes();
    }

    /**
     * Blocks allocated now.
     *
     * @return live blocks.
     */
    public final synchronized int liveBlocks()
    {
        return allocator.liveBlocks();
    }

    /**
     * The size of an allocated block, alignment included.
     *
     * @param offset from {@link #allocate}.
     * @return its size in bytes.
     */
    public final synchronized long blockSize(final long offset)
    {
        return allocator.blockSize(offset);
    }

    /**
     * The allocator's figures.
     *
     * @return one line.
     */
    public final synchronized String allocatorSummary()
    {
        return allocator.toString();
    }

    /**
     * Returns every block at once.
     */
    public final synchronized void clear()
    {
        checkOpen();
        allocator.clear();
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException(name + " is closed");
        }
    }

    /**
     * Frees the arena; called once, by the first {@link #close()}.
     */
    abstract void releaseArena();

    @Override
    public final synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            releaseArena();
        }
    }
}
