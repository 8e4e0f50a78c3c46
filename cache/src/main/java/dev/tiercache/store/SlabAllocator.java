package dev.tiercache.store;

import java.util.Arrays;

/**
 * A {@link SpaceAllocator} with a slab front end for small blocks: the allocator of the meta
 * arena, where every entry holds one record of a hundred-odd bytes, so that a million entries
 * cost a bit of heap bookkeeping each rather than a mapping each in the backing allocator.
 *
 * <h2>Algorithm</h2>
 * Requests up to {@link #SMALL_MAX} bytes (after rounding to the alignment) are served from slabs:
 * blocks of {@link #slabBytes()} taken from the backing {@link SpaceAllocator}, each cut into
 * records of one size class (16-byte steps up to 256 bytes, 32-byte steps up to 512, 64-byte steps
 * up to 1024), with one bit per record in a bitmap on the heap. A class keeps a list of its slabs
 * that have a free record; a slab whose last record is freed goes back to the backing allocator
 * unless it is its class's only slab with room. Larger requests go to the backing allocator
 * directly; so do small ones when no slab can be had (the backing allocator has no room for one),
 * and when even that fails, a free record of a larger class serves them. A small request is
 * refused only when no slab of its class or a larger one has a free record and the backing
 * allocator has no block for it.
 *
 * <p>Which kind a block is follows from its offset: slab starts are kept sorted, and a block lies
 * in a slab exactly when the last slab starting at or before it reaches past it (a backing block
 * never overlaps a slab, which is itself a backing block).
 *
 * <h2>Cost</h2>
 * Heap per small block: one bit, plus per slab a few words and its bitmap (a 64 KiB slab of 112-byte
 * records: 585 records, about 0.3 bytes each). {@link #allocate} and {@link #free} of a small block
 * are a list head, a bitmap word scan and, for {@code free}, a binary search over the slabs.
 *
 * <h2>Figures</h2>
 * {@link #usedBytes()} counts small blocks by their class size and backing blocks by theirs, not
 * the free records inside slabs; {@link #freeBytes()} is the rest of the capacity, free records
 * included. {@link #largestFreeBlock()} and {@link #fragmentation()} are the backing allocator's.
 *
 * <h2>Concurrency</h2>
 * Not thread-safe; the owning store guards every call, as for {@link SpaceAllocator}.
 */
final class SlabAllocator implements BlockAllocator
{
    /** The largest request, alignment included, served from slabs. */
    static final long SMALL_MAX = 1024;

    private static final int NIL = -1;
    private static final int INITIAL_SLABS = 16;

    private final SpaceAllocator backing;
    private final long alignment;
    private final long slabBytes;
    private final long[] classSize;
    /** Class of a small request, by {@code (need / alignment) - 1}. */
    private final int[] classByUnits;
    private final int[] partialHead;
    private final int[] partialCount;

    // per slab id
    private long[] slabStart = new long[INITIAL_SLABS];
    private int[] slabClass = new int[INITIAL_SLABS];
    private int[] slabLive = new int[INITIAL_SLABS];
    private int[] slabNextPartial = new int[INITIAL_SLABS];
    private int[] slabPrevPartial = new int[INITIAL_SLABS];
    private boolean[] slabPartial = new boolean[INITIAL_SLABS];
    private long[][] slabBits = new long[INITIAL_SLABS][];
    private int slabIdHighWater;
    private int[] recycledIds = new int[INITIAL_SLABS];
    private int recycledCount;

    // slab ids sorted by start
    private long[] sortedStart = new long[INITIAL_SLABS];
    private int[] sortedId = new int[INITIAL_SLABS];
    private int slabCount;

    private long smallBytes;
    private int smallBlocks;

    /**
     * An allocator with all of {@code [0, capacityBytes)} free.
     *
     * @param capacityBytes  the size of the space described, {@code 1..}{@link SpaceAllocator#MAX_CAPACITY_BYTES}.
     * @param alignmentBytes every offset handed out is a multiple of it; a power of two {@code >= 1}
     *                       and at most {@link #SMALL_MAX}.
     * @throws IllegalArgumentException when either value is out of range.
     */
    SlabAllocator(final long capacityBytes, final long alignmentBytes)
    {
        // the backing blocks are slabs of 4 to 64 KiB and records over 1 KiB: a map cell each costs
        // less than start marks for every 8-byte unit of the meta arena
        this.backing = new SpaceAllocator(capacityBytes, alignmentBytes, true);
        if (alignmentBytes > SMALL_MAX)
        {
            throw new IllegalArgumentException("alignmentBytes=" + alignmentBytes + " > SMALL_MAX=" + SMALL_MAX);
        }
        this.alignment = alignmentBytes;
        // a slab is 1/256 of the space, 4 to 64 KiB: small arenas strand little in partly used slabs
        this.slabBytes = Math.max(4096, Math.min(64 * 1024, Long.highestOneBit(Math.max(1, capacityBytes / 256))));
        final long[] sizes = new long[64];
        int classes = 0;
        for (long size = 16; size <= SMALL_MAX; size += size < 256 ? 16 : size < 512 ? 32 : 64)
        {
            final long aligned = (size + alignmentBytes - 1) & -alignmentBytes;
            if (classes == 0 || sizes[classes - 1] != aligned)
            {
                sizes[classes++] = aligned;
            }
        }
        this.classSize = Arrays.copyOf(sizes, classes);
        this.classByUnits = new int[(int)(SMALL_MAX / alignmentBytes)];
        int c = 0;
        for (int units = 1; units <= classByUnits.length; units++)
        {
            while (classSize[c] < units * alignmentBytes)
            {
                c++;
            }
            classByUnits[units - 1] = c;
        }
        this.partialHead = new int[classes];
        this.partialCount = new int[classes];
        Arrays.fill(partialHead, NIL);
    }

    @Override
    public long allocate(final long sizeBytes)
    {
        if (sizeBytes <= 0)
        {
            throw new IllegalArgumentException("sizeBytes=" + sizeBytes + " must be > 0");
        }
        final long need = (sizeBytes + alignment - 1) & -alignment;
        if (need > SMALL_MAX)
        {
            return backing.allocate(sizeBytes);
        }
        final int c = classByUnits[(int)(need / alignment) - 1];
        int slab = partialHead[c];
        if (slab == NIL)
        {
            slab = newSlab(c);
        }
        if (slab == NIL)
        {
            final long direct = backing.allocate(sizeBytes);
            if (direct != SpaceAllocator.FULL)
            {
                return direct;
            }
            // no room for a slab or the block itself: a free record of a larger class will do
            for (int larger = c + 1; larger < partialHead.length && slab == NIL; larger++)
            {
                slab = partialHead[larger];
            }
            if (slab == NIL)
            {
                return SpaceAllocator.FULL;
            }
        }
        return take(slab);
    }

    private long take(final int slab)
    {
        final int c = slabClass[slab];
        final long[] bits = slabBits[slab];
        final int records = records(c);
        int record = NIL;
        for (int word = 0; word < bits.length; word++)
        {
            final long free = ~bits[word];
            if (free != 0)
            {
                final int bit = Long.numberOfTrailingZeros(free);
                final int candidate = word * Long.SIZE + bit;
                if (candidate < records)
                {
                    bits[word] |= 1L << bit;
                    record = candidate;
                }
                break;
            }
        }
        if (record == NIL)
        {
            throw new IllegalStateException("slab " + slab + " of class " + classSize[c] + " is on the partial list but full");
        }
        if (++slabLive[slab] == records)
        {
            unlinkPartial(slab);
        }
        smallBytes += classSize[c];
        smallBlocks++;
        return slabStart[slab] + record * classSize[c];
    }

    /**
     * The largest record free in some slab: a request up to it cannot be refused.
     *
     * @return bytes, {@code 0} when every slab is full.
     */
    long largestFreeRecord()
    {
        for (int c = partialHead.length - 1; c >= 0; c--)
        {
            if (partialHead[c] != NIL)
            {
                return classSize[c];
            }
        }
        return 0;
    }

    @Override
    public void free(final long offset)
    {
        final int slab = slabOf(offset);
        if (slab == NIL)
        {
            backing.free(offset);
            return;
        }
        final int c = slabClass[slab];
        final int record = recordOf(slab, offset);
        final long[] bits = slabBits[slab];
        bits[record >>> 6] &= ~(1L << record);
        if (slabLive[slab]-- == records(c))
        {
            linkPartial(slab);
        }
        smallBytes -= classSize[c];
        smallBlocks--;
        if (slabLive[slab] == 0 && partialCount[c] > 1)
        {
            releaseSlab(slab);
        }
    }

    @Override
    public long blockSize(final long offset)
    {
        final int slab = slabOf(offset);
        if (slab == NIL)
        {
            return backing.blockSize(offset);
        }
        recordOf(slab, offset);
        return classSize[slabClass[slab]];
    }

    @Override
    public long capacity()
    {
        return backing.capacity();
    }

    @Override
    public long alignment()
    {
        return alignment;
    }

    @Override
    public long usedBytes()
    {
        return backing.usedBytes() - slabCount * slabBytes + smallBytes;
    }

    @Override
    public long freeBytes()
    {
        return capacity() - usedBytes();
    }

    @Override
    public long largestFreeBlock()
    {
        return backing.largestFreeBlock();
    }

    @Override
    public int liveBlocks()
    {
        return backing.liveBlocks() - slabCount + smallBlocks;
    }

    @Override
    public double fragmentation()
    {
        final long free = freeBytes();
        return free == 0 ? 0.0 : 1.0 - (double)largestFreeBlock() / free;
    }

    @Override
    public void clear()
    {
        backing.clear();
        Arrays.fill(partialHead, NIL);
        Arrays.fill(partialCount, 0);
        Arrays.fill(slabBits, null);
        slabIdHighWater = 0;
        recycledCount = 0;
        slabCount = 0;
        smallBytes = 0;
        smallBlocks = 0;
    }

    /**
     * The bytes of one slab.
     *
     * @return a power of two, 4 to 64 KiB.
     */
    long slabBytes()
    {
        return slabBytes;
    }

    /**
     * Slabs held now.
     *
     * @return slabs taken from the backing allocator and not given back.
     */
    int slabs()
    {
        return slabCount;
    }

    @Override
    public String toString()
    {
        return backing + ", slabs=" + slabCount + " x " + slabBytes + " B holding " + smallBlocks + " small blocks (" + smallBytes + " B)";
    }

    private int records(final int c)
    {
        return (int)(slabBytes / classSize[c]);
    }

    private int newSlab(final int c)
    {
        final long start = backing.allocate(slabBytes);
        if (start == SpaceAllocator.FULL)
        {
            return NIL;
        }
        final int slab;
        if (recycledCount > 0)
        {
            slab = recycledIds[--recycledCount];
        }
        else
        {
            if (slabIdHighWater == slabStart.length)
            {
                final int length = slabStart.length * 2;
                slabStart = Arrays.copyOf(slabStart, length);
                slabClass = Arrays.copyOf(slabClass, length);
                slabLive = Arrays.copyOf(slabLive, length);
                slabNextPartial = Arrays.copyOf(slabNextPartial, length);
                slabPrevPartial = Arrays.copyOf(slabPrevPartial, length);
                slabPartial = Arrays.copyOf(slabPartial, length);
                slabBits = Arrays.copyOf(slabBits, length);
            }
            slab = slabIdHighWater++;
        }
        slabStart[slab] = start;
        slabClass[slab] = c;
        slabLive[slab] = 0;
        slabBits[slab] = new long[(records(c) + Long.SIZE - 1) / Long.SIZE];
        slabPartial[slab] = false;
        linkPartial(slab);
        // keep the starts sorted: insert by shifting the later ones up
        if (slabCount == sortedStart.length)
        {
            sortedStart = Arrays.copyOf(sortedStart, slabCount * 2);
            sortedId = Arrays.copyOf(sortedId, slabCount * 2);
        }
        int at = Arrays.binarySearch(sortedStart, 0, slabCount, start);
        if (at >= 0)
        {
            throw new IllegalStateException("the backing allocator handed out offset " + start + " twice");
        }
        at = -at - 1;
        System.arraycopy(sortedStart, at, sortedStart, at + 1, slabCount - at);
        System.arraycopy(sortedId, at, sortedId, at + 1, slabCount - at);
        sortedStart[at] = start;
        sortedId[at] = slab;
        slabCount++;
        return slab;
    }

    private void releaseSlab(final int slab)
    {
        unlinkPartial(slab);
        final long start = slabStart[slab];
        final int at = Arrays.binarySearch(sortedStart, 0, slabCount, start);
        System.arraycopy(sortedStart, at + 1, sortedStart, at, slabCount - at - 1);
        System.arraycopy(sortedId, at + 1, sortedId, at, slabCount - at - 1);
        slabCount--;
        slabBits[slab] = null;
        if (recycledCount == recycledIds.length)
        {
            recycledIds = Arrays.copyOf(recycledIds, recycledCount * 2);
        }
        recycledIds[recycledCount++] = slab;
        backing.free(start);
    }

    /** The slab holding {@code offset}, or {@link #NIL} when it is a backing block's. */
    private int slabOf(final long offset)
    {
        int at = Arrays.binarySearch(sortedStart, 0, slabCount, offset);
        if (at < 0)
        {
            at = -at - 2;
        }
        if (at < 0)
        {
            return NIL;
        }
        final int slab = sortedId[at];
        return offset < slabStart[slab] + slabBytes ? slab : NIL;
    }

    /** The record at {@code offset} in {@code slab}, checked to be a live block's. */
    private int recordOf(final int slab, final long offset)
    {
        final long size = classSize[slabClass[slab]];
        final long relative = offset - slabStart[slab];
        final long record = relative / size;
        if (relative % size != 0 || record >= records(slabClass[slab]) || (slabBits[slab][(int)(record >>> 6)] & 1L << record) == 0)
        {
            throw new IllegalArgumentException("offset=" + offset + " is not a live block's offset");
        }
        return (int)record;
    }

    private void linkPartial(final int slab)
    {
        final int c = slabClass[slab];
        final int head = partialHead[c];
        slabPrevPartial[slab] = NIL;
        slabNextPartial[slab] = head;
        if (head != NIL)
        {
            slabPrevPartial[head] = slab;
        }
        partialHead[c] = slab;
        slabPartial[slab] = true;
        partialCount[c]++;
    }

    private void unlinkPartial(final int slab)
    {
        if (!slabPartial[slab])
        {
            return;
        }
        final int c = slabClass[slab];
        final int prev = slabPrevPartial[slab];
        final int next = slabNextPartial[slab];
        if (prev != NIL)
        {
            slabNextPartial[prev] = next;
        }
        else
        {
            partialHead[c] = next;
        }
        if (next != NIL)
        {
            slabPrevPartial[next] = prev;
        }
        slabPartial[slab] = false;
        partialCount[c]--;
    }
}
