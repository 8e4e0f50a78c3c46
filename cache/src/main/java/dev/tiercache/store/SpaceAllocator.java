package dev.tiercache.store;

import java.util.Arrays;

/**
 * Hands out aligned offsets inside a fixed capacity {@code [0, capacity)} and takes them back: the
 * bookkeeping behind the device arena, the pinned host arena and the file regions. It never touches
 * the memory it describes, so one class serves all three media.
 *
 * <h2>Algorithm</h2>
 * A two-level segregated fit (TLSF-style) with immediate coalescing. Free blocks sit in doubly
 * linked lists, one per size class: the first level is the power of two of the size, the second
 * splits each power of two into 32 equal classes, so a class is at most about 3 % wide. A
 * {@code long} bitmap of non-empty first levels and an {@code int} bitmap per
 * first level find the next non-empty class with two bit scans. {@link #allocate} rounds the
 * request up to the alignment and then
 * <ol>
 *   <li>looks at up to 16 blocks of the request's own class for one that is big enough (this is
 *       what lets same-sized entries reuse each other's holes exactly);</li>
 *   <li>else takes the head of the next non-empty larger class, where every block fits;</li>
 *   <li>else, before answering {@link #FULL}, scans the rest of its own class, so that {@code FULL}
 *       means no free block can hold the request, never "a fitting block was not looked at".</li>
 * </ol>
 * The chosen block is split and the remainder goes back into its class. {@link #free} merges the
 * block with free physical neighbours at once, so two free blocks are never adjacent and the free
 * blocks are exactly the gaps between live ones.
 *
 * <p>The last block may end at a capacity that is not a multiple of the alignment; it is handed out
 * whole to a request that fits its raw size, so an empty allocator can always give its full
 * capacity to one request.
 *
 * <h2>Bookkeeping</h2>
 * Only free blocks have rows (offset, size and the class-list links, in parallel primitive arrays
 * with a recycled-row stack). A live block has no entry of its own: a {@link PagedBitSet} marks
 * every block's start, live or free, one bit per alignment unit, plus the end of the space, so a
 * live block is a marked start that is not a free block's, and it ends where the next marked start
 * is. That is an eighth of a byte per alignment unit of the arena, whatever its blocks: 0.25 bytes
 * per live block when a million 8-byte entries take 64-byte blocks in 128 MiB, against 12.9 for a
 * map cell per live block (decision records {@code docs/decisions/0031-l2-bookkeeping-per-block.md}
 * and {@code 0033-block-starts-bitmap.md}). A space of {@link PagedBitSet#MAX_LENGTH} units or more
 * (256 GiB at 64-byte alignment) keeps a map from a live block's offset to its size instead, an
 * {@link OffsetMap} cell each. A block's physical neighbours are not linked; {@link #free} finds
 * them by address: a free block ending where the freed one starts (a map, end to row) and a free
 * block starting where it ends (another, start to row). Those two maps and the rows grow with the
 * free blocks only, which coalescing keeps to at most one more than the live ones. They grow at
 * half full: every free probes them for neighbours that are mostly live, a miss that runs to the
 * end of a cluster of cells, and half-full tables keep those clusters short.
 *
 * <h2>Complexity and garbage</h2>
 * {@link #allocate} and {@link #free} are O(1) (expected, as the maps are) but for one scan: bit
 * scans, list splices, at most 16 list steps, a handful of map operations (two on an allocate,
 * five on a free between two live blocks, one of them the check that the block is not a free one;
 * the maps of free blocks stay small, so most of those hit the CPU cache) and a bit or two set or
 * cleared. {@link #free} and {@link #blockSize} find a live block's end as the next start mark:
 * one word of marks for a block within a word (64 units, 4 KiB at 64-byte alignment), else a
 * summary word per 4096 units of the block (16 for 4 MiB at 64-byte alignment).
 * The only longer path is step 3, taken only when the answer would otherwise be {@code FULL}.
 * There is no Java object per block, and a steady-state allocate/free allocates nothing (the
 * arrays and maps grow by half, only past their high-water mark).
 * {@link #largestFreeBlock()} and {@link #fragmentation()} walk the largest non-empty class, which
 * is short but not bounded; they are for metrics, not hot paths.
 *
 * <h2>Fragmentation</h2>
 * Chosen by measurement over a binary buddy allocator and an exact best-fit tree (decision record
 * {@code docs/decisions/0002-space-allocator.md}; the test-scope {@code SpaceAllocatorMeasurement}
 * reproduces it). 512 MiB, 256-byte alignment, random frees keeping the requested bytes at a target
 * occupancy:
 * <ul>
 *   <li>uniform 150 KiB or 1 MiB entries, 80..90 %: no request failed; a freed hole is reused
 *       exactly by the next entry, and the only internal waste is the rounding to the alignment;</li>
 *   <li>sizes log-uniform in 1 KiB..4 MiB: requests that failed although enough bytes were free
 *       were 0.04 % at 80 %, 0.67 % at 85 % and 1.6 % at 90 % occupancy, within 0.1 percentage
 *       point of exact best fit; the buddy allocator failed 9 % and lost 28 % to rounding.</li>
 * </ul>
 * External fragmentation ({@code 1 - largestFree/free}) reads 0.87..0.95 on the mixed sizes for
 * every candidate: near full, free space is many holes, yet most requests still fit one of them.
 *
 * <h2>Concurrency</h2>
 * Not thread-safe. The owning store guards every call with its own lock.
 *
 * <h2>Failure</h2>
 * A full allocator is a result ({@link #FULL}), not an exception. Freeing an offset that is not a
 * live block's (a double free, a stray offset) throws {@link IllegalArgumentException} and leaves
 * the allocator exactly as it was.
 */
public final class SpaceAllocator implements BlockAllocator
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
    private static final int INITIAL_ROWS = 16;
    private static final int MAX_ROWS = Integer.MAX_VALUE - 8;
    private static final float LIVE_MAP_LOAD = 0.75f;
    private static final float FREE_MAP_LOAD = 0.5f;

    private final long capacity;
    private final long alignment;
    private final long alignmentMask;
    private final int alignmentShift;
    /** {@code capacity} in alignment units, rounded up: the key of the end of the space. */
    private final long capacityUnits;

    private final int[] classHeads = new int[CLASS_COUNT];
    private final int[] secondLevelBitmaps = new int[FIRST_LEVEL_COUNT];
    private long firstLevelBitmap;

    /**
     * Every block's start, live or free, in alignment units, and the end of the space: a live
     * block's end is the next set bit. {@code null} for a space of {@link PagedBitSet#MAX_LENGTH}
     * units or more, which {@link #liveUnitsByOffset} serves instead.
     */
    private final PagedBitSet blockStarts;
    /** A live block's offset to its size, in alignment units; only where {@link #blockStarts} is {@code null}. */
    private final OffsetMap liveUnitsByOffset;
    /** A free block's offset, in alignment units, to its row. */
    private final OffsetMap freeRowByStart;
    /** A free block's end, in alignment units rounded up, to its row. */
    private final OffsetMap freeRowByEnd;

    // one row per free block
    private long[] rowOffset = new long[INITIAL_ROWS];
    private long[] rowSize = new long[INITIAL_ROWS];
    private int[] rowPrevFree = new int[INITIAL_ROWS];
    private int[] rowNextFree = new int[INITIAL_ROWS];
    private int rowHighWater;
    private int recycledRows = NIL;

    private long freeBytes;
    private int liveBlocks;

    /**
     * An allocator with all of {@code [0, capacityBytes)} free, whose live blocks are start marks
     * (a map cell each only in a space of {@link PagedBitSet#MAX_LENGTH} units or more).
     *
     * @param capacityBytes  the size of the space described, {@code 1..}{@link #MAX_CAPACITY_BYTES}.
     * @param alignmentBytes every offset handed out is a multiple of it; a power of two {@code >= 1}.
     * @throws IllegalArgumentException when either value is out of range.
     */
    public SpaceAllocator(final long capacityBytes, final long alignmentBytes)
    {
        this(capacityBytes, alignmentBytes, false);
    }

    /**
     * An allocator with all of {@code [0, capacityBytes)} free.
     *
     * @param capacityBytes  the size of the space described, {@code 1..}{@link #MAX_CAPACITY_BYTES}.
     * @param alignmentBytes every offset handed out is a multiple of it; a power of two {@code >= 1}.
     * @param liveMap        a map cell per live block (10.7 to 16 bytes) instead of start marks (an
     *                       eighth of a byte per alignment unit of the space): the cheaper choice
     *                       when every block is hundreds of units long, as the slabs and large
     *                       records behind {@link SlabAllocator} are.
     * @throws IllegalArgumentException when either value is out of range.
     */
    SpaceAllocator(final long capacityBytes, final long alignmentBytes, final boolean liveMap)
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
        alignmentShift = Long.numberOfTrailingZeros(alignmentBytes);
        capacityUnits = (capacityBytes + alignmentMask) >>> alignmentShift;
        if (!liveMap && capacityUnits < PagedBitSet.MAX_LENGTH)
        {
            blockStarts = new PagedBitSet(capacityUnits + 1);
            liveUnitsByOffset = null;
        }
        else
        {
            blockStarts = null;
            // the live map is the big one: kept dense; the maps of free blocks are few and probed on every
            // free (mostly for neighbours that are live, i.e. a miss, which runs to the end of a cluster)
            liveUnitsByOffset = new OffsetMap(capacityUnits - 1, capacityUnits, LIVE_MAP_LOAD);
        }
        freeRowByStart = new OffsetMap(capacityUnits - 1, MAX_ROWS, FREE_MAP_LOAD);
        freeRowByEnd = new OffsetMap(capacityUnits, MAX_ROWS, FREE_MAP_LOAD);
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
                    // the block at the end of an unaligned capacity fits a request of its raw size
                    row = (int)freeRowByEnd.get(capacityUnits);
                    if (row == NIL || rowSize[row] < sizeBytes)
                    {
                        return FULL;
                    }
                }
            }
        }
        return take(row, Math.min(need, rowSize[row]));
    }

    /**
     * Returns a live block to the free space, merging it with free neighbours. Allocates nothing on
     * the heap in steady state.
     *
     * @param offset the offset {@link #allocate} returned for the block.
     * @throws IllegalArgumentException when {@code offset} is not a live block's offset, e.g. a
     *         double free; the allocator is then unchanged.
     */
    public void free(final long offset)
    {
        final long units = liveUnits(offset);
        if (units == OffsetMap.MISSING)
        {
            throw new IllegalArgumentException("offset=" + offset + " is not a live block's offset");
        }
        if (blockStarts == null)
        {
            liveUnitsByOffset.remove(offset >>> alignmentShift);
        }
        final long size = sizeOf(offset, units);
        liveBlocks--;
        freeBytes += size;

        final long startKey = offset >>> alignmentShift;
        final long end = offset + size;
        final long endKey = endKey(end);
        // the free neighbours, if any, leave the maps at once: the merged block is mapped anew below
        final int prev = (int)freeRowByEnd.remove(startKey);
        final int next = (int)freeRowByStart.remove(endKey);
        if (blockStarts != null)
        {
            // a start that a merge swallows is no block's start any more
            if (prev != NIL)
            {
                blockStarts.clear(startKey);
            }
            if (next != NIL)
            {
                blockStarts.clear(endKey);
            }
        }
        if (prev != NIL)
        {
            unlinkFree(prev);
            if (next != NIL)
            {
                unlinkFree(next);
                rowSize[prev] += size + rowSize[next];
                freeRowByEnd.put(endKey(rowOffset[next] + rowSize[next]), prev);
                recycleRow(next);
            }
            else
            {
                rowSize[prev] += size;
                freeRowByEnd.put(endKey, prev);
            }
            linkFree(prev);
        }
        else if (next != NIL)
        {
            unlinkFree(next);
            rowOffset[next] = offset;
            rowSize[next] += size;
            freeRowByStart.put(startKey, next);
            linkFree(next);
        }
        else
        {
            final int row = newRow(offset, size);
            freeRowByStart.put(startKey, row);
            freeRowByEnd.put(endKey, row);
            linkFree(row);
        }
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
        final long units = liveUnits(offset);
        if (units == OffsetMap.MISSING)
        {
            throw new IllegalArgumentException("offset=" + offset + " is not a live block's offset");
        }
        return sizeOf(offset, units);
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
        if (blockStarts != null)
        {
            blockStarts.clearAll();
            blockStarts.set(0);
            blockStarts.set(capacityUnits);
        }
        else
        {
            liveUnitsByOffset.clear();
        }
        freeRowByStart.clear();
        freeRowByEnd.clear();
        Arrays.fill(classHeads, NIL);
        Arrays.fill(secondLevelBitmaps, 0);
        firstLevelBitmap = 0;
        rowHighWater = 0;
        recycledRows = NIL;
        liveBlocks = 0;
        freeBytes = capacity;

        final int row = newRow(0, capacity);
        freeRowByStart.put(0, row);
        freeRowByEnd.put(capacityUnits, row);
        linkFree(row);
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
        return "SpaceAllocator{capacity=" + capacity +
            ", alignment=" + alignment +
            ", used=" + usedBytes() +
            ", free=" + freeBytes +
            ", largestFree=" + largest +
            ", liveBlocks=" + liveBlocks +
            ", fragmentation=" + (freeBytes == 0 ? 0.0 : 1.0 - (double)largest / freeBytes) +
            '}';
    }

    /**
     * Walks every structure and reports the first inconsistency: the live and free blocks tiling
     * the capacity, alignment, no adjacent free blocks, class lists and bitmaps, counters, the three
     * maps. For tests; O(blocks log blocks).
     *
     * @return {@code null} when consistent, else what is wrong.
     */
    String checkConsistency()
    {
        for (final OffsetMap map : new OffsetMap[] {liveUnitsByOffset, freeRowByStart, freeRowByEnd})
        {
            final String inconsistency = map == null ? null : map.checkConsistency();
            if (inconsistency != null)
            {
                return inconsistency;
            }
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
                if (classOf(rowSize[r]) != c || rowPrevFree[r] != prev || listed > rowHighWater)
                {
                    return "class " + c + " holds row " + r + " size=" + rowSize[r] + " prev=" + rowPrevFree[r];
                }
                if (freeRowByStart.get(rowOffset[r] >>> alignmentShift) != r ||
                    freeRowByEnd.get(endKey(rowOffset[r] + rowSize[r])) != r)
                {
                    return "free row " + r + " [" + rowOffset[r] + "+" + rowSize[r] + ") not mapped by start and end";
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
        if (listed != freeRowByStart.size() || listed != freeRowByEnd.size())
        {
            return "class lists hold " + listed + " rows, by start " + freeRowByStart.size() + ", by end " + freeRowByEnd.size();
        }
        final long[][] live = blocksLive();
        if (live == null)
        {
            return "block starts: " + (blockStarts.get(capacityUnits) ? blockStarts.checkConsistency() : "the end is not marked");
        }
        if (live.length != liveBlocks)
        {
            return "liveBlocks=" + liveBlocks + " but " + live.length + " are marked or mapped";
        }

        // every block by offset: {offset, size, free ? 1 : 0}
        final long[][] blocks = new long[listed + liveBlocks][];
        int count = 0;
        for (int cell = 0; cell < freeRowByStart.cells(); cell++)
        {
            if (freeRowByStart.keyAt(cell) != OffsetMap.MISSING)
            {
                final int r = (int)freeRowByStart.valueAt(cell);
                blocks[count++] = new long[] {rowOffset[r], rowSize[r], 1};
            }
        }
        for (final long[] block : live)
        {
            blocks[count++] = block;
        }
        Arrays.sort(blocks, (a, b) -> Long.compare(a[0], b[0]));
        long end = 0;
        long free = 0;
        boolean previousFree = false;
        for (final long[] block : blocks)
        {
            if (block[0] != end || block[1] <= 0)
            {
                return "block [" + block[0] + "+" + block[1] + ") does not start at " + end;
            }
            if ((block[0] & alignmentMask) != 0)
            {
                return "block offset=" + block[0] + " not aligned to " + alignment;
            }
            final boolean isFree = block[2] == 1;
            if (isFree && previousFree)
            {
                return "adjacent free blocks ending at " + end;
            }
            if (isFree)
            {
                free += block[1];
            }
            previousFree = isFree;
            end = block[0] + block[1];
        }
        if (end != capacity)
        {
            return "blocks end at " + end + ", not at capacity " + capacity;
        }
        return free == freeBytes ? null : "free=" + free + " vs freeBytes=" + freeBytes;
    }

    /**
     * The heap arrays' lengths, for the footprint measurement: rows, the block starts' pages (or the
     * live map's cells) and the maps of free blocks' cells.
     *
     * @return e.g. {@code rows=16 starts=32/32 pages byStart=64 byEnd=64}.
     */
    String tableSizes()
    {
        final String live = blockStarts != null ? " starts=" + blockStarts.pagesAllocated() + " pages" :
            " live=" + liveUnitsByOffset.cells() + (liveUnitsByOffset.isPacked() ? "" : " (wide)");
        return "rows=" + rowOffset.length + live + " byStart=" + freeRowByStart.cells() + " byEnd=" + freeRowByEnd.cells();
    }

    /**
     * Every live block as {@code {offset, size, 0}}, from the block starts or the live map.
     *
     * @return the blocks, or {@code null} when the block starts are not closed by the end mark.
     */
    private long[][] blocksLive()
    {
        final long[][] blocks;
        int count = 0;
        if (blockStarts == null)
        {
            blocks = new long[liveUnitsByOffset.size()][];
            for (int cell = 0; cell < liveUnitsByOffset.cells(); cell++)
            {
                final long key = liveUnitsByOffset.keyAt(cell);
                if (key != OffsetMap.MISSING)
                {
                    final long offset = key << alignmentShift;
                    blocks[count++] = new long[] {offset, sizeOf(offset, liveUnitsByOffset.valueAt(cell)), 0};
                }
            }
            return blocks;
        }
        if (!blockStarts.get(capacityUnits) || blockStarts.checkConsistency() != null)
        {
            return null;
        }
        long[][] found = new long[16][];
        for (long start = blockStarts.nextSetBit(0); start < capacityUnits; )
        {
            final long next = blockStarts.nextSetBit(start + 1);
            if (freeRowByStart.get(start) == OffsetMap.MISSING)
            {
                if (count == found.length)
                {
                    found = Arrays.copyOf(found, count * 2);
                }
                final long offset = start << alignmentShift;
                found[count++] = new long[] {offset, sizeOf(offset, next - start), 0};
            }
            start = next;
        }
        return Arrays.copyOf(found, count);
    }

    /**
     * A live block's size in alignment units, found without changing anything.
     *
     * @param offset any value.
     * @return the units, or {@link OffsetMap#MISSING} when {@code offset} is not a live block's start.
     */
    private long liveUnits(final long offset)
    {
        if ((offset & alignmentMask) != 0)
        {
            return OffsetMap.MISSING;
        }
        final long startKey = offset >> alignmentShift;
        if (blockStarts == null)
        {
            return liveUnitsByOffset.get(startKey);
        }
        // a block starts there and it is not a free one; it ends where the next block starts
        if (startKey < 0 || startKey >= capacityUnits || !blockStarts.get(startKey) ||
            freeRowByStart.get(startKey) != OffsetMap.MISSING)
        {
            return OffsetMap.MISSING;
        }
        return blockStarts.nextSetBit(startKey + 1) - startKey;
    }

    private long sizeOf(final long offset, final long units)
    {
        return Math.min(units << alignmentShift, capacity - offset);
    }

    private long endKey(final long end)
    {
        return (end + alignmentMask) >>> alignmentShift;
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

    /** Cuts {@code size} bytes from the low end of free row {@code row}; the rest stays free. */
    private long take(final int row, final long size)
    {
        unlinkFree(row);
        final long offset = rowOffset[row];
        final long remainder = rowSize[row] - size;
        freeRowByStart.remove(offset >>> alignmentShift);
        if (remainder > 0)
        {
            rowOffset[row] = offset + size;
            rowSize[row] = remainder;
            freeRowByStart.put((offset + size) >>> alignmentShift, row);
            if (blockStarts != null)
            {
                blockStarts.set((offset + size) >>> alignmentShift);
            }
            linkFree(row);
        }
        else
        {
            freeRowByEnd.remove(endKey(offset + size));
            recycleRow(row);
        }
        if (blockStarts == null)
        {
            liveUnitsByOffset.put(offset >>> alignmentShift, (size + alignmentMask) >>> alignmentShift);
        }
        freeBytes -= size;
        liveBlocks++;
        return offset;
    }

    private void linkFree(final int row)
    {
        final int sizeClass = classOf(rowSize[row]);
        final int head = classHeads[sizeClass];
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
        rowNextFree[row] = recycledRows;
        recycledRows = row;
    }

    private void growRows()
    {
        final int rows = (int)Math.min(MAX_ROWS, (long)rowOffset.length + (rowOffset.length >>> 1));
        if (rows == rowOffset.length)
        {
            throw new IllegalStateException("more than " + MAX_ROWS + " free blocks");
        }
        rowOffset = Arrays.copyOf(rowOffset, rows);
        rowSize = Arrays.copyOf(rowSize, rows);
        rowPrevFree = Arrays.copyOf(rowPrevFree, rows);
        rowNextFree = Arrays.copyOf(rowNextFree, rows);
    }
}
