package dev.tiercache.bench;

import dev.tiercache.store.SpaceAllocator;

/**
 * The space allocator before decision record 0031 ({@link RowSpaceAllocatorBaseline}) and the one
 * shipped ({@link SpaceAllocator}) behind one face, for {@link SpaceAllocatorBenchmark} and
 * {@link SpaceAllocatorHeapMeasurement}. A benchmark fork makes only one of them, so the calls
 * stay monomorphic.
 */
interface AllocatorUnderTest
{
    /** {@link #of} name of the row-per-block allocator before 0031. */
    String ROWS = "rows";

    /** {@link #of} name of {@link SpaceAllocator}. */
    String SHIPPED = "shipped";

    long allocate(long sizeBytes);

    void free(long offset);

    int liveBlocks();

    /**
     * The allocator itself, whose heap a measurement counts.
     *
     * @return the wrapped allocator.
     */
    Object target();

    /**
     * Makes one of the two.
     *
     * @param name           {@link #ROWS} or {@link #SHIPPED}.
     * @param capacityBytes  the space described.
     * @param alignmentBytes the alignment of every offset.
     * @return the allocator.
     */
    static AllocatorUnderTest of(final String name, final long capacityBytes, final long alignmentBytes)
    {
        return switch (name)
        {
            case ROWS -> rows(new RowSpaceAllocatorBaseline(capacityBytes, alignmentBytes));
            case SHIPPED -> shipped(new SpaceAllocator(capacityBytes, alignmentBytes));
            default -> throw new IllegalArgumentException("allocator=" + name + " is not " + ROWS + " or " + SHIPPED);
        };
    }

    private static AllocatorUnderTest rows(final RowSpaceAllocatorBaseline rows)
    {
        return new AllocatorUnderTest()
        {
            @Override
            public long allocate(final long sizeBytes)
            {
                return rows.allocate(sizeBytes);
            }

            @Override
            public void free(final long offset)
            {
                rows.free(offset);
            }

            @Override
            public int liveBlocks()
            {
                return rows.liveBlocks();
            }

            @Override
            public Object target()
            {
                return rows;
            }
        };
    }

    private static AllocatorUnderTest shipped(final SpaceAllocator space)
    {
        return new AllocatorUnderTest()
        {
            @Override
            public long allocate(final long sizeBytes)
            {
                return space.allocate(sizeBytes);
            }

            @Override
            public void free(final long offset)
            {
                space.free(offset);
            }

            @Override
            public int liveBlocks()
            {
                return space.liveBlocks();
            }

            @Override
            public Object target()
            {
                return space;
            }
        };
    }
}
