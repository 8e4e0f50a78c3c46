package dev.tiercache.store;

/**
 * What {@link SpaceAllocatorMeasurement} needs from an allocation algorithm, so the one we ship
 * and the ones we measured against run the same workload. Offsets and sizes as in
 * {@link SpaceAllocator}; {@code allocate} answers {@link SpaceAllocator#FULL} when nothing fits.
 */
interface SpaceAllocatorCandidate
{
    String name();

    long allocate(long sizeBytes);

    void free(long offset);

    long blockSize(long offset);

    long freeBytes();

    long largestFreeBlock();

    /** The shipped TLSF-style allocator behind the measurement interface. */
    static SpaceAllocatorCandidate segregatedFit(final long capacityBytes, final long alignmentBytes)
    {
        final SpaceAllocator allocator = new SpaceAllocator(capacityBytes, alignmentBytes);
        return new SpaceAllocatorCandidate()
        {
            @Override
            public String name()
            {
                return "segregated-fit";
            }

            @Override

            public long allocate(final long sizeBytes)
            {
                return allocator.allocate(sizeBytes);
            }

            @Override

            public void free(final long offset)
            {
                allocator.free(offset);
            }

            @Override

            public long blockSize(final long offset)
            {
                return allocator.blockSize(offset);
            }

            @Override

            public long freeBytes()
            {
                return allocator.freeBytes();
            }

            @Override

            public long largestFreeBlock()
            {
                return allocator.largestFreeBlock();
            }
        };
    }
}
