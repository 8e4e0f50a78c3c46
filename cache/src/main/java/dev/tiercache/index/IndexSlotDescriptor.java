package dev.tiercache.index;

/**
 * The layout of one slot of the {@link EntryIndex}: 48 bytes in two arrays every slot uses, plus
 * 32 bytes in a third that only slots with an expiry, an L3 record or an L3 backing touch.
 *
 * <h2>Hot part: 32 bytes, what a lock-free reader reads</h2>
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        keyHash (long)                         |  0
 *  +---------------------------------------------------------------+
 *  |                    pin word (long, atomic)                    |  8
 *  +-------------------------------+-------------------------------+
 *  |   meta (int, offset / 8)      |   rawLength, low 32 bits      | 16
 *  +-------------------------------+---------------+-------+-------+
 *  |               location (48 bits)              |control| lenHi | 24
 *  +-----------------------------------------------+-------+-------+
 * </pre>
 * The two packed words (offsets 16 and 24) are little-endian on every platform, so the bytes lie
 * as drawn; on the usual little-endian machines each is one plain load. Everything here but the
 * pin word is written while the slot is
 * {@link #STATE_RESERVED} and never again until it is freed. Slots are 32 bytes apart from a
 * page-aligned base, so a hot part never straddles a cache line: a hit of a {@code long} key with
 * one part reads one line of it, and the bytes.
 * <ul>
 *   <li>{@code keyHash}: the 64-bit hash of the user key.</li>
 *   <li>{@code pin word}: the only field written by readers, always with an atomic operation:
 *       {@code incarnation (31 bits) << 32 | RETIRED | PINNABLE | pins (24 bits)}; see
 *       {@link EntryIndex} for the protocol.</li>
 *   <li>{@code meta}: the offset of the entry's meta record, a multiple of 8 below {@link #MAX_META_OFFSET},
 *       stored divided by 8.</li>
 *   <li>{@code rawLength}: bytes as read, 40 bits ({@link #MAX_RAW_LENGTH}), the high byte at 31.</li>
 *   <li>{@code location}: the entry's offset in its level's store, 48 bits ({@link #MAX_LOCATION}).</li>
 *   <li>{@code control} (byte 30): the level plus one in bits 0-1, the key kind (a copy of the meta
 *       record's) in bits 2-3, "one part" in bit 4 (so that a hit of a one-part entry under a
 *       {@code long} key needs no meta read) and "has an extension" in bit 5 (the slot's expiry or
 *       file sequence is not zero and lives in the extension part).</li>
 * </ul>
 *
 * <h2>Cold part: 16 bytes, writer only</h2>
 * <pre>
 *  +-------------------------------+-------------------------------+
 *  |           prev (int)          |           next (int)          |  0
 *  +-------------------------------+---------------+-------+-------+
 *  |   lastAccess (int, 2^20 ns)   |  accessCount  | flags | listId|  8
 *  +-------------------------------+---------------+-------+-------+
 * </pre>
 * The policies' links and access statistics sit in their own array, so the policy drain moving a
 * slot in its list does not take the line readers need from their caches.
 * <ul>
 *   <li>{@code prev}, {@code next}: links of the {@link SlotList} the slot is on, {@link #NIL} at
 *       the ends; {@code next} also links the free list and the cache's stack of slots to reclaim.</li>
 *   <li>{@code lastAccess}: {@link System#nanoTime()} of the last access in units of
 *       2<sup>20</sup> ns (about 1 ms), truncated to 32 bits: an idle time is read at most two
 *       units short, never long, up to 2<sup>31</sup> units (26 days); see {@link EntryIndex#idleNanos}.</li>
 *   <li>{@code accessCount}: accesses since the entry was inserted, unsigned 16 bits, saturating
 *       at {@link #MAX_ACCESS_COUNT}.</li>
 *   <li>{@code flags}: bits 0-3 are the cache's ({@link #CACHE_FLAGS}); bits 4-5 hold the state
 *       ({@link #STATE_FREE} and so on) and bit 6 "has a backing", all three the index's.</li>
 *   <li>{@code listId}: the list the slot is on, {@link #NO_LIST} for none; the index keeps it.</li>
 * </ul>
 *
 * <h2>Extension part: 32 bytes, touched only by the slots that need it</h2>
 * <pre>
 *  | expiresAtNanos (long) | fileSequence (long) | backingLocation (long) | backingSequence (long) |
 * </pre>
 * The array is reserved as address space like the others, and the kernel backs a page of it only
 * when a slot on that page first stores one of these fields; a cache of entries without expiry
 * and without L3 never touches it.
 * <ul>
 *   <li>{@code expiresAtNanos}: the nanoTime after which the entry is expired, {@code 0} for
 *       never (then it is not stored).</li>
 *   <li>{@code fileSequence}: the L3 entry's sequence number, so a read proves the entry's
 *       identity ({@code 0} is not stored).</li>
 *   <li>{@code backingLocation}, {@code backingSequence}: for an L1 or L2 slot, the L3 record the
 *       slot owns ({@link #NO_BACKING} for none, then not stored): a copy of its own value, or the
 *       older value a replacing put keeps until the new one reaches the file; writer only.</li>
 * </ul>
 * The narrowed fields are the limits decision record 0035 sets and defends.
 */
public final class IndexSlotDescriptor
{
    /** Bytes per slot in the parts every slot uses: the hot part and the cold part. */
    public static final int SLOT_LENGTH = 48;

    /** Bytes per slot of the hot part (read by lock-free readers). */
    public static final int HOT_LENGTH = 32;

    /** Bytes per slot of the cold part (the writer's). */
    public static final int COLD_LENGTH = 16;

    /** Bytes per slot of the extension part (touched only by slots that store one of its fields). */
    public static final int EXTENSION_LENGTH = 32;

    /** Hot part: offset of the 64-bit key hash. */
    public static final int KEY_HASH_OFFSET = 0;

    /** Hot part: offset of the pin word (read and written atomically; see {@link EntryIndex}). */
    public static final int PIN_OFFSET = 8;

    /** Hot part: offset of the word holding the meta offset / 8 (low int) and the raw length's low 32 bits (high int). */
    public static final int META_LENGTH_OFFSET = 16;

    /** Hot part: offset of the word holding the location (48 bits), the control byte and the raw length's high byte. */
    public static final int LOCATION_CONTROL_OFFSET = 24;

    /** Cold part: offset of the previous-slot link. */
    public static final int PREV_OFFSET = 0;

    /** Cold part: offset of the next-slot link. */
    public static final int NEXT_OFFSET = 4;

    /** Cold part: offset of the last access time, in units of 2^20 ns. */
    public static final int LAST_ACCESS_OFFSET = 8;

    /** Cold part: offset of the access count (unsigned short). */
    public static final int ACCESS_COUNT_OFFSET = 12;

    /** Cold part: offset of the flags byte. */
    public static final int FLAGS_OFFSET = 14;

    /** Cold part: offset of the list id byte. */
    public static final int LIST_ID_OFFSET = 15;

    /** Extension part: offset of the expiry time. */
    public static final int EXPIRES_AT_NANOS_OFFSET = 0;

    /** Extension part: offset of the L3 entry's sequence number. */
    public static final int FILE_SEQUENCE_OFFSET = 8;

    /** Extension part: offset of the L3 record an L1 or L2 slot owns (writer only). */
    public static final int BACKING_LOCATION_OFFSET = 16;

    /** Extension part: offset of that record's sequence number (writer only). */
    public static final int BACKING_SEQUENCE_OFFSET = 24;

    /** Largest location a slot holds (48 bits: 256 TiB into a level's store). */
    public static final long MAX_LOCATION = (1L << 48) - 1;

    /** Largest raw length a slot holds (40 bits: 1 TiB per entry). */
    public static final long MAX_RAW_LENGTH = (1L << 40) - 1;

    /** Meta offsets are below this (a 32-bit count of 8-byte units: 32 GiB of meta records). */
    public static final long MAX_META_OFFSET = 1L << 35;

    /** The access count saturates here. */
    public static final int MAX_ACCESS_COUNT = 0xFFFF;

    /** The flag bits the cache may use; the others are the index's. */
    public static final int CACHE_FLAGS = 0x0F;

    /** Backing location value: the slot owns no L3 record. */
    public static final long NO_BACKING = -1;

    /** Level value: the entry is in L1 (device memory). */
    public static final byte LEVEL_L1 = 0;

    /** Level value: the entry is in L2 (pinned host memory). */
    public static final byte LEVEL_L2 = 1;

    /** Level value: the entry is in L3 (the file). */
    public static final byte LEVEL_L3 = 2;

    /** Level value: the slot is reserved but holds no bytes in any level yet. */
    public static final byte LEVEL_EMPTY = -1;

    /** Largest key kind a slot holds (two bits). */
    public static final int MAX_KEY_KIND = 3;

    /** Link value: no slot (the end of a list). */
    public static final int NIL = -1;

    /** List id value: the slot is on no list. */
    public static final byte NO_LIST = -1;

    /** Most lists one index can hold, since a list id is a byte. */
    public static final int MAX_LISTS = Byte.MAX_VALUE;

    /** Most slots one index can hold (a key table cell holds {@code slot + 1} and at least a 3-bit tag in 32 bits). */
    public static final int MAX_CAPACITY = 1 << 28;

    /** State value: the slot is free. */
    public static final byte STATE_FREE = 0;

    /** State value: the slot belongs to a key and the key table points at it. */
    public static final byte STATE_LIVE = 1;

    /** State value: taken by {@link EntryIndex#allocate}, being filled, not yet in the key table. */
    public static final byte STATE_RESERVED = 2;

    /** State value: out of the key table, waiting for its last pin to go before it is freed. */
    public static final byte STATE_RETIRED = 3;

    private IndexSlotDescriptor()
    {
    }

    /**
     * Checks a slot number against the capacity.
     *
     * @param slot     the slot number.
     * @param capacity the number of slots.
     * @throws IndexOutOfBoundsException when {@code slot} is not in {@code [0, capacity)}.
     */
    public static void checkSlot(final int slot, final int capacity)
    {
        if (slot < 0 || slot >= capacity)
        {
            throw new IndexOutOfBoundsException("slot=" + slot + " not in [0, capacity=" + capacity + ")");
        }
    }

    /**
     * Checks a level value.
     *
     * @param level the level.
     * @throws IllegalArgumentException when it is not one of the {@code LEVEL_*} values.
     */
    public static void checkLevel(final int level)
    {
        if (level != LEVEL_EMPTY && (level < LEVEL_L1 || level > LEVEL_L3))
        {
            throw new IllegalArgumentException("level=" + level + " is not L1=0, L2=1, L3=2 or EMPTY=-1");
        }
    }

    /**
     * Checks a slot capacity.
     *
     * @param capacity the number of slots asked for.
     * @throws IllegalArgumentException when it is below 1 or so large that the key table could not be sized.
     */
    public static void checkCapacity(final int capacity)
    {
        if (capacity < 1 || capacity > MAX_CAPACITY)
        {
            throw new IllegalArgumentException("capacity=" + capacity + " not in [1, MAX_CAPACITY=" + MAX_CAPACITY + "]");
        }
    }

    /**
     * Checks a field against the range its bits can hold.
     *
     * @param name  the field's name, for the message.
     * @param value the value.
     * @param max   the largest value the field holds.
     * @throws IllegalArgumentException when it is negative or above {@code max}.
     */
    public static void checkRange(final String name, final long value, final long max)
    {
        if (value < 0 || value > max)
        {
            throw new IllegalArgumentException(name + "=" + value + " not in [0, " + max + "] (what the slot's field holds)");
        }
    }
}
