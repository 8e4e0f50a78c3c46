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
            index.flags(slot, (byte)0x0A);
            index.location(slot, 1L << 40);
            index.rawLength(slot, 456);
            index.accessCount(slot, 3);
            assertEquals(4, index.recordAccess(slot, 777L << EntryIndex.ACCESS_TIME_SHIFT));
            index.expiresAtNanos(slot, 999L);
            index.fileSequence(slot, 31L);
            index.meta(slot, IndexSlotDescriptor.MAX_META_OFFSET - 8);
            assertEquals(IndexSlotDescriptor.LEVEL_L3, index.level(slot));
            assertEquals((byte)0x0A, index.flags(slot));
            assertEquals(1L << 40, index.location(slot));
            assertEquals(456, index.rawLength(slot));
            assertEquals(4, index.accessCount(slot));
            assertEquals(2L << EntryIndex.ACCESS_TIME_SHIFT, index.idleNanos(slot, 780L << EntryIndex.ACCESS_TIME_SHIFT));
            assertEquals(999L, index.expiresAtNanos(slot));
            assertEquals(31L, index.fileSequence(slot));
            assertEquals(IndexSlotDescriptor.MAX_META_OFFSET - 8, index.meta(slot));

            index.remove(slot);
            final int again = index.insert(6L);
            assertEquals(slot, again);
            assertEquals(0, index.location(again));
            assertEquals(0, index.rawLength(again));
            assertEquals(0, index.accessCount(again));
            assertEquals(0, index.meta(again));
            assertEquals(0, index.flags(again));
            assertEquals(0, index.expiresAtNanos(again), "a reused slot does not inherit the old extension");
            assertEquals(0, index.fileSequence(again));
            assertEquals(IndexSlotDescriptor.NO_BACKING, index.backingLocation(again));
            assertEquals(IndexSlotDescriptor.LEVEL_EMPTY, index.level(again));
        }
    }

    @Test
    void remove_pinnedSlot_throws_untilUnpinned()
    {
        try (EntryIndex index = new EntryIndex(2))
        {
            final int slot = index.insert(1L);
            assertTrue(index.tryPin(slot) != EntryIndex.PIN_FAILED);
            assertThrows(IllegalStateException.class, () -> index.remove(slot));
            assertTrue(index.unpin(slot), "the last pin of a slot that remove retired reports it");
            index.free(slot);
            assertFalse(index.isLive(slot));
            assertThrows(IllegalStateException.class, () -> index.remove(slot));
        }
    }

    @Test
    void idleNanos_isALowerBoundWithinTwoUnits_andAFutureStampReadsZero()
    {
        try (EntryIndex index = new EntryIndex(1))
        {
            final int slot = index.insert(1L);
            final long unit = 1L << EntryIndex.ACCESS_TIME_SHIFT;
            final java.util.Random random = new java.util.Random(11);
            for (int i = 0; i < 10_000; i++)
            {
                final long stamp = random.nextLong(); // nanoTime may be anything, negative too
                final long idle = random.nextInt(4) == 0 ? random.nextLong(8 * unit) : random.nextLong((1L << 31) * unit);
                index.lastAccessNanos(slot, stamp);
                final long read = index.idleNanos(slot, stamp + idle);
                assertTrue(read <= idle && idle - read < 2 * unit, "stamp=" + stamp + " idle=" + idle + " read=" + read);
                assertEquals(0, index.idleNanos(slot, stamp - 1 - random.nextLong(8 * unit)), "a stamp after now is no idleness");
            }
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
            assertThrows(IllegalArgumentException.class, () -> index.rawLength(slot, IndexSlotDescriptor.MAX_RAW_LENGTH + 1));
            assertThrows(IllegalArgumentException.class, () -> index.location(slot, IndexSlotDescriptor.MAX_LOCATION + 1));
            assertThrows(IllegalArgumentException.class, () -> index.meta(slot, 12));
            assertThrows(IllegalArgumentException.class, () -> index.meta(slot, IndexSlotDescriptor.MAX_META_OFFSET));
            assertThrows(IllegalArgumentException.class, () -> index.flags(slot, (byte)0x10), "bit 4 is the index's");
            assertThrows(IllegalArgumentException.class, () -> index.keyKindAndParts(slot, 4, 1));
            assertThrows(IllegalArgumentException.class, () -> index.accessCount(slot, -1));
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
    void hotParts_ofConsecutiveSlots_neverShareALine_andEachSlotHasItsOwn()
    {
        final int slots = 1000;
        final java.util.Set<Long> seen = new java.util.HashSet<>();
        final long mapped = (slots + 127L & -128L) * IndexSlotDescriptor.HOT_LENGTH;
        for (int slot = 0; slot < slots; slot++)
        {
            final long at = EntryIndex.hotOffset(slot);
            assertTrue(at >= 0 && at + IndexSlotDescriptor.HOT_LENGTH <= mapped, "slot " + slot + " at " + at);
            assertEquals(0, at % IndexSlotDescriptor.HOT_LENGTH);
            assertTrue(seen.add(at), "slot " + slot + " shares its hot part");
            assertEquals(slot / 128, at / 4096, "slot " + slot + " stays in its block's page");
            if (slot + 1 < slots)
            {
                assertTrue(at / 64 != EntryIndex.hotOffset(slot + 1) / 64, "slots " + slot + " and " + (slot + 1) + " share a line");
            }
        }
        assertEquals(EntryIndex.hotOffset(5) / 64, EntryIndex.hotOffset(69) / 64, "slot i shares its line with slot i + 64");
    }

    @Test
    void descriptor_fieldsDoNotOverlap_andFitTheirParts()
    {
        checkPart(IndexSlotDescriptor.HOT_LENGTH, new int[][] {
            {IndexSlotDescriptor.KEY_HASH_OFFSET, 8}, {IndexSlotDescriptor.PIN_OFFSET, 8},
            {IndexSlotDescriptor.META_LENGTH_OFFSET, 8}, {IndexSlotDescriptor.LOCATION_CONTROL_OFFSET, 8}});
        checkPart(IndexSlotDescriptor.COLD_LENGTH, new int[][] {
            {IndexSlotDescriptor.PREV_OFFSET, 4}, {IndexSlotDescriptor.NEXT_OFFSET, 4},
            {IndexSlotDescriptor.LAST_ACCESS_OFFSET, 4}, {IndexSlotDescriptor.ACCESS_COUNT_OFFSET, 2},
            {IndexSlotDescriptor.FLAGS_OFFSET, 1}, {IndexSlotDescriptor.LIST_ID_OFFSET, 1}});
        checkPart(IndexSlotDescriptor.EXTENSION_LENGTH, new int[][] {
            {IndexSlotDescriptor.EXPIRES_AT_NANOS_OFFSET, 8}, {IndexSlotDescriptor.FILE_SEQUENCE_OFFSET, 8},
            {IndexSlotDescriptor.BACKING_LOCATION_OFFSET, 8}, {IndexSlotDescriptor.BACKING_SEQUENCE_OFFSET, 8}});
        assertEquals(IndexSlotDescriptor.SLOT_LENGTH, IndexSlotDescriptor.HOT_LENGTH + IndexSlotDescriptor.COLD_LENGTH);
        assertEquals(0, 64 % IndexSlotDescriptor.HOT_LENGTH, "a hot part never straddles a cache line");
        assertThrows(IndexOutOfBoundsException.class, () -> IndexSlotDescriptor.checkSlot(5, 5));
    }

    private static void checkPart(final int length, final int[][] fields)
    {
        final boolean[] used = new boolean[length];
        for (final int[] field : fields)
        {
            assertEquals(0, field[0] % field[1], "offset=" + field[0] + " is not aligned to " + field[1]);
            for (int i = field[0]; i < field[0] + field[1]; i++)
            {
                assertFalse(used[i], "byte " + i + " used twice");
                used[i] = true;
            }
        }
        for (int i = 0; i < length; i++)
        {
            assertTrue(used[i], "byte " + i + " of a " + length + "-byte part belongs to no field");
        }
    }
}
