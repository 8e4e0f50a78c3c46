package dev.tiercache.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import javax.management.ObjectName;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpaceAllocatorTest
{
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long GIB = 1024 * MIB;
    private static final long TIB = 1024 * GIB;

    @ParameterizedTest
    @ValueSource(longs = {0, -1, Long.MIN_VALUE, SpaceAllocator.MAX_CAPACITY_BYTES + 1})
    void constructor_rejectsCapacityOutOfRange(final long capacity)
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> new SpaceAllocator(capacity, 8));
        assertTrue(ex.getMessage().contains("capacityBytes=" + capacity), ex.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -8, 3, 12, 4097})
    void constructor_rejectsAlignmentThatIsNotAPowerOfTwo(final long alignment)
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> new SpaceAllocator(MIB, alignment));
        assertTrue(ex.getMessage().contains("alignmentBytes=" + alignment), ex.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, Long.MIN_VALUE})
    void allocate_rejectsSizeNotPositive(final long size)
    {
        final SpaceAllocator allocator = new SpaceAllocator(MIB, 256);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> allocator.allocate(size));
        assertTrue(ex.getMessage().contains("sizeBytes=" + size), ex.getMessage());
    }

    @Test
    void newAllocator_isOneFreeBlockOfFullCapacity()
    {
        final SpaceAllocator allocator = new SpaceAllocator(10 * MIB, 4096);

        assertEquals(10 * MIB, allocator.capacity());
        assertEquals(4096, allocator.alignment());
        assertEquals(0, allocator.usedBytes());
        assertEquals(10 * MIB, allocator.freeBytes());
        assertEquals(10 * MIB, allocator.largestFreeBlock());
        assertEquals(0, allocator.liveBlocks());
        assertEquals(0.0, allocator.fragmentation());
    }

    @Test
    void allocate_answersFullWhenNoBlockFits()
    {
        final SpaceAllocator allocator = new SpaceAllocator(4 * KIB, KIB);
        for (int i = 0; i < 4; i++)
        {
            assertEquals(i * KIB, allocator.allocate(KIB));
        }

        assertEquals(SpaceAllocator.FULL, allocator.allocate(1));
        assertEquals(0, allocator.freeBytes());
        assertEquals(0.0, allocator.fragmentation());

        allocator.free(2 * KIB);
        assertEquals(2 * KIB, allocator.allocate(KIB));
    }

    @Test
    void allocate_answersFullWhenFreeBytesAreSplit()
    {
        final SpaceAllocator allocator = new SpaceAllocator(4 * KIB, 1);
        for (int i = 0; i < 4; i++)
        {
            allocator.allocate(KIB);
        }
        allocator.free(0);
        allocator.free(2 * KIB);

        assertEquals(2 * KIB, allocator.freeBytes());
        assertEquals(KIB, allocator.largestFreeBlock());
        assertEquals(0.5, allocator.fragmentation());
        assertEquals(SpaceAllocator.FULL, allocator.allocate(KIB + 1));
    }

    @Test
    void allocate_answersFullForMoreThanCapacity()
    {
        final SpaceAllocator allocator = new SpaceAllocator(MIB, 64);

        assertEquals(SpaceAllocator.FULL, allocator.allocate(MIB + 1));
        assertEquals(SpaceAllocator.FULL, allocator.allocate(Long.MAX_VALUE));
        assertEquals(0, allocator.allocate(MIB));
    }

    @Test
    void free_rejectsDoubleFreeAndLeavesStateUnchanged()
    {
        final SpaceAllocator allocator = new SpaceAllocator(MIB, 256);
        final long a = allocator.allocate(1000);
        final long b = allocator.allocate(3000);
        allocator.free(a);
        final String before = allocator.toString();

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> allocator.free(a));

        assertTrue(ex.getMessage().contains("offset=" + a), ex.getMessage());
        assertEquals(before, allocator.toString());
        assertNull(allocator.checkConsistency());
        assertEquals(3072, allocator.blockSize(b));
    }

    @Test
    void free_rejectsOffsetsThatAreNotABlockStart()
    {
        final SpaceAllocator allocator = new SpaceAllocator(MIB, 256);
        final long a = allocator.allocate(4096);

        assertThrows(IllegalArgumentException.class, () -> allocator.free(a + 256));
        assertThrows(IllegalArgumentException.class, () -> allocator.free(-1));
        assertThrows(IllegalArgumentException.class, () -> allocator.free(MIB));
        assertThrows(IllegalArgumentException.class, () -> allocator.free(8192));
        assertEquals(1, allocator.liveBlocks());
        assertNull(allocator.checkConsistency());
    }

    @Test
    void free_rejectsAFreeBlocksStartAndLeavesStateUnchanged()
    {
        final SpaceAllocator allocator = new SpaceAllocator(MIB, 256);
        final long a = allocator.allocate(4096);
        final long b = allocator.allocate(4096);
        allocator.free(a);
        final String before = allocator.toString();

        // the start of the free block a left, and the start of the free rest after b: both marked starts
        for (final long offset : new long[] {a, b + 4096})
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> allocator.free(offset));
            assertTrue(ex.getMessage().contains("offset=" + offset), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> allocator.blockSize(offset));
        }
        assertEquals(before, allocator.toString());
        assertNull(allocator.checkConsistency());
        assertEquals(4096, allocator.blockSize(b));
    }

    @Test
    void liveBlocks_areMarkedStarts_below2pow32Units_andMapCellsFromThere()
    {
        assertTrue(new SpaceAllocator(128 * MIB, 64).tableSizes().contains(" starts="));
        assertTrue(new SpaceAllocator(((1L << 32) - 1) * 64, 64).tableSizes().contains(" starts="));
        final SpaceAllocator mapped = new SpaceAllocator(((1L << 32) - 1) * 64 + 1, 64);
        assertTrue(mapped.tableSizes().contains(" live="), mapped.tableSizes());

        final long a = mapped.allocate(100);
        final long b = mapped.allocate(1000);
        mapped.free(a);
        assertThrows(IllegalArgumentException.class, () -> mapped.free(a));
        assertEquals(1024, mapped.blockSize(b));
        assertNull(mapped.checkConsistency());
    }

    @Test
    void blockSize_rejectsOffsetThatIsNotLive()
    {
        final SpaceAllocator allocator = new SpaceAllocator(MIB, 256);
        final long a = allocator.allocate(100);
        allocator.free(a);

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> allocator.blockSize(a));
        assertTrue(ex.getMessage().contains("offset=" + a), ex.getMessage());
    }

    @Test
    void alignmentOne_packsBlocksByteExact()
    {
        final SpaceAllocator allocator = new SpaceAllocator(100, 1);

        assertEquals(0, allocator.allocate(7));
        assertEquals(7, allocator.allocate(13));
        assertEquals(20, allocator.allocate(80));
        assertEquals(7, allocator.blockSize(0));
        assertEquals(13, allocator.blockSize(7));
        assertEquals(SpaceAllocator.FULL, allocator.allocate(1));
        assertEquals(100, allocator.usedBytes());
    }

    @Test
    void alignment4096_roundsBlocksUpToPages()
    {
        final SpaceAllocator allocator = new SpaceAllocator(MIB, 4096);

        final long a = allocator.allocate(1);
        final long b = allocator.allocate(4097);
        final long c = allocator.allocate(4096);

        assertEquals(0, a);
        assertEquals(4096, b);
        assertEquals(3 * 4096, c);
        assertEquals(4096, allocator.blockSize(a));
        assertEquals(8192, allocator.blockSize(b));
        assertEquals(4 * 4096, allocator.usedBytes());
    }

    @Test
    void capacityNotMultipleOfAlignment_handsOutTheUnalignedTail()
    {
        final SpaceAllocator allocator = new SpaceAllocator(10_000, 4096);

        assertEquals(0, allocator.allocate(10_000));
        assertEquals(10_000, allocator.blockSize(0));
        assertEquals(0, allocator.freeBytes());

        allocator.clear();
        assertEquals(0, allocator.allocate(4096));
        assertEquals(4096, allocator.allocate(4097));
        assertEquals(10_000 - 4096, allocator.blockSize(4096));
        assertEquals(SpaceAllocator.FULL, allocator.allocate(1));
        assertNull(allocator.checkConsistency());

        allocator.free(0);
        allocator.free(4096);
        assertEquals(10_000, allocator.largestFreeBlock());
    }

    @Test
    void hugeCapacity_withFewBlocks()
    {
        final SpaceAllocator allocator = new SpaceAllocator(TIB, 4096);
        final long a = allocator.allocate(GIB);
        final long b = allocator.allocate(300 * GIB + 1);
        final long c = allocator.allocate(GIB);

        assertEquals(300 * GIB + 4096, allocator.blockSize(b));
        allocator.free(b);
        assertEquals(TIB - 2 * GIB, allocator.freeBytes());
        assertEquals(TIB - 2 * GIB - 300 * GIB - 4096, allocator.largestFreeBlock());
        assertEquals(b, allocator.allocate(300 * GIB));
        assertEquals(SpaceAllocator.FULL, allocator.allocate(TIB - 2 * GIB));

        allocator.free(a);
        allocator.free(b);
        allocator.free(c);
        assertEquals(TIB, allocator.largestFreeBlock());
        assertNull(allocator.checkConsistency());
    }

    @Test
    void maximumCapacity_isAccepted()
    {
        final SpaceAllocator allocator = new SpaceAllocator(SpaceAllocator.MAX_CAPACITY_BYTES, 1);

        assertEquals(0, allocator.allocate(SpaceAllocator.MAX_CAPACITY_BYTES / 2));
        assertEquals(SpaceAllocator.MAX_CAPACITY_BYTES / 2, allocator.allocate(SpaceAllocator.MAX_CAPACITY_BYTES / 2));
        assertEquals(SpaceAllocator.FULL, allocator.allocate(1));
        allocator.free(0);
        allocator.free(SpaceAllocator.MAX_CAPACITY_BYTES / 2);
        assertEquals(SpaceAllocator.MAX_CAPACITY_BYTES, allocator.largestFreeBlock());
    }

    @Test
    void free_coalescesWithBothNeighbours()
    {
        final SpaceAllocator allocator = new SpaceAllocator(5 * KIB, 1);
        for (int i = 0; i < 5; i++)
        {
            allocator.allocate(KIB);
        }
        allocator.free(KIB);
        allocator.free(3 * KIB);
        assertEquals(KIB, allocator.largestFreeBlock());

        allocator.free(2 * KIB);

        assertEquals(3 * KIB, allocator.largestFreeBlock());
        assertEquals(KIB, allocator.allocate(3 * KIB));
        assertNull(allocator.checkConsistency());
    }

    @Test
    void sameSizedEntries_reuseEachOthersHoles()
    {
        final SpaceAllocator allocator = new SpaceAllocator(100 * 150 * KIB, 256);
        for (int i = 0; i < 100; i++)
        {
            allocator.allocate(150 * KIB);
        }
        for (int i = 0; i < 100; i += 2)
        {
            allocator.free(i * 150 * KIB);
        }

        for (int i = 0; i < 50; i++)
        {
            assertTrue(allocator.allocate(150 * KIB) != SpaceAllocator.FULL, "allocation " + i);
        }
        assertEquals(0, allocator.freeBytes());
    }

    @Test
    void allocate_findsAFittingBlockDeepInItsOwnClassBeforeAnsweringFull()
    {
        final int smallHoles = 20;
        final long separator = 64;
        final long capacity = 1030 + separator + smallHoles * (1025 + separator);
        final SpaceAllocator allocator = new SpaceAllocator(capacity, 1);
        final long fitting = allocator.allocate(1030);
        allocator.allocate(separator);
        final long[] holes = new long[smallHoles];
        for (int i = 0; i < smallHoles; i++)
        {
            holes[i] = allocator.allocate(1025);
            allocator.allocate(separator);
        }
        assertEquals(0, allocator.freeBytes());
        allocator.free(fitting);
        for (final long hole : holes)
        {
            allocator.free(hole);
        }

        assertEquals(fitting, allocator.allocate(1030));
        assertEquals(SpaceAllocator.FULL, allocator.allocate(1026));
    }

    @Test
    void clear_freesEverything()
    {
        final SpaceAllocator allocator = new SpaceAllocator(MIB, 512);
        for (int i = 0; i < 50; i++)
        {
            allocator.allocate(1000 + i);
        }

        allocator.clear();

        assertEquals(0, allocator.liveBlocks());
        assertEquals(MIB, allocator.largestFreeBlock());
        assertEquals(0, allocator.allocate(MIB));
        assertNull(allocator.checkConsistency());
    }

    @Test
    void toString_namesTheFigures()
    {
        final SpaceAllocator allocator = new SpaceAllocator(4096, 1024);
        allocator.allocate(1024);

        assertEquals("SpaceAllocator{capacity=4096, alignment=1024, used=1024, free=3072, largestFree=3072, " +
            "liveBlocks=1, fragmentation=0.0}", allocator.toString());
    }

    @Test
    void steadyStateChurn_allocatesNothing() throws Exception
    {
        final SpaceAllocator allocator = new SpaceAllocator(256 * MIB, 256);
        final long[] offsets = new long[400];
        final SplittableRandom rng = new SplittableRandom(42);
        churn(allocator, offsets, rng, 200_000);

        final long idle = -threadAllocatedBytes() + threadAllocatedBytes();
        final long before = threadAllocatedBytes();
        churn(allocator, offsets, rng, 200_000);
        final long churned = threadAllocatedBytes() - before;

        assertTrue(churned - idle < 1024,
            "heap bytes allocated by 200000 allocate/free pairs: " + churned + " (reading the counter: " + idle + ")");
    }

    /** Through the platform MBean server: the module does not read {@code jdk.management}. */
    private static long threadAllocatedBytes() throws Exception
    {
        return (Long)ManagementFactory.getPlatformMBeanServer()
            .getAttribute(new ObjectName(ManagementFactory.THREAD_MXBEAN_NAME), "CurrentThreadAllocatedBytes");
    }

    private static void churn(final SpaceAllocator allocator, final long[] offsets, final SplittableRandom rng, final int ops)
    {
        for (int i = 0; i < ops; i++)
        {
            final int slot = rng.nextInt(offsets.length);
            if (offsets[slot] > 0)
            {
                allocator.free(offsets[slot] - 1);
                offsets[slot] = 0;
            }
            final long offset = allocator.allocate(1 + rng.nextLong(MIB));
            offsets[slot] = offset == SpaceAllocator.FULL ? 0 : offset + 1;
        }
    }
}
