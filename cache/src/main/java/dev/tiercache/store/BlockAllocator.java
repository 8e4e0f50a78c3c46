package dev.tiercache.store;

/**
 * What a store needs of its allocator: aligned offsets in {@code [0, capacity)} handed out and
 * taken back, and the figures. {@link SpaceAllocator} for the levels' arenas, {@link SlabAllocator}
 * for the meta arena's small records. Not thread-safe: the store guards every call.
 */
interface BlockAllocator
{
    /**
     * Reserves a block of at least {@code sizeBytes}.
     *
     * @param sizeBytes the bytes wanted, {@code > 0}.
     * @return its offset, a multiple of {@link #alignment()}, or {@link SpaceAllocator#FULL}.
     */
    long allocate(long sizeBytes);

    /**
     * Returns a live block.
     *
     * @param offset from {@link #allocate}.
     * @throws IllegalArgumentException when it is not a live block's offset; nothing changes then.
     */
    void free(long offset);

    /**
     * The usable size of a live block, alignment included.
     *
     * @param offset from {@link #allocate}.
     * @return bytes.
     * @throws IllegalArgumentException when it is not a live block's offset.
     */
    long blockSize(long offset);

    /** @return the size of the space described. */
    long capacity();

    /** @return what every offset is a multiple of. */
    long alignment();

    /** @return bytes held by live blocks. */
    long usedBytes();

    /** @return {@code capacity() - usedBytes()}. */
    long freeBytes();

    /** @return the largest block a request could get whole. */
    long largestFreeBlock();

    /** @return blocks allocated and not yet freed. */
    int liveBlocks();

    /** @return the share of free bytes outside the largest free block. */
    double fragmentation();

    /** Frees every block at once. */
    void clear();
}
