package dev.tiercache;

import dev.tiercache.policy.HeapBytes;
import dev.tiercache.store.HostStore;
import dev.tiercache.store.SpaceAllocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The meta records of one cache's entries, in its meta arena, and who owns them.
 *
 * <p>An entry under a {@code long} key needs no key bytes in its record: the key is its own hash,
 * which the index slot holds. Its record is then nothing but the part specs, and entries of the
 * same shape (a dataset's samples, a model's layers of one size) have byte-for-byte the same
 * record. Such <em>shared</em> records are interned: one copy per distinct content, counted by
 * the slots that point at it (the count lives in the record's reserved word), freed when the last
 * of them is freed. A move to another level hands the same record to the new slot with one more
 * count, copying nothing. Records of {@code String} and {@code byte[]} keys carry their key, are
 * unique, and have one owner each, as before.
 *
 * <p>What leaves the process (the L3 entry header, an L4 value) is always the full record, key
 * included: {@link #fullRecord} adds the key back, so the file and remote formats do not depend
 * on the sharing.
 *
 * <h2>Concurrency</h2>
 * Every method runs under the cache's writer lock, which also guards the arena. Readers read
 * records without the lock, but only through a pinned slot, whose count keeps its record alive.
 */
final class MetaRecords
{
    /** Where the share count of a shared record lives: the header's reserved word. */
    static final int SHARE_COUNT_OFFSET = EntryMetaDescriptor.PART_COUNT_OFFSET + 4;

    private static final long NONE = -1;
    /** A cell of the intern table: the high bits of the content hash as a tag, then {@code offset / 8 + 1}. */
    private static final int CELL_OFFSET_BITS = 36;
    private static final long CELL_OFFSET_MASK = (1L << CELL_OFFSET_BITS) - 1;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private final HostStore arena;
    /**
     * The shared records by content: open addressing, linear probing, load at most 1/2, one
     * {@code long} per cell (a 28-bit tag of the content hash and the record's offset), so that a
     * probe compares a record's bytes only when the tags match, and a record costs 16 to 32 bytes
     * of heap here whatever its content.
     */
    private long[] cells = new long[64];
    /** A record being built, before it is interned: big enough for the most parts and no key. */
    private final MemorySegment scratch =
        MemorySegment.ofArray(new long[(int) (EntryMetaDescriptor.metaLength(EntryMetaDescriptor.MAX_PARTS, 0) / Long.BYTES)]);
    private long sharedRecords;
    private long sharedRefs;

    MetaRecords(final HostStore arena)
    {
        if (arena.capacity() > (CELL_OFFSET_MASK - 1) << 3)
        {
            throw new IllegalArgumentException("meta arena of " + arena.capacity() + " bytes is larger than the " +
                ((CELL_OFFSET_MASK - 1) << 3) + " an intern table cell can address");
        }
        this.arena = arena;
    }

    /**
     * Whether the record of entries under this key kind is shared (carries no key).
     */
    static boolean isShared(final int keyKind)
    {
        return keyKind == EntryMetaDescriptor.KEY_KIND_LONG;
    }

    /**
     * The arena bytes the record of an entry will take when nothing is shared with it yet.
     */
    static long recordLength(final int keyKind, final int partCount, final int keyLength)
    {
        return EntryMetaDescriptor.metaLength(partCount, isShared(keyKind) ? 0 : keyLength);
    }

    /**
     * Finds or makes the record of an entry.
     *
     * @return its offset in the arena, with one more count for the caller's slot; or
     *         {@link SpaceAllocator#FULL} when the arena has no room for a new record.
     */
    long acquire(final int keyKind, final MemorySegment key, final Part[] parts)
    {
        if (!isShared(keyKind))
        {
            final long length = EntryMetaDescriptor.metaLength(parts.length, (int) key.byteSize());
            final long offset = arena.allocate(length);
            if (offset != SpaceAllocator.FULL)
            {
                EntryMetaDescriptor.write(arena.view(offset, length), keyKind, key, parts);
            }
            return offset;
        }
        final long length = EntryMetaDescriptor.metaLength(parts.length, 0);
        final MemorySegment record = scratch.asSlice(0, length);
        EntryMetaDescriptor.write(record, keyKind, MemorySegment.NULL, parts);
        return intern(record);
    }

    /**
     * Finds or makes the shared record of an entry read back from a file or a peer, given its full
     * record (key included).
     *
     * @return the offset, counted for the caller's slot, or {@link SpaceAllocator#FULL}.
     */
    long acquireCopyOf(final MemorySegment fullRecord)
    {
        final int keyKind = EntryMetaDescriptor.keyKind(fullRecord);
        if (!isShared(keyKind))
        {
            final long offset = arena.allocate(fullRecord.byteSize());
            if (offset != SpaceAllocator.FULL)
            {
                final MemorySegment record = arena.view(offset, fullRecord.byteSize());
                MemorySegment.copy(fullRecord, 0, record, 0, fullRecord.byteSize());
                record.set(INT, SHARE_COUNT_OFFSET, 0);
            }
            return offset;
        }
        final int partCount = EntryMetaDescriptor.partCount(fullRecord);
        final long length = EntryMetaDescriptor.metaLength(partCount, 0);
        final MemorySegment record = scratch.asSlice(0, length);
        MemorySegment.copy(fullRecord, 0, record, 0, EntryMetaDescriptor.keyOffset(partCount));
        record.set(INT, EntryMetaDescriptor.KEY_LENGTH_OFFSET, 0);
        record.set(INT, SHARE_COUNT_OFFSET, 0);
        return intern(record);
    }

    /**
     * One more slot points at a record: a move's new slot. A shared record gains a count; an
     * owned one is copied.
     *
     * @return the offset the new slot holds, or {@link SpaceAllocator#FULL} when a copy found no room.
     */
    long share(final long offset)
    {
        final MemorySegment record = record(offset);
        if (isShared(EntryMetaDescriptor.keyKind(record)))
        {
            record.set(INT, SHARE_COUNT_OFFSET, record.get(INT, SHARE_COUNT_OFFSET) + 1);
            sharedRefs++;
            return offset;
        }
        final long copy = arena.allocate(record.byteSize());
        if (copy != SpaceAllocator.FULL)
        {
            MemorySegment.copy(record, 0, arena.view(copy, record.byteSize()), 0, record.byteSize());
        }
        return copy;
    }

    /**
     * A slot that pointed at a record is freed: a shared record loses a count and goes with its
     * last; an owned one goes now.
     */
    void release(final long offset)
    {
        final MemorySegment record = record(offset);
        if (isShared(EntryMetaDescriptor.keyKind(record)))
        {
            final int count = record.get(INT, SHARE_COUNT_OFFSET);
            if (count < 1)
            {
                throw new IllegalStateException("meta record at " + offset + " released with share count " + count);
            }
            sharedRefs--;
            if (count > 1)
            {
                record.set(INT, SHARE_COUNT_OFFSET, count - 1);
                return;
            }
            removeCell(offset, contentHash(record));
            sharedRecords--;
        }
        arena.free(offset);
    }

    /**
     * The record as it leaves the process: a shared record with its {@code long} key put back
     * (and no count), copied into {@code into}; any other record as it is.
     */
    static MemorySegment fullRecord(final MemorySegment record, final long keyHash, final Arena into)
    {
        if (!isShared(EntryMetaDescriptor.keyKind(record)))
        {
            return record;
        }
        final int partCount = EntryMetaDescriptor.partCount(record);
        final long keyOffset = EntryMetaDescriptor.keyOffset(partCount);
        final MemorySegment full = into.allocate(EntryMetaDescriptor.metaLength(partCount, Long.BYTES), Long.BYTES);
        MemorySegment.copy(record, 0, full, 0, keyOffset);
        full.set(INT, EntryMetaDescriptor.KEY_LENGTH_OFFSET, Long.BYTES);
        full.set(INT, SHARE_COUNT_OFFSET, 0);
        full.set(LONG, keyOffset, keyHash);
        return full;
    }

    /** Distinct shared records in the arena. */
    long sharedRecords()
    {
        return sharedRecords;
    }

    /** Counts held on shared records, one per slot that points at one. */
    long sharedRefs()
    {
        return sharedRefs;
    }

    /**
     * The heap the intern table and the scratch record hold: the table grows with the shared
     * records (two cells per record at most), not with the entries that share them.
     *
     * @return bytes (see {@link HeapBytes}).
     */
    long heapBytes()
    {
        return HeapBytes.longs(cells.length) + HeapBytes.longs((int)(scratch.byteSize() / Long.BYTES));
    }

    /** The share count of a shared record (tests and the accounting check). */
    int shareCount(final long offset)
    {
        return record(offset).get(INT, SHARE_COUNT_OFFSET);
    }

    private long intern(final MemorySegment candidate)
    {
        final long hash = contentHash(candidate);
        final long found = find(candidate, hash);
        if (found != NONE)
        {
            final MemorySegment existing = record(found);
            existing.set(INT, SHARE_COUNT_OFFSET, existing.get(INT, SHARE_COUNT_OFFSET) + 1);
            sharedRefs++;
            return found;
        }
        final long length = candidate.byteSize();
        final long offset = arena.allocate(length);
        if (offset == SpaceAllocator.FULL)
        {
            return offset;
        }
        final MemorySegment record = arena.view(offset, length);
        MemorySegment.copy(candidate, 0, record, 0, length);
        record.set(INT, SHARE_COUNT_OFFSET, 1);
        addCell(offset, hash);
        sharedRecords++;
        sharedRefs++;
        return offset;
    }

    /**
     * The record at an offset, as long as its header says.
     */
    MemorySegment record(final long offset)
    {
        final MemorySegment header = arena.view(offset, EntryMetaDescriptor.PARTS_OFFSET);
        return arena.view(offset, EntryMetaDescriptor.metaLength(EntryMetaDescriptor.partCount(header), EntryMetaDescriptor.keyLength(header)));
    }

    private long find(final MemorySegment candidate, final long hash)
    {
        final int mask = cells.length - 1;
        for (int cell = (int)hash & mask; cells[cell] != 0; cell = (cell + 1) & mask)
        {
            final long value = cells[cell];
            if (value >>> CELL_OFFSET_BITS == hash >>> CELL_OFFSET_BITS)
            {
                final long offset = offsetOf(value);
                if (sameContent(record(offset), candidate))
                {
                    return offset;
                }
            }
        }
        return NONE;
    }

    private void addCell(final long offset, final long hash)
    {
        if (sharedRecords + 1 > cells.length >>> 1)
        {
            final long[] old = cells;
            cells = new long[old.length << 1];
            for (final long value : old)
            {
                if (value != 0)
                {
                    place(value, contentHash(record(offsetOf(value))));
                }
            }
        }
        place((hash >>> CELL_OFFSET_BITS) << CELL_OFFSET_BITS | (offset >>> 3) + 1, hash);
    }

    private void place(final long value, final long hash)
    {
        final int mask = cells.length - 1;
        int cell = (int)hash & mask;
        while (cells[cell] != 0)
        {
            cell = (cell + 1) & mask;
        }
        cells[cell] = value;
    }

    /** Takes a record's cell out, shifting later cells of its cluster back (no tombstones). */
    private void removeCell(final long offset, final long hash)
    {
        final int mask = cells.length - 1;
        int hole = (int)hash & mask;
        while (offsetOf(cells[hole]) != offset)
        {
            if (cells[hole] == 0)
            {
                throw new IllegalStateException("shared meta record at " + offset + " is not in the intern table");
            }
            hole = (hole + 1) & mask;
        }
        for (int cell = (hole + 1) & mask; cells[cell] != 0; cell = (cell + 1) & mask)
        {
            final int home = (int)contentHash(record(offsetOf(cells[cell]))) & mask;
            if (((cell - home) & mask) >= ((cell - hole) & mask))
            {
                cells[hole] = cells[cell];
                hole = cell;
            }
        }
        cells[hole] = 0;
    }

    private static long offsetOf(final long cell)
    {
        return ((cell & CELL_OFFSET_MASK) - 1) << 3;
    }

    /** Equal apart from the share count. */
    private static boolean sameContent(final MemorySegment a, final MemorySegment b)
    {
        final long length = a.byteSize();
        return length == b.byteSize() &&
            MemorySegment.mismatch(a, 0, SHARE_COUNT_OFFSET, b, 0, SHARE_COUNT_OFFSET) == -1 &&
            MemorySegment.mismatch(a, SHARE_COUNT_OFFSET + Integer.BYTES, length, b, SHARE_COUNT_OFFSET + Integer.BYTES, length) == -1;
    }

    /** A hash of everything but the share count (records are multiples of 8 bytes). */
    private static long contentHash(final MemorySegment record)
    {
        long h = record.byteSize() * 0x9E3779B97F4A7C15L;
        for (long i = 0; i < record.byteSize(); i += Long.BYTES)
        {
            // the word of the part count and the share count: the part count alone
            final long word = i == EntryMetaDescriptor.PART_COUNT_OFFSET ? record.get(INT, i) : record.get(LONG, i);
            h = Long.rotateLeft(h ^ (word * 0xBF58476D1CE4E5B9L), 29) * 0x94D049BB133111EBL;
        }
        return h ^ (h >>> 32);
    }
}
