package dev.tiercache.bench;

import org.agrona.collections.Long2LongHashMap;

import java.util.Arrays;

/**
 * The space allocator as it was before decision record
 * {@code docs/decisions/0031-l2-bookkeeping-per-block.md} (a row per block in seven parallel arrays
 * and an Agrona {@link Long2LongHashMap} from offset to row): the baseline that
 * {@link SpaceAllocatorBenchmark} and {@link SpaceAllocatorHeapMeasurement} run beside the shipped
 * {@code SpaceAllocator}. Kept unchanged but for its name.
 */
public final class RowSpaceAllocatorBaseline
{
    /** {@link #allocate} result: no free block can hold the request. */
    public static final long FULL = -1;

    /** The largest capacity accepted: 2<sup>62</sup> bytes, so size arithmetic cannot overflow. */
    public static final long MAX_CAPACITY_BYTES = 1L << 62;

    private static final int SECOND_LEVEL_LOG2 = 5;
    private static final int SECOND_LEVEL_COUNT = 1 << SECOND_LEVEL_LOG2;
    private static final int CLASS_SCAN_LIMIT = 16;

    /** First level 0 holds sizes below 32, one class per byte count; sizes stay below 2^62. */
    private static final int FIRST_LEVEL_COUNT = 62 - SECOND_LEVEL_LOG2 + 2;
    private static final int CLASS_COUNT = FIRST_LEVEL_COUNT * SECOND_LEVEL_COUNT;
    private static final int NIL = -1;
    private static final int INITIAL_ROWS = 64;

    private final long capacity;
    private final long alignment;
    private final long alignmentMask;

    private final int[] classHeads = new int[CLASS_COUNT];
    private final int[] secondLevelBitmaps = new int[FIRST_LEVEL_COUNT];
    private long firstLevelBitmap;

    private final Long2LongHashMap liveRowByOffset = new Long2LongHashMap(INITIAL_ROWS, 0.65f, NIL);

    private long[] rowOffset = new long[INITIAL_ROWS];
    private long[] rowSize = new long[INITIAL_ROWS];
    private int[] rowPrevPhysical = new int[INITIAL_ROWS];
    private int[] rowNextPhysical = new int[INITIAL_ROWS];
    private int[] rowPrevFree = new int[INITIAL_ROWS];
    private int[] rowNextFree = new int[INITIAL_ROWS];
    private boolean[] rowFree = new boolean[INITIAL_ROWS];
    private int rowHighWater;
    private int recycledRows = NIL;

    private int lastRow;
    private long freeBytes;
    private int liveBlocks;

    /**
     * An allocator with all of {@code [0, capacityBytes)} free.
     *
     * @param capacityBytes  the size of the space described, {@code 1..}{@link #MAX_CAPACITY_BYTES}.
     * @param alignmentBytes every offset handed out is a multiple of it; a power of two {@code >= 1}.
     * @throws IllegalArgumentException when either value is out of range.
     */
    public RowSpaceAllocatorBaseline(final long capacityBytes, final long alignmentBytes)
    {
        if (capacityBytes <= 0 || capacityBytes > MAX_CAPACITY_BYTES)
        {
            throw new IllegalArgumentException(
                "capacityBytes=" + capacityBytes + " not in [1, " + MAX_CAPACITY_BYTES + "]");
        }
        if (alignmentBytes <= 0 || Long.bitCount(alignmentBytes) != 1)
        {
            throw new IllegalArgumentException("alignmentBytes=" + alignmentBytes + " is not a power of two >= 1");
        }
        capacity = capacityBytes;
        alignment = alignmentBytes;
        alignmentMask = alignmentBytes - 1;
        clear();
    }

    /**
     * Reserves a block of at least {@code sizeBytes}. Allocates nothing on the heap in steady state.
     *
     * @param sizeBytes the bytes wanted, {@code > 0}.
     * @return the block's offset, a multiple of {@link #alignment()}, or {@link #FULL} when no free
     *         block can hold the request.
     * @throws IllegalArgumentException when {@code sizeBytes <= 0}.
     */
    public long allocate(final long sizeBytes)
    {
        if (sizeBytes <= 0)
        {
            throw new IllegalArgumentException("sizeBytes=" + sizeBytes + " must be > 0");
        }
        if (sizeBytes > freeBytes)
        {
            return FULL;
        }
        final long need = (sizeBytes + alignmentMask) & ~alignmentMask;
        final int ownClass = classOf(need);

        int row = scanClass(classHeads[ownClass], need, CLASS_SCAN_LIMIT);
        if (row == NIL)
        {
            final int largerClass = nextNonEmptyClassAbove(ownClass);
            if (largerClass != NIL)
            {
                row = classHeads[largerClass];
            }
            else
            {
                row = scanClass(classHeads[ownClass], need, Integer.MAX_VALUE);
                if (row == NIL)
                {
                    if (!rowFree[lastRow] || rowSize[lastRow] < sizeBytes)
                    {
                        return FULL;
                    }
                    row = lastRow;
                }
            }
        }
        return take(row, Math.min(need, rowSize[row]));
    }

    /**
     * Returns a live block to the free space, merging it with free neighbours. Allocates nothing on
     * the heap.
     *
     * @param offset the offset {@link #allocate} returned for the block.
     * @throws IllegalArgumentException when {@code offset} is not a live block's offset, e.g. a
     *         double free; the allocator is then unchanged.
     */
    public void free(final long offset)
    {
        final int freed = (int)liveRowByOffset.remove(offset);
        if (freed == NIL)
        {
            throw new IllegalArgumentException("offset=" + offset + " is not a live block's offset");
        }
        liveBlocks--;
        freeBytes += rowSize[freed];

        int row = freed;
        final int prev = rowPrevPhysical[row];
        if (prev != NIL && rowFree[prev])
        {
            unlinkFree(prev);
            absorbNext(prev);
            row = prev;
        }
        final int next = rowNextPhysical[row];
        if (next != NIL && rowFree[next])
        {
            unlinkFree(next);
            absorbNext(row);
        }
        linkFree(row);
    }

    /**
     * The usable size of a live block: its request rounded up to the alignment (only the block that
     * ends at an unaligned capacity may be smaller than that, never smaller than the request).
     *
     * @param offset the offset {@link #allocate} returned for the block.
     * @return the block's size in bytes.
     * @throws IllegalArgumentException when {@code offset} is not a live block's offset.
     */
    public long blockSize(final long offset)
    {
        final int row = (int)liveRowByOffset.get(offset);
        if (row == NIL)
        {
            throw new IllegalArgumentException("offset=" + offset + " is not a live block's offset");
        }
        return rowSize[row];
    }

    /**
     * The size of the space described.
     *
     * @return capacity in bytes.
     */
    public long capacity()
    {
        return capacity;
    }

    /**
     * What every offset handed out is a multiple of.
     *
     * @return alignment in bytes, a power of two.
     */
    public long alignment()
    {
        return alignment;
    }

    /**
     * Bytes held by live blocks, alignment rounding included.
     *
     * @return {@code capacity() - freeBytes()}.
     */
    public long usedBytes()
    {
        return capacity - freeBytes;
    }

    /**
     * Bytes in free blocks, whether or not they are contiguous.
     *
     * @return free bytes.
     */
    public long freeBytes()
    {
        return freeBytes;
    }

    /**
     * The size of the largest free block. Walks the largest non-empty size class: meant for
     * metrics, not for hot paths.
     *
     * @return the largest free block in bytes, {@code 0} when nothing is free.
     */
    public long largestFreeBlock()
    {
        if (firstLevelBitmap == 0)
        {
            return 0;
        }
        final int firstLevel = 63 - Long.numberOfLeadingZeros(firstLevelBitmap);
        final int secondLevel = 31 - Integer.numberOfLeadingZeros(secondLevelBitmaps[firstLevel]);
        long largest = 0;
        for (int row = classHeads[firstLevel * SECOND_LEVEL_COUNT + secondLevel]; row != NIL; row = rowNextFree[row])
        {
            largest = Math.max(largest, rowSize[row]);
        }
        return largest;
    }

    /**
     * The number of live blocks.
     *
     * @return blocks allocated and not yet freed.
     */
    public int liveBlocks()
    {
        return liveBlocks;
    }

    /**
     * External fragmentation: the share of free bytes outside the largest free block.
     *
     * @return {@code 1 - largestFreeBlock() / freeBytes()}, {@code 0} when nothing is free.
     */
    public double fragmentation()
    {
        return freeBytes == 0 ? 0.0 : 1.0 - (double)largestFreeBlock() / freeBytes;
    }

    /** Frees every block at once: afterwards the whole capacity is one free block. */
    public void clear()
    {
        liveRowByOffset.clear();
        Arrays.fill(classHeads, NIL);
        Arrays.fill(secondLevelBitmaps, 0);
        firstLevelBitmap = 0;
        rowHighWater = 0;
        recycledRows = NIL;
        liveBlocks = 0;
        freeBytes = capacity;

        lastRow = newRow(0, capacity);
        rowPrevPhysical[lastRow] = NIL;
        rowNextPhysical[lastRow] = NIL;
        linkFree(lastRow);
    }

    /**
     * One line with the figures, for logs.
     *
     * @return e.g. {@code SpaceAllocator{capacity=1024, alignment=256, used=512, ...}}.
     */
    @Override
    public String toString()
    {
        final long largest = largestFreeBlock();
        return "RowSpaceAllocatorBaseline{capacity=" + capacity +
            ", alignment=" + alignment +
            ", used=" + usedBytes() +
            ", free=" + freeBytes +
            ", largestFree=" + largest +
            ", liveBlocks=" + liveBlocks +
            ", fragmentation=" + (freeBytes == 0 ? 0.0 : 1.0 - (double)largest / freeBytes) +
            '}';
    }

    /**
     * Walks every structure and reports the first inconsistency: physical chain covering the
     * capacity, alignment, no adjacent free blocks, class lists and bitmaps, counters, the live map.
     * For tests; O(blocks).
     *
     * @return {@code null} when consistent, else what is wrong.
     */
    String checkConsistency()
    {
        int row = lastRow;
        long end = capacity;
        long free = 0;
        int live = 0;
        int freeCount = 0;
        while (row != NIL)
        {
            if (rowOffset[row] + rowSize[row] != end || rowSize[row] <= 0)
            {
                return "row " + row + " [" + rowOffset[row] + "+" + rowSize[row] + ") does not end at " + end;
            }
            if ((rowOffset[row] & alignmentMask) != 0)
            {
                return "row " + row + " offset=" + rowOffset[row] + " not aligned to " + alignment;
            }
            final int next = rowNextPhysical[row];
            if (next != NIL && rowPrevPhysical[next] != row)
            {
                return "row " + row + " next=" + next + " whose prev=" + rowPrevPhysical[next];
            }
            if (rowFree[row])
            {
                if (next != NIL && rowFree[next])
                {
                    return "adjacent free rows " + row + " and " + next;
                }
                free += rowSize[row];
                freeCount++;
                if (!inClassList(row))
                {
                    return "free row " + row + " size=" + rowSize[row] + " missing from class " + classOf(rowSize[row]);
                }
            }
            else
            {
                live++;
                if (liveRowByOffset.get(rowOffset[row]) != row)
                {
                    return "live row " + row + " offset=" + rowOffset[row] + " not mapped";
                }
            }
            end = rowOffset[row];
            row = rowPrevPhysical[row];
        }
        if (end != 0)
        {
            return "physical chain starts at " + end + ", not 0";
        }
        if (free != freeBytes || live != liveBlocks || live != liveRowByOffset.size())
        {
            return "free=" + free + " vs freeBytes=" + freeBytes + ", live=" + live + " vs liveBlocks=" + liveBlocks +
                " vs mapped=" + liveRowByOffset.size();
        }
        int listed = 0;
        for (int c = 0; c < CLASS_COUNT; c++)
        {
            final boolean bit = (secondLevelBitmaps[c >>> SECOND_LEVEL_LOG2] & (1 << (c & (SECOND_LEVEL_COUNT - 1)))) != 0;
            if (bit != (classHeads[c] != NIL))
            {
                return "class " + c + " bitmap bit=" + bit + " head=" + classHeads[c];
            }
            int prev = NIL;
            for (int r = classHeads[c]; r != NIL; r = rowNextFree[r])
            {
                if (!rowFree[r] || classOf(rowSize[r]) != c || rowPrevFree[r] != prev)
                {
                    return "class " + c + " holds row " + r + " size=" + rowSize[r] + " free=" + rowFree[r];
                }
                prev = r;
                listed++;
            }
        }
        for (int fl = 0; fl < FIRST_LEVEL_COUNT; fl++)
        {
            if (((firstLevelBitmap >>> fl & 1) != 0) != (secondLevelBitmaps[fl] != 0))
            {
                return "first-level bit " + fl + " disagrees with its second level";
            }
        }
        return listed == freeCount ? null : "class lists hold " + listed + " rows, chain has " + freeCount + " free";
    }

    private static int classOf(final long size)
    {
        if (size < SECOND_LEVEL_COUNT)
        {
            return (int)size;
        }
        final int log2 = 63 - Long.numberOfLeadingZeros(size);
        final int firstLevel = log2 - SECOND_LEVEL_LOG2 + 1;
        final int secondLevel = (int)(size >>> (log2 - SECOND_LEVEL_LOG2)) - SECOND_LEVEL_COUNT;
        return firstLevel * SECOND_LEVEL_COUNT + secondLevel;
    }

    private boolean inClassList(final int row)
    {
        for (int r = classHeads[classOf(rowSize[row])]; r != NIL; r = rowNextFree[r])
        {
            if (r == row)
            {
                return true;
            }
        }
        return false;
    }

    private int scanClass(final int head, final long need, final int limit)
    {
        int steps = 0;
        for (int row = head; row != NIL && steps < limit; row = rowNextFree[row], steps++)
        {
            if (rowSize[row] >= need)
            {
                return row;
            }
        }
        return NIL;
    }

    private int nextNonEmptyClassAbove(final int sizeClass)
    {
        final int firstLevel = sizeClass >>> SECOND_LEVEL_LOG2;
        final int secondLevel = sizeClass & (SECOND_LEVEL_COUNT - 1);
        final int higherSecond = secondLevel == SECOND_LEVEL_COUNT - 1 ?
            0 : secondLevelBitmaps[firstLevel] & (-1 << (secondLevel + 1));
        if (higherSecond != 0)
        {
            return firstLevel * SECOND_LEVEL_COUNT + Integer.numberOfTrailingZeros(higherSecond);
        }
        final long higherFirst = firstLevelBitmap & (-1L << (firstLevel + 1));
        if (higherFirst == 0)
        {
            return NIL;
        }
        final int fl = Long.numberOfTrailingZeros(higherFirst);
        return fl * SECOND_LEVEL_COUNT + Integer.numberOfTrailingZeros(secondLevelBitmaps[fl]);
    }

    private long take(final int row, final long size)
    {
        unlinkFree(row);
        final long remainder = rowSize[row] - size;
        if (remainder > 0)
        {
            final int rest = newRow(rowOffset[row] + size, remainder);
            final int next = rowNextPhysical[row];
            rowPrevPhysical[rest] = row;
            rowNextPhysical[rest] = next;
            if (next != NIL)
            {
                rowPrevPhysical[next] = rest;
            }
            else
            {
                lastRow = rest;
            }
            rowNextPhysical[row] = rest;
            rowSize[row] = size;
            linkFree(rest);
        }
        rowFree[row] = false;
        freeBytes -= size;
        liveBlocks++;
        liveRowByOffset.put(rowOffset[row], row);
        return rowOffset[row];
    }

    /** Merges the physical successor of {@code row} (already out of its class list) into it. */
    private void absorbNext(final int row)
    {
        final int next = rowNextPhysical[row];
        final int afterNext = rowNextPhysical[next];
        rowSize[row] += rowSize[next];
        rowNextPhysical[row] = afterNext;
        if (afterNext != NIL)
        {
            rowPrevPhysical[afterNext] = row;
        }
        else
        {
            lastRow = row;
        }
        recycleRow(next);
    }

    private void linkFree(final int row)
    {
        final int sizeClass = classOf(rowSize[row]);
        final int head = classHeads[sizeClass];
        rowFree[row] = true;
        rowPrevFree[row] = NIL;
        rowNextFree[row] = head;
        if (head != NIL)
        {
            rowPrevFree[head] = row;
        }
        classHeads[sizeClass] = row;
        final int firstLevel = sizeClass >>> SECOND_LEVEL_LOG2;
        secondLevelBitmaps[firstLevel] |= 1 << (sizeClass & (SECOND_LEVEL_COUNT - 1));
        firstLevelBitmap |= 1L << firstLevel;
    }

    private void unlinkFree(final int row)
    {
        final int prev = rowPrevFree[row];
        final int next = rowNextFree[row];
        if (next != NIL)
        {
            rowPrevFree[next] = prev;
        }
        if (prev != NIL)
        {
            rowNextFree[prev] = next;
            return;
        }
        final int sizeClass = classOf(rowSize[row]);
        classHeads[sizeClass] = next;
        if (next == NIL)
        {
            final int firstLevel = sizeClass >>> SECOND_LEVEL_LOG2;
            secondLevelBitmaps[firstLevel] &= ~(1 << (sizeClass & (SECOND_LEVEL_COUNT - 1)));
            if (secondLevelBitmaps[firstLevel] == 0)
            {
                firstLevelBitmap &= ~(1L << firstLevel);
            }
        }
    }

    private int newRow(final long offset, final long size)
    {
        final int row;
        if (recycledRows != NIL)
        {
            row = recycledRows;
            recycledRows = rowNextFree[row];
        }
        else
        {
            if (rowHighWater == rowOffset.length)
            {
                growRows();
            }
            row = rowHighWater++;
        }
        rowOffset[row] = offset;
        rowSize[row] = size;
        return row;
    }

    private void recycleRow(final int row)
    {
        rowFree[row] = false;
        rowNextFree[row] = recycledRows;
        recycledRows = row;
    }

    private void growRows()
    {
        final int rows = rowOffset.length * 2;
        rowOffset = Arrays.copyOf(rowOffset, rows);
        rowSize = Arrays.copyOf(rowSize, rows);
        rowPrevPhysical = Arrays.copyOf(rowPrevPhysical, rows);
        rowNextPhysical = Arrays.copyOf(rowNextPhysical, rows);
        rowPrevFree = Arrays.copyOf(rowPrevFree, rows);
        rowNextFree = Arrays.copyOf(rowNextFree, rows);
        rowFree = Arrays.copyOf(rowFree, rows);
    }
}
