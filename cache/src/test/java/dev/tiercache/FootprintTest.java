package dev.tiercache;

import dev.tiercache.index.IndexSlotDescriptor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native bookkeeping of a million small entries, read from the cache's own counters: a
 * guard on what decision records 0030, 0032 and 0035 bought. Per held entry, one-part entries under
 * {@code long} keys without expiry: the 48-byte slot, at most 16 bytes of key table, no slot
 * extension and no meta record of their own, so at most 64 bytes in all.
 * (The heap part of the fixed cost depends on the collector and is reported by
 * {@link FootprintMeasurement}, not asserted.)
 */
class FootprintTest
{
    private static final int ENTRIES = 1_000_000;

    @Test
    void aMillionSmallEntries_costTheirSlotAndTableCells_andShareOneMetaRecord()
    {
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(128L << 20).maxEntries(ENTRIES).build();
             Arena arena = Arena.ofConfined())
        {
            final long[] empty = cache.bookkeepingBytes();
            assertTrue(empty[0] <= 64 * 1024, "an empty index for 10^6 entries uses " + empty[0] + " bytes");
            final MemorySegment value = arena.allocate(8);
            for (int key = 0; key < ENTRIES; key++)
            {
                value.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, key);
                cache.put(key, value);
            }
            assertEquals(ENTRIES, cache.size());
            final long[] full = cache.bookkeepingBytes();
            final double index = (double) full[0] / ENTRIES;
            final double meta = (double) full[2] / ENTRIES;
            System.out.printf("FootprintTest: index %.1f B and meta records %.1f B per held entry (%d bytes of meta in all)%n",
                index, meta, full[2]);
            assertTrue(index <= IndexSlotDescriptor.SLOT_LENGTH + 16, "index in use: " + index + " B per held entry");
            assertEquals(0, full[4], "no entry here has an expiry or an L3 record");
            assertTrue(index + meta <= 64, "fixed native cost: " + (index + meta) + " B per held entry");
            assertTrue(full[2] <= 128, "one shared meta record for every entry, not " + full[2] + " bytes");
            assertEquals(1, cache.metaRecordCounts()[0]);
        }
    }
}
