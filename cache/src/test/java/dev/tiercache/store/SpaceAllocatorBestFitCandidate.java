package dev.tiercache.store;

import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Exact best fit with immediate coalescing over two trees (holes by size, holes by offset): the
 * fragmentation yardstick for {@link SpaceAllocator}. O(log n) per operation, but it makes objects
 * per block and per operation, which the stores cannot afford; it is a measurement subject only.
 */
final class SpaceAllocatorBestFitCandidate implements SpaceAllocatorCandidate
{
    private record Hole(long size, long offset)
    {
    }

    private final long alignmentMask;
    private final NavigableSet<Hole> holesBySize =
        new TreeSet<>(Comparator.comparingLong(Hole::size).thenComparingLong(Hole::offset));
    private final TreeMap<Long, Long> holeSizeByOffset = new TreeMap<>();
    private final Map<Long, Long> liveSizeByOffset = new HashMap<>();
    private long freeBytes;

    SpaceAllocatorBestFitCandidate(final long capacityBytes, final long alignmentBytes)
    {
        alignmentMask = alignmentBytes - 1;
        freeBytes = capacityBytes;
        addHole(0, capacityBytes);
    }

    @Override

    public String name()
    {
        return "best-fit-tree";
    }

    @Override

    public long allocate(final long sizeBytes)
    {
        final long need = (sizeBytes + alignmentMask) & ~alignmentMask;
        final Hole hole = holesBySize.ceiling(new Hole(need, Long.MIN_VALUE));
        if (hole == null)
        {
            return SpaceAllocator.FULL;
        }
        removeHole(hole.offset(), hole.size());
        if (hole.size() > need)
        {
            addHole(hole.offset() + need, hole.size() - need);
        }
        liveSizeByOffset.put(hole.offset(), need);
        freeBytes -= need;
        return hole.offset();
    }

    @Override

    public void free(final long offset)
    {
        final Long size = liveSizeByOffset.remove(offset);
        if (size == null)
        {
            throw new IllegalArgumentException("offset=" + offset + " is not a live block's offset");
        }
        freeBytes += size;
        long start = offset;
        long end = offset + size;
        final Map.Entry<Long, Long> before = holeSizeByOffset.floorEntry(offset);
        if (before != null && before.getKey() + before.getValue() == start)
        {
            start = before.getKey();
            removeHole(before.getKey(), before.getValue());
        }
        final Long afterSize = holeSizeByOffset.get(end);
        if (afterSize != null)
        {
            removeHole(end, afterSize);
            end += afterSize;
        }
        addHole(start, end - start);
    }

    @Override

    public long blockSize(final long offset)
    {
        return liveSizeByOffset.get(offset);
    }

    @Override

    public long freeBytes()
    {
        return freeBytes;
    }

    @Override

    public long largestFreeBlock()
    {
        return holesBySize.isEmpty() ? 0 : holesBySize.last().size();
    }

    private void addHole(final long offset, final long size)
    {
        holesBySize.add(new Hole(size, offset));
        holeSizeByOffset.put(offset, size);
    }

    private void removeHole(final long offset, final long size)
    {
        holesBySize.remove(new Hole(size, offset));
        holeSizeByOffset.remove(offset);
    }
}
