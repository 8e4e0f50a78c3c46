package dev.tiercache.index;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static dev.tiercache.index.IndexSlotDescriptor.ACCESS_COUNT_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.CHECKSUM_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.EXPIRES_AT_NANOS_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.FLAGS_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.KEY_HASH_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.LAST_ACCESS_NANOS_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.LEASE_COUNT_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.LEVEL_EMPTY;
import static dev.tiercache.index.IndexSlotDescriptor.LEVEL_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.LIST_ID_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.LOCATION_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.META_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.NEXT_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.NIL;
import static dev.tiercache.index.IndexSlotDescriptor.NO_LIST;
import static dev.tiercache.index.IndexSlotDescriptor.PREV_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.RAW_LENGTH_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.SLOT_ALIGNMENT;
import static dev.tiercache.index.IndexSlotDescriptor.SLOT_LENGTH;
import static dev.tiercache.index.IndexSlotDescriptor.STATE_FREE;
import static dev.tiercache.index.IndexSlotDescriptor.STATE_LIVE;
import static dev.tiercache.index.IndexSlotDescriptor.STATE_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.STORED_LENGTH_OFFSET;

/**
 * The cache's entry index: a fixed number of slots (layout in {@link IndexSlotDescriptor}) and a
 * key table from 64-bit key hashes to slots, both off-heap in one {@link Arena} this index owns,
 * plus intrusive doubly-linked {@link SlotList}s threaded through the slots.
 *
 * <h2>Why off-heap</h2>
 * A cache of millions of small tensors must not cost the collector millions of objects. Here an
 * entry is 128 bytes of slot and at most 64 bytes of key table in native memory and nothing on the heap:
 * {@link #find}, every field accessor and every list operation allocate nothing, so a hit makes no
 * garbage; only {@link #newList()} allocates (one small object, at setup).
 *
 * <h2>Key table</h2>
 * Open addressing with linear probing over a power-of-two table of between two and four cells per
 * slot (load factor at most 0.5, so probe sequences stay short). Each 16-byte cell holds the full
 * key hash and {@code slot + 1} ({@code 0} marks an empty cell), so probing and the backward-shift
 * compaction on removal never touch the slots; a hit reads one cell (usually one cache line) and
 * then the slot it was looking for. Removal shifts later cells of the cluster back instead of
 * leaving tombstones, so lookups never degrade with churn. The table never resizes: its size
 * follows from the capacity chosen at construction. Cost: 128 bytes of slot plus 32 to 64 bytes of
 * table per entry.
 *
 * <h2>Lists</h2>
 * Each slot has {@code prev}/{@code next} links and a {@code listId}; a slot is on at most one
 * list, and the head, tail and size of every list live in this index. Policies use the lists as
 * LRU (move to front on access) or FIFO (no move) orders. {@link #remove(int)} takes a slot off its
 * list first, so a removed slot can never be reached through a list.
 *
 * <h2>Concurrency</h2>
 * Not thread-safe. The cache serializes every mutation (insert, remove, field writes, list
 * operations) under its own lock; readers that run outside that lock must not use this class.
 * {@link #close()} must not race with any other call.
 *
 * <h2>Failure</h2>
 * A miss is {@link #NOT_FOUND} and a full index is {@link #FULL}: expected outcomes, returned.
 * Broken contracts throw: inserting a key that is present, removing a free slot or one with open
 * leases, putting a slot on a second list, a lease count going negative. After {@link #close()}
 * every access throws {@link IllegalStateException} (the segment is closed), never reads freed memory.
 */
public final class EntryIndex implements AutoCloseable
{
    /** {@link #find} result: no slot has the key. */
    public static final int NOT_FOUND = -1;

    /** {@link #insert} result: every slot is in use. */
    public static final int FULL = -2;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    private static final long CELL_LENGTH = 2 * Long.BYTES;
    private static final long CELL_SLOT_OFFSET = Long.BYTES;

    private final Arena arena;
    private final MemorySegment slots;
    private final MemorySegment table;
    private final int capacity;
    private final int tableMask;

    private int size;
    private int freeHead = NIL;
    private int neverUsed;
    private boolean closed;

    private int listCount;
    private int[] listHead = new int[4];
    private int[] listTail = new int[4];
    private int[] listSize = new int[4];

    /**
     * Makes an index of {@code capacity} slots; its native memory is allocated here, once.
     *
     * @param capacity the number of slots, in {@code [1, IndexSlotDescriptor.MAX_CAPACITY]}.
     */
    public EntryIndex(final int capacity)
    {
        IndexSlotDescriptor.checkCapacity(capacity);
        this.capacity = capacity;
        final int tableLength = Integer.highestOneBit(capacity) << 2;
        this.tableMask = tableLength - 1;
        this.arena = Arena.ofShared();
        this.slots = arena.allocate((long)capacity * SLOT_LENGTH, SLOT_ALIGNMENT);
        this.table = arena.allocate(tableLength * CELL_LENGTH, SLOT_ALIGNMENT);
    }

    /**
     * The number of slots chosen at construction.
     *
     * @return the capacity.
     */
    public int capacity()
    {
        return capacity;
    }

    /**
     * The number of live slots.
     *
     * @return live slots.
     */
    public int size()
    {
        return size;
    }

    /**
     * Looks a key up. Allocates nothing.
     *
     * @param keyHash the 64-bit key hash.
     * @return its slot, or {@link #NOT_FOUND}.
     */
    public int find(final long keyHash)
    {
        int cell = (int)mix(keyHash) & tableMask;
        while (true)
        {
            final long at = cell * CELL_LENGTH;
            final long slotPlusOne = table.get(LONG, at + CELL_SLOT_OFFSET);
            if (slotPlusOne == 0)
            {
                return NOT_FOUND;
            }
            if (table.get(LONG, at) == keyHash)
            {
                return (int)slotPlusOne - 1;
            }
            cell = (cell + 1) & tableMask;
        }
    }

    /**
     * Takes a free slot for a key that is not in the index. The slot starts with every field zero
     * except {@code keyHash}, level {@link IndexSlotDescriptor#LEVEL_EMPTY}, links {@link IndexSlotDescriptor#NIL}
     * and no list; the caller sets the rest. Allocates nothing.
     *
     * @param keyHash the 64-bit key hash.
     * @return the new slot, or {@link #FULL} when every slot is in use.
     * @throws IllegalArgumentException when the key is already in the index.
     */
    public int insert(final long keyHash)
    {
        int cell = (int)mix(keyHash) & tableMask;
        while (true)
        {
            final long at = cell * CELL_LENGTH;
            final long slotPlusOne = table.get(LONG, at + CELL_SLOT_OFFSET);
            if (slotPlusOne == 0)
            {
                break;
            }
            if (table.get(LONG, at) == keyHash)
            {
                throw new IllegalArgumentException("keyHash=" + keyHash + " already in slot=" + (slotPlusOne - 1));
            }
            cell = (cell + 1) & tableMask;
        }
        if (size == capacity)
        {
            return FULL;
        }

        final int slot;
        if (freeHead != NIL)
        {
            slot = freeHead;
            freeHead = slots.get(INT, offset(slot) + NEXT_OFFSET);
        }
        else
        {
            slot = neverUsed++;
        }
        table.set(LONG, cell * CELL_LENGTH, keyHash);
        table.set(LONG, cell * CELL_LENGTH + CELL_SLOT_OFFSET, slot + 1L);
        size++;

        final long base = offset(slot);
        slots.set(LONG, base + KEY_HASH_OFFSET, keyHash);
        slots.set(LONG, base + LOCATION_OFFSET, 0L);
        slots.set(LONG, base + STORED_LENGTH_OFFSET, 0L);
        slots.set(LONG, base + RAW_LENGTH_OFFSET, 0L);
        slots.set(LONG, base + LAST_ACCESS_NANOS_OFFSET, 0L);
        slots.set(LONG, base + EXPIRES_AT_NANOS_OFFSET, 0L);
        slots.set(INT, base + PREV_OFFSET, NIL);
        slots.set(INT, base + NEXT_OFFSET, NIL);
        slots.set(INT, base + ACCESS_COUNT_OFFSET, 0);
        slots.set(INT, base + LEASE_COUNT_OFFSET, 0);
        slots.set(INT, base + CHECKSUM_OFFSET, 0);
        slots.set(BYTE, base + LEVEL_OFFSET, LEVEL_EMPTY);
        slots.set(BYTE, base + FLAGS_OFFSET, (byte)0);
        slots.set(BYTE, base + LIST_ID_OFFSET, NO_LIST);
        slots.set(BYTE, base + STATE_OFFSET, STATE_LIVE);
        slots.set(LONG, base + META_OFFSET, 0L);
        return slot;
    }

    /**
     * Frees a live slot: takes it off its list (if any) and out of the key table. Allocates nothing.
     *
     * @param slot a live slot.
     * @throws IllegalStateException when the slot is free or has open leases.
     */
    public void remove(final int slot)
    {
        checkLive(slot);
        final long base = offset(slot);
        final int leases = slots.get(INT, base + LEASE_COUNT_OFFSET);
        if (leases != 0)
        {
            throw new IllegalStateException("slot=" + slot + " has leaseCount=" + leases + ", cannot remove");
        }
        final byte listId = slots.get(BYTE, base + LIST_ID_OFFSET);
        if (listId != NO_LIST)
        {
            unlink(listId, slot);
        }
        removeFromTable(slot, slots.get(LONG, base + KEY_HASH_OFFSET));
        slots.set(BYTE, base + STATE_OFFSET, STATE_FREE);
        slots.set(INT, base + NEXT_OFFSET, freeHead);
        freeHead = slot;
        size--;
    }

    /**
     * Whether a slot belongs to a key.
     *
     * @param slot a slot in {@code [0, capacity)}.
     * @return {@code true} when live.
     */
    public boolean isLive(final int slot)
    {
        IndexSlotDescriptor.checkSlot(slot, capacity);
        return slot < neverUsed && slots.get(BYTE, offset(slot) + STATE_OFFSET) == STATE_LIVE;
    }

    /**
     * Makes a new, empty list over this index's slots. Allocates the returned object; call at setup.
     *
     * @return the list.
     * @throws IllegalStateException when {@link IndexSlotDescriptor#MAX_LISTS} lists exist already.
     */
    public SlotList newList()
    {
        if (listCount == IndexSlotDescriptor.MAX_LISTS)
        {
            throw new IllegalStateException("lists=" + listCount + " == MAX_LISTS=" + IndexSlotDescriptor.MAX_LISTS);
        }
        if (listCount == listHead.length)
        {
            listHead = Arrays.copyOf(listHead, listCount * 2);
            listTail = Arrays.copyOf(listTail, listCount * 2);
            listSize = Arrays.copyOf(listSize, listCount * 2);
        }
        final int id = listCount++;
        listHead[id] = NIL;
        listTail[id] = NIL;
        listSize[id] = 0;
        return new SlotList(this, (byte)id);
    }

    /**
     * The 64-bit key hash of a slot.
     *
     * @param slot a live slot.
     * @return its key hash.
     */
    public long keyHash(final int slot)
    {
        return slots.get(LONG, offset(slot) + KEY_HASH_OFFSET);
    }

    /**
     * The level holding the entry's bytes.
     *
     * @param slot a live slot.
     * @return one of the {@code IndexSlotDescriptor.LEVEL_*} values.
     */
    public byte level(final int slot)
    {
        return slots.get(BYTE, offset(slot) + LEVEL_OFFSET);
    }

    /**
     * Sets the level holding the entry's bytes.
     *
     * @param slot  a live slot.
     * @param level one of the {@code IndexSlotDescriptor.LEVEL_*} values.
     */
    public void level(final int slot, final byte level)
    {
        IndexSlotDescriptor.checkLevel(level);
        slots.set(BYTE, offset(slot) + LEVEL_OFFSET, level);
    }

    /**
     * The cache's flag bits.
     *
     * @param slot a live slot.
     * @return the flags byte.
     */
    public byte flags(final int slot)
    {
        return slots.get(BYTE, offset(slot) + FLAGS_OFFSET);
    }

    /**
     * Sets the cache's flag bits.
     *
     * @param slot  a live slot.
     * @param flags the flags byte.
     */
    public void flags(final int slot, final byte flags)
    {
        slots.set(BYTE, offset(slot) + FLAGS_OFFSET, flags);
    }

    /**
     * The entry's offset in its level's store.
     *
     * @param slot a live slot.
     * @return the location.
     */
    public long location(final int slot)
    {
        return slots.get(LONG, offset(slot) + LOCATION_OFFSET);
    }

    /**
     * Sets the entry's offset in its level's store.
     *
     * @param slot     a live slot.
     * @param location the location.
     */
    public void location(final int slot, final long location)
    {
        slots.set(LONG, offset(slot) + LOCATION_OFFSET, location);
    }

    /**
     * Bytes as stored in the level (compressed in L3 when that saved space).
     *
     * @param slot a live slot.
     * @return the stored length.
     */
    public long storedLength(final int slot)
    {
        return slots.get(LONG, offset(slot) + STORED_LENGTH_OFFSET);
    }

    /**
     * Sets the stored length.
     *
     * @param slot   a live slot.
     * @param length bytes, {@code >= 0}.
     */
    public void storedLength(final int slot, final long length)
    {
        IndexSlotDescriptor.checkLength("storedLength", length);
        slots.set(LONG, offset(slot) + STORED_LENGTH_OFFSET, length);
    }

    /**
     * Bytes of the entry as the user reads them.
     *
     * @param slot a live slot.
     * @return the raw length.
     */
    public long rawLength(final int slot)
    {
        return slots.get(LONG, offset(slot) + RAW_LENGTH_OFFSET);
    }

    /**
     * Sets the raw length.
     *
     * @param slot   a live slot.
     * @param length bytes, {@code >= 0}.
     */
    public void rawLength(final int slot, final long length)
    {
        IndexSlotDescriptor.checkLength("rawLength", length);
        slots.set(LONG, offset(slot) + RAW_LENGTH_OFFSET, length);
    }

    /**
     * The CRC32C of the raw bytes.
     *
     * @param slot a live slot.
     * @return the checksum.
     */
    public int checksum(final int slot)
    {
        return slots.get(INT, offset(slot) + CHECKSUM_OFFSET);
    }

    /**
     * Sets the checksum.
     *
     * @param slot     a live slot.
     * @param checksum the CRC32C of the raw bytes.
     */
    public void checksum(final int slot, final int checksum)
    {
        slots.set(INT, offset(slot) + CHECKSUM_OFFSET, checksum);
    }

    /**
     * Accesses recorded since insertion.
     *
     * @param slot a live slot.
     * @return the access count.
     */
    public int accessCount(final int slot)
    {
        return slots.get(INT, offset(slot) + ACCESS_COUNT_OFFSET);
    }

    /**
     * Sets the access count (e.g. to reset it after a move).
     *
     * @param slot  a live slot.
     * @param count the count, {@code >= 0}.
     */
    public void accessCount(final int slot, final int count)
    {
        slots.set(INT, offset(slot) + ACCESS_COUNT_OFFSET, count);
    }

    /**
     * Records one access: increments the access count (saturating) and sets the last access time.
     * Allocates nothing.
     *
     * @param slot     a live slot.
     * @param nowNanos the current {@link System#nanoTime()}.
     * @return the new access count.
     */
    public int recordAccess(final int slot, final long nowNanos)
    {
        final long base = offset(slot);
        final int count = slots.get(INT, base + ACCESS_COUNT_OFFSET);
        final int next = count == Integer.MAX_VALUE ? count : count + 1;
        slots.set(INT, base + ACCESS_COUNT_OFFSET, next);
        slots.set(LONG, base + LAST_ACCESS_NANOS_OFFSET, nowNanos);
        return next;
    }

    /**
     * The {@link System#nanoTime()} of the last access.
     *
     * @param slot a live slot.
     * @return the last access time.
     */
    public long lastAccessNanos(final int slot)
    {
        return slots.get(LONG, offset(slot) + LAST_ACCESS_NANOS_OFFSET);
    }

    /**
     * Sets the last access time.
     *
     * @param slot  a live slot.
     * @param nanos a {@link System#nanoTime()} value.
     */
    public void lastAccessNanos(final int slot, final long nanos)
    {
        slots.set(LONG, offset(slot) + LAST_ACCESS_NANOS_OFFSET, nanos);
    }

    /**
     * The {@link System#nanoTime()} after which the entry is expired.
     *
     * @param slot a live slot.
     * @return the expiry time, {@code 0} for never.
     */
    public long expiresAtNanos(final int slot)
    {
        return slots.get(LONG, offset(slot) + EXPIRES_AT_NANOS_OFFSET);
    }

    /**
     * Sets the expiry time.
     *
     * @param slot  a live slot.
     * @param nanos a {@link System#nanoTime()} value, {@code 0} for never.
     */
    public void expiresAtNanos(final int slot, final long nanos)
    {
        slots.set(LONG, offset(slot) + EXPIRES_AT_NANOS_OFFSET, nanos);
    }

    /**
     * Open leases on the entry.
     *
     * @param slot a live slot.
     * @return the lease count.
     */
    public int leaseCount(final int slot)
    {
        return slots.get(INT, offset(slot) + LEASE_COUNT_OFFSET);
    }

    /**
     * Opens a lease: while any is open, the entry's bytes must not be moved or freed.
     *
     * @param slot a live slot.
     * @return the new lease count.
     */
    public int incrementLease(final int slot)
    {
        checkLive(slot);
        final long at = offset(slot) + LEASE_COUNT_OFFSET;
        final int count = slots.get(INT, at);
        if (count == Integer.MAX_VALUE)
        {
            throw new IllegalStateException("slot=" + slot + " leaseCount=" + count + " would overflow");
        }
        slots.set(INT, at, count + 1);
        return count + 1;
    }

    /**
     * Closes a lease.
     *
     * @param slot a live slot.
     * @return the new lease count.
     * @throws IllegalStateException when no lease is open (a double close by the caller).
     */
    public int decrementLease(final int slot)
    {
        checkLive(slot);
        final long at = offset(slot) + LEASE_COUNT_OFFSET;
        final int count = slots.get(INT, at);
        if (count <= 0)
        {
            throw new IllegalStateException("slot=" + slot + " leaseCount=" + count + ", nothing to release");
        }
        slots.set(INT, at, count - 1);
        return count - 1;
    }

    /**
     * The cache's own long.
     *
     * @param slot a live slot.
     * @return the meta value.
     */
    public long meta(final int slot)
    {
        return slots.get(LONG, offset(slot) + META_OFFSET);
    }

    /**
     * Sets the cache's own long.
     *
     * @param slot a live slot.
     * @param meta the value.
     */
    public void meta(final int slot, final long meta)
    {
        slots.set(LONG, offset(slot) + META_OFFSET, meta);
    }

    /**
     * The id of the list the slot is on.
     *
     * @param slot a live slot.
     * @return the list id, or {@link IndexSlotDescriptor#NO_LIST}.
     */
    public byte listId(final int slot)
    {
        return slots.get(BYTE, offset(slot) + LIST_ID_OFFSET);
    }

    /**
     * Frees the native memory. Idempotent; afterwards every access throws {@link IllegalStateException}.
     */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            arena.close();
        }
    }

    int listSize(final byte listId)
    {
        return listSize[listId];
    }

    int listHead(final byte listId)
    {
        return listHead[listId];
    }

    int listTail(final byte listId)
    {
        return listTail[listId];
    }

    int nextOf(final int slot)
    {
        return slots.get(INT, offset(slot) + NEXT_OFFSET);
    }

    int prevOf(final int slot)
    {
        return slots.get(INT, offset(slot) + PREV_OFFSET);
    }

    void linkFirst(final byte listId, final int slot)
    {
        checkUnlinked(listId, slot);
        final long base = offset(slot);
        final int head = listHead[listId];
        slots.set(INT, base + PREV_OFFSET, NIL);
        slots.set(INT, base + NEXT_OFFSET, head);
        slots.set(BYTE, base + LIST_ID_OFFSET, listId);
        if (head == NIL)
        {
            listTail[listId] = slot;
        }
        else
        {
            slots.set(INT, offset(head) + PREV_OFFSET, slot);
        }
        listHead[listId] = slot;
        listSize[listId]++;
    }

    void linkLast(final byte listId, final int slot)
    {
        checkUnlinked(listId, slot);
        final long base = offset(slot);
        final int tail = listTail[listId];
        slots.set(INT, base + PREV_OFFSET, tail);
        slots.set(INT, base + NEXT_OFFSET, NIL);
        slots.set(BYTE, base + LIST_ID_OFFSET, listId);
        if (tail == NIL)
        {
            listHead[listId] = slot;
        }
        else
        {
            slots.set(INT, offset(tail) + NEXT_OFFSET, slot);
        }
        listTail[listId] = slot;
        listSize[listId]++;
    }

    void checkOn(final byte listId, final int slot)
    {
        checkLive(slot);
        final byte actual = slots.get(BYTE, offset(slot) + LIST_ID_OFFSET);
        if (actual != listId)
        {
            throw new IllegalStateException("slot=" + slot + " is on listId=" + actual + ", not listId=" + listId);
        }
    }

    void unlink(final byte listId, final int slot)
    {
        final long base = offset(slot);
        final int prev = slots.get(INT, base + PREV_OFFSET);
        final int next = slots.get(INT, base + NEXT_OFFSET);
        if (prev == NIL)
        {
            listHead[listId] = next;
        }
        else
        {
            slots.set(INT, offset(prev) + NEXT_OFFSET, next);
        }
        if (next == NIL)
        {
            listTail[listId] = prev;
        }
        else
        {
            slots.set(INT, offset(next) + PREV_OFFSET, prev);
        }
        slots.set(INT, base + PREV_OFFSET, NIL);
        slots.set(INT, base + NEXT_OFFSET, NIL);
        slots.set(BYTE, base + LIST_ID_OFFSET, NO_LIST);
        listSize[listId]--;
    }

    private void checkUnlinked(final byte listId, final int slot)
    {
        checkLive(slot);
        final byte actual = slots.get(BYTE, offset(slot) + LIST_ID_OFFSET);
        if (actual != NO_LIST)
        {
            throw new IllegalStateException("slot=" + slot + " is already on listId=" + actual + ", cannot add to listId=" + listId);
        }
    }

    private void checkLive(final int slot)
    {
        if (!isLive(slot))
        {
            throw new IllegalStateException("slot=" + slot + " is free");
        }
    }

    private void removeFromTable(final int slot, final long keyHash)
    {
        int hole = (int)mix(keyHash) & tableMask;
        while (table.get(LONG, hole * CELL_LENGTH) != keyHash || table.get(LONG, hole * CELL_LENGTH + CELL_SLOT_OFFSET) == 0)
        {
            hole = (hole + 1) & tableMask;
        }
        // Backward-shift deletion: move each later cell of the cluster into the hole when its home
        // cell does not lie cyclically in (hole, cell], so every key stays reachable from its home.
        int cell = hole;
        while (true)
        {
            cell = (cell + 1) & tableMask;
            final long slotPlusOne = table.get(LONG, cell * CELL_LENGTH + CELL_SLOT_OFFSET);
            if (slotPlusOne == 0)
            {
                break;
            }
            final long key = table.get(LONG, cell * CELL_LENGTH);
            final int home = (int)mix(key) & tableMask;
            if (((cell - home) & tableMask) >= ((cell - hole) & tableMask))
            {
                table.set(LONG, hole * CELL_LENGTH, key);
                table.set(LONG, hole * CELL_LENGTH + CELL_SLOT_OFFSET, slotPlusOne);
                hole = cell;
            }
        }
        table.set(LONG, hole * CELL_LENGTH + CELL_SLOT_OFFSET, 0L);
    }

    private static long offset(final int slot)
    {
        return (long)slot * SLOT_LENGTH;
    }

    /**
     * Spreads a key hash over the table: sample indices and other dense keys arrive as hashes of
     * themselves, so the low bits alone would cluster. The finaliser of SplitMix64.
     */
    static long mix(final long keyHash)
    {
        long z = keyHash + 0x9E37_79B9_7F4A_7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }
}
