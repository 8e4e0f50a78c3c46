package dev.tiercache.index;

/**
 * The layout of one slot of the {@link EntryIndex}: 128 bytes, two cache lines, naturally aligned.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        keyHash (long)                         |  0
 *  +---------------------------------------------------------------+
 *  |                        location (long)                        |  8
 *  +---------------------------------------------------------------+
 *  |                        rawLength (long)                       | 16
 *  +---------------------------------------------------------------+
 *  |                     expiresAtNanos (long)                     | 24
 *  +---------------------------------------------------------------+
 *  |                    pin word (long, atomic)                    | 32
 *  +---------------------------------------------------------------+
 *  |                          meta (long)                          | 40
 *  +---------------------------------------------------------------+
 *  |                      fileSequence (long)                      | 48
 *  +-------+-------+-------+-------+-------------------------------+
 *  | level |keyKind| parts | state |        reserved (int)         | 56
 *  +=======+=======+=======+=======+===============================+  first cache line ends
 *  |                      storedLength (long)                      | 64
 *  +---------------------------------------------------------------+
 *  |                     lastAccessNanos (long)                    | 72
 *  +-------------------------------+-------------------------------+
 *  |           prev (int)          |           next (int)          | 80
 *  +-------------------------------+-------------------------------+
 *  |        accessCount (int)      |        leaseCount (int)       | 88
 *  +-------------------------------+-------+-------+---------------+
 *  |         checksum (int)        | flags | listId|   reserved    | 96
 *  +-------------------------------+-------+-------+---------------+
 *  |                    backingLocation (long)                     | 104
 *  +---------------------------------------------------------------+
 *  |                    backingSequence (long)                     | 112
 *  +---------------------------------------------------------------+
 *  |                       reserved (8 bytes)                      | 120..127
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Everything a reader touches without the writer lock (key hash, location, length, expiry, the
 * pin word, meta, sequence, level, key kind, part count) sits in the first cache line, and is
 * immutable while the slot is published, except the pin word. The second line holds what only the
 * writer reads and writes (policy links, access statistics, flags), so the policy drain moving a
 * slot in its list does not take the line readers need from their caches. A hit of a {@code long}
 * key with one part reads this one line and the bytes. The reserved tail keeps the stride a power
 * of two, so a slot never straddles more than two lines.
 *
 * <ul>
 *   <li>{@code keyHash}: the 64-bit hash of the user key.</li>
 *   <li>{@code location}: the entry's offset in its level's store.</li>
 *   <li>{@code storedLength}, {@code rawLength}: bytes as stored (maybe compressed) and as read.</li>
 *   <li>{@code lastAccessNanos}: {@link System#nanoTime()} of the last access.</li>
 *   <li>{@code expiresAtNanos}: the nanoTime after which the entry is expired, {@code 0} for never.</li>
 *   <li>{@code prev}, {@code next}: links of the {@link SlotList} the slot is on, {@link #NIL} at the ends.</li>
 *   <li>{@code accessCount}: accesses since the entry was inserted (saturates at {@code Integer.MAX_VALUE}).</li>
 *   <li>{@code leaseCount}: open leases; while positive the entry's bytes must not move or be freed.</li>
 *   <li>{@code checksum}: CRC32C of the raw bytes.</li>
 *   <li>{@code level}: {@link #LEVEL_L1}, {@link #LEVEL_L2}, {@link #LEVEL_L3} or {@link #LEVEL_EMPTY}.</li>
 *   <li>{@code keyKind}, {@code parts}: the cache's key kind and part count, copies of its meta
 *       record's, so that a hit of a one-part entry under a {@code long} key needs no meta read.</li>
 *   <li>{@code flags}: bits owned by the cache.</li>
 *   <li>{@code listId}: the list the slot is on, {@link #NO_LIST} for none; the index keeps it.</li>
 *   <li>{@code state}: {@link #STATE_FREE} or {@link #STATE_LIVE}; the index keeps it.</li>
 *   <li>{@code meta}: a long the cache may use as it likes.</li>
 *   <li>{@code pin word}: the only field written by readers, always with an atomic operation:
 *       {@code incarnation (31 bits) << 32 | RETIRED | PINNABLE | pins (24 bits)}; see
 *       {@link EntryIndex} for the protocol.</li>
 *   <li>{@code fileSequence}: the L3 entry's sequence number, so a read proves the entry's identity.</li>
 *   <li>{@code backingLocation}, {@code backingSequence}: for an L1 or L2 slot, the L3 record the
 *       slot owns ({@link #NO_BACKING} for none): a copy of its own value, or the older value a
 *       replacing put keeps until the new one reaches the file; only the writer reads them.</li>
 * </ul>
 */
public final class IndexSlotDescriptor
{
    /** Bytes per slot. */
    public static final int SLOT_LENGTH = 128;

    /** Alignment of the slot array: one cache line. */
    public static final int SLOT_ALIGNMENT = 64;

    /** Offset of the 64-bit key hash. */
    public static final int KEY_HASH_OFFSET = 0;

    /** Offset of the store location. */
    public static final int LOCATION_OFFSET = 8;

    /** Offset of the stored length. */
    public static final int STORED_LENGTH_OFFSET = 64;

    /** Offset of the raw length. */
    public static final int RAW_LENGTH_OFFSET = 16;

    /** Offset of the last access time. */
    public static final int LAST_ACCESS_NANOS_OFFSET = 72;

    /** Offset of the expiry time. */
    public static final int EXPIRES_AT_NANOS_OFFSET = 24;

    /** Offset of the previous-slot link. */
    public static final int PREV_OFFSET = 80;

    /** Offset of the next-slot link. */
    public static final int NEXT_OFFSET = 84;

    /** Offset of the access count. */
    public static final int ACCESS_COUNT_OFFSET = 88;

    /** Offset of the lease count. */
    public static final int LEASE_COUNT_OFFSET = 92;

    /** Offset of the checksum. */
    public static final int CHECKSUM_OFFSET = 96;

    /** Offset of the level byte. */
    public static final int LEVEL_OFFSET = 56;

    /** Offset of the flags byte. */
    public static final int FLAGS_OFFSET = 100;

    /** Offset of the list id byte. */
    public static final int LIST_ID_OFFSET = 101;

    /** Offset of the key kind byte (a copy of the meta record's). */
    public static final int KEY_KIND_OFFSET = 57;

    /** Offset of the part count byte (a copy of the meta record's). */
    public static final int PART_COUNT_OFFSET = 58;

    /** Offset of the state byte. */
    public static final int STATE_OFFSET = 59;

    /** Offset of the user meta long. */
    public static final int META_OFFSET = 40;

    /** Offset of the pin word (read and written atomically; see {@link EntryIndex}). */
    public static final int PIN_OFFSET = 32;

    /** Offset of the L3 record an L1 or L2 slot owns (writer only). */
    public static final int BACKING_LOCATION_OFFSET = 104;

    /** Offset of that record's sequence number (writer only). */
    public static final int BACKING_SEQUENCE_OFFSET = 112;

    /** Backing location value: the slot owns no L3 record. */
    public static final long NO_BACKING = -1;

    /** Offset of the L3 entry's sequence number. */
    public static final int FILE_SEQUENCE_OFFSET = 48;

    /** Level value: the entry is in L1 (device memory). */
    public static final byte LEVEL_L1 = 0;

    /** Level value: the entry is in L2 (pinned host memory). */
    public static final byte LEVEL_L2 = 1;

    /** Level value: the entry is in L3 (the file). */
    public static final byte LEVEL_L3 = 2;

    /** Level value: the slot is reserved but holds no bytes in any level yet. */
    public static final byte LEVEL_EMPTY = -1;

    /** Link value: no slot (the end of a list). */
    public static final int NIL = -1;

    /** List id value: the slot is on no list. */
    public static final byte NO_LIST = -1;

    /** Most lists one index can hold, since a list id is a byte. */
    public static final int MAX_LISTS = Byte.MAX_VALUE;

    /** Most slots one index can hold (the key table, four cells per slot at most, is indexed by int). */
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
     * Byte offset of a slot in the slot array.
     *
     * @param slot the slot number.
     * @return {@code slot * SLOT_LENGTH}.
     */
    public static long slotOffset(final int slot)
    {
        return (long)slot * SLOT_LENGTH;
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
     * Checks a length field.
     *
     * @param name   the field's name, for the message.
     * @param length the value.
     * @throws IllegalArgumentException when it is negative.
     */
    public static void checkLength(final String name, final long length)
    {
        if (length < 0)
        {
            throw new IllegalArgumentException(name + "=" + length + " < 0");
        }
    }
}
