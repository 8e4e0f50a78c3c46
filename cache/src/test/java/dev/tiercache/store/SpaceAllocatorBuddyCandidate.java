package dev.tiercache.store;

import org.agrona.collections.Long2LongHashMap;

import java.util.Arrays;

/**
 * The binary buddy allocator measured against {@link SpaceAllocator} (and not chosen, see the
 * decision record): blocks are the alignment times a power of two, a freed block merges with its
 * buddy ({@code offset ^ size}) while that buddy is free and whole. O(log capacity) per operation,
 * no external fragmentation from odd-sized holes, but every request is rounded up to a power of
 * two. Capacity must be the alignment times a power of two; it is a measurement subject only.
 */
final class SpaceAllocatorBuddyCandidate implements SpaceAllocatorCandidate
{
    private static final int NIL = -1;

    private final long alignment;
    private final int maxOrder;
    private final int[] orderHeads;
    private long nonEmptyOrders;
    private final Long2LongHashMap freeRowByOffset = new Long2LongHashMap(64, 0.65f, NIL);
    private final Long2LongHashMap liveOrderByOffset = new Long2LongHashMap(64, 0.65f, NIL);

    private long[] rowOffset = new long[64];
    private int[] rowOrder = new int[64];
    private int[] rowPrev = new int[64];
    private int[] rowNext = new int[64];
    private int rowHighWater;
    private int recycledRows = NIL;
    private long freeBytes;

    SpaceAllocatorBuddyCandidate(final long capacityBytes, final long alignmentBytes)
    {
        final long granules = capacityBytes / alignmentBytes;
        if (capacityBytes % alignmentBytes != 0 || Long.bitCount(granules) != 1)
        {
            throw new IllegalArgumentException(
                "capacityBytes=" + capacityBytes + " is not alignmentBytes=" + alignmentBytes + " times a power of two");
        }
        alignment = alignmentBytes;
        maxOrder = Long.numberOfTrailingZeros(granules);
        orderHeads = new int[maxOrder + 1];
        Arrays.fill(orderHeads, NIL);
        freeBytes = capacityBytes;
        push(0, maxOrder);
    }

    @Override

    public String name()
    {
        return "buddy";
    }

    @Override

    public long allocate(final long sizeBytes)
    {
        final long granules = (sizeBytes + alignment - 1) / alignment;
        final int order = granules <= 1 ? 0 : 64 - Long.numberOfLeadingZeros(granules - 1);
        if (order > maxOrder)
        {
            return SpaceAllocator.FULL;
        }
        final long candidates = nonEmptyOrders & (-1L << order);
        if (candidates == 0)
        {
            return SpaceAllocator.FULL;
        }
        int found = Long.numberOfTrailingZeros(candidates);
        final int row = orderHeads[found];
        final long offset = rowOffset[row];
        pop(row);
        while (found > order)
        {
            found--;
            push(offset + (alignment << found), found);
        }
        liveOrderByOffset.put(offset, order);
        freeBytes -= alignment << order;
        return offset;
    }

    @Override

    public void free(final long offset)
    {
        int order = (int)liveOrderByOffset.remove(offset);
        if (order == NIL)
        {
            throw new IllegalArgumentException("offset=" + offset + " is not a live block's offset");
        }
        freeBytes += alignment << order;
        long merged = offset;
        while (order < maxOrder)
        {
            final long buddy = merged ^ (alignment << order);
            final int buddyRow = (int)freeRowByOffset.get(buddy);
            if (buddyRow == NIL || rowOrder[buddyRow] != order)
            {
                break;
            }
            pop(buddyRow);
            merged = Math.min(merged, buddy);
            order++;
        }
        push(merged, order);
    }

    @Override

    public long blockSize(final long offset)
    {
        return alignment << liveOrderByOffset.get(offset);
    }

    @Override

    public long freeBytes()
    {
        return freeBytes;
    }

    @Override

    public long largestFreeBlock()
    {
        return nonEmptyOrders == 0 ? 0 : alignment << (63 - Long.numberOfLeadingZeros(nonEmptyOrders));
    }

    private void push(final long offset, final int order)
    {
        final int row;
        if (recycledRows != NIL)
        {
            row = recycledRows;
            recycledRows = rowNext[row];
        }
        else
        {
            if (rowHighWater == rowOffset.length)
            {
                final int rows = rowOffset.length * 2;
                rowOffset = Arrays.copyOf(rowOffset, rows);
                rowOrder = Arrays.copyOf(rowOrder, rows);
                rowPrev = Arrays.copyOf(rowPrev, rows);
                rowNext = Arrays.copyOf(rowNext, rows);
            }
            row = rowHighWater++;
        }
        rowOffset[row] = offset;
        rowOrder[row] = order;
        rowPrev[row] = NIL;
        rowNext[row] = orderHeads[order];
        if (orderHeads[order] != NIL)
        {
            rowPrev[orderHeads[order]] = row;
        }
        orderHeads[order] = row;
        nonEmptyOrders |= 1L << order;
        freeRowByOffset.put(offset, row);
    }

    private void pop(final int row)
    {
        final int order = rowOrder[row];
        final int prev = rowPrev[row];
        final int next = rowNext[row];
        if (next != NIL)
        {
            rowPrev[next] = prev;
        }
        if (prev != NIL)
        {
            rowNext[prev] = next;
        }
        else
        {
            orderHeads[order] = next;
            if (next == NIL)
            {
                nonEmptyOrders &= ~(1L << order);
            }
        }
        freeRowByOffset.remove(rowOffset[row]);
        rowNext[row] = recycledRows;
        recycledRows = row;
    }
}
