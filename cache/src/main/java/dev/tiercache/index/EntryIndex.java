package dev.tiercache.index;

import dev.tiercache.store.NativeMemoryCounters;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import static dev.tiercache.index.IndexSlotDescriptor.ACCESS_COUNT_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.BACKING_LOCATION_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.BACKING_SEQUENCE_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.CACHE_FLAGS;
import static dev.tiercache.index.IndexSlotDescriptor.COLD_LENGTH;
import static dev.tiercache.index.IndexSlotDescriptor.EXPIRES_AT_NANOS_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.EXTENSION_LENGTH;
import static dev.tiercache.index.IndexSlotDescriptor.FILE_SEQUENCE_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.FLAGS_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.HOT_LENGTH;
import static dev.tiercache.index.IndexSlotDescriptor.KEY_HASH_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.LAST_ACCESS_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.LEVEL_EMPTY;
import static dev.tiercache.index.IndexSlotDescriptor.LIST_ID_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.LOCATION_CONTROL_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.MAX_ACCESS_COUNT;
import static dev.tiercache.index.IndexSlotDescriptor.META_LENGTH_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.NEXT_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.NIL;
import static dev.tiercache.index.IndexSlotDescriptor.NO_BACKING;
import static dev.tiercache.index.IndexSlotDescriptor.NO_LIST;
import static dev.tiercache.index.IndexSlotDescriptor.PIN_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.PREV_OFFSET;
import static dev.tiercache.index.IndexSlotDescriptor.STATE_FREE;
import static dev.tiercache.index.IndexSlotDescriptor.STATE_LIVE;
import static dev.tiercache.index.IndexSlotDescriptor.STATE_RESERVED;
import static dev.tiercache.index.IndexSlotDescriptor.STATE_RETIRED;

/**
 * The cache's entry index: a fixed number of slots (layout in {@link IndexSlotDescriptor}) and a
 * key table from 64-bit key hashes to slots, both off-heap in one {@link Arena} this index owns,
 * plus intrusive doubly-linked {@link SlotList}s threaded through the slots.
 *
 * <h2>Why off-heap</h2>
 * A cache of millions of small tensors must not cost the collector millions of objects. Here an
 * entry is 48 bytes of slot and 5.3 to 8 bytes of key table in native memory and nothing on the heap:
 * {@link #find}, every field accessor and every list operation allocate nothing, so a hit makes no
 * garbage; only {@link #newList()} allocates (one small object, at setup).
 *
 * <h2>Key table</h2>
 * Open addressing with linear probing. Each 4-byte cell holds {@code slot + 1} in its low bits,
 * as many as the capacity needs ({@code 0} marks an empty cell), and a tag of the key in the rest:
 * the top bits of the mixed key hash. An index of a million slots keeps 11 bits of tag, so a probe
 * reads the slot of another key once in 2048 cells it passes; at the largest capacity the tag is 3
 * bits. A key's home cell is the low 32 bits of its mixed hash scaled to the table's length (a
 * multiply and a shift), so the length need not be a power of two. The table starts at 1024 cells
 * and grows by half whenever the live slots would pass three quarters of it, so once grown it is
 * between half and three quarters full: 5.3 to 8 bytes of table per entry held. It grows up to two
 * cells per slot of capacity, where it is at most half full. At three quarters a hit probes 2.5
 * cells on average and a miss 8.5, about one cache line of cells either way. A hit reads its cells
 * and then the slot it was looking for, whose hot part holds both the key hash and everything the
 * hit reads next. The backward shift and a grow take a moved cell's home from its slot's key hash
 * (writer only). Removal shifts later cells of the cluster back instead of leaving tombstones, so
 * lookups never degrade with churn. A grow is a structural change that lock-free readers detect
 * like any other (see "Lookups"). Cost: 48 bytes of slot plus 5.3 to 8 bytes of table per entry
 * held (up to 16 in a table still at its first 1024 cells), and 32 bytes of slot extension for the
 * entries that have an expiry, an L3 record or an L3 backing.
 *
 * <h2>Memory that grows with the entries</h2>
 * The three slot arrays and each key table are anonymous mappings that the kernel backs with memory
 * only where they are touched. Slots are handed out lowest first (the free list before untouched
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
 *   <li><b>Immutable while published.</b> A slot's key hash, level, location, length, meta,
 *       key kind, part flag, expiry and file sequence are written while the slot is {@link IndexSlotDescriptor#STATE_RESERVED}
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
 * Broken contracts throw: inserting a key that is present, removing a free or pinned slot, putting a
 * slot on a second list, a field value its bits cannot hold (named, with the range). After {@link #close()}
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

    /** Bytes per key table cell. */
    static final long CELL_LENGTH = Integer.BYTES;

    /** Units of the last access time: 2^20 ns. */
    static final int ACCESS_TIME_SHIFT = 20;

    private static final VarHandle PIN_WORD = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle CELL = ValueLayout.JAVA_INT.varHandle();

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    private static final int INITIAL_TABLE_LENGTH = 1024;

    /** The two packed words of the hot part are little-endian on every platform, as the descriptor draws them. */
    private static final ValueLayout.OfLong PACKED = ValueLayout.JAVA_LONG.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final int CONTROL_SHIFT = 48;
    private static final int LENGTH_HIGH_SHIFT = 56;
    private static final long LOW_INT = 0xFFFF_FFFFL;
    private static final int CONTROL_LEVEL_MASK = 0x3;
    private static final int CONTROL_KEY_KIND_SHIFT = 2;
    private static final int CONTROL_ONE_PART = 1 << 4;
    private static final int CONTROL_EXTENSION = 1 << 5;
    private static final int FLAGS_STATE_SHIFT = 4;
    private static final int FLAGS_STATE_MASK = 0x3 << FLAGS_STATE_SHIFT;
    private static final int FLAGS_BACKING = 1 << 6;
    private static final int EXTENSION_PAGE_SHIFT = 12;
    /** Slots per block of hot parts whose lines pair slot {@code i} with {@code i + HOT_BLOCK / 2} (see {@link #hotOffset}). */
    private static final int HOT_BLOCK = 128;
    private static final int HOT_HALF_SHIFT = 6;

    private final Arena arena;
    private final MemorySegment hot;
    private final MemorySegment cold;
    private final MemorySegment extension;
    private final long[] extensionPages;
    private int extensionPagesTouched;
    private final int capacity;
    private final int maxTableLength;
    /** Bits of a cell holding {@code slot + 1}; the rest are the key's tag. */
    private final int slotBits;
    private final int cellSlotMask;
    private final int tagShift;
    // written by the writer only; volatile so a lock-free reader sees a grown table whole
    private volatile MemorySegment table;
    private int tableLength;
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
     * Makes an index of {@code capacity} slots; its native memory is reserved here, once.
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
     * @param initialTableLength at least 2.
     */
    EntryIndex(final int capacity, final int initialTableLength)
    {
        IndexSlotDescriptor.checkCapacity(capacity);
        if (initialTableLength < 2)
        {
            throw new IllegalArgumentException("initialTableLength=" + initialTableLength + " < 2");
        }
        this.capacity = capacity;
        this.maxTableLength = Math.max(initialTableLength, roundToLine(2L * capacity));
        this.slotBits = Integer.SIZE - Integer.numberOfLeadingZeros(capacity);
        this.cellSlotMask = (int)((1L << slotBits) - 1);
        this.tagShift = Long.SIZE - (Integer.SIZE - slotBits);
        this.tableLength = initialTableLength;
        this.arena = NativeMemoryCounters.countedSharedArena(NativeMemoryCounters.Owner.INDEX);
        // whole blocks: hotOffset places a slot anywhere in its block of HOT_BLOCK
        this.hot = NativeMemoryCounters.mapAnonymous(arena, ((long)capacity + HOT_BLOCK - 1 & -HOT_BLOCK) * HOT_LENGTH);
        this.cold = NativeMemoryCounters.mapAnonymous(arena, (long)capacity * COLD_LENGTH);
        this.extension = NativeMemoryCounters.mapAnonymous(arena, (long)capacity * EXTENSION_LENGTH);
        this.extensionPages = new long[(int)((((long)capacity * EXTENSION_LENGTH >>> EXTENSION_PAGE_SHIFT) + 64) >>> 6)];
        this.table = NativeMemoryCounters.mapAnonymous(arena, tableLength * CELL_LENGTH);
    }

    /**
     * Native bytes this index uses: the slots handed out so far (the slot arrays are reserved as
     * address space and backed by the kernel as slots are first touched, lowest first), the pages
     * of the extension part some slot has stored a field in, and the key table, which grows by half as
     * the entries grow.
     *
     * @return bytes in use.
     */
    public long nativeBytes()
    {
        return (long)neverUsed * IndexSlotDescriptor.SLOT_LENGTH + ((long)extensionPagesTouched << EXTENSION_PAGE_SHIFT) +
            table.byteSize();
    }

    /**
     * Native bytes of the extension part in use: the pages some slot has stored an expiry, a file
     * sequence or a backing in (included in {@link #nativeBytes()}).
     *
     * @return bytes.
     */
    public long extensionBytes()
    {
        return (long)extensionPagesTouched << EXTENSION_PAGE_SHIFT;
    }

    /**
     * Address space this index has reserved: the three slot arrays whole, the key table at its
     * present size and the tables it outgrew (unmapped at {@link #close()}; their pages are given
     * back to the kernel when they are outgrown).
     *
     * @return bytes reserved.
     */
    public long reservedBytes()
    {
        return hot.byteSize() + cold.byteSize() + extension.byteSize() + table.byteSize() + retiredTableBytes;
    }

    /**
     * Cells of the key table now: a multiple of 16, at least four thirds of the live slots,
     * growing by half as they grow, up to two cells per slot of capacity.
     *
     * @return cells.
     */
    public int tableLength()
    {
        return tableLength;
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
        final int tag = tag(mixed);
        final int length = tableLength;
        int cell = home(mixed, length);
        while (true)
        {
            final int value = table.get(INT, cell * CELL_LENGTH);
            if (value == 0)
            {
                return NOT_FOUND;
            }
            if (value >>> slotBits == tag)
            {
                final int slot = (value & cellSlotMask) - 1;
                if (keyHash(slot) == keyHash)
                {
                    return slot;
                }
            }
            cell = next(cell, length);
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
        final int length = (int)(cells.byteSize() / CELL_LENGTH);
        final long mixed = mix(keyHash);
        final int tag = tag(mixed);
        int cell = home(mixed, length);
        boolean unsure = false;
        for (int probes = 0; probes < length; probes++)
        {
            // acquire: pairs with relink's release store, so a reader that sees the new slot sees it filled
            final int value = (int)CELL.getAcquire(cells, cell * CELL_LENGTH);
            if (value == 0)
            {
                break;
            }
            if (value >>> slotBits == tag)
            {
                final int slot = (value & cellSlotMask) - 1;
                if (slot >= capacity)
                {
                    return RETRY;
                }
                if (keyHash(slot) == keyHash)
                {
                    return slot;
                }
                // another key with the same tag, or a slot freed and reused since the cell was
                // written (a relink and a free are no structural change): not a miss to trust
                unsure = true;
            }
            cell = next(cell, length);
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
            freeHead = cold.get(INT, coldOffset(slot) + NEXT_OFFSET);
        }
        else if (neverUsed < capacity)
        {
            slot = neverUsed++;
        }
        else
        {
            return FULL;
        }
        final long base = hotOffset(slot);
        hot.set(LONG, base + KEY_HASH_OFFSET, keyHash);
        hot.set(LONG, base + META_LENGTH_OFFSET, 0L);
        // location 0, control: level EMPTY (stored as level + 1 = 0), no key kind, no extension; length high byte 0
        hot.set(LONG, base + LOCATION_CONTROL_OFFSET, 0L);
        final long c = coldOffset(slot);
        cold.set(INT, c + PREV_OFFSET, NIL);
        cold.set(INT, c + NEXT_OFFSET, NIL);
        cold.set(INT, c + LAST_ACCESS_OFFSET, 0);
        cold.set(SHORT, c + ACCESS_COUNT_OFFSET, (short)0);
        cold.set(BYTE, c + FLAGS_OFFSET, (byte)(STATE_RESERVED << FLAGS_STATE_SHIFT));
        cold.set(BYTE, c + LIST_ID_OFFSET, NO_LIST);
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
        final long at = hotOffset(slot) + PIN_OFFSET;
        final long word = (long)PIN_WORD.getVolatile(hot, at);
        final long incarnation = ((word >>> 32) + 1) & Integer.MAX_VALUE;
        PIN_WORD.setRelease(hot, at, (incarnation << 32) | PINNABLE);
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
        if ((size + 1L) * 4 > tableLength * 3L && tableLength < maxTableLength)
        {
            grow();
        }
        final long mixed = mix(keyHash);
        final int tag = tag(mixed);
        int cell = home(mixed, tableLength);
        while (true)
        {
            final int value = table.get(INT, cell * CELL_LENGTH);
            if (value == 0)
            {
                break;
            }
            final int other = (value & cellSlotMask) - 1;
            if (value >>> slotBits == tag && keyHash(other) == keyHash)
            {
                throw new IllegalArgumentException("keyHash=" + keyHash + " already in slot=" + other);
            }
            cell = next(cell, tableLength);
        }
        tableVersion.getAndIncrement();
        table.set(INT, cell * CELL_LENGTH, cellValue(mixed, slot));
        tableVersion.getAndIncrement();
        state(slot, STATE_LIVE);
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
        state(replacement, STATE_LIVE);
        state(oldSlot, STATE_RETIRED);
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
        final byte listId = listId(slot);
        if (listId != NO_LIST)
        {
            unlink(listId, slot);
        }
        tableVersion.getAndIncrement();
        removeFromTable(slot, keyHash(slot));
        tableVersion.getAndIncrement();
        state(slot, STATE_RETIRED);
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
        final byte state = state(slot);
        if (state == STATE_LIVE || state == STATE_FREE)
        {
            throw new IllegalStateException("slot=" + slot + " is " + (state == STATE_LIVE ? "in the key table" : "free") + ", cannot retire");
        }
        state(slot, STATE_RETIRED);
        final long before = (long)PIN_WORD.getAndBitwiseOr(hot, hotOffset(slot) + PIN_OFFSET, RETIRED);
        return (before & PINS_MASK) == 0;
    }

    /**
     * Returns a retired slot with no pins to the free list.
     *
     * @param slot a retired slot whose pins are gone.
     */
    public void free(final int slot)
    {
        checkState(slot, STATE_RETIRED);
        final long base = hotOffset(slot);
        final long word = (long)PIN_WORD.getVolatile(hot, base + PIN_OFFSET);
        if ((word & PINS_MASK) != 0)
        {
            throw new IllegalStateException("slot=" + slot + " still has pins=" + (word & PINS_MASK));
        }
        PIN_WORD.setRelease(hot, base + PIN_OFFSET, word & ~(PINS_MASK | PINNABLE | RETIRED));
        hot.set(LONG, base + LOCATION_CONTROL_OFFSET, 0L);
        // flags of 0: state FREE, no backing, none of the cache's bits
        cold.set(BYTE, coldOffset(slot) + FLAGS_OFFSET, (byte)0);
        cold.set(INT, coldOffset(slot) + NEXT_OFFSET, freeHead);
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
        final long at = hotOffset(slot) + PIN_OFFSET;
        long word = (long)PIN_WORD.getVolatile(hot, at);
        while ((word & (PINNABLE | RETIRED)) == PINNABLE && (word & PINS_MASK) != PINS_MASK)
        {
            final long witness = (long)PIN_WORD.compareAndExchange(hot, at, word, word + 1);
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
        final long at = hotOffset(slot) + PIN_OFFSET;
        long word = (long)PIN_WORD.getVolatile(hot, at);
        while (true)
        {
            if ((word & PINS_MASK) == 0)
            {
                // refuse rather than borrow from the flag bits: the word stays intact for its owner
                throw new IllegalStateException("slot=" + slot + " unpinned more often than pinned");
            }
            final long witness = (long)PIN_WORD.compareAndExchange(hot, at, word, word - 1);
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
        return (int)(((long)PIN_WORD.getVolatile(hot, hotOffset(slot) + PIN_OFFSET)) >>> 32);
    }

    /**
     * Pins held on a slot now.
     *
     * @param slot a slot.
     * @return the pin count.
     */
    public int pins(final int slot)
    {
        return (int)(((long)PIN_WORD.getVolatile(hot, hotOffset(slot) + PIN_OFFSET)) & PINS_MASK);
    }

    /**
     * The slot's state.
     *
     * @param slot a slot.
     * @return one of {@code IndexSlotDescriptor.STATE_*}.
     */
    public byte state(final int slot)
    {
        return slot < neverUsed ? (byte)((cold.get(BYTE, coldOffset(slot) + FLAGS_OFFSET) & FLAGS_STATE_MASK) >>> FLAGS_STATE_SHIFT) : STATE_FREE;
    }

    /**
     * The key kind copied from the slot's meta record.
     *
     * @param slot a slot.
     * @return the key kind.
     */
    public int keyKind(final int slot)
    {
        return (control(slot) >>> CONTROL_KEY_KIND_SHIFT) & IndexSlotDescriptor.MAX_KEY_KIND;
    }

    /**
     * Whether the slot's entry has exactly one part (copied from its meta record).
     *
     * @param slot a slot.
     * @return true for one part.
     */
    public boolean onePart(final int slot)
    {
        return (control(slot) & CONTROL_ONE_PART) != 0;
    }

    /**
     * Copies the key kind and whether the entry has one part from its meta record (before publication).
     *
     * @param slot      the slot being filled.
     * @param keyKind   the key kind, in {@code [0, IndexSlotDescriptor.MAX_KEY_KIND]}.
     * @param partCount the part count, at least 1.
     */
    public void keyKindAndParts(final int slot, final int keyKind, final int partCount)
    {
        if (keyKind < 0 || keyKind > IndexSlotDescriptor.MAX_KEY_KIND || partCount < 1)
        {
            throw new IllegalArgumentException("keyKind=" + keyKind + " partCount=" + partCount +
                ": the key kind must be in [0, " + IndexSlotDescriptor.MAX_KEY_KIND + "] and the part count at least 1");
        }
        final int others = control(slot) & ~((IndexSlotDescriptor.MAX_KEY_KIND << CONTROL_KEY_KIND_SHIFT) | CONTROL_ONE_PART);
        control(slot, others | keyKind << CONTROL_KEY_KIND_SHIFT | (partCount == 1 ? CONTROL_ONE_PART : 0));
    }

    /**
     * The L3 entry's sequence number, {@code 0} where none was stored.
     *
     * @param slot a slot.
     * @return the sequence.
     */
    public long fileSequence(final int slot)
    {
        return (control(slot) & CONTROL_EXTENSION) != 0 ? extension.get(LONG, extensionOffset(slot) + FILE_SEQUENCE_OFFSET) : 0L;
    }

    /**
     * Sets the L3 entry's sequence number (before publication); {@code 0} on a slot without an
     * extension stores nothing.
     *
     * @param slot     the slot being filled.
     * @param sequence the sequence.
     */
    public void fileSequence(final int slot, final long sequence)
    {
        if (sequence != 0 || (control(slot) & CONTROL_EXTENSION) != 0)
        {
            extension.set(LONG, withExtension(slot) + FILE_SEQUENCE_OFFSET, sequence);
        }
    }

    /**
     * The L3 record an L1 or L2 slot owns (writer only).
     *
     * @param slot a slot.
     * @return its location, or {@link IndexSlotDescriptor#NO_BACKING}.
     */
    public long backingLocation(final int slot)
    {
        return (flagsByte(slot) & FLAGS_BACKING) != 0 ? extension.get(LONG, extensionOffset(slot) + BACKING_LOCATION_OFFSET) : NO_BACKING;
    }

    /**
     * That record's sequence number (writer only).
     *
     * @param slot a slot.
     * @return the sequence, {@code 0} for no backing.
     */
    public long backingSequence(final int slot)
    {
        return (flagsByte(slot) & FLAGS_BACKING) != 0 ? extension.get(LONG, extensionOffset(slot) + BACKING_SEQUENCE_OFFSET) : 0L;
    }

    /**
     * Sets or clears the L3 record an L1 or L2 slot owns (writer only).
     *
     * @param slot     the slot.
     * @param location the record's location, or {@link IndexSlotDescriptor#NO_BACKING} for none
     *                 (then {@code sequence} is not stored).
     * @param sequence the record's sequence number.
     */
    public void backing(final int slot, final long location, final long sequence)
    {
        final byte flags = flagsByte(slot);
        if (location == NO_BACKING)
        {
            flagsByte(slot, (byte)(flags & ~FLAGS_BACKING));
            return;
        }
        final long at = extensionOffset(slot);
        touchExtension(slot);
        extension.set(LONG, at + BACKING_LOCATION_OFFSET, location);
        extension.set(LONG, at + BACKING_SEQUENCE_OFFSET, sequence);
        flagsByte(slot, (byte)(flags | FLAGS_BACKING));
    }

    /**
     * Takes a live slot out at once: off its list, out of the key table, retired and freed.
     *
     * @param slot a live slot nobody has pinned.
     * @throws IllegalStateException when it is pinned.
     */
    public void remove(final int slot)
    {
        checkLive(slot);
        unlink(slot);
        if (!retire(slot))
        {
            throw new IllegalStateException("slot=" + slot + " is pinned, cannot remove it at once: unlink and retire it");
        }
        free(slot);
    }

    /**
     * Whether the slot is live (in the key table).
     *
     * @param slot a slot number in {@code [0, capacity)}.
     * @return true when live.
     */
    public boolean isLive(final int slot)
    {
        IndexSlotDescriptor.checkSlot(slot, capacity);
        return state(slot) == STATE_LIVE;
    }

    /**
     * Makes a new list threaded through this index's slots (one small object, at setup).
     *
     * @return the list.
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
     * The slot's key hash.
     *
     * @param slot a slot.
     * @return the 64-bit key hash.
     */
    public long keyHash(final int slot)
    {
        return hot.get(LONG, hotOffset(slot) + KEY_HASH_OFFSET);
    }

    /**
     * The slot's level.
     *
     * @param slot a slot.
     * @return one of the {@code LEVEL_*} values.
     */
    public byte level(final int slot)
    {
        return (byte)((control(slot) & CONTROL_LEVEL_MASK) - 1);
    }

    /**
     * Sets the slot's level (before publication).
     *
     * @param slot  the slot being filled.
     * @param level one of the {@code LEVEL_*} values.
     */
    public void level(final int slot, final byte level)
    {
        IndexSlotDescriptor.checkLevel(level);
        control(slot, (control(slot) & ~CONTROL_LEVEL_MASK) | (level + 1));
    }

    /**
     * The cache's flag bits of the slot ({@link IndexSlotDescriptor#CACHE_FLAGS}).
     *
     * @param slot a slot.
     * @return the flags.
     */
    public byte flags(final int slot)
    {
        return (byte)(flagsByte(slot) & CACHE_FLAGS);
    }

    /**
     * Sets the cache's flag bits of the slot.
     *
     * @param slot  a slot.
     * @param flags bits within {@link IndexSlotDescriptor#CACHE_FLAGS}.
     */
    public void flags(final int slot, final byte flags)
    {
        if ((flags & ~CACHE_FLAGS) != 0)
        {
            throw new IllegalArgumentException("flags=0x" + Integer.toHexString(flags & 0xFF) + " outside the cache's bits 0x" +
                Integer.toHexString(CACHE_FLAGS));
        }
        flagsByte(slot, (byte)((flagsByte(slot) & ~CACHE_FLAGS) | flags));
    }

    /**
     * The entry's offset in its level's store.
     *
     * @param slot a slot.
     * @return the location.
     */
    public long location(final int slot)
    {
        return hot.get(PACKED, hotOffset(slot) + LOCATION_CONTROL_OFFSET) & IndexSlotDescriptor.MAX_LOCATION;
    }

    /**
     * Sets the entry's offset in its level's store (before publication).
     *
     * @param slot     the slot being filled.
     * @param location in {@code [0, IndexSlotDescriptor.MAX_LOCATION]}.
     */
    public void location(final int slot, final long location)
    {
        IndexSlotDescriptor.checkRange("location", location, IndexSlotDescriptor.MAX_LOCATION);
        final long at = hotOffset(slot) + LOCATION_CONTROL_OFFSET;
        hot.set(PACKED, at, (hot.get(PACKED, at) & ~IndexSlotDescriptor.MAX_LOCATION) | location);
    }

    /**
     * The entry's length as read.
     *
     * @param slot a slot.
     * @return bytes.
     */
    public long rawLength(final int slot)
    {
        final long base = hotOffset(slot);
        return hot.get(PACKED, base + META_LENGTH_OFFSET) >>> 32 | (hot.get(PACKED, base + LOCATION_CONTROL_OFFSET) >>> LENGTH_HIGH_SHIFT) << 32;
    }

    /**
     * Sets the entry's length as read (before publication).
     *
     * @param slot   the slot being filled.
     * @param length in {@code [0, IndexSlotDescriptor.MAX_RAW_LENGTH]}.
     */
    public void rawLength(final int slot, final long length)
    {
        IndexSlotDescriptor.checkRange("rawLength", length, IndexSlotDescriptor.MAX_RAW_LENGTH);
        final long low = hotOffset(slot) + META_LENGTH_OFFSET;
        final long high = hotOffset(slot) + LOCATION_CONTROL_OFFSET;
        hot.set(PACKED, low, (hot.get(PACKED, low) & LOW_INT) | length << 32);
        hot.set(PACKED, high, (hot.get(PACKED, high) & ~(0xFFL << LENGTH_HIGH_SHIFT)) | (length >>> 32) << LENGTH_HIGH_SHIFT);
    }

    /**
     * Accesses since the entry was inserted, saturating at {@link IndexSlotDescriptor#MAX_ACCESS_COUNT}.
     *
     * @param slot a slot.
     * @return the count.
     */
    public int accessCount(final int slot)
    {
        return cold.get(SHORT, coldOffset(slot) + ACCESS_COUNT_OFFSET) & MAX_ACCESS_COUNT;
    }

    /**
     * Sets the access count (values above {@link IndexSlotDescriptor#MAX_ACCESS_COUNT} are held as that).
     *
     * @param slot  a slot.
     * @param count the count, at least 0.
     */
    public void accessCount(final int slot, final int count)
    {
        IndexSlotDescriptor.checkRange("accessCount", count, Integer.MAX_VALUE);
        cold.set(SHORT, coldOffset(slot) + ACCESS_COUNT_OFFSET, (short)Math.min(count, MAX_ACCESS_COUNT));
    }

    /**
     * Counts an access and stamps its time.
     *
     * @param slot     a slot.
     * @param nowNanos {@link System#nanoTime()} now.
     * @return the access count after it.
     */
    public int recordAccess(final int slot, final long nowNanos)
    {
        final long base = coldOffset(slot);
        final int count = cold.get(SHORT, base + ACCESS_COUNT_OFFSET) & MAX_ACCESS_COUNT;
        final int next = count == MAX_ACCESS_COUNT ? count : count + 1;
        cold.set(SHORT, base + ACCESS_COUNT_OFFSET, (short)next);
        cold.set(INT, base + LAST_ACCESS_OFFSET, accessTime(nowNanos));
        return next;
    }

    /**
     * How long the slot has gone without an access, never more than it has: the stamp is in units
     * of 2^20 ns, so this is the whole units between the stamp and now less one, at most two units
     * (about 2 ms) short of the truth. A last access up to 2^31 units (26 days) ago is measured so;
     * an older one reads as a later one, since the stamp is 32 bits (the cache's idle scan sees
     * every entry far more often than that).
     *
     * @param slot     a slot.
     * @param nowNanos {@link System#nanoTime()} now.
     * @return nanoseconds since the last access, a lower bound; {@code 0} when the stamp is not in the past.
     */
    public long idleNanos(final int slot, final long nowNanos)
    {
        final int elapsed = accessTime(nowNanos) - cold.get(INT, coldOffset(slot) + LAST_ACCESS_OFFSET);
        return elapsed <= 1 ? 0L : (long)(elapsed - 1) << ACCESS_TIME_SHIFT;
    }

    /**
     * Stamps the slot's last access at {@code nanos}.
     *
     * @param slot  a slot.
     * @param nanos a {@link System#nanoTime()} reading.
     */
    public void lastAccessNanos(final int slot, final long nanos)
    {
        cold.set(INT, coldOffset(slot) + LAST_ACCESS_OFFSET, accessTime(nanos));
    }

    /**
     * Gives a slot the last access stamp of another (a move keeps the entry's history).
     *
     * @param from the slot whose stamp is copied.
     * @param to   the slot that takes it.
     */
    public void copyLastAccess(final int from, final int to)
    {
        cold.set(INT, coldOffset(to) + LAST_ACCESS_OFFSET, cold.get(INT, coldOffset(from) + LAST_ACCESS_OFFSET));
    }

    /**
     * The nanoTime after which the entry is expired, {@code 0} for never.
     *
     * @param slot a slot.
     * @return the expiry.
     */
    public long expiresAtNanos(final int slot)
    {
        return (control(slot) & CONTROL_EXTENSION) != 0 ? extension.get(LONG, extensionOffset(slot) + EXPIRES_AT_NANOS_OFFSET) : 0L;
    }

    /**
     * Sets the expiry (before publication); {@code 0} on a slot without an extension stores nothing.
     *
     * @param slot  the slot being filled.
     * @param nanos the nanoTime after which the entry is expired, {@code 0} for never.
     */
    public void expiresAtNanos(final int slot, final long nanos)
    {
        if (nanos != 0 || (control(slot) & CONTROL_EXTENSION) != 0)
        {
            extension.set(LONG, withExtension(slot) + EXPIRES_AT_NANOS_OFFSET, nanos);
        }
    }

    /**
     * The offset of the slot's meta record.
     *
     * @param slot a slot.
     * @return the offset, a multiple of 8.
     */
    public long meta(final int slot)
    {
        return (hot.get(PACKED, hotOffset(slot) + META_LENGTH_OFFSET) & LOW_INT) << 3;
    }

    /**
     * Sets the offset of the slot's meta record (before publication).
     *
     * @param slot the slot being filled.
     * @param meta a multiple of 8 below {@link IndexSlotDescriptor#MAX_META_OFFSET}.
     */
    public void meta(final int slot, final long meta)
    {
        if ((meta & 7) != 0 || meta < 0 || meta >= IndexSlotDescriptor.MAX_META_OFFSET)
        {
            throw new IllegalArgumentException("meta=" + meta + " is not a multiple of 8 in [0, " + IndexSlotDescriptor.MAX_META_OFFSET + ")");
        }
        final long at = hotOffset(slot) + META_LENGTH_OFFSET;
        hot.set(PACKED, at, (hot.get(PACKED, at) & ~LOW_INT) | meta >>> 3);
    }

    /**
     * The list the slot is on.
     *
     * @param slot a slot.
     * @return the list id, or {@link IndexSlotDescriptor#NO_LIST}.
     */
    public byte listId(final int slot)
    {
        return cold.get(BYTE, coldOffset(slot) + LIST_ID_OFFSET);
    }

    /**
     * The link of a retired slot on the cache's stack of slots to reclaim (the slot's {@code next}
     * field, which a slot off every list does not otherwise use until it is freed).
     *
     * @param slot a retired slot.
     * @return the next slot on the stack.
     */
    public int reclaimLink(final int slot)
    {
        return cold.get(INT, coldOffset(slot) + NEXT_OFFSET);
    }

    /**
     * Sets that link (by the thread that pushes the slot, before its publishing compare-and-set).
     *
     * @param slot a retired slot whose last pin is gone.
     * @param next the next slot on the stack.
     */
    public void reclaimLink(final int slot, final int next)
    {
        cold.set(INT, coldOffset(slot) + NEXT_OFFSET, next);
    }

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
        return cold.get(INT, coldOffset(slot) + NEXT_OFFSET);
    }

    int prevOf(final int slot)
    {
        return cold.get(INT, coldOffset(slot) + PREV_OFFSET);
    }

    void linkFirst(final byte listId, final int slot)
    {
        checkUnlinked(listId, slot);
        final long base = coldOffset(slot);
        final int head = listHead[listId];
        cold.set(INT, base + PREV_OFFSET, NIL);
        cold.set(INT, base + NEXT_OFFSET, head);
        cold.set(BYTE, base + LIST_ID_OFFSET, listId);
        if (head == NIL)
        {
            listTail[listId] = slot;
        }
        else
        {
            cold.set(INT, coldOffset(head) + PREV_OFFSET, slot);
        }
        listHead[listId] = slot;
        listSize[listId]++;
    }

    void linkLast(final byte listId, final int slot)
    {
        checkUnlinked(listId, slot);
        final long base = coldOffset(slot);
        final int tail = listTail[listId];
        cold.set(INT, base + PREV_OFFSET, tail);
        cold.set(INT, base + NEXT_OFFSET, NIL);
        cold.set(BYTE, base + LIST_ID_OFFSET, listId);
        if (tail == NIL)
        {
            listHead[listId] = slot;
        }
        else
        {
            cold.set(INT, coldOffset(tail) + NEXT_OFFSET, slot);
        }
        listTail[listId] = slot;
        listSize[listId]++;
    }

    void checkOn(final byte listId, final int slot)
    {
        checkLive(slot);
        final byte actual = listId(slot);
        if (actual != listId)
        {
            throw new IllegalStateException("slot=" + slot + " is on listId=" + actual + ", not listId=" + listId);
        }
    }

    void unlink(final byte listId, final int slot)
    {
        final long base = coldOffset(slot);
        final int prev = cold.get(INT, base + PREV_OFFSET);
        final int next = cold.get(INT, base + NEXT_OFFSET);
        if (prev == NIL)
        {
            listHead[listId] = next;
        }
        else
        {
            cold.set(INT, coldOffset(prev) + NEXT_OFFSET, next);
        }
        if (next == NIL)
        {
            listTail[listId] = prev;
        }
        else
        {
            cold.set(INT, coldOffset(next) + PREV_OFFSET, prev);
        }
        cold.set(INT, base + PREV_OFFSET, NIL);
        cold.set(INT, base + NEXT_OFFSET, NIL);
        cold.set(BYTE, base + LIST_ID_OFFSET, NO_LIST);
        listSize[listId]--;
    }

    private void checkUnlinked(final byte listId, final int slot)
    {
        checkLive(slot);
        final byte actual = listId(slot);
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

    private void state(final int slot, final byte state)
    {
        final byte flags = flagsByte(slot);
        flagsByte(slot, (byte)((flags & ~FLAGS_STATE_MASK) | state << FLAGS_STATE_SHIFT));
    }

    private byte flagsByte(final int slot)
    {
        return cold.get(BYTE, coldOffset(slot) + FLAGS_OFFSET);
    }

    private void flagsByte(final int slot, final byte flags)
    {
        cold.set(BYTE, coldOffset(slot) + FLAGS_OFFSET, flags);
    }

    private int control(final int slot)
    {
        return (int)(hot.get(PACKED, hotOffset(slot) + LOCATION_CONTROL_OFFSET) >>> CONTROL_SHIFT) & 0xFF;
    }

    private void control(final int slot, final int control)
    {
        final long at = hotOffset(slot) + LOCATION_CONTROL_OFFSET;
        hot.set(PACKED, at, (hot.get(PACKED, at) & ~(0xFFL << CONTROL_SHIFT)) | (long)(control & 0xFF) << CONTROL_SHIFT);
    }

    /** The slot's extension offset, giving it an extension (both fields zero) when it has none. */
    private long withExtension(final int slot)
    {
        final long at = extensionOffset(slot);
        final int control = control(slot);
        if ((control & CONTROL_EXTENSION) == 0)
        {
            touchExtension(slot);
            extension.set(LONG, at + EXPIRES_AT_NANOS_OFFSET, 0L);
            extension.set(LONG, at + FILE_SEQUENCE_OFFSET, 0L);
            control(slot, control | CONTROL_EXTENSION);
        }
        return at;
    }

    private void touchExtension(final int slot)
    {
        final int page = (int)(extensionOffset(slot) >>> EXTENSION_PAGE_SHIFT);
        final long bit = 1L << page;
        if ((extensionPages[page >>> 6] & bit) == 0)
        {
            extensionPages[page >>> 6] |= bit;
            extensionPagesTouched++;
        }
    }

    private long cellOf(final int slot, final long keyHash)
    {
        int cell = home(mix(keyHash), tableLength);
        while (true)
        {
            final int value = table.get(INT, cell * CELL_LENGTH);
            if (value == 0)
            {
                throw new IllegalStateException("slot=" + slot + " keyHash=" + keyHash + " is not in the key table");
            }
            if ((value & cellSlotMask) == slot + 1)
            {
                return cell;
            }
            cell = next(cell, tableLength);
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
            cell = next(cell, tableLength);
            final int value = table.get(INT, cell * CELL_LENGTH);
            if (value == 0)
            {
                break;
            }
            final int home = home(mix(keyHash((value & cellSlotMask) - 1)), tableLength);
            if (distance(home, cell, tableLength) >= distance(hole, cell, tableLength))
            {
                table.set(INT, hole * CELL_LENGTH, value);
                hole = cell;
            }
        }
        table.set(INT, hole * CELL_LENGTH, 0);
    }

    private void grow()
    {
        final MemorySegment old = table;
        final int length = Math.min(maxTableLength, roundToLine(tableLength + ((long)tableLength >>> 1)));
        final MemorySegment grown = NativeMemoryCounters.mapAnonymous(arena, length * CELL_LENGTH);
        // the live slots are exactly the table's keys: walking them in order reads the slot arrays
        // once, front to back, rather than a slot at random for each cell
        int moved = 0;
        for (int slot = 0; slot < neverUsed; slot++)
        {
            if (state(slot) == STATE_LIVE)
            {
                final long mixed = mix(keyHash(slot));
                int cell = home(mixed, length);
                while (grown.get(INT, cell * CELL_LENGTH) != 0)
                {
                    cell = next(cell, length);
                }
                grown.set(INT, cell * CELL_LENGTH, cellValue(mixed, slot));
                moved++;
            }
        }
        if (moved != size)
        {
            throw new IllegalStateException("key table grow found " + moved + " live slots, the index holds " + size);
        }
        tableVersion.getAndIncrement();
        tableLength = length;
        table = grown;
        tableVersion.getAndIncrement();
        retiredTableBytes += old.byteSize();
        dev.tiercache.libc.Libc.madviseDontNeed(old);
    }

    /**
     * A key's home cell: its mixed hash's low 32 bits scaled to the table's length (a multiply and
     * a shift, so the length need not be a power of two); the tag takes the high bits.
     */
    private static int home(final long mixedKeyHash, final int length)
    {
        return (int)(((mixedKeyHash & 0xFFFF_FFFFL) * length) >>> 32);
    }

    private static int next(final int cell, final int length)
    {
        return cell + 1 == length ? 0 : cell + 1;
    }

    /** Cells from {@code from} forward to {@code to}, cyclically. */
    private static int distance(final int from, final int to, final int length)
    {
        final int d = to - from;
        return d < 0 ? d + length : d;
    }

    /** Cells rounded up to a whole cache line of them (16), within int range. */
    private static int roundToLine(final long cells)
    {
        return (int)Math.min(Integer.MAX_VALUE & ~15, (cells + 15) & ~15L);
    }

    /** The key's tag: the top bits of its mixed hash that a cell has room for beside {@code slot + 1}. */
    private int tag(final long mixedKeyHash)
    {
        return (int)(mixedKeyHash >>> tagShift);
    }

    private int cellValue(final long mixedKeyHash, final int slot)
    {
        return tag(mixedKeyHash) << slotBits | (slot + 1);
    }

    /**
     * Where a slot's hot part lies. Two hot parts share a cache line, and readers pinning both at
     * once write that line from two cores; slots handed out one after the other (often hot at the
     * same time) would be the usual pair. So within each block of 128 slots (one 4 KiB page) slot
     * {@code i} and slot {@code i + 64} share line {@code i}, and consecutive slots never do; the
     * block's page is still touched when its first slot is, so memory grows as before.
     */
    static long hotOffset(final int slot)
    {
        final int inBlock = slot & (HOT_BLOCK - 1);
        final int position = (slot & ~(HOT_BLOCK - 1)) | (inBlock & (HOT_BLOCK / 2 - 1)) << 1 | inBlock >>> HOT_HALF_SHIFT;
        return (long)position * HOT_LENGTH;
    }

    private static long coldOffset(final int slot)
    {
        return (long)slot * COLD_LENGTH;
    }

    private static long extensionOffset(final int slot)
    {
        return (long)slot * EXTENSION_LENGTH;
    }

    private static int accessTime(final long nanos)
    {
        return (int)(nanos >>> ACCESS_TIME_SHIFT);
    }

    static long mix(final long keyHash)
    {
        long z = keyHash + 0x9E37_79B9_7F4A_7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }
}
