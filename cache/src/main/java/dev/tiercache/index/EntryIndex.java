package dev.tiercache.index;

import dev.tiercache.store.NativeMemoryCounters;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import static dev.tiercache.index.IndexSlotDescriptor.ACCESS_COUNT_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.CHECKSUM_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.EXPIRES_AT_NANOS_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.FILE_SEQUENCE_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.FLAGS_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.KEY_KIND_OFFSET;
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
import static dev.tiercache.index.IndexSlotDescriptor.PART_COUNT_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.PIN_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.PREV_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.RAW_LENGTH_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.SLOT_LENGTH;
import static dev.tiercache.index.IndexSlotDescriptor.STATE_FREE;
import static dev.tiercache.index.IndexSlotDescriptor.STATE_LIVE;
import static dev.tiercache.index.IndexSlotDescriptor.STATE_RESERVED;
import static dev.tiercache.index.IndexSlotDescriptor.STATE_RETIRED;
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
 * slot (load factor at most 0.5, so probe sequences stay short). Each 8-byte cell holds a 35-bit
 * tag (the high bits of the mixed key hash, whose low bits choose the home cell) and
 * {@code slot + 1} in its low 29 bits ({@code 0} marks an empty cell). A probe reads a slot's key
 * hash only when a cell's tag matches, which for another key happens once in 2<sup>35</sup>; a hit
 * reads one cell (usually one cache line) and then the slot it was looking for, whose first line
 * holds both the key hash and everything the hit reads next. The backward shift and a grow take
 * a moved cell's home from its slot's key hash (writer only). Removal shifts later cells of the cluster back instead of
 * leaving tombstones, so lookups never degrade with churn. The table starts at 1024 cells and
 * doubles whenever the live slots would pass half of it, up to four cells per slot of capacity;
 * a grow is a structural change that lock-free readers detect like any other (see
 * "Lookups"). Cost: 128 bytes of slot plus 16 to 32 bytes of table per entry held.
 *
 * <h2>Memory that grows with the entries</h2>
 * The slot array and each key table are anonymous mappings that the kernel backs with memory only
 * where they are touched. Slots are handed out lowest first (the free list before untouched
 * slots), so a large capacity costs address space up front and resident memory only for the slots
 * used so far; {@link #nativeBytes()} is what is in use, {@link #reservedBytes()} what is mapped.
 *
 * <h2>Lists</h2>
 * Each slot has {@code prev}/{@code next} links and a {@code listId}; a slot is on at most one
 * list, and the head, tail and size of every list live in this index. Policies use the lists as
 * LRU (move to front on access) or FIFO (no move) orders. {@link #remove(int)} takes a slot off its
 * list first, so a removed slot can never be reached through a list.
 *
 * <h2>Concurrency</h2>
 * One writer at a time: the cache serializes every mutation (allocate, link, relink, unlink,
 * retire, free, field writes, list operations) under its own lock. Readers run without that lock,
 * through three methods only: {@link #findConcurrent}, {@link #tryPin} and {@link #unpin}, and
 * the fields of a slot they hold pinned. The protocol, and the memory ordering each step relies on:
 * <ol>
 *   <li><b>Immutable while published.</b> A slot's key hash, level, location, lengths, meta,
 *       expiry and file sequence are written while the slot is {@link IndexSlotDescriptor#STATE_RESERVED}
 *       and never again until it is freed. A move or a replacing put does not edit a slot in place:
 *       it fills a new slot and {@link #relink}s the key to it, then retires the old one.</li>
 *   <li><b>Publication.</b> {@link #publish} stores the pin word with release semantics after the
 *       fields. {@link #relink} then stores the key table's slot cell with release semantics;
 *       {@link #link} stores it between the two volatile steps of the table version, which order it
 *       after the publication too. {@link #findConcurrent} loads the cell with acquire semantics,
 *       and a reader's {@link #tryPin} is a volatile compare-and-set, so every field it reads after
 *       a successful pin is the one written before publication.</li>
 *   <li><b>Pins.</b> The pin word is {@code incarnation << 32 | RETIRED | PINNABLE | pins}. A pin
 *       succeeds only on a {@code PINNABLE} word without {@code RETIRED}; {@link #retire} sets
 *       {@code RETIRED} with an atomic OR. The two are ordered by the word itself: either the pin
 *       came first (the retiring writer sees {@code pins > 0} and must defer the free) or the
 *       retire did (the pin fails). Whoever brings the count of a retired slot to zero (the writer
 *       at retire, or the last {@link #unpin}) owns its reclamation, exactly once.</li>
 *   <li><b>Lookups.</b> A reader's probe may race a writer's backward shift. Every hit it reports is
 *       checked by the caller after pinning (the slot's key hash and full key, under the pin); a miss
 *       is trusted only when no cell with the key's tag pointed at a slot of another key (a slot
 *       freed and reused since its cell was read, which is no structural change), and when the
 *       table's version, made odd by the writer around every structural change ({@link #link},
 *       {@link #unlink}, {@link #insert}, {@link #remove}), is even and the
 *       same before and after the probe (a seqlock: the writer's version steps are volatile
 *       read-modify-writes, the reader loads the version with acquire and re-reads it after a
 *       load-load fence). Otherwise the result is {@link #RETRY}.</li>
 * </ol>
 * A reader never frees or writes anything but the pin word. {@link #close()} must not race with
 * the writer; a reader racing it gets {@link IllegalStateException} from the closed segment.
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

    /** {@link #findConcurrent} result: a writer changed the table during the probe; probe again. */
    public static final int RETRY = -3;

    /** {@link #tryPin} result: the slot is not pinnable (free, being filled, or retired). */
    public static final long PIN_FAILED = -1;

    /** Pin word: the count of pins, in the low 24 bits. */
    static final long PINS_MASK = (1L << 24) - 1;

    /** Pin word: set by {@link #publish}; only a pinnable slot can be pinned. */
    static final long PINNABLE = 1L << 24;

    /** Pin word: set by {@link #retire}; a retired slot can no longer be pinned. */
    static final long RETIRED = 1L << 25;

    private static final VarHandle PIN_WORD = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle CELL = ValueLayout.JAVA_LONG.varHandle();

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    /** Bytes per key table cell. */
    static final long CELL_LENGTH = Long.BYTES;
    /** A cell's low bits: {@code slot + 1}, 0 for an empty cell; enough for {@link IndexSlotDescriptor#MAX_CAPACITY}. */
    static final int CELL_SLOT_BITS = 29;
    private static final long CELL_SLOT_MASK = (1L << CELL_SLOT_BITS) - 1;
    private static final int INITIAL_TABLE_LENGTH = 1024;

    private final Arena arena;
    private final MemorySegment slots;
    private final int capacity;
    private final int maxTableLength;
    // written by the writer only; volatile so a lock-free reader sees a grown table whole
    private volatile MemorySegment table;
    private int tableMask;
    private long retiredTableBytes;

    private final AtomicLong tableVersion = new AtomicLong();
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
        this(capacity, INITIAL_TABLE_LENGTH);
    }

    /**
     * Makes an index whose key table starts at {@code initialTableLength} cells (tests use a tiny
     * table, so that a few keys make it grow).
     *
     * @param capacity           the number of slots.
     * @param initialTableLength a power of two, at least 2.
     */
    EntryIndex(final int capacity, final int initialTableLength)
    {
        IndexSlotDescriptor.checkCapacity(capacity);
        if (initialTableLength < 2 || Integer.bitCount(initialTableLength) != 1)
        {
            throw new IllegalArgumentException("initialTableLength=" + initialTableLength + " is not a power of two >= 2");
        }
        this.capacity = capacity;
        this.maxTableLength = Integer.highestOneBit(capacity) << 2;
        final int tableLength = Math.min(maxTableLength, initialTableLength);
        this.tableMask = tableLength - 1;
        this.arena = NativeMemoryCounters.countedSharedArena(NativeMemoryCounters.Owner.INDEX);
        this.slots = NativeMemoryCounters.mapAnonymous(arena, (long)capacity * SLOT_LENGTH);
        this.table = NativeMemoryCounters.mapAnonymous(arena, tableLength * CELL_LENGTH);
    }

    /**
     * Native bytes this index uses: the slots handed out so far (the slot array is reserved as
     * address space and backed by the kernel as slots are first touched, lowest first) and the
     * key table, which doubles as the entries grow.
     *
     * @return bytes in use.
     */
    public long nativeBytes()
    {
        return (long)neverUsed * SLOT_LENGTH + table.byteSize();
    }

    /**
     * Address space this index has reserved: the whole slot array, the key table at its present
     * size and the tables it outgrew (unmapped at {@link #close()}; their pages are given back to
     * the kernel when they are outgrown).
     *
     * @return bytes reserved.
     */
    public long reservedBytes()
    {
        return slots.byteSize() + table.byteSize() + retiredTableBytes;
    }

    /**
     * Cells of the key table now: a power of two, at least twice the live slots, doubling as they
     * grow up to four cells per slot of capacity.
     *
     * @return cells.
     */
    public int tableLength()
    {
        return tableMask + 1;
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
        final long mixed = mix(keyHash);
        final long tag = mixed >>> CELL_SLOT_BITS;
        int cell = (int)mixed & tableMask;
        while (true)
        {
            final long value = table.get(LONG, cell * CELL_LENGTH);
            if (value == 0)
            {
                return NOT_FOUND;
            }
            if (value >>> CELL_SLOT_BITS == tag)
            {
                final int slot = (int)(value & CELL_SLOT_MASK) - 1;
                if (keyHash(slot) == keyHash)
                {
                    return slot;
                }
            }
            cell = (cell + 1) & tableMask;
        }
    }

    /**
     * Looks a key up without the writer's lock (see the class essay, "Lookups"). A slot returned
     * may have been reused for another key by the time the caller reads it: pin it with
     * {@link #tryPin}, then check its key. Allocates nothing.
     *
     * @param keyHash the 64-bit key hash.
     * @return a candidate slot, {@link #NOT_FOUND} (a validated miss) or {@link #RETRY}.
     */
    public int findConcurrent(final long keyHash)
    {
        final long version = tableVersion.getAcquire();
        if ((version & 1) != 0)
        {
            return RETRY;
        }
        // one read of the table: a grow swaps it between two version steps (see grow)
        final MemorySegment cells = table;
        final int mask = (int)(cells.byteSize() / CELL_LENGTH) - 1;
        final long mixed = mix(keyHash);
        final long tag = mixed >>> CELL_SLOT_BITS;
        int cell = (int)mixed & mask;
        boolean unsure = false;
        for (int probes = 0; probes <= mask; probes++)
        {
            // acquire: pairs with relink's release store, so a reader that sees the new slot sees it filled
            final long value = (long)CELL.getAcquire(cells, cell * CELL_LENGTH);
            if (value == 0)
            {
                break;
            }
            if (value >>> CELL_SLOT_BITS == tag)
            {
                final long slot = (value & CELL_SLOT_MASK) - 1;
                if (slot >= capacity)
                {
                    return RETRY;
                }
                if (keyHash((int)slot) == keyHash)
                {
                    return (int)slot;
                }
                // another key with the same tag, or a slot freed and reused since the cell was
                // written (a relink and a free are no structural change): not a miss to trust
                unsure = true;
            }
            cell = (cell + 1) & mask;
        }
        // the probe's loads must complete before the version is read again
        VarHandle.loadLoadFence();
        return !unsure && tableVersion.getAcquire() == version ? NOT_FOUND : RETRY;
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
        final int present = find(keyHash);
        if (present != NOT_FOUND)
        {
            throw new IllegalArgumentException("keyHash=" + keyHash + " already in slot=" + present);
        }
        final int slot = allocate(keyHash);
        if (slot == FULL)
        {
            return FULL;
        }
        publish(slot);
        link(slot);
        return slot;
    }

    /**
     * Takes a free slot for {@code keyHash} without putting it in the key table: the writer fills
     * its fields, then {@link #publish}es it and {@link #link}s or {@link #relink}s it. The slot
     * starts with every field zero except {@code keyHash}, level {@link IndexSlotDescriptor#LEVEL_EMPTY},
     * links {@link IndexSlotDescriptor#NIL} and no list. Allocates nothing.
     *
     * @param keyHash the 64-bit key hash.
     * @return the slot, or {@link #FULL} when every slot is in use (live, being filled or retired).
     */
    public int allocate(final long keyHash)
    {
        final int slot;
        if (freeHead != NIL)
        {
            slot = freeHead;
            freeHead = slots.get(INT, offset(slot) + NEXT_OFFSET);
        }
        else if (neverUsed < capacity)
        {
            slot = neverUsed++;
        }
        else
        {
            return FULL;
        }
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
        slots.set(BYTE, base + STATE_OFFSET, STATE_RESERVED);
        slots.set(LONG, base + META_OFFSET, 0L);
        slots.set(LONG, base + FILE_SEQUENCE_OFFSET, 0L);
        slots.set(BYTE, base + KEY_KIND_OFFSET, (byte)0);
        slots.set(BYTE, base + PART_COUNT_OFFSET, (byte)0);
        return slot;
    }

    /**
     * Makes a filled slot pinnable under a new incarnation; every field written before this call
     * is visible to a reader that pins it (release store).
     *
     * @param slot a slot from {@link #allocate}.
     */
    public void publish(final int slot)
    {
        checkState(slot, STATE_RESERVED);
        final long at = offset(slot) + PIN_OFFSET;
        final long word = (long)PIN_WORD.getVolatile(slots, at);
        final long incarnation = ((word >>> 32) + 1) & Integer.MAX_VALUE;
        PIN_WORD.setRelease(slots, at, (incarnation << 32) | PINNABLE);
    }

    /**
     * Puts a published slot in the key table (its key must not be there).
     *
     * @param slot a slot from {@link #allocate}, published.
     * @throws IllegalArgumentException when the key is already in the table.
     */
    public void link(final int slot)
    {
        checkState(slot, STATE_RESERVED);
        final long keyHash = keyHash(slot);
        if (size + 1 > (tableMask + 1) >>> 1 && tableMask + 1 < maxTableLength)
        {
            grow();
        }
        final long mixed = mix(keyHash);
        int cell = (int)mixed & tableMask;
        while (true)
        {
            final long value = table.get(LONG, cell * CELL_LENGTH);
            if (value == 0)
            {
                break;
            }
            final int other = (int)(value & CELL_SLOT_MASK) - 1;
            if (value >>> CELL_SLOT_BITS == mixed >>> CELL_SLOT_BITS && keyHash(other) == keyHash)
            {
                throw new IllegalArgumentException("keyHash=" + keyHash + " already in slot=" + other);
            }
            cell = (cell + 1) & tableMask;
        }
        tableVersion.getAndIncrement();
        table.set(LONG, cell * CELL_LENGTH, cellValue(mixed, slot));
        tableVersion.getAndIncrement();
        slots.set(BYTE, offset(slot) + STATE_OFFSET, STATE_LIVE);
        size++;
    }

    /**
     * Points the key of a live slot at a published replacement (same key hash) in one store, and
     * takes the old slot out of the table: it is {@link IndexSlotDescriptor#STATE_RETIRED} afterwards
     * only once the caller {@link #retire}s it, which it must do next. Not a structural change: a
     * reader sees either slot, and the old one fails its pin once retired.
     *
     * @param oldSlot     a live slot, off every list.
     * @param replacement a published slot from {@link #allocate} with the same key hash.
     */
    public void relink(final int oldSlot, final int replacement)
    {
        checkLive(oldSlot);
        checkState(replacement, STATE_RESERVED);
        final long keyHash = keyHash(oldSlot);
        if (keyHash(replacement) != keyHash)
        {
            throw new IllegalArgumentException("replacement slot=" + replacement + " has keyHash=" + keyHash(replacement) +
                ", not " + keyHash);
        }
        final long cell = cellOf(oldSlot, keyHash);
        CELL.setRelease(table, cell * CELL_LENGTH, cellValue(mix(keyHash), replacement));
        slots.set(BYTE, offset(replacement) + STATE_OFFSET, STATE_LIVE);
        slots.set(BYTE, offset(oldSlot) + STATE_OFFSET, STATE_RETIRED);
    }

    /**
     * Takes a live slot out of the key table (a structural change) and off its list; the caller
     * {@link #retire}s it next.
     *
     * @param slot a live slot.
     */
    public void unlink(final int slot)
    {
        checkLive(slot);
        final long base = offset(slot);
        final byte listId = slots.get(BYTE, base + LIST_ID_OFFSET);
        if (listId != NO_LIST)
        {
            unlink(listId, slot);
        }
        tableVersion.getAndIncrement();
        removeFromTable(slot, slots.get(LONG, base + KEY_HASH_OFFSET));
        tableVersion.getAndIncrement();
        slots.set(BYTE, base + STATE_OFFSET, STATE_RETIRED);
        size--;
    }

    /**
     * Marks a slot that left the key table ({@link #unlink} or {@link #relink}) retired: no new pin
     * succeeds. Also works on a published slot that never entered the table.
     *
     * @param slot the slot.
     * @return true when no pin is held: the caller frees the slot's resources and the slot now;
     *         false when the last {@link #unpin} will report it.
     */
    public boolean retire(final int slot)
    {
        final long base = offset(slot);
        final byte state = slots.get(BYTE, base + STATE_OFFSET);
        if (state == STATE_LIVE || state == STATE_FREE)
        {
            throw new IllegalStateException("slot=" + slot + " is " + (state == STATE_LIVE ? "in the key table" : "free") + ", cannot retire");
        }
        slots.set(BYTE, base + STATE_OFFSET, STATE_RETIRED);
        final long before = (long)PIN_WORD.getAndBitwiseOr(slots, base + PIN_OFFSET, RETIRED);
        return (before & PINS_MASK) == 0;
    }

    /**
     * Returns a retired slot with no pins to the free list.
     *
     * @param slot a retired slot whose pins are gone.
     */
    public void free(final int slot)
    {
        final long base = offset(slot);
        checkState(slot, STATE_RETIRED);
        final long word = (long)PIN_WORD.getVolatile(slots, base + PIN_OFFSET);
        if ((word & PINS_MASK) != 0)
        {
            throw new IllegalStateException("slot=" + slot + " still has pins=" + (word & PINS_MASK));
        }
        PIN_WORD.setRelease(slots, base + PIN_OFFSET, word & ~(PINS_MASK | PINNABLE | RETIRED));
        slots.set(BYTE, base + LEVEL_OFFSET, LEVEL_EMPTY);
        slots.set(LONG, base + LOCATION_OFFSET, 0L);
        slots.set(BYTE, base + STATE_OFFSET, STATE_FREE);
        slots.set(INT, base + NEXT_OFFSET, freeHead);
        freeHead = slot;
    }

    /**
     * Pins a slot (a reader's step, no lock): while pinned, it is neither freed nor reused, so its
     * immutable fields stay what they were at publication.
     *
     * @param slot a slot number from {@link #findConcurrent} (any state).
     * @return the pin word after the pin (its incarnation is {@code word >>> 32}), or
     *         {@link #PIN_FAILED} when the slot is free, being filled or retired.
     */
    public long tryPin(final int slot)
    {
        final long at = offset(slot) + PIN_OFFSET;
        long word = (long)PIN_WORD.getVolatile(slots, at);
        while ((word & (PINNABLE | RETIRED)) == PINNABLE && (word & PINS_MASK) != PINS_MASK)
        {
            final long witness = (long)PIN_WORD.compareAndExchange(slots, at, word, word + 1);
            if (witness == word)
            {
                return word + 1;
            }
            word = witness;
        }
        return PIN_FAILED;
    }

    /**
     * Drops a pin taken by {@link #tryPin} (any thread, no lock): a compare-and-set loop that never
     * takes the count below zero.
     *
     * @param slot the pinned slot.
     * @return true when this was the last pin of a retired slot: the caller must hand the slot to
     *         the writer for reclamation, exactly once.
     */
    public boolean unpin(final int slot)
    {
        final long at = offset(slot) + PIN_OFFSET;
        long word = (long)PIN_WORD.getVolatile(slots, at);
        while (true)
        {
            if ((word & PINS_MASK) == 0)
            {
                // refuse rather than borrow from the flag bits: the word stays intact for its owner
                throw new IllegalStateException("slot=" + slot + " unpinned more often than pinned");
            }
            final long witness = (long)PIN_WORD.compareAndExchange(slots, at, word, word - 1);
            if (witness == word)
            {
                final long after = word - 1;
                return (after & RETIRED) != 0 && (after & PINS_MASK) == 0;
            }
            word = witness;
        }
    }

    /**
     * The slot's incarnation: it changes every time the slot is published again.
     *
     * @param slot a slot.
     * @return the incarnation.
     */
    public int incarnation(final int slot)
    {
        return (int)(((long)PIN_WORD.getVolatile(slots, offset(slot) + PIN_OFFSET)) >>> 32);
    }

    /**
     * Pins held on a slot now.
     *
     * @param slot a slot.
     * @return the pin count.
     */
    public int pins(final int slot)
    {
        return (int)(((long)PIN_WORD.getVolatile(slots, offset(slot) + PIN_OFFSET)) & PINS_MASK);
    }

    /**
     * The slot's state byte.
     *
     * @param slot a slot.
     * @return one of {@code IndexSlotDescriptor.STATE_*}.
     */
    public byte state(final int slot)
    {
        return slot < neverUsed ? slots.get(BYTE, offset(slot) + STATE_OFFSET) : STATE_FREE;
    }

    /**
     * The key kind the cache stored (a copy of its meta record's).
     *
     * @param slot a slot.
     * @return the kind.
     */
    public int keyKind(final int slot)
    {
        return slots.get(BYTE, offset(slot) + KEY_KIND_OFFSET);
    }

    /**
     * The part count the cache stored (a copy of its meta record's).
     *
     * @param slot a slot.
     * @return the count.
     */
    public int partCount(final int slot)
    {
        return slots.get(BYTE, offset(slot) + PART_COUNT_OFFSET);
    }

    /**
     * Sets the key kind and part count (before {@link #publish}).
     *
     * @param slot      a slot being filled.
     * @param keyKind   the kind, 0 to 127.
     * @param partCount the count, 0 to 127.
     */
    public void keyKindAndParts(final int slot, final int keyKind, final int partCount)
    {
        if (keyKind < 0 || keyKind > Byte.MAX_VALUE || partCount < 0 || partCount > Byte.MAX_VALUE)
        {
            throw new IllegalArgumentException("keyKind=" + keyKind + " partCount=" + partCount + ": each must be in [0, 127]");
        }
        final long base = offset(slot);
        slots.set(BYTE, base + KEY_KIND_OFFSET, (byte)keyKind);
        slots.set(BYTE, base + PART_COUNT_OFFSET, (byte)partCount);
    }

    /**
     * The L3 entry's sequence number.
     *
     * @param slot a slot.
     * @return the sequence, 0 outside L3.
     */
    public long fileSequence(final int slot)
    {
        return slots.get(LONG, offset(slot) + FILE_SEQUENCE_OFFSET);
    }

    /**
     * Sets the L3 entry's sequence number (before {@link #publish}).
     *
     * @param slot     a slot being filled.
     * @param sequence the sequence.
     */
    public void fileSequence(final int slot, final long sequence)
    {
        slots.set(LONG, offset(slot) + FILE_SEQUENCE_OFFSET, sequence);
    }

    /**
     * The L3 record an L1 or L2 slot owns (writer only).
     *
     * @param slot the slot.
     * @return its location, or {@link IndexSlotDescriptor#NO_BACKING}.
     */
    public long backingLocation(final int slot)
    {
        return slots.get(LONG, offset(slot) + IndexSlotDescriptor.BACKING_LOCATION_OFFSET);
    }

    /**
     * That record's sequence number (writer only).
     *
     * @param slot the slot.
     * @return the sequence.
     */
    public long backingSequence(final int slot)
    {
        return slots.get(LONG, offset(slot) + IndexSlotDescriptor.BACKING_SEQUENCE_OFFSET);
    }

    /**
     * Sets the L3 record a slot owns; writer only, allowed while the slot is published (readers
     * never read it).
     *
     * @param slot     the slot.
     * @param location the record's location, or {@link IndexSlotDescriptor#NO_BACKING}.
     * @param sequence its sequence.
     */
    public void backing(final int slot, final long location, final long sequence)
    {
        slots.set(LONG, offset(slot) + IndexSlotDescriptor.BACKING_LOCATION_OFFSET, location);
        slots.set(LONG, offset(slot) + IndexSlotDescriptor.BACKING_SEQUENCE_OFFSET, sequence);
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
        unlink(slot);
        if (!retire(slot))
        {
            throw new IllegalStateException("slot=" + slot + " is pinned, cannot remove it at once: unlink and retire it");
        }
        free(slot);
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

    long tableVersion()
    {
        return tableVersion.get();
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

    private void checkState(final int slot, final byte expected)
    {
        IndexSlotDescriptor.checkSlot(slot, capacity);
        final byte state = state(slot);
        if (state != expected)
        {
            throw new IllegalStateException("slot=" + slot + " is in state=" + state + ", expected " + expected);
        }
    }

    private long cellOf(final int slot, final long keyHash)
    {
        int cell = (int)mix(keyHash) & tableMask;
        while (true)
        {
            final long value = table.get(LONG, cell * CELL_LENGTH);
            if (value == 0)
            {
                throw new IllegalStateException("slot=" + slot + " keyHash=" + keyHash + " is not in the key table");
            }
            if ((value & CELL_SLOT_MASK) == slot + 1L)
            {
                return cell;
            }
            cell = (cell + 1) & tableMask;
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
        int hole = (int)cellOf(slot, keyHash);
        // Backward-shift deletion: move each later cell of the cluster into the hole when its home
        // cell does not lie cyclically in (hole, cell], so every key stays reachable from its home.
        // A cell holds only a tag of its key: the home comes from its slot's key hash.
        int cell = hole;
        while (true)
        {
            cell = (cell + 1) & tableMask;
            final long value = table.get(LONG, cell * CELL_LENGTH);
            if (value == 0)
            {
                break;
            }
            final int home = (int)mix(keyHash((int)(value & CELL_SLOT_MASK) - 1)) & tableMask;
            if (((cell - home) & tableMask) >= ((cell - hole) & tableMask))
            {
                table.set(LONG, hole * CELL_LENGTH, value);
                hole = cell;
            }
        }
        table.set(LONG, hole * CELL_LENGTH, 0L);
    }

    /**
     * Doubles the key table. The new table is filled while readers still probe the old one (it does
     * not change meanwhile: there is one writer), then swapped in between two version steps, so a
     * reader's miss that overlapped the swap is retried and a hit it reports is checked under its
     * pin as always. The old table's pages go back to the kernel at once; its address range stays
     * mapped until {@link #close()}, so a reader still probing it reads zeroes (empty cells: a miss
     * that the version check turns into a retry), never unmapped memory.
     */
    private void grow()
    {
        final MemorySegment old = table;
        final int oldLength = tableMask + 1;
        final int length = oldLength << 1;
        final int mask = length - 1;
        final MemorySegment grown = NativeMemoryCounters.mapAnonymous(arena, length * CELL_LENGTH);
        // the live slots are exactly the table's keys: walking them in order reads the slot array
        // once, front to back, rather than a slot at random for each cell
        int moved = 0;
        for (int slot = 0; slot < neverUsed; slot++)
        {
            if (slots.get(BYTE, offset(slot) + STATE_OFFSET) == STATE_LIVE)
            {
                final long mixed = mix(keyHash(slot));
                int cell = (int)mixed & mask;
                while (grown.get(LONG, cell * CELL_LENGTH) != 0)
                {
                    cell = (cell + 1) & mask;
                }
                grown.set(LONG, cell * CELL_LENGTH, cellValue(mixed, slot));
                moved++;
            }
        }
        if (moved != size)
        {
            throw new IllegalStateException("key table grow found " + moved + " live slots, the index holds " + size);
        }
        tableVersion.getAndIncrement();
        tableMask = mask;
        table = grown;
        tableVersion.getAndIncrement();
        retiredTableBytes += old.byteSize();
        dev.tiercache.libc.Libc.madviseDontNeed(old);
    }

    /** A table cell: the high bits of the mixed key hash as a tag, then {@code slot + 1}. */
    private static long cellValue(final long mixedKeyHash, final int slot)
    {
        return (mixedKeyHash >>> CELL_SLOT_BITS) << CELL_SLOT_BITS | (slot + 1L);
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
