package dev.tiercache.index;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EntryIndexTest
{
    @Test
    void find_afterInsert_returnsSlot_andMissIsNotFound()
    {
        try (EntryIndex index = new EntryIndex(8))
        {
            final int slot = index.insert(42L);
            assertTrue(slot >= 0);
            assertEquals(slot, index.find(42L));
            assertEquals(EntryIndex.NOT_FOUND, index.find(43L));
            assertEquals(1, index.size());
            assertEquals(42L, index.keyHash(slot));
            assertEquals(IndexSlotDescriptor.LEVEL_EMPTY, index.level(slot));
            assertEquals(IndexSlotDescriptor.NO_LIST, index.listId(slot));
        }
    }

    @Test
    void insert_whenFull_returnsFull()
    {
        try (EntryIndex index = new EntryIndex(3))
        {
            for (long k = 0; k < 3; k++)
            {
                assertTrue(index.insert(k) >= 0);
            }
            assertEquals(EntryIndex.FULL, index.insert(99L));
            index.remove(index.find(1L));
            assertTrue(index.insert(99L) >= 0);
            assertEquals(EntryIndex.NOT_FOUND, index.find(1L));
        }
    }

    @Test
    void insert_presentKey_throws()
    {
        try (EntryIndex index = new EntryIndex(4))
        {
            index.insert(7L);
            assertThrows(IllegalArgumentException.class, () -> index.insert(7L));
        }
    }

    @Test
    void fields_roundTrip_andInsertResetsReusedSlot()
    {
        try (EntryIndex index = new EntryIndex(2))
        {
            final int slot = index.insert(-5L);
            index.level(slot, IndexSlotDescriptor.LEVEL_L3);
            index.flags(slot, (byte)0x5A);
            index.location(slot, 1L << 40);
            index.storedLength(slot, 123);
            index.rawLength(slot, 456);
            index.checksum(slot, 0xCAFEBABE);
            index.accessCount(slot, 3);
            assertEquals(4, index.recordAccess(slot, 777L));
            index.expiresAtNanos(slot, 999L);
            index.meta(slot, Long.MIN_VALUE);
            assertEquals(IndexSlotDescriptor.LEVEL_L3, index.level(slot));
            assertEquals((byte)0x5A, index.flags(slot));
            assertEquals(1L << 40, index.location(slot));
            assertEquals(123, index.storedLength(slot));
            assertEquals(456, index.rawLength(slot));
            assertEquals(0xCAFEBABE, index.checksum(slot));
            assertEquals(4, index.accessCount(slot));
            assertEquals(777L, index.lastAccessNanos(slot));
            assertEquals(999L, index.expiresAtNanos(slot));
            assertEquals(Long.MIN_VALUE, index.meta(slot));

            index.remove(slot);
            final int again = index.insert(6L);
            assertEquals(slot, again);
            assertEquals(0, index.location(again));
            assertEquals(0, index.accessCount(again));
            assertEquals(0, index.meta(again));
            assertEquals(IndexSlotDescriptor.LEVEL_EMPTY, index.level(again));
        }
    }

    @Test
    void remove_leasedSlot_throws_untilReleased()
    {
        try (EntryIndex index = new EntryIndex(2))
        {
            final int slot = index.insert(1L);
            assertEquals(1, index.incrementLease(slot));
            assertThrows(IllegalStateException.class, () -> index.remove(slot));
            assertEquals(0, index.decrementLease(slot));
            assertThrows(IllegalStateException.class, () -> index.decrementLease(slot));
            index.remove(slot);
            assertFalse(index.isLive(slot));
            assertThrows(IllegalStateException.class, () -> index.remove(slot));
        }
    }

    @Test
    void setters_rejectBadValues()
    {
        try (EntryIndex index = new EntryIndex(2))
        {
            final int slot = index.insert(1L);
            assertThrows(IllegalArgumentException.class, () -> index.level(slot, (byte)3));
            assertThrows(IllegalArgumentException.class, () -> index.rawLength(slot, -1));
            assertThrows(IllegalArgumentException.class, () -> new EntryIndex(0));
        }
    }

    @Test
    void close_isIdempotent_andLaterAccessThrows()
    {
        final EntryIndex index = new EntryIndex(4);
        index.insert(1L);
        index.close();
        index.close();
        assertThrows(IllegalStateException.class, () -> index.find(1L));
    }

    @Test
    void lists_keepOrder_andSlotIsOnOneListOnly()
    {
        try (EntryIndex index = new EntryIndex(8))
        {
            final SlotList a = index.newList();
            final SlotList b = index.newList();
            final int s1 = index.insert(1L);
            final int s2 = index.insert(2L);
            final int s3 = index.insert(3L);
            a.addFirst(s1);
            a.addFirst(s2);
            a.addLast(s3);
            assertEquals(s2, a.first());
            assertEquals(s3, a.last());
            assertEquals(s1, a.next(s2));
            assertEquals(s1, a.prev(s3));
            assertEquals(3, a.size());
            assertThrows(IllegalStateException.class, () -> b.addFirst(s1));
            assertThrows(IllegalStateException.class, () -> b.remove(s1));

            a.moveToFront(s3);
            assertEquals(s3, a.first());
            assertEquals(s1, a.last());
            a.moveToBack(s3);
            assertEquals(s3, a.last());

            index.remove(s1);
            assertEquals(2, a.size());
            assertEquals(s3, a.next(s2));
            assertEquals(s3, a.pollLast());
            assertFalse(a.contains(s3));
            b.addFirst(s3);
            assertTrue(b.contains(s3));
            assertEquals(s2, a.first());
            assertEquals(s2, a.last());
            a.remove(s2);
            assertTrue(a.isEmpty());
            assertEquals(IndexSlotDescriptor.NIL, a.first());
            assertEquals(IndexSlotDescriptor.NIL, a.pollLast());
        }
    }

    @Test
    void descriptor_fieldsDoNotOverlap_andFitTheSlot()
    {
        final int[][] fields = {
            {IndexSlotDescriptor.KEY_HASH_OFFSET, 8}, {IndexSlotDescriptor.LOCATION_OFFSET, 8},
            {IndexSlotDescriptor.STORED_LENGTH_OFFSET, 8}, {IndexSlotDescriptor.RAW_LENGTH_OFFSET, 8},
            {IndexSlotDescriptor.LAST_ACCESS_NANOS_OFFSET, 8}, {IndexSlotDescriptor.EXPIRES_AT_NANOS_OFFSET, 8},
            {IndexSlotDescriptor.PREV_OFFSET, 4}, {IndexSlotDescriptor.NEXT_OFFSET, 4},
            {IndexSlotDescriptor.ACCESS_COUNT_OFFSET, 4}, {IndexSlotDescriptor.LEASE_COUNT_OFFSET, 4},
            {IndexSlotDescriptor.CHECKSUM_OFFSET, 4}, {IndexSlotDescriptor.LEVEL_OFFSET, 1},
            {IndexSlotDescriptor.FLAGS_OFFSET, 1}, {IndexSlotDescriptor.LIST_ID_OFFSET, 1},
            {IndexSlotDescriptor.STATE_OFFSET, 1}, {IndexSlotDescriptor.META_OFFSET, 8},
            {IndexSlotDescriptor.PIN_OFFSET, 8}, {IndexSlotDescriptor.FILE_SEQUENCE_OFFSET, 8},
            {IndexSlotDescriptor.KEY_KIND_OFFSET, 1}, {IndexSlotDescriptor.PART_COUNT_OFFSET, 1}};
        final boolean[] used = new boolean[IndexSlotDescriptor.SLOT_LENGTH];
        for (final int[] field : fields)
        {
            assertEquals(0, field[0] % field[1], "offset=" + field[0] + " is not aligned to " + field[1]);
            for (int i = field[0]; i < field[0] + field[1]; i++)
            {
                assertFalse(used[i], "byte " + i + " used twice");
                used[i] = true;
            }
        }
        assertEquals(0, Integer.bitCount(IndexSlotDescriptor.SLOT_LENGTH) - 1);
        assertThrows(IndexOutOfBoundsException.class, () -> IndexSlotDescriptor.checkSlot(5, 5));
    }
}
